/**
 * From today's harness (`runHarness` in core/eval/harness.ts) to the experiment record: one `HarnessResult` per seed
 * → `run.json`, and the artifacts (users.json, lists.json, pools.json) re-computed from the fitted models of one
 * seed. `npm run eval` will write these files itself (issue 11); this converter feeds the dashboard's demo and tests
 * until then, and shows the mapping field by field.
 */
import { createHash } from 'node:crypto';
import type { Recommender } from '../core/eval/baselines.js';
import { MostPopularRecommender } from '../core/eval/baselines.js';
import type { InteractionDataset } from '../core/eval/datasets.js';
import {
  EXPERIMENT_SCHEMA,
  experimentId,
  summarize,
  type ExperimentLists,
  type ExperimentPools,
  type ExperimentRun,
  type ExperimentUsers,
  type Significance,
} from '../core/eval/experiment.js';
import type { HarnessResult } from '../core/eval/harness.js';
import { indexByUser, itemsOf, maskKnown, topKRows } from '../core/eval/ranking.js';
import { tieSalt } from '../core/vectors.js';
import type { Split } from '../core/eval/splits.js';
import { perUserMetrics } from './per-user.js';

/** sha256 over the item ids and the interaction rows (user id, item id, signal, rating), in dataset order. */
export function datasetFingerprint(ds: InteractionDataset): string {
  const h = createHash('sha256');
  h.update(ds.items.map((i) => i.id).join('\n'));
  const t = ds.interactions;
  for (let r = 0; r < t.length; r++)
    h.update(`\n${ds.users[t.user[r]!]!.id}\t${ds.items[t.item[r]!]!.id}\t${t.signal[r]}\t${t.rating[r]}`);
  return h.digest('hex');
}

export interface ConvertOptions {
  /** One harness result per seed (same models, same dataset and split kind). */
  results: readonly HarnessResult[];
  dataset: InteractionDataset;
  kind?: ExperimentRun['kind'];
  label?: string;
  argv?: string[];
  git?: ExperimentRun['git'];
  now?: Date;
  /** Significance per model and metric, when computed (see `pairedSignificance`). */
  significance?: Record<string, Record<string, Significance>>;
}

/** The run record: metrics as mean ± std over the seeds. */
export function experimentFromHarness(o: ConvertOptions): ExperimentRun {
  const first = o.results[0];
  if (!first) throw new Error('no harness results');
  const now = o.now ?? new Date();
  const kind = o.kind ?? 'eval';
  return {
    schema: EXPERIMENT_SCHEMA,
    id: experimentId(kind, now),
    kind,
    ...(o.label ? { label: o.label } : {}),
    createdAt: now.toISOString(),
    git: o.git ?? { commit: null, dirty: null },
    argv: o.argv ?? [],
    node: first.config.node,
    dataset: {
      name: first.config.dataset.name,
      fingerprint: datasetFingerprint(o.dataset),
      users: first.config.dataset.users,
      items: first.config.dataset.items,
      interactions: first.config.dataset.interactions,
      meta: first.config.dataset.meta,
    },
    split: {
      kind: first.config.split.kind,
      positive: first.config.split.positive,
      options: first.config.split.options,
      train: first.config.split.train,
      valid: first.config.split.valid,
      test: first.config.split.test,
      coldUsers: first.config.split.coldUsers,
    },
    ks: first.config.ks,
    seeds: o.results.flatMap((r) => r.config.seeds),
    models: first.results.map((m, i) => {
      const perSeed = o.results.map((r) => r.results[i]!);
      const metrics: ExperimentRun['models'][number]['metrics'] = {};
      for (const key of Object.keys(m.metrics))
        metrics[key] = summarize(perSeed.map((r) => r.metrics[key] ?? Number.NaN));
      const sig = o.significance?.[m.model];
      return {
        name: m.model,
        params: m.settings,
        metrics,
        ...(sig ? { significance: sig } : {}),
        fitSeconds: summarize(perSeed.map((r) => r.fitSeconds)),
        evalSeconds: summarize(perSeed.map((r) => r.evalSeconds)),
        users: m.users,
      };
    }),
  };
}

export interface ArtifactOptions {
  dataset: InteractionDataset;
  split: Split;
  /** Fitted on `split` (the seed the artifacts describe). */
  models: readonly Recommender[];
  ks: readonly number[];
  seed: number;
  /** Candidates kept per user in pools.json. Default 50. */
  pool?: number;
  /** Users kept in pools.json (an even sample). Default 2000. */
  poolUsers?: number;
  /** Users scored per batch. Default 256. */
  batch?: number;
}

/** users.json, lists.json and pools.json from fitted models, with the harness's masking and metric conventions. */
export async function artifactsFromModels(
  o: ArtifactOptions,
): Promise<{ users: ExperimentUsers; lists: ExperimentLists; pools: ExperimentPools }> {
  const ds = o.dataset;
  const nUsers = ds.users.length;
  const nItems = ds.items.length;
  const rel = indexByUser(o.split.test, nUsers, (s) => s === 1);
  const masks = [indexByUser(o.split.train, nUsers), indexByUser(o.split.valid, nUsers)];
  const evaluated: number[] = [];
  for (let u = 0; u < nUsers; u++) if (rel.offsets[u + 1]! > rel.offsets[u]!) evaluated.push(u);
  const width = Math.max(...o.ks);
  const pool = Math.max(width, o.pool ?? 50);
  const poolEvery = Math.max(1, evaluated.length / (o.poolUsers ?? 2000));
  const poolRows = new Set(
    Array.from({ length: Math.min(evaluated.length, o.poolUsers ?? 2000) }, (_, i) => Math.floor(i * poolEvery)),
  );
  const relevant = evaluated.map((u) => new Set(itemsOf(rel, u)));
  const counts = new Int32Array(nItems);
  const trainUsers = new Set<number>();
  for (let r = 0; r < o.split.train.length; r++) {
    counts[o.split.train.item[r]!]!++;
    trainUsers.add(o.split.train.user[r]!);
  }
  const pop = new MostPopularRecommender();
  pop.fit({
    dataset: ds,
    train: o.split.train,
    valid: o.split.valid,
    coldUsers: o.split.coldUsers,
    seed: o.seed,
    k: width,
  });
  const topOf = async (model: Recommender, k: number, withScores: boolean) => {
    const lists = new Int32Array(evaluated.length * k);
    const scores = withScores ? new Float32Array(evaluated.length * k) : undefined;
    const batch = o.batch ?? 256;
    for (let start = 0; start < evaluated.length; start += batch) {
      const ids = Int32Array.from(evaluated.slice(start, start + batch));
      const s = await model.scoreUsers(ids);
      maskKnown(s, ids, nItems, ...masks);
      // the harness's tie rule: a seeded random permutation per user (`tieSalt(seed, user)`)
      const top = topKRows(
        s,
        ids.length,
        nItems,
        k,
        Array.from(ids, (u) => tieSalt(o.seed, u)),
      );
      lists.set(top, start * k);
      if (scores)
        for (let j = 0; j < top.length; j++)
          scores[start * k + j] = top[j]! >= 0 ? s[Math.floor(j / k) * nItems + top[j]!]! : 0;
    }
    return { lists, scores };
  };
  const popLists = (await topOf(pop, width, false)).lists;
  const ids = (row: Int32Array) =>
    Array.from(row)
      .filter((i) => i >= 0)
      .map((i) => ds.items[i]!.id);
  const usersOut: ExperimentUsers = { seed: o.seed, users: evaluated.map((u) => ds.users[u]!.id), models: {} };
  const listsOut: ExperimentLists = {
    seed: o.seed,
    k: width,
    users: usersOut.users,
    targets: relevant.map((s) => [...s].map((i) => ds.items[i]!.id)),
    models: {},
    itemPopularity: {},
    nItems,
  };
  for (let i = 0; i < nItems; i++) if (counts[i]! > 0) listsOut.itemPopularity[ds.items[i]!.id] = counts[i]!;
  const sampled = [...poolRows].sort((a, b) => a - b);
  const poolsOut: ExperimentPools = {
    seed: o.seed,
    pool,
    users: sampled.map((r) => usersOut.users[r]!),
    targets: sampled.map((r) => listsOut.targets[r]!),
    models: {},
    itemVectors: {},
    itemPopularity: listsOut.itemPopularity,
    nItems,
    nTrainUsers: Math.max(1, trainUsers.size),
    itemMeta: {},
  };
  const pooled = new Set<number>();
  for (const model of o.models) {
    const { lists, scores } = await topOf(model, pool, true);
    const top = new Int32Array(evaluated.length * width);
    for (let r = 0; r < evaluated.length; r++) top.set(lists.subarray(r * pool, r * pool + width), r * width);
    usersOut.models[model.name] = perUserMetrics({
      lists: top,
      width,
      relevant,
      ks: o.ks,
      itemVectors: ds.itemText,
      dim: ds.textDim,
      itemUserCounts: counts,
      nTrainUsers: trainUsers.size,
      popularLists: popLists,
    });
    listsOut.models[model.name] = evaluated.map((_, r) => ids(top.subarray(r * width, (r + 1) * width)));
    poolsOut.models[model.name] = {
      items: sampled.map((r) => ids(lists.subarray(r * pool, (r + 1) * pool))),
      scores: sampled.map((r) =>
        Array.from(scores!.subarray(r * pool, (r + 1) * pool)).filter((_, j) => lists[r * pool + j]! >= 0),
      ),
    };
    for (const r of sampled) for (const i of lists.subarray(r * pool, (r + 1) * pool)) if (i >= 0) pooled.add(i);
  }
  for (const r of sampled) for (const i of relevant[r]!) pooled.add(i);
  for (const i of pooled) {
    const it = ds.items[i]!;
    poolsOut.itemVectors[it.id] = Array.from(ds.itemText.subarray(i * ds.textDim, (i + 1) * ds.textDim));
    poolsOut.itemMeta![it.id] = {
      title: it.text.split(/\s+/).slice(0, 8).join(' '),
      ...(it.categories[0] ? { category: it.categories[0] } : {}),
      ...(it.source ? { source: it.source } : {}),
    };
  }
  return { users: usersOut, lists: listsOut, pools: poolsOut };
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Wilcoxon signed-rank test of paired per-user values (zero differences dropped, average ranks for ties, normal
 * approximation with tie correction; two-sided). A demo stand-in until the harness reports its own tests.
 */
export function wilcoxon(a: readonly number[], b: readonly number[]): { pValue: number; delta: number } {
  const d = a.map((v, i) => v - b[i]!);
  const delta = d.reduce((s, v) => s + v, 0) / Math.max(1, d.length);
  const nz = d.filter((v) => v !== 0).map((v) => ({ v, abs: Math.abs(v) }));
  const n = nz.length;
  if (n === 0) return { pValue: 1, delta };
  nz.sort((x, y) => x.abs - y.abs);
  const ranks = new Array<number>(n);
  let tie = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && nz[j + 1]!.abs === nz[i]!.abs) j++;
    for (let m = i; m <= j; m++) ranks[m] = (i + j) / 2 + 1;
    const t = j - i + 1;
    tie += t * t * t - t;
    i = j + 1;
  }
  const wPlus = nz.reduce((s, x, i) => s + (x.v > 0 ? ranks[i]! : 0), 0);
  const mean = (n * (n + 1)) / 4;
  const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tie / 48);
  if (sd === 0) return { pValue: 1, delta };
  const z = (wPlus - mean) / sd;
  return { pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), delta };
}

/** Each model against the best other model (by mean) on each metric of `users.json`. */
export function pairedSignificance(users: ExperimentUsers, alpha = 0.05): Record<string, Record<string, Significance>> {
  const out: Record<string, Record<string, Significance>> = {};
  const models = Object.keys(users.models);
  const metrics = new Set(models.flatMap((m) => Object.keys(users.models[m]!)));
  const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
  for (const metric of metrics) {
    const lower = metric.startsWith('gini');
    for (const m of models) {
      const mine = users.models[m]![metric];
      if (!mine) continue;
      const others = models.filter((x) => x !== m && users.models[x]![metric]);
      if (others.length === 0) continue;
      const vs = others.sort(
        (x, y) => (lower ? 1 : -1) * (mean(users.models[x]![metric]!) - mean(users.models[y]![metric]!)),
      )[0]!;
      const { pValue, delta } = wilcoxon(mine, users.models[vs]![metric]!);
      (out[m] ??= {})[metric] = {
        vs,
        test: 'wilcoxon-signed-rank (normal approx.)',
        pValue,
        significant: pValue < alpha,
        alpha,
        delta,
      };
    }
  }
  return out;
}
