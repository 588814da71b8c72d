import { describe, expect, it } from 'vitest';
import { bytesToVector, centroid, matVec, normalizeRows, topK, vectorToBytes } from '../../core/vectors.js';

function rand(n: number, seed = 1) {
  let s = seed;
  return Float32Array.from({ length: n }, () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
}

describe('vectors', () => {
  it('GIVEN any dimension THEN matVec equals the naive product', () => {
    for (const dim of [1, 3, 4, 7, 384]) {
      const m = rand(13 * dim, dim);
      const v = rand(dim, 7);
      const got = matVec(m, dim, v);
      for (let r = 0; r < 13; r++) {
        let s = 0;
        for (let i = 0; i < dim; i++) s += m[r * dim + i]! * v[i]!;
        expect(got[r]!).toBeCloseTo(s, 4);
      }
      const acc = matVec(m, dim, v, Float32Array.from(got), true);
      expect(acc[0]!).toBeCloseTo(2 * got[0]!, 4);
    }
  });

  it('GIVEN scores with ties and exclusions THEN topK returns the best finite indices, stable on ties', () => {
    const s = Float32Array.from([0.5, -Infinity, 0.9, 0.5, NaN, 0.1, 0.9]);
    expect(topK(s, 3)).toEqual([2, 6, 0]);
    expect(topK(s, 10)).toEqual([2, 6, 0, 3, 5]);
    expect(topK(s, 0)).toEqual([]);
    const big = rand(10_000, 3);
    const expected = Array.from(big.keys())
      .sort((a, b) => big[b]! - big[a]!)
      .slice(0, 25);
    expect(topK(big, 25)).toEqual(expected);
  });

  it('GIVEN rows THEN normalised rows have unit length and centroids are normalised', () => {
    const m = normalizeRows(rand(5 * 8), 8);
    for (let r = 0; r < 5; r++) expect(Math.hypot(...m.subarray(r * 8, r * 8 + 8))).toBeCloseTo(1, 5);
    expect(Math.hypot(...centroid(m, 8, [0, 1, 2])!)).toBeCloseTo(1, 5);
    expect(centroid(m, 8, [])).toBeUndefined();
  });

  it('GIVEN a vector THEN bytes round-trip exactly', () => {
    const v = rand(384);
    const back = bytesToVector(vectorToBytes(v.subarray(10, 20)));
    expect(Array.from(back)).toEqual(Array.from(v.subarray(10, 20)));
  });
});
