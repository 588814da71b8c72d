/**
 * Paired significance tests over users, and the multiple-comparison correction the harness uses.
 *
 * The harness compares two models on the SAME users (same split, same targets), so the samples are paired: one
 * per-user metric difference per user. Per-user ranking metrics are bounded, heavily tied (HR is 0/1, NDCG has many
 * zeros) and far from normal, so the default test is the two-sided **Wilcoxon signed-rank test** (zero differences
 * dropped, average ranks for ties, normal approximation with the tie-corrected variance and no continuity
 * correction — scipy.stats.wilcoxon(x, y, zero_method='wilcox', correction=False, method='approx')). The paired
 * t-test is here too for comparison with papers that use it. p-values of the comparisons made for one metric are
 * corrected with **Holm–Bonferroni** (family-wise error ≤ α over the models compared).
 */

/** Standard normal upper tail Q(z) = P(Z > z). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (the Chebyshev expansion of Numerical Recipes 3rd ed. `Erf::erfccheb`, ~1e-16). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 2 / (2 + z);
  const ty = 4 * t - 2;
  const cof = [
    -1.3026537197817094, 6.419697923564902e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4,
    3.66839497852761e-4, 4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6, 1.5626441722e-8,
    -8.5238095915e-8, 6.529054439e-9, 5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12,
    -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13, 3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16,
    -2.8e-17,
  ];
  let d = 0;
  let dd = 0;
  for (let j = cof.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + cof[j]!;
    dd = tmp;
  }
  const r = t * Math.exp(-z * z + 0.5 * (cof[0]! + ty * d) - dd);
  return x >= 0 ? r : 2 - r;
}

export interface PairedTestResult {
  test: 'wilcoxon-signed-rank' | 'paired-t';
  /** Pairs used (Wilcoxon: non-zero differences). */
  n: number;
  /** Wilcoxon: min(W+, W−) as scipy reports it; t: the t statistic. */
  statistic: number;
  /** Two-sided p-value (1 when there is nothing to test). */
  pValue: number;
  /** Mean of a − b over all pairs. */
  delta: number;
}

function meanDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! - b[i]!;
  return a.length ? s / a.length : 0;
}

/** Two-sided Wilcoxon signed-rank test of paired samples `a`, `b` (see the module comment for the exact variant). */
export function wilcoxonSignedRank(a: ArrayLike<number>, b: ArrayLike<number>): PairedTestResult {
  if (a.length !== b.length) throw new Error(`wilcoxonSignedRank: ${a.length} vs ${b.length} values`);
  const d: number[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! - b[i]!;
    if (x !== 0 && !Number.isNaN(x)) d.push(x);
  }
  const n = d.length;
  const delta = meanDiff(a, b);
  if (n === 0) return { test: 'wilcoxon-signed-rank', n, statistic: 0, pValue: 1, delta };
  const order = d.map((_, i) => i).sort((i, j) => Math.abs(d[i]!) - Math.abs(d[j]!));
  const ranks = new Float64Array(n);
  let tieTerm = 0;
  for (let s = 0; s < n;) {
    let e = s + 1;
    while (e < n && Math.abs(d[order[e]!]!) === Math.abs(d[order[s]!]!)) e++;
    const r = (s + 1 + e) / 2; // average of ranks s+1 .. e
    for (let k = s; k < e; k++) ranks[order[k]!] = r;
    const t = e - s;
    tieTerm += t * t * t - t;
    s = e;
  }
  let wPlus = 0;
  let wMinus = 0;
  for (let i = 0; i < n; i++) {
    if (d[i]! > 0) wPlus += ranks[i]!;
    else wMinus += ranks[i]!;
  }
  const mean = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  const stat = Math.min(wPlus, wMinus);
  const z = variance > 0 ? (stat - mean) / Math.sqrt(variance) : 0;
  return { test: 'wilcoxon-signed-rank', n, statistic: stat, pValue: Math.min(1, 2 * normalSf(Math.abs(z))), delta };
}

/** Regularised incomplete beta I_x(a, b) (continued fraction, Numerical Recipes `betacf`). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbeta = lgamma(a + b) - lgamma(a) - lgamma(b);
  const front = Math.exp(Math.log(x) * a + Math.log(1 - x) * b + lbeta);
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  let c = 1;
  let dd = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(dd) < 1e-300) dd = 1e-300;
  dd = 1 / dd;
  let h = dd;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    dd = 1 + aa * dd;
    if (Math.abs(dd) < 1e-300) dd = 1e-300;
    c = 1 + aa / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    dd = 1 / dd;
    h *= dd * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    dd = 1 + aa * dd;
    if (Math.abs(dd) < 1e-300) dd = 1e-300;
    c = 1 + aa / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    dd = 1 / dd;
    const del = dd * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return (front * h) / a;
}

/** ln Γ(x) (Lanczos, g = 7, n = 9). */
function lgamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const xx = x - 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (xx + i);
  const t = xx + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Two-sided paired t-test (scipy.stats.ttest_rel). */
export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTestResult {
  const n = a.length;
  const delta = meanDiff(a, b);
  if (n < 2) return { test: 'paired-t', n, statistic: 0, pValue: 1, delta };
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (a[i]! - b[i]! - delta) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  if (sd === 0) return { test: 'paired-t', n, statistic: 0, pValue: delta === 0 ? 1 : 0, delta };
  const t = delta / (sd / Math.sqrt(n));
  const df = n - 1;
  return { test: 'paired-t', n, statistic: t, pValue: incompleteBeta(df / (df + t * t), df / 2, 0.5), delta };
}

/** Holm–Bonferroni adjusted p-values (same order as the input; monotone, capped at 1). */
export function holm(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((i, j) => pValues[i]! - pValues[j]!);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[i]!));
    out[i] = running;
  });
  return out;
}
