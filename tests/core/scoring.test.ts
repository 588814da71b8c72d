import { describe, expect, it } from 'vitest';
import { buildIndex } from '../../core/catalog/catalog.js';
import { itemText } from '../../core/catalog/catalog.js';
import type { ContentItem, FeedbackState, Persona } from '../../core/domain.js';
import { LexicalEncoder } from '../../core/lexical.js';
import { emptyPersona } from '../../core/users/doc.js';
import {
  mmr,
  popularityPrior,
  preferenceBonus,
  PREFERENCE_BONUS,
  rankItems,
  type RankInput,
  type ScoringWeights,
} from '../../core/recommend.js';
import { updatePersona } from '../../core/persona.js';
import { dot } from '../../core/vectors.js';
import { item, topicCatalog } from '../helpers/items.js';
import { settingsFrom } from '../../app/settings.js';
import { defaultConfig } from '../../core/config.js';

const DEFAULT_WEIGHTS = settingsFrom(defaultConfig()).weights;

const NOW = new Date('2026-11-26T00:00:00Z');
const W: ScoringWeights = DEFAULT_WEIGHTS;

function setup(items: ContentItem[] = topicCatalog(NOW)) {
  const enc = new LexicalEncoder();
  enc.fit(items.map(itemText));
  const index = buildIndex({
    items,
    textEncoderId: enc.id,
    textDim: enc.dim,
    text: enc.encodeSync(items.map(itemText)),
  });
  return { enc, index };
}

function input(index: ReturnType<typeof setup>['index'], over: Partial<RankInput> = {}): RankInput {
  return {
    index,
    persona: emptyPersona('u', NOW.toISOString()),
    feedback: {},
    shown: {},
    explore: 0,
    count: 5,
    now: NOW,
    weights: W,
    ...over,
  };
}

const fb = (itemId: string, signal: 'like' | 'dislike', at = '2026-11-25T00:00:00Z'): FeedbackState => ({
  itemId,
  signal,
  origin: 'reaction',
  at,
});
const ids = (r: ReturnType<typeof rankItems>, index: ReturnType<typeof setup>['index']) =>
  r.map((x) => index.items[x.row]!.id);

describe('rankItems', () => {
  it('GIVEN a topic THEN the items about it come first, in both languages', () => {
    const { enc, index } = setup();
    const top = ids(
      rankItems(input(index, { topic: { text: 'ramen', vector: enc.encodeSync(['ramen']) }, count: 4 })),
      index,
    );
    expect(top.filter((id) => ['r1', 'r2', 'r4', 't3'].includes(id)).length).toBeGreaterThanOrEqual(3);
    const ko = ids(
      rankItems(input(index, { topic: { text: '축구', vector: enc.encodeSync(['축구']) }, count: 2 })),
      index,
    );
    expect(ko.sort()).toEqual(['f4', 'f5']);
  });

  it('GIVEN a liked item THEN items like it rise, and it is not recommended again', () => {
    const { index } = setup();
    const before = ids(rankItems(input(index, { count: 24 })), index);
    const after = ids(rankItems(input(index, { feedback: { a1: fb('a1', 'like') }, count: 23 })), index);
    expect(after).not.toContain('a1');
    const rank = (list: string[], id: string) => list.indexOf(id);
    for (const similar of ['a2', 'a4']) expect(rank(after, similar)).toBeLessThan(rank(before, similar));
    expect(after.slice(0, 3).filter((id) => id.startsWith('a')).length).toBeGreaterThanOrEqual(2);
  });

  it('GIVEN a disliked item THEN it never comes back and its neighbours sink', () => {
    const { index } = setup();
    const before = ids(rankItems(input(index, { count: 25 })), index);
    const after = ids(rankItems(input(index, { feedback: { g1: fb('g1', 'dislike') }, count: 25 })), index);
    expect(after).not.toContain('g1');
    expect(after.indexOf('g4')).toBeGreaterThan(before.indexOf('g4'));
    // Even when asked for exactly that topic.
    const topical = ids(
      rankItems(
        input(index, { feedback: { g1: fb('g1', 'dislike') }, topic: { text: 'League of Legends' }, count: 24 }),
      ),
      index,
    );
    expect(topical).not.toContain('g1');
  });

  it('GIVEN the seed rule THEN liked-minus-disliked decides between two otherwise equal items', () => {
    const { index } = setup();
    const r = ids(
      rankItems(input(index, { feedback: { r1: fb('r1', 'like'), f1: fb('f1', 'dislike') }, count: 22 })),
      index,
    );
    expect(r.indexOf('r2')).toBeLessThan(r.indexOf('f2'));
  });

  it('GIVEN items already shown THEN they are pushed down', () => {
    const { index } = setup();
    const first = ids(rankItems(input(index, { count: 3 })), index);
    const shown = Object.fromEntries(first.map((id) => [id, { count: 1, lastAt: NOW.toISOString() }]));
    const second = ids(rankItems(input(index, { shown, count: 3 })), index);
    expect(second.some((id) => first.includes(id))).toBe(false);
  });

  it('GIVEN two identical items THEN the fresher one and the better-liked one win', () => {
    const items = [
      item('old', 'Same story about chess', 'news', { ageHours: 200 }),
      item('new', 'Same story about chess', 'news', { ageHours: 1 }),
    ];
    const { index } = setup(items);
    expect(ids(rankItems(input(index, { count: 1 })), index)).toEqual(['new']);
    const stats = { likes: Float32Array.from([40, 0]), dislikes: Float32Array.from([0, 30]) };
    const pop = popularityPrior(index, stats);
    expect(pop[0]!).toBeGreaterThan(pop[1]!);
    expect(ids(rankItems(input(index, { count: 1, stats, weights: { ...W, freshness: 0.01 } })), index)).toEqual([
      'old',
    ]);
  });

  it('GIVEN a stated dislike THEN items matching it sink below the rest', () => {
    const { enc, index } = setup();
    const persona: Persona = emptyPersona('u', NOW.toISOString());
    updatePersona(
      persona,
      "I don't like football",
      enc.encodeSync(["I don't like football"]),
      enc.id,
      NOW.toISOString(),
    );
    expect(persona.dislikes.map((d) => d.term)).toContain('football');
    const r = ids(rankItems(input(index, { persona, count: 25 })), index);
    for (const f of ['f1', 'f2', 'f3']) expect(r.indexOf(f)).toBeGreaterThan(18);
  });

  it('GIVEN category and source filters THEN only matching items come back', () => {
    const items = topicCatalog(NOW).map((it, i) => ({ ...it, source: i % 2 ? 'youtube' : 'naver-news' }));
    const { index } = setup(items);
    const r = rankItems(input(index, { category: 'food', count: 10 }));
    expect(r.length).toBe(5);
    expect(r.every((x) => index.items[x.row]!.category === 'food')).toBe(true);
    expect(
      rankItems(input(index, { source: 'naver-news', count: 50 })).every(
        (x) => index.items[x.row]!.source === 'naver-news',
      ),
    ).toBe(true);
  });

  it('GIVEN a higher exploration level THEN the list is more diverse', () => {
    const { enc, index } = setup();
    const persona = emptyPersona('u', NOW.toISOString());
    updatePersona(persona, 'ramen ramen noodles', enc.encodeSync(['ramen ramen noodles']), enc.id, NOW.toISOString());
    const ild = (level: number) => {
      const rows = rankItems(input(index, { persona, explore: level, count: 5, random: () => 0.3 })).map((x) => x.row);
      let s = 0,
        n = 0;
      for (let i = 0; i < rows.length; i++) {
        for (let j = i + 1; j < rows.length; j++) {
          s += 1 - dot(index.text, index.text, rows[i]! * index.textDim, rows[j]! * index.textDim, index.textDim);
          n++;
        }
      }
      return { d: s / n, cats: new Set(rows.map((r) => index.items[r]!.category)).size };
    };
    const focused = ild(0);
    const adventurous = ild(3);
    expect(adventurous.d).toBeGreaterThanOrEqual(focused.d - 1e-9);
    expect(adventurous.cats).toBeGreaterThan(focused.cats);
  });

  it('GIVEN an empty catalog or a zero count THEN nothing is returned', () => {
    const { index } = setup([]);
    expect(rankItems(input(index))).toEqual([]);
    const { index: full } = setup();
    expect(rankItems(input(full, { count: 0 }))).toEqual([]);
  });
});

describe('stated preferences', () => {
  it('GIVEN preferred sources, formats and languages THEN matching items get a small, bounded lift', () => {
    const items = [
      item('v', 'Chess openings explained', 'news', { source: 'youtube', lang: 'en' }),
      item('a', 'Chess openings explained', 'news', { source: 'naver-news', lang: 'en' }),
      item('k', 'Chess openings explained', 'news', { source: 'naver-news', lang: 'ko' }),
    ];
    const { index } = setup(items);
    const persona = emptyPersona('u', NOW.toISOString());
    expect(preferenceBonus(index, persona)).toBeUndefined();
    persona.preferences = { languages: [], formats: ['videos'], sources: [], updatedAt: '' };
    expect(ids(rankItems(input(index, { persona, count: 1 })), index)).toEqual(['v']);
    persona.preferences = { languages: ['ko'], formats: [], sources: ['Naver'], updatedAt: '' };
    const bonus = preferenceBonus(index, persona)!;
    expect(Array.from(bonus)).toEqual([0, PREFERENCE_BONUS, 2 * PREFERENCE_BONUS].map((x) => Math.fround(x)));
    expect(ids(rankItems(input(index, { persona, count: 1 })), index)).toEqual(['k']);
  });
});

describe('mmr', () => {
  it('GIVEN λ=1 THEN it keeps relevance order; GIVEN λ<1 THEN it skips a near-duplicate', () => {
    // rows 0 and 1 are duplicates; row 2 is different but slightly less relevant.
    const rel = (r: number) => [1, 0.99, 0.9][r]!;
    const sim = (a: number, b: number) => (a + b === 1 ? 1 : 0);
    expect(mmr([0, 1, 2], 2, 1, rel, sim)).toEqual([0, 1]);
    expect(mmr([0, 1, 2], 2, 0.7, rel, sim)).toEqual([0, 2]);
    expect(mmr([0, 1, 2], 5, 0.7, rel, sim)).toEqual([0, 2, 1]);
    expect(mmr([], 3, 0.5, rel, sim)).toEqual([]);
  });
});
