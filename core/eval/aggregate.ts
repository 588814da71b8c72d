/**
 * Aggregation over seeds and models: per-model summaries (mean, std, per-seed values), the paired significance
 * tests between models (Wilcoxon signed-rank, Holm-corrected — core/eval/stats.ts) and the comparison table.
 * Used by the harness (harness.ts, which re-exports `formatTable` and `ModelResult`).
 */
import { summarize, type MetricSummary, type Significance } from './experiment.js';
import { ACCURACY_METRICS, BEYOND_METRICS } from './metrics.js';
import { holm, wilcoxonSignedRank } from './stats.js';

export interface ModelResult {
  model: string;
  family?: string;
  settings: Record<string, unknown>;
  /** Means over seeds (what the table prints). */
  metrics: Record<string, number>;
  /** Mean, std and per-seed values of every metric (rating metrics: `rmse`, `mae`). */
  summary: Record<string, MetricSummary>;
  /** Paired test against the best other model, per accuracy metric (Holm-corrected). */
  significance: Record<string, Significance>;
  fitSeconds: number;
  fitSummary: MetricSummary;
  evalSeconds: number;
  evalSummary: MetricSummary;
  /** Users evaluated in the first seed. */
  users: number;
}

/** One model's values over the seeds, while the harness runs. */
export interface Acc {
  name: string;
  family?: string;
  settings: Record<string, unknown>;
  perSeed: Record<string, number[]>;
  fit: number[];
  evalS: number[];
  users: number;
  /** per metric: per-user sum and count over seeds (for the paired test). */
  userSum: Record<string, Float64Array>;
  userCount: Int32Array;
}

export function finishModel(a: Acc, nSeeds: number): ModelResult {
  const summary: Record<string, MetricSummary> = {};
  const metrics: Record<string, number> = {};
  for (const [k, vals] of Object.entries(a.perSeed)) {
    if (vals.length !== nSeeds) continue; // a metric some seed could not compute (ILD of empty lists)
    summary[k] = summarize(vals);
    metrics[k] = summary[k].mean;
  }
  const fitSummary = summarize(a.fit);
  const evalSummary = summarize(a.evalS);
  return {
    model: a.name,
    ...(a.family ? { family: a.family } : {}),
    settings: a.settings,
    metrics,
    summary,
    significance: {},
    fitSeconds: fitSummary.mean,
    fitSummary,
    evalSeconds: evalSummary.mean,
    evalSummary,
    users: a.users,
  };
}

/**
 * For every accuracy metric: the best model (highest mean) is compared with the runner-up, every other model with
 * the best; per-user values are each user's mean over the seeds; Wilcoxon signed-rank p-values of the comparisons
 * of one metric are Holm-corrected together.
 */
export function addSignificance(results: ModelResult[], accs: Acc[], ks: readonly number[], alpha: number): void {
  if (results.length < 2) return;
  for (const k of ks)
    for (const name of ACCURACY_METRICS) {
      const key = `${name}@${k}`;
      const ranked = results
        .map((r, i) => ({ r, i }))
        .filter(({ r }) => r.metrics[key] !== undefined)
        .sort((a, b) => b.r.metrics[key]! - a.r.metrics[key]!);
      if (ranked.length < 2) continue;
      const best = ranked[0]!;
      const usersOf = (i: number) => {
        const acc = accs[i]!;
        const out: number[] = [];
        for (let u = 0; u < acc.userCount.length; u++)
          if (acc.userCount[u]! > 0) out.push(acc.userSum[key]![u]! / acc.userCount[u]!);
        return out;
      };
      const bestVals = usersOf(best.i);
      const tests = ranked.slice(1).map(({ i }) => wilcoxonSignedRank(usersOf(i), bestVals));
      const adjusted = holm(tests.map((t) => t.pValue));
      ranked.slice(1).forEach(({ r }, j) => {
        r.significance[key] = {
          vs: best.r.model,
          test: 'wilcoxon-signed-rank',
          pValue: adjusted[j]!,
          significant: adjusted[j]! < alpha,
          alpha,
          delta: tests[j]!.delta,
        };
      });
      const runner = ranked[1]!;
      best.r.significance[key] = {
        vs: runner.r.model,
        test: 'wilcoxon-signed-rank',
        pValue: adjusted[0]!,
        significant: adjusted[0]! < alpha,
        alpha,
        delta: -tests[0]!.delta,
      };
    }
}

const fmt = (s: MetricSummary | undefined, digits = 4): string =>
  s === undefined
    ? '-'
    : s.perSeed.length > 1
      ? `${s.mean.toFixed(digits)}±${s.std.toFixed(digits)}`
      : s.mean.toFixed(digits);

/**
 * Models as rows, metrics as columns (mean ± std over seeds). Accuracy columns mark the best model with `*` and
 * every model whose difference to it is NOT significant (paired Wilcoxon, Holm) with `=`.
 */
export function formatTable(results: readonly ModelResult[], ks: readonly number[]): string {
  const cols: { key: string; accuracy: boolean }[] = [];
  for (const k of ks)
    for (const name of ['ndcg', 'recall', 'hit', 'mrr', 'precision', 'map'])
      if (results.some((r) => r.summary[`${name}@${k}`])) cols.push({ key: `${name}@${k}`, accuracy: true });
  for (const name of BEYOND_METRICS)
    if (results.some((r) => r.summary[`${name}@${ks[0]}`])) cols.push({ key: `${name}@${ks[0]}`, accuracy: false });
  for (const key of ['rmse', 'mae']) if (results.some((r) => r.summary[key])) cols.push({ key, accuracy: false });
  const header = ['model', ...cols.map((c) => c.key), 'fit s'];
  const rows = results.map((r) => [
    r.model,
    ...cols.map(({ key, accuracy }) => {
      const s = r.summary[key];
      if (!s) return '-';
      let mark = ' ';
      if (accuracy) {
        const sig = r.significance[key];
        const best = results.every((o) => (o.summary[key]?.mean ?? -Infinity) <= s.mean);
        mark = best ? '*' : sig && !sig.significant ? '=' : ' ';
      }
      return `${fmt(s, key === 'rmse' || key === 'mae' || key.startsWith('novelty') ? 3 : 4)}${mark}`;
    }),
    fmt(r.fitSummary, 1),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
