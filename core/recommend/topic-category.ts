/**
 * A `/recommend` topic that names a category selects that category: "sports", "sport", "스포츠",
 * "스포츠 뉴스", "games", "게임은" — instead of being matched as keywords (where "sports" finds "sports
 * jackets" in fashion and misses every football report that never writes the word). A topic that is
 * more than a category name ("football transfers", "sports jackets") stays a topic.
 *
 * @example
 * categoryOfTopic('sports');      // 'sports'
 * categoryOfTopic('스포츠 소식');   // 'sports'
 * categoryOfTopic('sports jackets'); // undefined
 */
import type { Category } from '../domain.js';
import { parseCategory } from '../messages.js';
import { stripParticle } from '../text.js';

/** Other names people use for each category (English singular/plural forms, Korean synonyms). */
const ALIASES: Readonly<Record<Category, readonly string[]>> = {
  news: ['news', 'headlines', '뉴스', '시사'],
  tech: ['tech', 'technology', 'it', 'it/기술', '기술', '테크'],
  games: ['game', 'games', 'gaming', 'video games', '게임', '게이밍'],
  sports: ['sport', 'sports', '스포츠'],
  entertainment: ['entertainment', 'celebrity', 'celebrities', '연예', '엔터', '엔터테인먼트'],
  music: ['music', '음악', '뮤직'],
  food: ['food', 'foods', '음식', '푸드'],
  travel: ['travel', 'travels', 'trip', 'trips', '여행'],
  fashion: ['fashion', '패션'],
  science: ['science', 'sciences', '과학'],
  finance: ['finance', 'economy', 'economics', 'business', '경제', '금융', '재테크'],
  lifestyle: ['lifestyle', 'lifestyles', 'life style', '라이프스타일', '생활'],
};

/** Words that may follow a category name without making it a narrower topic ("sports news", "게임 소식"). */
const GENERIC = new Set([
  'news',
  'stuff',
  'content',
  'articles',
  'videos',
  '뉴스',
  '소식',
  '콘텐츠',
  '관련',
  '추천',
  '기사',
]);

const BY_NAME = new Map<string, Category>();
for (const [c, names] of Object.entries(ALIASES) as [Category, readonly string[]][])
  for (const n of names) BY_NAME.set(n, c);

function lookup(words: string[]): Category | undefined {
  const phrase = words.join(' ');
  return BY_NAME.get(phrase) ?? parseCategory(phrase);
}

/** The category a topic names, if the topic is (only) a category name in Korean or English. */
export function categoryOfTopic(topic: string): Category | undefined {
  const words = topic
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[!?.,;:"'“”‘’()[\]]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .map(stripParticle);
  if (words.length === 0 || words.length > 3) return undefined;
  const whole = lookup(words);
  if (whole) return whole;
  // "<category> news" / "<카테고리> 소식": a generic word after the category name.
  if (words.length >= 2 && GENERIC.has(words.at(-1)!)) {
    const c = lookup(words.slice(0, -1));
    if (c) return c;
  }
  return undefined;
}
