import { describe, expect, it } from 'vitest';
import {
  computeMetrics,
  giniIndex,
  hitAtK,
  intraListDiversity,
  itemCoverage,
  mapAtK,
  mrrAtK,
  ndcgAtK,
  novelty,
  precisionAtK,
  recallAtK,
  serendipity,
} from '../../core/eval/metrics.js';
import { maskKnown, matmulABt, topKRows } from '../../core/eval/ranking.js';

const L = (...xs: number[]) => Int32Array.from(xs);

describe('accuracy metrics on a hand-computed case', () => {
  // top-5 = [3, 1, 4, 0, 2]; relevant {1, 2, 9}: hits at ranks 2 and 5, item 9 never retrieved
  const list = L(3, 1, 4, 0, 2);
  const rel = new Set([1, 2, 9]);
  it('recall, precision, hit, mrr', () => {
    expect(recallAtK(list, rel, 5)).toBeCloseTo(2 / 3, 10);
    expect(precisionAtK(list, rel, 5)).toBeCloseTo(0.4, 10);
    expect(hitAtK(list, rel, 5)).toBe(1);
    expect(mrrAtK(list, rel, 5)).toBeCloseTo(0.5, 10);
    expect(hitAtK(list, rel, 1)).toBe(0);
    expect(mrrAtK(list, rel, 1)).toBe(0);
  });
  it('NDCG: binary gain, ideal DCG over min(|rel|, K)', () => {
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(6);
    const idcg = 1 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(ndcgAtK(list, rel, 5)).toBeCloseTo(dcg / idcg, 10); // 0.47762
    expect(ndcgAtK(list, rel, 5)).toBeCloseTo(0.47762, 4);
  });
  it('MAP: Σ P@i·hit_i / min(|rel|, K)', () => {
    expect(mapAtK(list, rel, 5)).toBeCloseTo((1 / 2 + 2 / 5) / 3, 10);
  });
});

describe('edge cases', () => {
  it('fewer than K relevant items: a perfect list scores 1 on NDCG and MAP, precision is capped by K', () => {
    const rel = new Set([3]);
    const list = L(3, 1, 4, 0, 2);
    expect(ndcgAtK(list, rel, 5)).toBe(1);
    expect(mapAtK(list, rel, 5)).toBe(1);
    expect(recallAtK(list, rel, 5)).toBe(1);
    expect(precisionAtK(list, rel, 5)).toBeCloseTo(0.2, 10);
  });
  it('more relevant items than K: recall divides by |rel|, NDCG/MAP by min(|rel|, K)', () => {
    const rel = new Set([1, 2, 3, 4]);
    expect(recallAtK(L(1, 2), rel, 2)).toBe(0.5);
    expect(ndcgAtK(L(1, 2), rel, 2)).toBeCloseTo(1, 10);
    expect(mapAtK(L(1, 2), rel, 2)).toBeCloseTo(1, 10);
  });
  it('empty recommendation lists and padding score 0, precision still divides by K', () => {
    const rel = new Set([1]);
    for (const list of [L(), L(-1, -1, -1)]) {
      expect(recallAtK(list, rel, 3)).toBe(0);
      expect(precisionAtK(list, rel, 3)).toBe(0);
      expect(ndcgAtK(list, rel, 3)).toBe(0);
      expect(mapAtK(list, rel, 3)).toBe(0);
      expect(mrrAtK(list, rel, 3)).toBe(0);
      expect(hitAtK(list, rel, 3)).toBe(0);
    }
    expect(precisionAtK(L(1), rel, 3)).toBeCloseTo(1 / 3, 10);
  });
  it('empty relevant set gives 0, not NaN', () => {
    expect(recallAtK(L(1, 2), new Set(), 2)).toBe(0);
    expect(ndcgAtK(L(1, 2), new Set(), 2)).toBe(0);
    expect(mapAtK(L(1, 2), new Set(), 2)).toBe(0);
  });
});

describe('ranking', () => {
  it('top-K breaks ties by the lower item index and never returns −∞ (masked) items', () => {
    const scores = Float32Array.from([0.5, 0.9, 0.5, 0.9, 0.1]);
    expect([...topKRows(scores, 1, 5, 3)]).toEqual([1, 3, 0]);
    maskKnown(scores, [0], 5, { offsets: Int32Array.from([0, 2]), items: Int32Array.from([1, 3]) });
    expect([...topKRows(scores, 1, 5, 3)]).toEqual([0, 2, 4]);
    expect([...topKRows(Float32Array.from([-Infinity, 2, Number.NaN]), 1, 3, 3)]).toEqual([1, -1, -1]);
  });
  it('matches a full sort on random rows', () => {
    const rows = 5;
    const cols = 200;
    const s = Float32Array.from({ length: rows * cols }, (_, i) => Math.round(Math.sin(i * 12.9898) * 50) / 10);
    const top = topKRows(s, rows, cols, 10);
    for (let r = 0; r < rows; r++) {
      const expected = [...Array(cols).keys()]
        .sort((a, b) => s[r * cols + b]! - s[r * cols + a]! || a - b)
        .slice(0, 10);
      expect([...top.subarray(r * 10, r * 10 + 10)]).toEqual(expected);
    }
  });
  it('matmulABt', () => {
    const a = Float32Array.from([1, 2, 3, 4]); // 2×2
    const b = Float32Array.from([1, 0, 0, 1, 1, 1]); // 3×2
    expect([...matmulABt(a, 2, b, 3, 2)]).toEqual([1, 2, 3, 3, 4, 7]);
  });
});

describe('beyond-accuracy metrics', () => {
  const lists = Int32Array.from([0, 1, 0, 2]); // two users, K=2
  it('coverage and Gini (zero-count items included)', () => {
    expect(itemCoverage(lists, 2, 2, 4)).toBe(0.75);
    // counts sorted [0,1,1,2] over n=4: Σ(2j−n−1)c = (−3)0 + (−1)1 + (1)1 + (3)2 = 6 → 6 / (4·4)
    expect(giniIndex(lists, 2, 2, 4)).toBeCloseTo(6 / 16, 10);
    expect(giniIndex(Int32Array.from([0, 1, 2, 3]), 2, 2, 4)).toBe(0);
    expect(giniIndex(Int32Array.from([1, 1, 1, 1]), 1, 1, 2)).toBeCloseTo(0.5, 10); // (n−1)/n at most
  });
  it('intra-list diversity: mean pairwise cosine distance', () => {
    const v = Float32Array.from([1, 0, 0, 1, 2, 0]); // item 2 parallel to item 0
    expect(intraListDiversity(L(0, 1, 2), 3, v, 2)).toBeCloseTo(2 / 3, 10);
    expect(intraListDiversity(L(0), 3, v, 2)).toBeNaN();
  });
  it('novelty: −log2(share of training users); items with no popularity count as one user', () => {
    const counts = [10, 0, 5];
    expect(novelty(L(0, 2), 2, counts, 10)).toBeCloseTo((0 + 1) / 2, 10);
    expect(novelty(L(1), 1, counts, 10)).toBeCloseTo(Math.log2(10), 10);
    expect(Number.isFinite(novelty(L(0, 1), 2, counts, 10))).toBe(true);
    expect(novelty(L(), 2, counts, 10)).toBeNaN();
  });
  it('serendipity: relevant and not in the most-popular list, over K', () => {
    expect(serendipity(L(1, 2, 3), new Set([1, 3]), new Set([1]), 3)).toBeCloseTo(1 / 3, 10);
    expect(serendipity(L(1), new Set([1]), new Set([1]), 3)).toBe(0);
  });
  it('computeMetrics averages over users and keys by name@K', () => {
    const m = computeMetrics({
      lists,
      width: 2,
      relevant: [new Set([1]), new Set([3])],
      ks: [1, 2],
      nItems: 4,
      popularLists: Int32Array.from([0, 1, 0, 1]),
    });
    expect(m['hit@2']).toBe(0.5);
    expect(m['hit@1']).toBe(0);
    expect(m['recall@2']).toBe(0.5);
    expect(m['precision@2']).toBe(0.25);
    expect(m['serendipity@2']).toBe(0); // the only hit (item 1) is also in the popular list
    expect(m['coverage@1']).toBe(0.25);
  });
});
