/**
 * Analyses the compare page computes from a run's artifacts: metric directions, the compare table rows, accuracy
 * per item-popularity bucket (lists.json) and per-user distributions (users.json). Pure functions over the
 * experiment contract (`core/eval/experiment.ts`).
 */
import type { ExperimentLists, ExperimentRun, ExperimentUsers, Significance } from '../core/eval/experiment.js';
import { ACCURACY_METRICS, BEYOND_METRICS } from '../core/eval/metrics.js';

/** Metrics where lower is better; every other metric is better when higher. */
const LOWER_IS_BETTER = new Set(['gini', 'rmse', 'mae', 'fit s']);
export const lowerIsBetter = (metricKey: string): boolean => LOWER_IS_BETTER.has(metricKey.split('@')[0]!);

const ORDER: readonly string[] = [...ACCURACY_METRICS, ...BEYOND_METRICS];

/** Metric keys in display order: accuracy then beyond-accuracy per K (ascending), then anything else by name. */
export function orderMetricKeys(keys: Iterable<string>): string[] {
  const rank = (key: string): [number, number, string] => {
    const [name, k] = key.split('@') as [string, string | undefined];
    const i = ORDER.indexOf(name);
    return [k === undefined ? Number.MAX_SAFE_INTEGER : Number(k), i < 0 ? ORDER.length : i, name];
  };
  return [...new Set(keys)].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    return ra[0] - rb[0] || ra[1] - rb[1] || ra[2].localeCompare(rb[2]);
  });
}

export const isAccuracyMetric = (key: string): boolean =>
  (ACCURACY_METRICS as readonly string[]).includes(key.split('@')[0]!) || ['rmse', 'mae'].includes(key);

export interface CompareRow {
  /** Unique across the compared runs: the model name, prefixed with the run's label when several runs are compared. */
  key: string;
  runId: string;
  runKind: ExperimentRun['kind'];
  model: string;
  family: string | undefined;
  users: number;
  seeds: number;
  metrics: Record<string, { mean: number; std: number; n: number }>;
  significance: Record<string, Significance>;
  fitSeconds: number;
}

export interface CompareTable {
  runs: {
    id: string;
    kind: string;
    label: string;
    dataset: string;
    fingerprint: string;
    seeds: number[];
    ks: number[];
  }[];
  rows: CompareRow[];
  metricKeys: string[];
  /** metric key → the best mean over rows (ties: every row with that mean is best). */
  best: Record<string, number>;
  lowerIsBetter: string[];
  warnings: string[];
}

/** A short display label of a run: its label, else the kind and the id's time stamp. */
export const runLabel = (run: ExperimentRun): string => run.label ?? `${run.kind} ${run.id.slice(0, 19)}`;

/** The metrics × models table over one or more runs. */
export function compareTable(runs: readonly ExperimentRun[]): CompareTable {
  const several = runs.length > 1;
  const rows: CompareRow[] = [];
  const keys = new Set<string>();
  const used = new Set<string>();
  for (const run of runs)
    for (const m of run.models) {
      let key = several ? `${runLabel(run)} / ${m.name}` : m.name;
      for (let i = 2; used.has(key); i++) key = `${several ? `${runLabel(run)} / ${m.name}` : m.name} (${i})`;
      used.add(key);
      const metrics: CompareRow['metrics'] = {};
      for (const [k, s] of Object.entries(m.metrics)) {
        metrics[k] = { mean: s.mean, std: s.std, n: s.perSeed.length };
        keys.add(k);
      }
      rows.push({
        key,
        runId: run.id,
        runKind: run.kind,
        model: m.name,
        family: m.family,
        users: m.users,
        seeds: run.seeds.length,
        metrics,
        significance: m.significance ?? {},
        fitSeconds: m.fitSeconds.mean,
      });
    }
  const metricKeys = orderMetricKeys(keys);
  const best: Record<string, number> = {};
  for (const k of metricKeys) {
    const vals = rows.map((r) => r.metrics[k]?.mean).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (vals.length > 0) best[k] = lowerIsBetter(k) ? Math.min(...vals) : Math.max(...vals);
  }
  const warnings: string[] = [];
  const prints = new Set(runs.map((r) => r.dataset.fingerprint));
  if (prints.size > 1)
    warnings.push(
      `These runs use ${prints.size} different datasets (fingerprints ${[...prints].map((p) => p.slice(0, 8)).join(', ')}): their numbers are not comparable.`,
    );
  const splits = new Set(
    runs.map((r) => `${r.split.kind}|${String(r.split.positive)}|${JSON.stringify(r.split.options)}`),
  );
  if (splits.size > 1) warnings.push('These runs use different splits or relevance thresholds.');
  return {
    runs: runs.map((r) => ({
      id: r.id,
      kind: r.kind,
      label: runLabel(r),
      dataset: r.dataset.name,
      fingerprint: r.dataset.fingerprint,
      seeds: r.seeds,
      ks: r.ks,
    })),
    rows,
    metricKeys,
    best,
    lowerIsBetter: metricKeys.filter(lowerIsBetter),
    warnings,
  };
}

export interface PopularityBuckets {
  k: number;
  /** Bucket labels, head first; the last is `unseen` when some relevant or recommended items have no training users. */
  buckets: { label: string; items: number; trainShare: number; minPop: number; maxPop: number }[];
  /** One row per model × bucket. */
  rows: { model: string; bucket: string; recall: number; hits: number; targets: number; exposure: number }[];
  users: number;
}

/**
 * Accuracy by item-popularity bucket. Items with at least one training user are sorted by popularity (distinct
 * training users) and cut into `n` buckets holding equal shares of the training interactions: bucket 1 (head) is a
 * few very popular items, bucket n (tail) many rare ones; items no training user has form `unseen`.
 * Per bucket and model: recall@K restricted to the bucket, Σ_u |top-K(u) ∩ rel(u) ∩ B| / Σ_u |rel(u) ∩ B| (micro over
 * users), and exposure = share of all recommended slots that hold an item of the bucket.
 */
export function popularityBuckets(lists: ExperimentLists, k: number, n = 3): PopularityBuckets {
  const pop = lists.itemPopularity;
  const seen = Object.entries(pop)
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const total = seen.reduce((s, [, c]) => s + c, 0);
  const bucketOf = new Map<string, number>();
  const info: PopularityBuckets['buckets'] = [];
  let acc = 0;
  for (const [id, c] of seen) {
    const b = Math.min(n - 1, Math.floor((acc / Math.max(1, total)) * n));
    acc += c;
    bucketOf.set(id, b);
    const slot = (info[b] ??= { label: '', items: 0, trainShare: 0, minPop: c, maxPop: c });
    slot.items++;
    slot.trainShare += c / Math.max(1, total);
    slot.minPop = Math.min(slot.minPop, c);
    slot.maxPop = Math.max(slot.maxPop, c);
  }
  const names = n === 3 ? ['head', 'mid', 'tail'] : Array.from({ length: n }, (_, i) => `B${i + 1}`);
  const labels: string[] = [];
  info.forEach((b, i) => {
    if (!b) return;
    b.label = i === 0 && n !== 3 ? `${names[i]} (head)` : i === n - 1 && n !== 3 ? `${names[i]} (tail)` : names[i]!;
    labels[i] = b.label;
  });
  const UNSEEN = n;
  const bucket = (id: string) => bucketOf.get(id) ?? UNSEEN;
  const targetsPer = new Array<number>(n + 1).fill(0);
  const targetSets = lists.targets.map((t) => new Set(t));
  for (const t of lists.targets) for (const id of t) targetsPer[bucket(id)]!++;
  const rows: PopularityBuckets['rows'] = [];
  let unseenUsed = targetsPer[UNSEEN]! > 0;
  const perModel: { model: string; hits: number[]; shown: number[]; slots: number }[] = [];
  for (const [model, perUser] of Object.entries(lists.models)) {
    const hits = new Array<number>(n + 1).fill(0);
    const shown = new Array<number>(n + 1).fill(0);
    let slots = 0;
    perUser.forEach((list, u) => {
      const rel = targetSets[u];
      for (const id of list.slice(0, k)) {
        const b = bucket(id);
        shown[b]!++;
        slots++;
        if (rel?.has(id)) hits[b]!++;
      }
    });
    if (shown[UNSEEN]! > 0) unseenUsed = true;
    perModel.push({ model, hits, shown, slots });
  }
  const buckets = info.filter(Boolean);
  if (unseenUsed) {
    labels[UNSEEN] = 'unseen';
    buckets.push({ label: 'unseen', items: lists.nItems - seen.length, trainShare: 0, minPop: 0, maxPop: 0 });
  }
  for (const m of perModel)
    for (let b = 0; b <= n; b++) {
      if (labels[b] === undefined) continue;
      rows.push({
        model: m.model,
        bucket: labels[b]!,
        recall: targetsPer[b]! > 0 ? m.hits[b]! / targetsPer[b]! : 0,
        hits: m.hits[b]!,
        targets: targetsPer[b]!,
        exposure: m.slots > 0 ? m.shown[b]! / m.slots : 0,
      });
    }
  return { k, buckets, rows, users: lists.users.length };
}

/** At most this many per-user values per model go to the browser (a deterministic, evenly spread sample). */
export const DISTRIBUTION_SAMPLE = 5000;

export interface Distribution {
  metric: string;
  metrics: string[];
  users: number;
  sampled: boolean;
  /** model → values (one per user, or the sample). */
  values: Record<string, number[]>;
}

/** Per-user values of one metric for every model of a users.json. */
export function distribution(users: ExperimentUsers, metric?: string): Distribution {
  const metrics = orderMetricKeys(Object.values(users.models).flatMap((m) => Object.keys(m)));
  const chosen =
    metric && metrics.includes(metric) ? metric : (metrics.find((m) => m.startsWith('ndcg@')) ?? metrics[0] ?? '');
  const n = users.users.length;
  const step = n > DISTRIBUTION_SAMPLE ? n / DISTRIBUTION_SAMPLE : 1;
  const pick = (vals: number[]) =>
    step === 1 ? vals : Array.from({ length: DISTRIBUTION_SAMPLE }, (_, i) => vals[Math.floor(i * step)]!);
  const values: Record<string, number[]> = {};
  for (const [model, byMetric] of Object.entries(users.models)) {
    const vals = byMetric[chosen];
    if (vals) values[model] = pick(vals).filter((v) => Number.isFinite(v));
  }
  return { metric: chosen, metrics, users: n, sampled: step !== 1, values };
}
