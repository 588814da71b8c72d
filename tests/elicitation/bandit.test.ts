/**
 * The elicitation bandit (core/elicitation): posteriors from a person's document, the slot plan of a list, and the
 * `select` step through the real ranker. Catalog: the built-in one (12 categories, as the bot ships it).
 */
import { describe, expect, it } from 'vitest';
import { buildIndex, itemText } from '../../core/catalog/catalog.js';
import { loadBuiltinCatalog } from '../../infra/catalog/builtin.js';
import { CATEGORIES, type Category, type FeedbackState } from '../../core/domain.js';
import {
  DEFAULT_BANDIT,
  betaSample,
  planSlots,
  posteriors,
  type ElicitationState,
} from '../../core/elicitation/bandit.js';
import { elicitationSelect } from '../../core/elicitation/select.js';
import { createRng } from '../../core/eval/random.js';
import { LexicalEncoder } from '../../core/lexical.js';
import { rankItems, rowsMatching } from '../../core/recommend.js';
import { emptyPersona } from '../../core/users/doc.js';
import { settingsFrom } from '../../app/settings.js';
import { defaultConfig } from '../../core/config.js';

const NOW = new Date('2026-12-01T09:00:00Z');
const items = loadBuiltinCatalog({ now: NOW });
const enc = new LexicalEncoder();
enc.fit(items.map(itemText));
const index = buildIndex({ items, textEncoderId: enc.id, textDim: enc.dim, text: enc.encodeSync(items.map(itemText)) });
const code = (c: Category) => CATEGORIES.indexOf(c);
const ofCategory = (c: Category) => items.filter((i) => i.category === c).map((i) => i.id);
const at = (minute: number) => new Date(NOW.getTime() + minute * 60_000).toISOString();
const like = (itemId: string, minute = 1): FeedbackState => ({
  itemId,
  signal: 'like',
  origin: 'reaction',
  at: at(minute),
});
const state = (over: Partial<ElicitationState> = {}): ElicitationState => ({
  feedback: {},
  shown: {},
  persona: emptyPersona('u', NOW.toISOString()),
  ...over,
});
const plenty = () => new Int32Array(CATEGORIES.length).fill(5);
const plan = (s: ElicitationState, seed: number, explore = 1, available = plenty()) =>
  planSlots(
    posteriors(s, index, DEFAULT_BANDIT, rowsMatching),
    available,
    { count: 5, random: createRng(seed).next, explore },
    DEFAULT_BANDIT,
  );

describe('elicitation bandit', () => {
  it('GIVEN nothing known THEN each first list covers five different categories, and the lists differ between people', () => {
    const firsts = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const p = plan(state(), seed);
      const all = [...p.arms, ...p.explore];
      expect(all).toHaveLength(5);
      expect(new Set(all).size).toBe(5);
      firsts.add([...all].sort().join(','));
    }
    expect(firsts.size).toBeGreaterThan(20);
  });

  it('GIVEN likes on one category and skips elsewhere THEN it keeps most slots, and one slot explores a category never shown', () => {
    const music = ofCategory('music');
    const feedback = Object.fromEntries(music.slice(0, 3).map((id, i) => [id, like(id, i + 1)]));
    const shown = Object.fromEntries(
      ['news', 'games', 'food', 'travel']
        .map((c) => ofCategory(c as Category)[0]!)
        .concat(music.slice(0, 3))
        .map((id) => [id, { count: 1, lastAt: at(0) }]),
    );
    let musicSlots = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const p = plan(state({ feedback, shown }), seed);
      musicSlots += p.arms.filter((a) => a === code('music')).length;
      expect(p.explore).toHaveLength(1);
      expect(['news', 'games', 'food', 'travel', 'music']).not.toContain(CATEGORIES[p.explore[0]!]);
    }
    expect(musicSlots / 40).toBeGreaterThan(3);
  });

  it('GIVEN a category with no items left THEN it gets no slot, whatever its posterior', () => {
    const music = ofCategory('music');
    const feedback = Object.fromEntries(music.slice(0, 5).map((id, i) => [id, like(id, i + 1)]));
    const available = plenty();
    available[code('music')] = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const p = plan(state({ feedback }), seed, 1, available);
      expect([...p.arms, ...p.explore]).not.toContain(code('music'));
      expect(p.arms.length + p.explore.length).toBe(5);
    }
  });

  it('GIVEN categories picked at onboarding THEN the first lists lean to them', () => {
    let picked = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const p = plan(state({ picks: ['food', 'travel'] }), seed);
      picked += p.arms.filter((a) => a === code('food') || a === code('travel')).length;
    }
    // Without picks, two categories of twelve would get about 5·2/12 ≈ 0.8 slots per list.
    expect(picked / 40).toBeGreaterThan(2.5);
  });

  it('GIVEN exploration levels THEN level 0 never forces an exploration slot and level 3 forces a third of the list', () => {
    const music = ofCategory('music');
    const feedback = Object.fromEntries(music.slice(0, 3).map((id, i) => [id, like(id, i + 1)]));
    for (let seed = 1; seed <= 10; seed++) {
      expect(plan(state({ feedback }), seed, 0).explore).toHaveLength(0);
      expect(plan(state({ feedback }), seed, 3).explore).toHaveLength(2);
    }
  });

  it('GIVEN likes, dislikes and items left without a reaction THEN successes and failures per category follow the weights', () => {
    const sci = ofCategory('science');
    const shown = {
      [sci[0]!]: { count: 1, lastAt: at(1) },
      [sci[1]!]: { count: 1, lastAt: at(1) },
      [sci[2]!]: { count: 3, lastAt: at(1) },
    };
    const feedback: Record<string, FeedbackState> = {
      [sci[0]!]: like(sci[0]!, 3),
      [sci[1]!]: { ...like(sci[1]!, 2), signal: 'dislike' },
    };
    const p = posteriors(state({ feedback, shown }), index, DEFAULT_BANDIT, rowsMatching);
    const [a0, b0] = DEFAULT_BANDIT.prior;
    const w = (rank: number) => Math.pow(0.5, rank / DEFAULT_BANDIT.halfLife);
    // Newest first: the like, the dislike, then the item shown three times without a reaction (counts twice).
    expect(p.alpha[code('science')]! - a0).toBeCloseTo(w(0), 9);
    expect(p.beta[code('science')]! - b0).toBeCloseTo(
      DEFAULT_BANDIT.dislikeWeight * w(1) + 2 * DEFAULT_BANDIT.skipWeight * w(2),
      9,
    );
    expect(p.seen[code('science')]).toBe(3);
    expect(p.seen[code('music')]).toBe(0);
  });

  it('GIVEN many newer observations of the same category THEN an old like of it counts less; other categories keep theirs', () => {
    const sci = ofCategory('science');
    const mus = ofCategory('music');
    const feedback: Record<string, FeedbackState> = { [sci[0]!]: like(sci[0]!, 1), [mus[0]!]: like(mus[0]!, 1) };
    // Ten later showings of science left without a reaction (a taste that moved away from science).
    const shown = Object.fromEntries(sci.slice(1, 11).map((id, i) => [id, { count: 1, lastAt: at(10 + i) }]));
    const p = posteriors(state({ feedback, shown }), index, DEFAULT_BANDIT, rowsMatching);
    expect(p.alpha[code('science')]! - DEFAULT_BANDIT.prior[0]).toBeCloseTo(0.5, 6);
    expect(p.alpha[code('music')]! - DEFAULT_BANDIT.prior[0]).toBeCloseTo(1, 6);
  });

  it('GIVEN persona interest terms THEN pseudo-likes go to the categories whose items carry them', () => {
    const persona = emptyPersona('u', NOW.toISOString());
    const term = [...index.termRows.entries()].find(
      ([t, rows]) => t.length > 3 && rows.length >= 3 && [...rows].every((r) => index.categoryCode[r] === code('food')),
    )![0];
    persona.interests = [{ term, weight: 2, source: 'message', updatedAt: NOW.toISOString() }];
    const p = posteriors(state({ persona }), index, DEFAULT_BANDIT, rowsMatching);
    expect(p.alpha[code('food')]! - DEFAULT_BANDIT.prior[0]).toBeCloseTo(DEFAULT_BANDIT.personaWeight, 6);
  });

  it('GIVEN Beta draws THEN their mean is a/(a+b)', () => {
    const rng = createRng(9);
    for (const [a, b] of [
      [0.2, 1],
      [3, 1],
      [8, 8],
    ] as const) {
      let sum = 0;
      for (let i = 0; i < 4000; i++) sum += betaSample(a, b, rng.next);
      expect(Math.abs(sum / 4000 - a / (a + b))).toBeLessThan(0.03);
    }
  });

  it('GIVEN the ranker with the bandit as its select step THEN the list follows the plan, flags its exploration, and the same state gives the same list', () => {
    const weights = settingsFrom(defaultConfig()).weights;
    const music = ofCategory('music');
    const feedback = Object.fromEntries(music.slice(0, 3).map((id, i) => [id, like(id, i + 1)]));
    const persona = emptyPersona('u', NOW.toISOString());
    const subject = { feedback, shown: {}, persona, explore: 1 };
    const run = () =>
      rankItems({
        index,
        persona,
        feedback,
        shown: {},
        explore: 1,
        count: 5,
        now: NOW,
        weights,
        select: elicitationSelect(subject, { seed: 7 }, index, 5, DEFAULT_BANDIT),
      });
    const a = run();
    expect(a.map((r) => r.evidence.itemId)).toEqual(run().map((r) => r.evidence.itemId));
    expect(a).toHaveLength(5);
    expect(a.filter((r) => r.evidence.category === 'music').length).toBeGreaterThanOrEqual(2);
    expect(a.filter((r) => r.evidence.exploration)).toHaveLength(1);
    for (const r of a) expect(feedback[r.evidence.itemId]).toBeUndefined();
  });
});
