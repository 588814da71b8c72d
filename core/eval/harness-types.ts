/**
 * The harness's option and result shapes (`runHarness` in harness.ts, which re-exports them).
 */
import { type Recommender } from './baselines.js';
import { type InteractionDataset, type Positive } from './datasets.js';
import type { ModelResult } from './aggregate.js';
import { type SplitKind, type SplitOptions } from './splits.js';

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
