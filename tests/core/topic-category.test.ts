import { describe, expect, it } from 'vitest';
import { categoryOfTopic } from '../../core/recommend/topic-category.js';
import { topicAsCategory } from '../../core/recommend/ranker.js';

describe('a topic that names a category', () => {
  it('GIVEN "sports", "sport", "Sports!", "스포츠", "스포츠는", "스포츠 뉴스" THEN the sports category', () => {
    for (const t of ['sports', 'sport', 'Sports!', '스포츠', '스포츠는', '스포츠 뉴스', 'sports news'])
      expect(categoryOfTopic(t), t).toBe('sports');
  });

  it('GIVEN other category names in both languages THEN their categories', () => {
    expect(categoryOfTopic('게임')).toBe('games');
    expect(categoryOfTopic('gaming')).toBe('games');
    expect(categoryOfTopic('IT/기술')).toBe('tech');
    expect(categoryOfTopic('technology')).toBe('tech');
    expect(categoryOfTopic('경제')).toBe('finance');
    expect(categoryOfTopic('여행 소식')).toBe('travel');
    expect(categoryOfTopic('news')).toBe('news');
  });

  it('GIVEN a narrower topic THEN it stays a topic', () => {
    for (const t of ['sports jackets', 'football', '축구', 'game of thrones recap', 'kimchi recipe'])
      expect(categoryOfTopic(t), t).toBeUndefined();
  });

  it('GIVEN a request THEN the topic becomes the category filter unless a category or an item is given', () => {
    expect(topicAsCategory({ topic: '스포츠', count: 3 })).toEqual({ category: 'sports', count: 3 });
    expect(topicAsCategory({ topic: 'sports', category: 'fashion' })).toEqual({ topic: 'sports', category: 'fashion' });
    expect(topicAsCategory({ topic: 'sports', likeItemId: 'x' })).toEqual({ topic: 'sports', likeItemId: 'x' });
  });
});
