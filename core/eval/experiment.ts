/**
 * The experiment record: what `npm run eval`, `npm run tune`, dashboard uploads and the user simulator write, and
 * what the dashboard reads. One run is one folder `<DATA_DIR>/experiments/<id>/` (file I/O in
 * `infra/experiments.ts`); this module holds only the shapes and their validation.
 *
 * Files of a run folder (only `run.json` is required; readers treat the others as optional):
 * - `run.json`   — {@link ExperimentRun}: configuration, dataset fingerprint, split, seeds, per-model summaries.
 * - `users.json` — {@link ExperimentUsers}: per-user metric values of the first seed (distributions, paired tests).
 * - `lists.json` — {@link ExperimentLists}: each model's top-K list per evaluated user of the first seed, the
 *                  user's relevant test items and the items' training popularity (popularity buckets, uploads).
 * - `pools.json` — {@link ExperimentPools}: each model's top-`pool` candidates with scores for a sample of users,
 *                  and the item vectors the harness uses for similarity (re-ranking lab: MMR sweeps offline).
 *
 * Versioning: `schema` is bumped on any incompatible change; new optional fields do not bump it.
 */
import { z } from 'zod';

export const EXPERIMENT_SCHEMA = 1 as const;

/** Mean, sample standard deviation (0 for one seed) and the value of every seed, in `seeds` order. */
export const metricSummarySchema = z.object({
  mean: z.number(),
  std: z.number(),
  perSeed: z.array(z.number()),
});
export type MetricSummary = z.infer<typeof metricSummarySchema>;

/** A paired comparison over users of one metric between this model and a reference model. */
export const significanceSchema = z.object({
  /** The model compared against (usually the best other model, or the one named by `--baseline`). */
  vs: z.string(),
  /** The test, e.g. `wilcoxon-signed-rank` or `paired-t`; the harness documents its choice. */
  test: z.string(),
  pValue: z.number(),
  /** Whether the difference is significant at `alpha` (after the harness's correction, if any). */
  significant: z.boolean(),
  alpha: z.number(),
  /** Mean per-user difference (this − vs). */
  delta: z.number(),
});
export type Significance = z.infer<typeof significanceSchema>;

export const experimentModelSchema = z.object({
  /** Display and lookup name, unique in the run: `ease`, `twotower`, `itemknn+mmr(0.7)`. */
  name: z.string().min(1),
  /** Model family for grouping: `baseline`, `cf-linear`, `mf`, `neural`, `graph`, `autoencoder`, `sequential`, `content`, `hybrid`, `external`. */
  family: z.string().optional(),
  /** Hyperparameters exactly as fitted (seeds excluded; they are in the run). */
  params: z.record(z.string(), z.unknown()),
  /** Keyed `<metric>@<k>` (`ndcg@10`) or a plain name for rating metrics (`rmse`, `mae`). */
  metrics: z.record(z.string(), metricSummarySchema),
  /** Keyed like `metrics`: significance of the difference to `vs`. */
  significance: z.record(z.string(), significanceSchema).optional(),
  fitSeconds: metricSummarySchema,
  evalSeconds: metricSummarySchema.optional(),
  /** Users evaluated (with at least one relevant target) in the first seed. */
  users: z.number().int().nonnegative(),
  /** Peak resident memory while fitting, in bytes, when measured. */
  peakRssBytes: z.number().optional(),
});
export type ExperimentModel = z.infer<typeof experimentModelSchema>;

export const experimentRunSchema = z.object({
  schema: z.literal(EXPERIMENT_SCHEMA),
  /** Folder name: `<UTC timestamp>-<kind>-<6 hex>`, sortable by time. */
  id: z.string().regex(/^[A-Za-z0-9._-]+$/),
  kind: z.enum(['eval', 'tune', 'upload', 'simulate']),
  /** Free-text label (`--name`, an upload's file name). */
  label: z.string().optional(),
  createdAt: z.string(),
  git: z.object({ commit: z.string().nullable(), dirty: z.boolean().nullable() }),
  argv: z.array(z.string()),
  node: z.string().optional(),
  dataset: z.object({
    name: z.string(),
    /** sha256 (hex) over the canonical interaction rows and item ids: equal fingerprints = same data. */
    fingerprint: z.string(),
    users: z.number().int().nonnegative(),
    items: z.number().int().nonnegative(),
    interactions: z.number().int().nonnegative(),
    meta: z.record(z.string(), z.unknown()).optional(),
  }),
  split: z.object({
    kind: z.string(),
    /** Which interactions count as relevant: every rating (`all`), or ratings ≥ a threshold. */
    positive: z.union([z.literal('all'), z.number()]),
    options: z.record(z.string(), z.unknown()),
    train: z.number().int().nonnegative(),
    valid: z.number().int().nonnegative(),
    test: z.number().int().nonnegative(),
    coldUsers: z.number().int().nonnegative(),
  }),
  ks: z.array(z.number().int().positive()),
  seeds: z.array(z.number().int()),
  models: z.array(experimentModelSchema),
  /** What the run tuned (kind `tune`): the search space, each trial's params and score, the chosen trial. */
  tuning: z
    .object({
      model: z.string(),
      objective: z.string(),
      space: z.record(z.string(), z.unknown()),
      trials: z.array(
        z.object({ params: z.record(z.string(), z.unknown()), score: z.number(), seconds: z.number().optional() }),
      ),
      best: z.number().int().nonnegative(),
    })
    .optional(),
  /** Free-form extra sections a producer adds (e.g. a simulator's learning curves); readers ignore unknown keys. */
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type ExperimentRun = z.infer<typeof experimentRunSchema>;

export const experimentUsersSchema = z.object({
  seed: z.number().int(),
  /** Dataset user ids (as in the dataset's own id column), in the order of every value array below. */
  users: z.array(z.string()),
  /** model name → metric key → one value per user. */
  models: z.record(z.string(), z.record(z.string(), z.array(z.number()))),
});
export type ExperimentUsers = z.infer<typeof experimentUsersSchema>;

export const experimentListsSchema = z.object({
  seed: z.number().int(),
  /** List length stored (the largest K of the run). */
  k: z.number().int().positive(),
  users: z.array(z.string()),
  /** Relevant test item ids per user, same order as `users`. */
  targets: z.array(z.array(z.string())),
  /** model name → one list of item ids per user (best first; shorter when fewer candidates). */
  models: z.record(z.string(), z.array(z.array(z.string()))),
  /** item id → number of distinct training users (popularity buckets, novelty). Items never seen are absent. */
  itemPopularity: z.record(z.string(), z.number().int().nonnegative()),
  /** Number of items in the catalog (coverage denominators). */
  nItems: z.number().int().positive(),
});
export type ExperimentLists = z.infer<typeof experimentListsSchema>;

export const experimentPoolsSchema = z.object({
  seed: z.number().int(),
  /** Candidates kept per user (the MMR pool). */
  pool: z.number().int().positive(),
  /** A sample of evaluated users (at most a few thousand), same order as every per-user array. */
  users: z.array(z.string()),
  targets: z.array(z.array(z.string())),
  models: z.record(z.string(), z.object({ items: z.array(z.array(z.string())), scores: z.array(z.array(z.number())) })),
  /** The similarity space used by the harness's MMR and ILD: item id → L2-normalised vector (only pooled items). */
  itemVectors: z.record(z.string(), z.array(z.number())),
  itemPopularity: z.record(z.string(), z.number().int().nonnegative()),
  nItems: z.number().int().positive(),
  nTrainUsers: z.number().int().positive(),
  /** Optional: display data of the pooled items (the dashboard's embedding map: hover text, colour by category). */
  itemMeta: z
    .record(
      z.string(),
      z.object({ title: z.string().optional(), category: z.string().optional(), source: z.string().optional() }),
    )
    .optional(),
  /** Optional: model name → item id → that model's own item embedding (e.g. the two-tower item tower), for the map. */
  modelItemVectors: z.record(z.string(), z.record(z.string(), z.array(z.number()))).optional(),
});
export type ExperimentPools = z.infer<typeof experimentPoolsSchema>;

/** A sortable, filesystem-safe run id: `2026-12-01T08-30-00Z-eval-1a2b3c`. */
export function experimentId(kind: ExperimentRun['kind'], at: Date, random: () => number = Math.random): string {
  const stamp = at
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z');
  const hex = Math.floor(random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
  return `${stamp}-${kind}-${hex}`;
}

/** Mean, sample standard deviation (n − 1; 0 when n < 2) and the values themselves. */
export function summarize(values: readonly number[]): MetricSummary {
  const n = values.length;
  const mean = n === 0 ? 0 : values.reduce((a, b) => a + b, 0) / n;
  const variance = n < 2 ? 0 : values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), perSeed: [...values] };
}
