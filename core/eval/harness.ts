/**
 * The evaluation harness: models × split × seeds × K → a table, per-user values, significance and everything the
 * experiment record (core/eval/experiment.ts) holds.
 *
 * Protocol (docs/EVALUATION.md): full ranking over all items; at test time each user's training and validation
 * items are masked; ties are broken by a seeded random permutation per user (`tieSalt(seed, user)`); per-user
 * metrics averaged over users with at least one positive target. With several seeds every seed draws its own split
 * and fits every model again; a difference is marked significant only when the paired test over users (Wilcoxon
 * signed-rank, Holm-corrected over the models compared — core/eval/stats.ts) says so.
 *
 * This module runs the seeds × models loop (`runHarness`) and re-exports its parts: one model on one split
 * (evaluate.ts), aggregation over seeds, significance and the table (aggregate.ts), option and result shapes
 * (harness-types.ts).
 */
import { isRatingRecommender, type FitContext, type Recommender } from './baselines.js';
import { withPositive } from './datasets.js';
import { ACCURACY_METRICS } from './metrics.js';
import { createRng } from './random.js';
import { indexByUser } from './ranking.js';
import { makeSplit, type Split } from './splits.js';
import { addSignificance, finishModel, formatTable, type Acc } from './aggregate.js';
import { crossValidateRatings, evaluateRecommender, itemUserCounts, type Evaluation } from './evaluate.js';
import type { FirstSeedDetail, HarnessOptions, HarnessResult, ModelEntry } from './harness-types.js';

export {
  crossValidateRatings,
  evaluateRecommender,
  itemUserCounts,
  validationNdcg,
  type EvaluateOptions,
  type Evaluation,
} from './evaluate.js';
export { formatTable, type ModelResult } from './aggregate.js';
export type { FirstSeedDetail, HarnessOptions, HarnessResult, ModelEntry } from './harness-types.js';

// ---------------------------------------------------------------- the harness

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
