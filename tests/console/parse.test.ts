import { describe, expect, it } from 'vitest';
import { parseConsoleLine } from '../../bots/console/parse.js';

describe('console line parsing', () => {
  it('GIVEN /recommend forms THEN topic, count and category are read', () => {
    expect(parseConsoleLine('/recommend')).toEqual({ kind: 'recommend' });
    expect(parseConsoleLine('/recommend 축구 3 sports')).toEqual({
      kind: 'recommend',
      topic: '축구',
      count: 3,
      category: 'sports',
    });
    expect(parseConsoleLine('/recommend red sneakers 2')).toEqual({
      kind: 'recommend',
      topic: 'red sneakers',
      count: 2,
    });
    expect(parseConsoleLine('/recommend 게임')).toEqual({ kind: 'recommend', category: 'games' });
    expect(parseConsoleLine('/recommend jazz source=youtube count=4')).toEqual({
      kind: 'recommend',
      topic: 'jazz',
      source: 'youtube',
      count: 4,
    });
    expect(parseConsoleLine('/recommend 0')).toMatchObject({ kind: 'error', arg: 'count' });
    expect(parseConsoleLine('/recommend category=bogus')).toMatchObject({ kind: 'error', arg: 'category' });
  });

  it('GIVEN reactions THEN add and remove forms work, with skin tones and variation selectors', () => {
    expect(parseConsoleLine('👍 2')).toEqual({ kind: 'react', emoji: '👍', position: 2, action: 'add' });
    expect(parseConsoleLine('3 👎')).toEqual({ kind: 'react', emoji: '👎', position: 3, action: 'add' });
    expect(parseConsoleLine('-❤️ 1')).toEqual({ kind: 'react', emoji: '❤️', position: 1, action: 'remove' });
    expect(parseConsoleLine('/unreact 4 👍🏽')).toEqual({ kind: 'react', emoji: '👍🏽', position: 4, action: 'remove' });
    expect(parseConsoleLine('/react x 👍')).toMatchObject({ kind: 'error', arg: 'reaction' });
    expect(parseConsoleLine('I like 2 things')).toEqual({ kind: 'text', text: 'I like 2 things' });
  });

  it('GIVEN other commands THEN they parse, and unknown ones are errors', () => {
    expect(parseConsoleLine('/persona remove 축구')).toEqual({ kind: 'persona', remove: '축구' });
    expect(parseConsoleLine('/persona remove')).toMatchObject({ kind: 'error' });
    expect(parseConsoleLine('/forget')).toEqual({ kind: 'forget', confirmed: false });
    expect(parseConsoleLine('/forget --yes')).toEqual({ kind: 'forget', confirmed: true });
    expect(parseConsoleLine('/explore 2')).toEqual({ kind: 'explore', level: 2 });
    expect(parseConsoleLine('/explore high')).toMatchObject({ kind: 'error', arg: 'level' });
    expect(parseConsoleLine('/link K7QM-3XNP')).toEqual({ kind: 'link', code: 'K7QM-3XNP' });
    expect(parseConsoleLine('/more 2')).toEqual({ kind: 'more', position: 2 });
    expect(parseConsoleLine('/more 2 8')).toEqual({ kind: 'more', position: 2, count: 8 });
    expect(parseConsoleLine('/more x')).toMatchObject({ kind: 'error', arg: 'item' });
    expect(parseConsoleLine('/nope')).toEqual({ kind: 'error', error: 'unknown-command', command: '/nope' });
    expect(parseConsoleLine('   ')).toEqual({ kind: 'empty' });
  });

  it('GIVEN own-source commands (English and Korean) THEN target, category, reference and export are read', () => {
    expect(parseConsoleLine('/subscribe https://hnrss.org/frontpage tech')).toEqual({
      kind: 'subscribe',
      target: 'https://hnrss.org/frontpage',
      category: 'tech',
    });
    expect(parseConsoleLine('/구독 feeds.opml')).toEqual({ kind: 'subscribe', target: 'feeds.opml' });
    expect(parseConsoleLine('/subscribe')).toEqual({ kind: 'subscribe' });
    expect(parseConsoleLine('/unsubscribe Bouldering Notebook')).toEqual({
      kind: 'unsubscribe',
      ref: 'Bouldering Notebook',
    });
    expect(parseConsoleLine('/구독취소 2')).toEqual({ kind: 'unsubscribe', ref: '2' });
    expect(parseConsoleLine('/sources')).toEqual({ kind: 'sources', export: false });
    expect(parseConsoleLine('/소스 내보내기')).toEqual({ kind: 'sources', export: true });
    expect(parseConsoleLine('/sources export')).toEqual({ kind: 'sources', export: true });
  });
});
