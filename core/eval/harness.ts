/**
 * The evaluation harness: models × split × seeds × K → a table, per-user values, significance and everything the
 * experiment record (core/eval/experiment.ts) holds.
 *
 * Protocol (docs/EVALUATION.md): full ranking over all items; at test time each user's training and validation
 * items are masked; ties are broken by a seeded random permutation per user (`tieSalt(seed, user)`); per-user
 * metrics averaged over users with at least one positive target. With several seeds every seed draws its own split
 * and fits every model again; a difference is marked significant only when the paired test over users (Wilcoxon
 * signed-rank, Holm-corrected over the models compared — core/eval/stats.ts) says so.
 */
import { mmr } from '../recommend.js';
import { dot, tieSalt } from '../vectors.js';
import {
  isRatingRecommender,
  MostPopularRecommender,
  type FitContext,
  type RatingRecommender,
  type Recommender,
} from './baselines.js';
import { selectRows, withPositive, type InteractionDataset, type Interactions, type Positive } from './datasets.js';
import { summarize, type MetricSummary, type Significance } from './experiment.js';
import { ACCURACY_METRICS, BEYOND_METRICS, meanDefined, userMetrics } from './metrics.js';
import { createRng } from './random.js';
import { indexByUser, itemsOf, maskKnown, topKRows, type UserItemIndex } from './ranking.js';
import { makeSplit, type Split, type SplitKind, type SplitOptions } from './splits.js';
import { holm, wilcoxonSignedRank } from './stats.js';

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

// ---------------------------------------------------------------- the harness

/** A model instance (refitted for every seed) or a factory (a fresh instance per seed). */
export type ModelEntry = Recommender | (() => Recommender);

export interface HarnessOptions {
  dataset: InteractionDataset;
  split: SplitKind;
  splitOptions?: SplitOptions;
  models: ModelEntry[];
  ks?: readonly number[];
  /** One seed (default 0) or `seeds`: each seed draws its split and fits every model again. */
  seed?: number;
  seeds?: readonly number[];
  /** Which rated rows are positives. Default `all`. */
  positive?: Positive;
  /** Training budget per model fit, seconds (`--budget`). */
  budgetSeconds?: number;
  /** Per-model budgets (by model name), over `budgetSeconds`. */
  budgets?: Readonly<Record<string, number>>;
  /** Folds of the rating cross-validation for models that predict ratings (0 = skip). Default 5. */
  ratingFolds?: number;
  log?: (message: string) => void;
  /** Also evaluate every model re-ranked by MMR at each of these λ (a tuning sweep); results named `model+mmr(λ)`. */
  mmrLambdas?: readonly number[];
  /** MMR candidate pool per user (default 50). */
  mmrPool?: number;
  /** Users whose top candidates (pools.json) are kept: at most this many (seeded sample). Default 2000; 0 = none. */
  poolUsers?: number;
  /** Candidates per pooled user. Default 50. */
  poolSize?: number;
  /** Significance level of the paired tests (after Holm). Default 0.05. */
  alpha?: number;
}

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

/** The first seed's per-user detail (users.json, lists.json, pools.json). */
export interface FirstSeedDetail {
  seed: number;
  /** Evaluated users (dataset indices). */
  users: Int32Array;
  targets: Int32Array[];
  width: number;
  /** model → metric → per-user values. */
  perUser: Record<string, Record<string, Float64Array>>;
  /** model → `users × width` lists. */
  lists: Record<string, Int32Array>;
  pools: Record<string, Map<number, { items: Int32Array; scores: Float32Array }>>;
  poolSize: number;
  /** Distinct training users per item, and the number of training users. */
  itemUsers: Int32Array;
  nTrainUsers: number;
}

export interface HarnessResult {
  config: {
    dataset: {
      name: string;
      users: number;
      items: number;
      interactions: number;
      positives: number;
      meta: Record<string, unknown>;
    };
    split: {
      kind: SplitKind;
      positive: Positive;
      options: Record<string, unknown>;
      train: number;
      valid: number;
      test: number;
      coldUsers: number;
    };
    ks: number[];
    seeds: number[];
    budgetSeconds?: number;
    budgets?: Record<string, number>;
    significance: { test: string; correction: string; alpha: number; pairing: string };
    models: string[];
    node: string;
    startedAt: string;
  };
  results: ModelResult[];
  /** The dataset after `positive` was applied (what was evaluated). */
  dataset: InteractionDataset;
  first: FirstSeedDetail;
  /** The comparison table (models × metrics) as text. */
  table: string;
}

interface Acc {
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

const instance = (m: ModelEntry): Recommender => (typeof m === 'function' ? m() : m);

/** Fits and evaluates every model on the split of every seed. */
export async function runHarness(options: HarnessOptions): Promise<HarnessResult> {
  const ks = [...(options.ks ?? [10])].sort((a, b) => a - b);
  const seeds = [...(options.seeds ?? [options.seed ?? 0])];
  const positive = options.positive ?? 'all';
  const ds = withPositive(options.dataset, positive);
  const nUsers = ds.users.length;
  const log = options.log ?? (() => {});
  const alpha = options.alpha ?? 0.05;
  const startedAt = new Date().toISOString();
  const accs = new Map<string, Acc>();
  const lambdas = options.mmrLambdas ?? [];
  const poolSize = options.poolSize ?? 50;
  let first: FirstSeedDetail | undefined;
  let firstSplit: Split | undefined;
  const instances = options.models.map((m) => (typeof m === 'function' ? undefined : m));

  const record = (
    name: string,
    model: Recommender,
    settings: Record<string, unknown>,
    ev: Evaluation,
    fitSeconds: number,
    extra: Record<string, number> = {},
  ) => {
    let acc = accs.get(name);
    if (!acc) {
      acc = {
        name,
        ...(model.family ? { family: model.family } : {}),
        settings,
        perSeed: {},
        fit: [],
        evalS: [],
        users: ev.users,
        userSum: {},
        userCount: new Int32Array(nUsers),
      };
      accs.set(name, acc);
    }
    for (const [k, v] of Object.entries({ ...ev.metrics, ...extra })) (acc.perSeed[k] ??= []).push(v);
    acc.fit.push(fitSeconds);
    acc.evalS.push(ev.seconds);
    for (const [key, vals] of Object.entries(ev.perUser)) {
      if (!(ACCURACY_METRICS as readonly string[]).includes(key.split('@')[0]!)) continue;
      const sum = (acc.userSum[key] ??= new Float64Array(nUsers));
      ev.userIds.forEach((u, r) => (sum[u]! += vals[r]!));
    }
    ev.userIds.forEach((u) => acc.userCount[u]!++);
  };

  for (const [si, seed] of seeds.entries()) {
    const split = makeSplit(ds, options.split, { ...(options.splitOptions ?? {}), seed });
    if (si === 0) firstSplit = split;
    const nItems = ds.items.length;
    const itemUsers = si === 0 ? itemUserCounts(split.train, nItems) : undefined;
    let poolSet: Set<number> | undefined;
    for (const [mi, entry] of options.models.entries()) {
      const model = instances[mi] ?? instance(entry);
      const ctx: FitContext = {
        dataset: ds,
        train: split.train,
        valid: split.valid,
        coldUsers: split.coldUsers,
        seed,
        k: ks[0]!,
        log,
      };
      const budget = options.budgets?.[model.name] ?? options.budgetSeconds;
      if (budget !== undefined) ctx.budgetSeconds = budget;
      log(`seed ${seed}: fitting ${model.name}`);
      const t0 = performance.now();
      await model.fit(ctx);
      const fitSeconds = (performance.now() - t0) / 1000;
      const settings = model.describe?.() ?? {};
      if (si === 0 && !poolSet && (options.poolUsers ?? 2000) > 0) {
        // the pooled users: a seeded sample of the users evaluated in the first seed (same for every model)
        const probe = indexByUser(split.test, nUsers, (s) => s === 1);
        const evaluated: number[] = [];
        for (let u = 0; u < nUsers; u++) if (probe.offsets[u + 1]! > probe.offsets[u]!) evaluated.push(u);
        poolSet = new Set(
          createRng(seed + 101)
            .shuffle(evaluated)
            .slice(0, options.poolUsers ?? 2000),
        );
      }
      const ev = await evaluateRecommender(model, ds, split, {
        ks,
        tieSeed: seed,
        keepLists: si === 0,
        ...(si === 0 && poolSet ? { pool: { size: poolSize, users: poolSet } } : {}),
      });
      let rating: Record<string, number> = {};
      if (isRatingRecommender(model) && (options.ratingFolds ?? 5) > 0 && ds.interactions.rating.some((r) => r > 0)) {
        const cv = await crossValidateRatings(model, ds, {
          folds: options.ratingFolds ?? 5,
          seed,
          k: ks[0]!,
          ...(budget !== undefined ? { budgetSeconds: budget } : {}),
          log,
        });
        rating = { rmse: cv.rmse, mae: cv.mae };
        log(`${model.name}: ${options.ratingFolds ?? 5}-fold RMSE ${cv.rmse.toFixed(4)} MAE ${cv.mae.toFixed(4)}`);
      }
      log(
        `seed ${seed}: ${model.name} ndcg@${ks[0]}=${(ev.metrics[`ndcg@${ks[0]}`] ?? 0).toFixed(4)} (${ev.users} users, fit ${fitSeconds.toFixed(1)} s)`,
      );
      record(model.name, model, settings, ev, fitSeconds, rating);
      if (si === 0) {
        first ??= {
          seed,
          users: ev.userIds,
          targets: ev.targets,
          width: ev.width,
          perUser: {},
          lists: {},
          pools: {},
          poolSize,
          itemUsers: itemUsers!,
          nTrainUsers: new Set(split.train.user).size,
        };
        first.perUser[model.name] = ev.perUser;
        first.lists[model.name] = ev.lists!;
        if (ev.pools) first.pools[model.name] = ev.pools;
      }
      for (const lambda of lambdas) {
        const name = `${model.name}+mmr(${lambda})`;
        const rr = await evaluateRecommender(model, ds, split, {
          ks,
          tieSeed: seed,
          keepLists: si === 0,
          rerank: { lambda, pool: options.mmrPool ?? 50 },
        });
        log(`seed ${seed}: ${name} ndcg@${ks[0]}=${(rr.metrics[`ndcg@${ks[0]}`] ?? 0).toFixed(4)}`);
        record(
          name,
          model,
          { ...settings, rerank: { kind: 'mmr', lambda, pool: options.mmrPool ?? 50 } },
          rr,
          fitSeconds,
        );
        if (si === 0 && first) {
          first.perUser[name] = rr.perUser;
          first.lists[name] = rr.lists!;
        }
      }
      model.dispose?.();
    }
  }

  const results = [...accs.values()].map((a) => finishModel(a, seeds.length));
  addSignificance(results, [...accs.values()], ks, alpha);
  let positives = 0;
  for (const s of ds.interactions.signal) if (s === 1) positives++;
  const split = firstSplit!;
  return {
    config: {
      dataset: {
        name: ds.name,
        users: ds.users.length,
        items: ds.items.length,
        interactions: ds.interactions.length,
        positives,
        meta: ds.meta,
      },
      split: {
        kind: split.kind,
        positive,
        options: split.options,
        train: split.train.length,
        valid: split.valid.length,
        test: split.test.length,
        coldUsers: split.coldUsers.length,
      },
      ks,
      seeds,
      ...(options.budgetSeconds !== undefined ? { budgetSeconds: options.budgetSeconds } : {}),
      ...(options.budgets ? { budgets: { ...options.budgets } } : {}),
      significance: {
        test: 'wilcoxon-signed-rank',
        correction: 'holm',
        alpha,
        pairing: 'per user, the user’s metric averaged over the seeds in which the user was evaluated',
      },
      models: results.map((r) => r.model),
      node: process.version,
      startedAt,
    },
    results,
    dataset: ds,
    first: first!,
    table: formatTable(results, ks),
  };
}

function finishModel(a: Acc, nSeeds: number): ModelResult {
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
function addSignificance(results: ModelResult[], accs: Acc[], ks: readonly number[], alpha: number): void {
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
