/**
 * One model on one split: full ranking over all items with known items masked and seeded tie-breaking
 * (`evaluateRecommender`), the validation nDCG the tuners select on, and the k-fold rating cross-validation of
 * models that predict ratings. The harness (harness.ts) runs these per model and seed; harness.ts re-exports them.
 */
import { mmr } from '../recommend.js';
import { dot, tieSalt } from '../vectors.js';
import { MostPopularRecommender, type FitContext, type RatingRecommender, type Recommender } from './baselines.js';
import { selectRows, type InteractionDataset, type Interactions } from './datasets.js';
import { ACCURACY_METRICS, BEYOND_METRICS, meanDefined, userMetrics } from './metrics.js';
import { createRng } from './random.js';
import { indexByUser, itemsOf, maskKnown, topKRows, type UserItemIndex } from './ranking.js';
import { type Split } from './splits.js';

export interface EvaluateOptions {
  ks: readonly number[];
  /** Users scored per batch (memory: batch × items floats). Default 256. */
  batchSize?: number;
  /** Which part holds the targets. Default 'test' (masks train + valid); 'valid' masks train only. */
  part?: 'test' | 'valid';
  /** Skip beyond-accuracy metrics (faster; used by early stopping). */
  accuracyOnly?: boolean;
  /** Seed of the tie-breaking permutations (the run's seed). Default 0. */
  tieSeed?: number;
  /** Evaluate at most this many users (a seeded sample; validation during training). Default all. */
  maxUsers?: number;
  /** Keep each user's top `width` list (for lists.json). */
  keepLists?: boolean;
  /** Keep the top `size` candidates with scores of these users (for pools.json). */
  pool?: { size: number; users: ReadonlySet<number> };
  /**
   * Re-rank each user's top `pool` items with the bot's MMR (core/recommend.ts `mmr`): relevance = the model's
   * score scaled to [0, 1] over the pool, similarity = item text cosine scaled by the pool's maximum — exactly
   * as `/recommend` does. λ = 1 keeps the model's order.
   */
  rerank?: { lambda: number; pool?: number };
}

export interface Evaluation {
  metrics: Record<string, number>;
  /** Evaluated users (dataset indices), in the order of every per-user array. */
  userIds: Int32Array;
  users: number;
  /** Per-user values of every metric with one (`ndcg@10` → one value per evaluated user; NaN = undefined). */
  perUser: Record<string, Float64Array>;
  /** `users × width` top lists (−1 padding) when `keepLists`. */
  lists?: Int32Array;
  width: number;
  /** Relevant targets per evaluated user. */
  targets: Int32Array[];
  /** user → top candidates and their scores, when `pool` was asked for. */
  pools?: Map<number, { items: Int32Array; scores: Float32Array }>;
  seconds: number;
}

/** MMR over each row's top `pool` candidates, writing `width` items per row into `out`. */
function rerankRows(
  scores: Float32Array,
  rows: number,
  nItems: number,
  width: number,
  ds: InteractionDataset,
  opts: { lambda: number; pool?: number },
  salts: ArrayLike<number>,
): Int32Array {
  const pool = Math.max(width, opts.pool ?? 50);
  const top = topKRows(scores, rows, nItems, pool, salts);
  const out = new Int32Array(rows * width);
  const d = ds.textDim;
  for (let r = 0; r < rows; r++) {
    const cand = Array.from(top.subarray(r * pool, (r + 1) * pool)).filter(
      (j) => j >= 0 && Number.isFinite(scores[r * nItems + j]!),
    );
    out.fill(-1, r * width, (r + 1) * width);
    if (cand.length === 0) continue;
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
    out.set(picked.slice(0, width), r * width);
  }
  return out;
}

/** Per-item number of distinct training users (any signal): the novelty popularity. */
export function itemUserCounts(train: Interactions, nItems: number): Int32Array {
  const c = new Int32Array(nItems);
  for (let r = 0; r < train.length; r++) c[train.item[r]!]!++;
  return c;
}

/** Ranks every item for each user with a positive target and computes the metrics. */
export async function evaluateRecommender(
  model: Pick<Recommender, 'scoreUsers'> & { name?: string },
  ds: InteractionDataset,
  split: Pick<Split, 'train' | 'valid' | 'test' | 'coldUsers'>,
  options: EvaluateOptions,
): Promise<Evaluation> {
  const started = performance.now();
  const part = options.part ?? 'test';
  const targets = part === 'test' ? split.test : split.valid;
  const nUsers = ds.users.length;
  const nItems = ds.items.length;
  const tieSeed = options.tieSeed ?? 0;
  const rel = indexByUser(targets, nUsers, (s) => s === 1);
  const masks: UserItemIndex[] = [indexByUser(split.train, nUsers)];
  if (part === 'test') masks.push(indexByUser(split.valid, nUsers));
  let users: number[] = [];
  for (let u = 0; u < nUsers; u++) if (rel.offsets[u + 1]! > rel.offsets[u]!) users.push(u);
  if (options.maxUsers !== undefined && users.length > options.maxUsers) {
    users = createRng(tieSeed + 17)
      .shuffle(users)
      .slice(0, options.maxUsers)
      .sort((a, b) => a - b);
  }
  const width = Math.max(...options.ks);
  const lists = new Int32Array(users.length * width);
  let popLists: Int32Array | undefined;
  let pop: MostPopularRecommender | undefined;
  if (!options.accuracyOnly) {
    popLists = new Int32Array(users.length * width);
    pop = new MostPopularRecommender();
    pop.fit({ dataset: ds, train: split.train, valid: split.valid, coldUsers: split.coldUsers, seed: 0, k: width });
  }
  const pools = options.pool ? new Map<number, { items: Int32Array; scores: Float32Array }>() : undefined;
  const batch = options.batchSize ?? 256;
  for (let start = 0; start < users.length; start += batch) {
    const ids = Int32Array.from(users.slice(start, start + batch));
    const salts = Array.from(ids, (u) => tieSalt(tieSeed, u));
    const scores = await model.scoreUsers(ids);
    if (scores.length !== ids.length * nItems)
      throw new Error(
        `${model.name ?? 'model'}.scoreUsers returned ${scores.length} scores for ${ids.length}×${nItems}`,
      );
    maskKnown(scores, ids, nItems, ...masks);
    lists.set(
      options.rerank
        ? rerankRows(scores, ids.length, nItems, width, ds, options.rerank, salts)
        : topKRows(scores, ids.length, nItems, width, salts),
      start * width,
    );
    if (pools && options.pool) {
      const size = options.pool.size;
      const rows = ids.reduce<number[]>((acc, u, r) => (options.pool!.users.has(u) ? [...acc, r] : acc), []);
      for (const r of rows) {
        const top = topKRows(scores.subarray(r * nItems, (r + 1) * nItems), 1, nItems, size, [salts[r]!]);
        const items = top.filter((j) => j >= 0);
        pools.set(ids[r]!, { items, scores: Float32Array.from(items, (j) => scores[r * nItems + j]!) });
      }
    }
    if (pop && popLists) {
      const ps = pop.scoreUsers(ids);
      maskKnown(ps, ids, nItems, ...masks);
      popLists.set(topKRows(ps, ids.length, nItems, width, salts), start * width);
    }
  }
  const targetSets = users.map((u) => itemsOf(rel, u));
  const { perUser, global } = userMetrics({
    lists,
    width,
    relevant: targetSets.map((t) => new Set(t)),
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
  const metrics: Record<string, number> = {};
  for (const k of options.ks) {
    for (const name of [...ACCURACY_METRICS, ...BEYOND_METRICS]) {
      const key = `${name}@${k}`;
      const v = perUser[key] ? meanDefined(perUser[key]) : global[key];
      if (v !== undefined) metrics[key] = v;
      else if ((ACCURACY_METRICS as readonly string[]).includes(name)) metrics[key] = 0;
    }
  }
  return {
    metrics,
    userIds: Int32Array.from(users),
    users: users.length,
    perUser,
    ...(options.keepLists ? { lists } : {}),
    width,
    targets: targetSets,
    ...(pools ? { pools } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * NDCG@k on the validation rows (training items masked) — what iterative models early-stop on. At most `maxUsers`
 * users (a fixed seeded sample) so that validation stays cheap on big datasets.
 */
export async function validationNdcg(
  model: Pick<Recommender, 'scoreUsers'>,
  ctx: FitContext,
  maxUsers = 3000,
): Promise<number> {
  const r = await evaluateRecommender(
    model,
    ctx.dataset,
    { train: ctx.train, valid: ctx.valid, test: ctx.valid, coldUsers: ctx.coldUsers },
    { ks: [ctx.k], part: 'valid', accuracyOnly: true, tieSeed: ctx.seed, maxUsers },
  );
  return r.metrics[`ndcg@${ctx.k}`] ?? 0;
}

// ---------------------------------------------------------------- explicit ratings

/**
 * RMSE and MAE of a rating model under k-fold cross-validation over all rated rows (the Surprise protocol:
 * `cross_validate(algo, data, cv=5)` shuffles the ratings and cuts them into k folds; each fold is the test set
 * once). Returns the means over folds.
 */
export async function crossValidateRatings(
  model: RatingRecommender,
  ds: InteractionDataset,
  options: { folds?: number; seed: number; k: number; budgetSeconds?: number; log?: (m: string) => void },
): Promise<{ rmse: number; mae: number; folds: { rmse: number; mae: number }[] }> {
  const folds = options.folds ?? 5;
  const rated: number[] = [];
  for (let r = 0; r < ds.interactions.length; r++) if (!Number.isNaN(ds.interactions.rating[r]!)) rated.push(r);
  createRng(options.seed * 7919 + 1).shuffle(rated);
  const out: { rmse: number; mae: number }[] = [];
  for (let f = 0; f < folds; f++) {
    const lo = Math.floor((f * rated.length) / folds);
    const hi = Math.floor(((f + 1) * rated.length) / folds);
    const test = selectRows(ds.interactions, Int32Array.from(rated.slice(lo, hi)).sort());
    const train = selectRows(ds.interactions, Int32Array.from([...rated.slice(0, lo), ...rated.slice(hi)]).sort());
    await model.fitRatings({
      dataset: ds,
      train,
      valid: selectRows(ds.interactions, []),
      coldUsers: new Int32Array(0),
      seed: options.seed,
      k: options.k,
      ...(options.budgetSeconds !== undefined ? { budgetSeconds: options.budgetSeconds } : {}),
    });
    const pred = model.predictRatings(test.user, test.item);
    let se = 0;
    let ae = 0;
    for (let r = 0; r < test.length; r++) {
      const e = pred[r]! - test.rating[r]!;
      se += e * e;
      ae += Math.abs(e);
    }
    out.push({ rmse: Math.sqrt(se / Math.max(1, test.length)), mae: ae / Math.max(1, test.length) });
    options.log?.(`${model.name} rating fold ${f + 1}/${folds}: RMSE ${out[f]!.rmse.toFixed(4)}`);
  }
  return {
    rmse: out.reduce((a, b) => a + b.rmse, 0) / folds,
    mae: out.reduce((a, b) => a + b.mae, 0) / folds,
    folds: out,
  };
}
