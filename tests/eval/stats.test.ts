/**
 * The paired tests against scipy 1.17 (`scipy.stats.wilcoxon(a, b, zero_method='wilcox', correction=False,
 * method='approx')`, `scipy.stats.ttest_rel(a, b)`), values computed once with scipy and written here.
 */
import { describe, expect, it } from 'vitest';
import { holm, normalSf, pairedTTest, wilcoxonSignedRank } from '../../core/eval/stats.js';

const a = [0.5, 0.2, 0.9, 0.1, 0.7, 0.3, 0.3, 0.8, 0.0, 0.6, 0.45, 0.2];
const b = [0.4, 0.25, 0.6, 0.1, 0.5, 0.35, 0.1, 0.7, 0.1, 0.2, 0.4, 0.2];

describe('paired significance tests', () => {
  it('GIVEN paired samples with zeros and ties THEN Wilcoxon matches scipy (statistic 9, p 0.058676)', () => {
    const r = wilcoxonSignedRank(a, b);
    expect(r.n).toBe(10); // two zero differences dropped
    expect(r.statistic).toBe(9);
    expect(r.pValue).toBeCloseTo(0.05867619965239266, 10);
    expect(r.delta).toBeCloseTo(0.0958333, 6);
  });

  it('GIVEN the same samples THEN the paired t-test matches scipy (t 2.170654, p 0.052717)', () => {
    const r = pairedTTest(a, b);
    expect(r.statistic).toBeCloseTo(2.1706544844097735, 10);
    expect(r.pValue).toBeCloseTo(0.05271695444018461, 8);
  });

  it('GIVEN identical samples THEN p = 1; GIVEN a clear shift THEN p is tiny', () => {
    expect(wilcoxonSignedRank(a, a).pValue).toBe(1);
    const x = Array.from({ length: 200 }, (_, i) => Math.sin(i));
    const y = x.map((v, i) => v + 0.2 + 0.05 * Math.cos(i * 7));
    expect(wilcoxonSignedRank(x, y).pValue).toBeLessThan(1e-10);
  });

  it('GIVEN p-values THEN Holm adjusts them step-down and monotone', () => {
    expect(holm([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06]);
    expect(holm([0.5, 0.001])).toEqual([0.5, 0.002]);
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 12);
  });
});
