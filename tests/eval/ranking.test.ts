/**
 * The harness's tie rule and the RecBole item-KNN convention, on cases that tell the alternatives apart.
 */
import { describe, expect, it } from 'vitest';
import {
  ItemKnnRecommender,
  RandomRecommender,
  SegmentPopularityRecommender,
  MostPopularRecommender,
  type FitContext,
  type Recommender,
} from '../../core/eval/baselines.js';
import { buildInteractions, generateSynthetic, type InteractionDataset } from '../../core/eval/datasets.js';
import { evaluateRecommender } from '../../core/eval/harness.js';
import { indexByUser, itemsOf } from '../../core/eval/ranking.js';
import { makeSplit } from '../../core/eval/splits.js';
import { tieSalt, topK } from '../../core/vectors.js';

describe('tie-breaking', () => {
  it('GIVEN equal scores THEN no salt keeps the lowest index, a salt gives a seeded permutation that changes with the salt', () => {
    const flat = new Float32Array(50);
    expect(topK(flat, 3)).toEqual([0, 1, 2]);
    const a = topK(flat, 50, tieSalt(0, 1));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i)); // a permutation
    expect(topK(flat, 50, tieSalt(0, 1))).toEqual(a); // seeded
    expect(topK(flat, 50, tieSalt(0, 2))).not.toEqual(a);
    expect(topK(flat, 50, tieSalt(1, 1))).not.toEqual(a);
    // a higher score still wins over any tie order, −∞ is never returned
    flat[7] = 1;
    flat[3] = Number.NEGATIVE_INFINITY;
    for (let u = 0; u < 20; u++) {
      const top = topK(flat, 5, tieSalt(0, u));
      expect(top[0]).toBe(7);
      expect(top).not.toContain(3);
    }
  });

  it('GIVEN a model that scores every item the same THEN it scores like a random ranking (analytic expectation), not like the lowest item ids', async () => {
    const ds = generateSynthetic({ users: 500, items: 200, perUser: 20, seed: 11 });
    const split = makeSplit(ds, 'random', { seed: 3 });
    const constant: Recommender = {
      name: 'constant',
      fit() {},
      scoreUsers: (users) => new Float32Array(users.length * ds.items.length),
    };
    const r = await evaluateRecommender(constant, ds, split, { ks: [10], keepLists: true, tieSeed: 3 });
    // expected HR@10 and NDCG@10 of a uniformly random permutation of each user's unmasked items
    const known = [indexByUser(split.train, ds.users.length), indexByUser(split.valid, ds.users.length)];
    let eHit = 0;
    let varHit = 0;
    let eNdcg = 0;
    r.userIds.forEach((u, row) => {
      const n = ds.items.length - itemsOf(known[0]!, u).length - itemsOf(known[1]!, u).length;
      const rel = r.targets[row]!.length;
      let miss = 1; // C(n − rel, 10) / C(n, 10)
      for (let i = 0; i < 10; i++) miss *= (n - rel - i) / (n - i);
      eHit += 1 - miss;
      varHit += (1 - miss) * miss;
      let dcg = 0;
      let idcg = 0;
      for (let i = 0; i < 10; i++) {
        dcg += rel / n / Math.log2(i + 2);
        if (i < rel) idcg += 1 / Math.log2(i + 2);
      }
      eNdcg += dcg / idcg;
    });
    const users = r.users;
    const se = Math.sqrt(varHit) / users;
    expect(Math.abs(r.metrics['hit@10']! - eHit / users)).toBeLessThan(4 * se);
    expect(Math.abs(r.metrics['ndcg@10']! - eNdcg / users)).toBeLessThan(0.02);
    // and so does the seeded random model on the same split
    const rnd = new RandomRecommender();
    rnd.fit({ dataset: ds, train: split.train, valid: split.valid, coldUsers: split.coldUsers, seed: 3, k: 10 });
    const rr = await evaluateRecommender(rnd, ds, split, { ks: [10], tieSeed: 3 });
    expect(Math.abs(rr.metrics['hit@10']! - eHit / users)).toBeLessThan(4 * se);
    // the lists are spread over the catalog, not the first ids
    const firstTen = Array.from(r.lists!).filter((i) => i >= 0 && i < 10).length / r.lists!.length;
    expect(firstTen).toBeLessThan(0.15);
    expect(r.metrics['coverage@10']!).toBeGreaterThan(0.9);
  });
});

function tiny(pairs: [number, number][], users: number, items: number): InteractionDataset {
  return {
    name: 'tiny',
    users: Array.from({ length: users }, (_, u) => ({ id: `u${u}`, attributes: { g: u % 2 ? 'a' : 'b' } })),
    items: Array.from({ length: items }, (_, i) => ({ id: `i${i}`, categories: ['x'], text: '' })),
    interactions: buildInteractions(
      pairs.map(([user, item], k) => ({ user, item, time: k, signal: 1 as const })),
      items,
    ),
    itemText: new Float32Array(items),
    textDim: 1,
    imageDim: 0,
    meta: {},
  };
}
const ctx = (ds: InteractionDataset): FitContext => ({
  dataset: ds,
  train: ds.interactions,
  valid: buildInteractions([], ds.items.length),
  coldUsers: new Int32Array(0),
  seed: 0,
  k: 10,
});

describe('item-KNN (RecBole ItemKNN)', () => {
  it('GIVEN one neighbour per item THEN each SCORED item keeps its own top neighbour (not each liked item)', () => {
    // items A=0, B=1, C=2; users {A,B}, {A,C}, {A,C}, {B}: cos(A,B) = 1/√6, cos(A,C) = 2/√6, cos(B,C) = 0
    // top-1 neighbour of the scored item: A → C, B → A, C → A
    const ds = tiny(
      [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 2],
        [2, 0],
        [2, 2],
        [3, 1],
      ],
      4,
      3,
    );
    const knn = new ItemKnnRecommender(1);
    knn.fit(ctx(ds));
    const s = knn.scoreUsers(Int32Array.of(0, 3));
    const ab = 1 / Math.sqrt(6);
    const ac = 2 / Math.sqrt(6);
    // user {A, B}: A keeps C as its neighbour (not B), so score(A) = 0; score(B) = sim(A,B); score(C) = sim(A,C)
    // (pruning per LIKED item would give score(A) = sim(B,A), score(B) = 0 instead)
    expect(s[0]).toBeCloseTo(0, 6);
    expect(s[1]).toBeCloseTo(ab, 5);
    expect(s[2]).toBeCloseTo(ac, 5);
    // user {B}: B is no scored item's top neighbour → all zero (per-liked pruning would give score(A) = sim(A,B))
    expect([s[3], s[4], s[5]]).toEqual([0, 0, 0]);
  });
});

describe('attribute-segment popularity', () => {
  it('GIVEN two segments with opposite favourites THEN each user gets their segment’s favourite first, and no attributes → popularity', () => {
    // users 0, 2, 4 (g=b) like item 0; users 1, 3, 5 (g=a) like item 1; item 2 liked by everyone of both
    const pairs: [number, number][] = [];
    for (let u = 0; u < 6; u++) pairs.push([u, u % 2 ? 1 : 0], [u, 2]);
    const ds = tiny(pairs, 8, 3);
    ds.users[7]!.attributes = {};
    const seg = new SegmentPopularityRecommender(1);
    seg.fit(ctx(ds));
    const s = seg.scoreUsers(Int32Array.of(6, 7));
    expect(s[0]!).toBeGreaterThan(s[1]!); // user 6 is g=b: item 0 over item 1
    const pop = new MostPopularRecommender();
    pop.fit(ctx(ds));
    const p = pop.scoreUsers(Int32Array.of(7));
    expect(s[3 + 2]!).toBeGreaterThan(s[3 + 0]!); // no attributes: item 2 (most popular) first, like pop
    expect(p[2]!).toBeGreaterThan(p[0]!);
  });
});
