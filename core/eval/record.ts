/**
 * Turns a harness result into the experiment record (core/eval/experiment.ts): `run.json` plus the first seed's
 * per-user values (`users.json`), top-K lists (`lists.json`) and candidate pools (`pools.json`). Pure: the file
 * I/O is `infra/experiments.ts`.
 */
import {
  EXPERIMENT_SCHEMA,
  experimentId,
  type ExperimentLists,
  type ExperimentPools,
  type ExperimentRun,
  type ExperimentUsers,
} from './experiment.js';
import { datasetFingerprint, type InteractionDataset } from './datasets.js';
import type { HarnessResult } from './harness.js';

export interface RecordInput {
  kind: ExperimentRun['kind'];
  result: HarnessResult;
  /** The dataset as loaded (before `positive`), for the fingerprint. */
  dataset: InteractionDataset;
  argv: string[];
  git: ExperimentRun['git'];
  label?: string;
  now?: Date;
  tuning?: ExperimentRun['tuning'];
  extra?: Record<string, unknown>;
}

export interface ExperimentRecord {
  run: ExperimentRun;
  users: ExperimentUsers;
  lists: ExperimentLists;
  pools: ExperimentPools;
}

/** JSON has no NaN / ±∞: metrics that could not be computed are left out rather than written as null. */
const finite = (v: number): boolean => Number.isFinite(v);

export function buildExperimentRecord(input: RecordInput): ExperimentRecord {
  const { result } = input;
  const ds = result.dataset;
  const now = input.now ?? new Date();
  const first = result.first;
  const itemId = (i: number) => ds.items[i]!.id;
  const userIds = Array.from(first.users, (u) => ds.users[u]!.id);
  const itemPopularity: Record<string, number> = {};
  first.itemUsers.forEach((c, i) => {
    if (c > 0) itemPopularity[itemId(i)] = c;
  });
  const targets = first.targets.map((t) => Array.from(t, itemId));

  const run: ExperimentRun = {
    schema: EXPERIMENT_SCHEMA,
    id: experimentId(input.kind, now),
    kind: input.kind,
    ...(input.label ? { label: input.label } : {}),
    createdAt: now.toISOString(),
    git: input.git,
    argv: input.argv,
    node: result.config.node,
    dataset: {
      name: result.config.dataset.name,
      fingerprint: datasetFingerprint(input.dataset),
      users: result.config.dataset.users,
      items: result.config.dataset.items,
      interactions: result.config.dataset.interactions,
      meta: result.config.dataset.meta,
    },
    split: {
      kind: result.config.split.kind,
      positive: result.config.split.positive,
      options: result.config.split.options,
      train: result.config.split.train,
      valid: result.config.split.valid,
      test: result.config.split.test,
      coldUsers: result.config.split.coldUsers,
    },
    ks: result.config.ks,
    seeds: result.config.seeds,
    models: result.results.map((r) => ({
      name: r.model,
      ...(r.family ? { family: r.family } : {}),
      params: JSON.parse(JSON.stringify(r.settings)) as Record<string, unknown>,
      metrics: Object.fromEntries(
        Object.entries(r.summary).filter(([, s]) => finite(s.mean) && s.perSeed.every(finite)),
      ),
      ...(Object.keys(r.significance).length ? { significance: r.significance } : {}),
      fitSeconds: r.fitSummary,
      evalSeconds: r.evalSummary,
      users: r.users,
    })),
    ...(input.tuning ? { tuning: input.tuning } : {}),
    extra: {
      significance: result.config.significance,
      ...(result.config.budgetSeconds !== undefined ? { budgetSeconds: result.config.budgetSeconds } : {}),
      ...(result.config.budgets ? { budgets: result.config.budgets } : {}),
      positives: result.config.dataset.positives,
      ...(input.extra ?? {}),
    },
  };

  const usersModels: ExperimentUsers['models'] = {};
  for (const [model, perUser] of Object.entries(first.perUser)) {
    const m: Record<string, number[]> = {};
    for (const [key, vals] of Object.entries(perUser)) if (vals.every(finite)) m[key] = Array.from(vals);
    usersModels[model] = m;
  }

  const listModels: ExperimentLists['models'] = {};
  for (const [model, lists] of Object.entries(first.lists)) {
    listModels[model] = userIds.map((_, r) =>
      Array.from(lists.subarray(r * first.width, (r + 1) * first.width))
        .filter((j) => j >= 0)
        .map(itemId),
    );
  }

  const pooledUsers = first.users.filter((u) => Object.values(first.pools).some((p) => p.has(u)));
  const rowOf = new Map(Array.from(first.users, (u, r) => [u, r]));
  const poolModels: ExperimentPools['models'] = {};
  const pooledItems = new Set<number>();
  for (const [model, pools] of Object.entries(first.pools)) {
    const items: string[][] = [];
    const scores: number[][] = [];
    for (const u of pooledUsers) {
      const p = pools.get(u);
      const keep = p ? Array.from(p.items.keys()).filter((k) => finite(p.scores[k]!)) : [];
      keep.forEach((k) => pooledItems.add(p!.items[k]!));
      items.push(keep.map((k) => itemId(p!.items[k]!)));
      scores.push(keep.map((k) => p!.scores[k]!));
    }
    poolModels[model] = { items, scores };
  }
  const itemVectors: Record<string, number[]> = {};
  const d = ds.textDim;
  for (const i of [...pooledItems].sort((a, b) => a - b)) {
    const v = ds.itemText.subarray(i * d, (i + 1) * d);
    let n = 0;
    for (const x of v) n += x * x;
    const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
    itemVectors[itemId(i)] = Array.from(v, (x) => x * inv);
  }

  return {
    run,
    users: { seed: first.seed, users: userIds, models: usersModels },
    lists: {
      seed: first.seed,
      k: first.width,
      users: userIds,
      targets,
      models: listModels,
      itemPopularity,
      nItems: ds.items.length,
    },
    pools: {
      seed: first.seed,
      pool: first.poolSize,
      users: Array.from(pooledUsers, (u) => ds.users[u]!.id),
      targets: Array.from(pooledUsers, (u) => targets[rowOf.get(u)!]!),
      models: poolModels,
      itemVectors,
      itemPopularity,
      nItems: ds.items.length,
      nTrainUsers: Math.max(1, first.nTrainUsers),
    },
  };
}
