/**
 * The evaluation harness: models × split × K → a metrics table and a JSON record of the full configuration.
 * Full ranking over all items; at test time each user's training and validation items are masked.
 */
import { MostPopularRecommender, type FitContext, type Recommender } from './baselines.js';
import type { InteractionDataset, Interactions } from './datasets.js';
import { ACCURACY_METRICS, BEYOND_METRICS, computeMetrics } from './metrics.js';
import { indexByUser, itemsOf, maskKnown, topKRows, type UserItemIndex } from './ranking.js';
import { mmr } from '../recommend.js';
import { dot } from '../vectors.js';
import { makeSplit, type Split, type SplitKind, type SplitOptions } from './splits.js';

export interface EvaluateOptions {
  ks: readonly number[];
  /** Users scored per batch (memory: batch × items floats). Default 256. */
  batchSize?: number;
  /** Which part holds the targets. Default 'test' (masks train + valid); 'valid' masks train only. */
  part?: 'test' | 'valid';
  /** Skip beyond-accuracy metrics (faster; used by early stopping). */
  accuracyOnly?: boolean;
  /**
   * Re-rank each user's top `pool` items with the bot's MMR (core/recommend.ts `mmr`): relevance = the model's
   * score scaled to [0, 1] over the pool, similarity = item text cosine scaled by the pool's maximum — exactly
   * as `/recommend` does. λ = 1 keeps the model's order.
   */
  rerank?: { lambda: number; pool?: number };
}

/** MMR over each row's top `pool` candidates, writing `width` items per row into `out`. */
function rerankRows(
  scores: Float32Array,
  rows: number,
  nItems: number,
  width: number,
  ds: InteractionDataset,
  opts: { lambda: number; pool?: number },
): Int32Array {
  const pool = Math.max(width, opts.pool ?? 50);
  const top = topKRows(scores, rows, nItems, pool);
  const out = new Int32Array(rows * width);
  const d = ds.textDim;
  for (let r = 0; r < rows; r++) {
    const cand = Array.from(top.subarray(r * pool, (r + 1) * pool)).filter(
      (j) => j >= 0 && Number.isFinite(scores[r * nItems + j]!),
    );
    if (cand.length === 0) {
      out.fill(-1, r * width, (r + 1) * width);
      continue;
    }
    const hi = scores[r * nItems + cand[0]!]!;
    const lo = scores[r * nItems + cand[cand.length - 1]!]!;
    let simMax = 1e-9;
    for (let a = 0; a < cand.length; a++)
      for (let b = a + 1; b < cand.length; b++)
        simMax = Math.max(simMax, dot(ds.itemText, ds.itemText, cand[a]! * d, cand[b]! * d, d));
    const picked = mmr(
      cand,
      width,
      opts.lambda,
      (j) => (hi > lo ? (scores[r * nItems + j]! - lo) / (hi - lo) : 1),
      (a, b) => Math.max(0, dot(ds.itemText, ds.itemText, a * d, b * d, d)) / simMax,
    );
    out.fill(-1, r * width, (r + 1) * width);
    out.set(picked.slice(0, width), r * width);
  }
  return out;
}

/** Per-item number of distinct training users (any signal) — the novelty popularity. */
function itemUserCounts(train: Interactions, nItems: number): Int32Array {
  const c = new Int32Array(nItems);
  for (let r = 0; r < train.length; r++) c[train.item[r]!]!++;
  return c;
}

/** Ranks every item for each user with a relevant target and computes the metrics. */
export async function evaluateRecommender(
  model: Recommender,
  ds: InteractionDataset,
  split: Split,
  options: EvaluateOptions,
): Promise<{ metrics: Record<string, number>; users: number; seconds: number }> {
  const started = performance.now();
  const part = options.part ?? 'test';
  const targets = part === 'test' ? split.test : split.valid;
  const nUsers = ds.users.length;
  const nItems = ds.items.length;
  const rel = indexByUser(targets, nUsers, (s) => s === 1);
  const masks: UserItemIndex[] = [indexByUser(split.train, nUsers)];
  if (part === 'test') masks.push(indexByUser(split.valid, nUsers));
  const users: number[] = [];
  for (let u = 0; u < nUsers; u++) if (rel.offsets[u + 1]! > rel.offsets[u]!) users.push(u);
  const width = Math.max(...options.ks);
  const lists = new Int32Array(users.length * width);
  let popLists: Int32Array | undefined;
  let pop: MostPopularRecommender | undefined;
  if (!options.accuracyOnly) {
    popLists = new Int32Array(users.length * width);
    pop = new MostPopularRecommender();
    pop.fit({ dataset: ds, train: split.train, valid: split.valid, coldUsers: split.coldUsers, seed: 0, k: width });
  }
  const batch = options.batchSize ?? 256;
  for (let start = 0; start < users.length; start += batch) {
    const ids = Int32Array.from(users.slice(start, start + batch));
    const scores = await model.scoreUsers(ids);
    if (scores.length !== ids.length * nItems)
      throw new Error(`${model.name}.scoreUsers returned ${scores.length} scores for ${ids.length}×${nItems}`);
    maskKnown(scores, ids, nItems, ...masks);
    lists.set(
      options.rerank
        ? rerankRows(scores, ids.length, nItems, width, ds, options.rerank)
        : topKRows(scores, ids.length, nItems, width),
      start * width,
    );
    if (pop && popLists) {
      const ps = pop.scoreUsers(ids);
      maskKnown(ps, ids, nItems, ...masks);
      popLists.set(topKRows(ps, ids.length, nItems, width), start * width);
    }
  }
  const relevant = users.map((u) => new Set(itemsOf(rel, u)));
  const metrics = computeMetrics({
    lists,
    width,
    relevant,
    ks: options.ks,
    nItems,
    ...(options.accuracyOnly
      ? {}
      : {
          itemVectors: ds.itemText,
          dim: ds.textDim,
          itemUserCounts: itemUserCounts(split.train, nItems),
          nTrainUsers: new Set(split.train.user).size,
          ...(popLists ? { popularLists: popLists } : {}),
        }),
  });
  return { metrics, users: users.length, seconds: (performance.now() - started) / 1000 };
}

export interface HarnessOptions {
  dataset: InteractionDataset;
  split: SplitKind;
  splitOptions?: SplitOptions;
  models: Recommender[];
  ks?: readonly number[];
  seed?: number;
  log?: (message: string) => void;
  /** Also evaluate every model re-ranked by MMR at each of these λ (a tuning sweep); results named `model+mmr(λ)`. */
  mmrLambdas?: readonly number[];
  /** MMR candidate pool per user (default 50). */
  mmrPool?: number;
}

export interface ModelResult {
  model: string;
  settings: Record<string, unknown>;
  metrics: Record<string, number>;
  fitSeconds: number;
  evalSeconds: number;
  users: number;
}

export interface HarnessResult {
  config: {
    dataset: {
      name: string;
      users: number;
      items: number;
      interactions: number;
      likes: number;
      meta: Record<string, unknown>;
    };
    split: {
      kind: SplitKind;
      options: Record<string, unknown>;
      train: number;
      valid: number;
      test: number;
      coldUsers: number;
    };
    ks: number[];
    seed: number;
    models: string[];
    node: string;
    startedAt: string;
  };
  results: ModelResult[];
  /** The comparison table (metrics × models) as text. */
  table: string;
}

/** Fits and evaluates every model on one split of one dataset. */
export async function runHarness(options: HarnessOptions): Promise<HarnessResult> {
  const ks = [...(options.ks ?? [10])].sort((a, b) => a - b);
  const seed = options.seed ?? 42;
  const ds = options.dataset;
  const startedAt = new Date().toISOString();
  const split = makeSplit(ds, options.split, { seed, ...(options.splitOptions ?? {}) });
  const log = options.log ?? (() => {});
  const results: ModelResult[] = [];
  for (const model of options.models) {
    const ctx: FitContext = {
      dataset: ds,
      train: split.train,
      valid: split.valid,
      coldUsers: split.coldUsers,
      seed,
      k: ks[ks.length - 1]!,
      log,
    };
    const t0 = performance.now();
    log(`fitting ${model.name}`);
    await model.fit(ctx);
    const fitSeconds = (performance.now() - t0) / 1000;
    const r = await evaluateRecommender(model, ds, split, { ks });
    log(`${model.name}: ndcg@${ks[0]}=${(r.metrics[`ndcg@${ks[0]}`] ?? 0).toFixed(4)} (${r.users} users)`);
    results.push({
      model: model.name,
      settings: model.describe?.() ?? {},
      metrics: r.metrics,
      fitSeconds,
      evalSeconds: r.seconds,
      users: r.users,
    });
    for (const lambda of options.mmrLambdas ?? []) {
      const rr = await evaluateRecommender(model, ds, split, { ks, rerank: { lambda, pool: options.mmrPool ?? 50 } });
      log(`${model.name}+mmr(${lambda}): ndcg@${ks[0]}=${(rr.metrics[`ndcg@${ks[0]}`] ?? 0).toFixed(4)}`);
      results.push({
        model: `${model.name}+mmr(${lambda})`,
        settings: { ...(model.describe?.() ?? {}), rerank: { kind: 'mmr', lambda, pool: options.mmrPool ?? 50 } },
        metrics: rr.metrics,
        fitSeconds,
        evalSeconds: rr.seconds,
        users: rr.users,
      });
    }
  }
  let likes = 0;
  for (const s of ds.interactions.signal) if (s === 1) likes++;
  return {
    config: {
      dataset: {
        name: ds.name,
        users: ds.users.length,
        items: ds.items.length,
        interactions: ds.interactions.length,
        likes,
        meta: ds.meta,
      },
      split: {
        kind: split.kind,
        options: split.options,
        train: split.train.length,
        valid: split.valid.length,
        test: split.test.length,
        coldUsers: split.coldUsers.length,
      },
      ks,
      seed,
      models: results.map((r) => r.model),
      node: process.version,
      startedAt,
    },
    results,
    table: formatTable(results, ks),
  };
}

/** Metrics as rows, models as columns; the best value of each accuracy row is marked with `*`. */
export function formatTable(results: readonly ModelResult[], ks: readonly number[]): string {
  const names = [...ACCURACY_METRICS, ...BEYOND_METRICS];
  const header = ['metric', ...results.map((r) => r.model)];
  const rows: string[][] = [];
  for (const k of ks)
    for (const name of names) {
      const key = `${name}@${k}`;
      const vals = results.map((r) => r.metrics[key]);
      if (vals.every((v) => v === undefined)) continue;
      const best =
        (ACCURACY_METRICS as readonly string[]).includes(name) || name === 'serendipity'
          ? Math.max(...vals.map((v) => v ?? -Infinity))
          : undefined;
      rows.push([
        key,
        ...vals.map((v) => (v === undefined ? '-' : `${v.toFixed(4)}${best !== undefined && v === best ? '*' : ' '}`)),
      ]);
    }
  rows.push(['fit s', ...results.map((r) => `${r.fitSeconds.toFixed(1)} `)]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
