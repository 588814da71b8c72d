/**
 * Every model the harness can run, by name: how to build it from hyperparameters, its family, the default
 * training budget that fits a MovieLens-100K-sized run on two cores, and the small search space
 * `npm run tune` samples from. `--models all` runs them in this order.
 */
import {
  ContentRecommender,
  ItemKnnRecommender,
  MostPopularRecommender,
  RandomRecommender,
  SegmentPopularityRecommender,
  type Recommender,
} from '../../core/eval/baselines.js';
import { CoreContentRecommender } from '../../core/eval/core-content.js';
import { TwoTowerRecommender } from '../twotower/recommender.js';
import type { TrainOptions } from '../twotower/train.js';
import { EaseRecommender } from './ease.js';
import { Gru4RecRecommender } from './gru4rec.js';
import { LightGcnRecommender } from './lightgcn.js';
import { BprMfRecommender, SvdRecommender } from './mf.js';
import { MultVaeRecommender } from './multvae.js';
import { NeuMfRecommender } from './neumf.js';
import { SasRecRecommender } from './sasrec.js';

/** A hyperparameter's search range: log-uniform, uniform integer, or a choice. */
export type ParamSpace =
  | { log: [number, number] }
  | { int: [number, number] }
  | { uniform: [number, number] }
  | { choice: readonly (number | string | boolean)[] };

export type Params = Record<string, number | string | boolean>;

export interface ModelSpec {
  family: string;
  /** One line for `--help` and the docs. */
  summary: string;
  make(params: Params): Recommender;
  /** Default `--budget` seconds for one fit (iterative models). */
  budget?: number;
  space: Record<string, ParamSpace>;
}

const num = (p: Params, k: string): number | undefined => (typeof p[k] === 'number' ? (p[k] as number) : undefined);
/** The defined entries of `o` (so absent hyperparameters fall back to each model's defaults). */
const pick = <T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };

export const MODELS = {
  random: {
    family: 'baseline',
    summary: 'uniform random scores (seeded)',
    make: () => new RandomRecommender(),
    space: {},
  },
  pop: {
    family: 'baseline',
    summary: 'most popular (training positives per item)',
    make: () => new MostPopularRecommender(),
    space: {},
  },
  segpop: {
    family: 'baseline',
    summary: 'attribute-segment popularity (naive-Bayes blend of age/gender/occupation segments)',
    make: (p) => new SegmentPopularityRecommender(num(p, 'smoothing') ?? 50, p.mode === 'mean' ? 'mean' : 'nb'),
    space: { smoothing: { log: [5, 500] }, mode: { choice: ['nb', 'mean'] } },
  },
  itemknn: {
    family: 'cf-neighbourhood',
    summary: 'item-KNN, cosine, neighbours pruned per scored item (RecBole)',
    make: (p) => new ItemKnnRecommender(num(p, 'neighbours') ?? 100, num(p, 'shrink') ?? 0),
    space: { neighbours: { int: [10, 400] }, shrink: { choice: [0, 10, 50, 100] } },
  },
  content: {
    family: 'content',
    summary: "the bot's own content scorer (core/recommend.ts scoreCatalog)",
    make: () => new CoreContentRecommender(),
    space: {},
  },
  'content-mean': {
    family: 'content',
    summary: 'cosine to the mean text vector of the user’s positives',
    make: () => new ContentRecommender(),
    space: {},
  },
  ease: {
    family: 'cf-linear',
    summary: 'EASE, closed-form item–item regression',
    make: (p) => new EaseRecommender(pick({ lambda: num(p, 'lambda') })),
    space: { lambda: { log: [20, 3000] } },
  },
  bpr: {
    family: 'mf',
    summary: 'BPR matrix factorisation (SGD, uniform negatives)',
    make: (p) => new BprMfRecommender(pick({ factors: num(p, 'factors'), lr: num(p, 'lr'), reg: num(p, 'reg') })),
    budget: 60,
    space: { factors: { choice: [32, 64, 128] }, lr: { log: [0.01, 0.1] }, reg: { log: [0.003, 0.1] } },
  },
  svd: {
    family: 'mf',
    summary: 'SVD / biased MF on explicit ratings (Surprise defaults), RMSE/MAE by 5-fold CV',
    make: (p) =>
      new SvdRecommender(
        pick({ factors: num(p, 'factors'), lr: num(p, 'lr'), reg: num(p, 'reg'), epochs: num(p, 'epochs') }),
      ),
    budget: 60,
    space: { factors: { choice: [20, 50, 100] }, lr: { log: [0.002, 0.02] }, reg: { log: [0.005, 0.1] } },
  },
  neumf: {
    family: 'neural',
    summary: 'NeuMF: GMF + MLP, BCE with 4 sampled negatives',
    make: (p) => new NeuMfRecommender(pick({ dim: num(p, 'dim'), lr: num(p, 'lr'), negatives: num(p, 'negatives') })),
    budget: 90,
    space: { dim: { choice: [16, 32, 64] }, lr: { log: [5e-4, 5e-3] }, negatives: { choice: [2, 4, 8] } },
  },
  multvae: {
    family: 'autoencoder',
    summary: 'Mult-VAE: multinomial likelihood, β-annealed KL',
    make: (p) =>
      new MultVaeRecommender(
        pick({ latent: num(p, 'latent'), hidden: num(p, 'hidden'), dropout: num(p, 'dropout'), lr: num(p, 'lr') }),
      ),
    budget: 90,
    space: {
      hidden: { choice: [200, 600] },
      latent: { choice: [64, 200] },
      dropout: { uniform: [0.2, 0.6] },
      lr: { log: [3e-4, 3e-3] },
    },
  },
  lightgcn: {
    family: 'graph',
    summary: 'LightGCN: embeddings smoothed over the user–item graph, BPR',
    make: (p) =>
      new LightGcnRecommender(
        pick({ layers: num(p, 'layers'), lr: num(p, 'lr'), reg: num(p, 'reg'), dim: num(p, 'dim') }),
      ),
    budget: 90,
    space: { layers: { choice: [1, 2, 3] }, lr: { log: [2e-3, 3e-2] }, reg: { log: [1e-5, 1e-3] } },
  },
  sasrec: {
    family: 'sequential',
    summary: 'SASRec: causal self-attention over the ordered history',
    make: (p) =>
      new SasRecRecommender(
        pick({ dim: num(p, 'dim'), blocks: num(p, 'blocks'), dropout: num(p, 'dropout'), lr: num(p, 'lr') }),
      ),
    budget: 120,
    space: { blocks: { choice: [1, 2] }, dropout: { uniform: [0.1, 0.5] }, lr: { log: [5e-4, 5e-3] } },
  },
  gru4rec: {
    family: 'sequential',
    summary: 'GRU4Rec: a GRU over the ordered history, cross-entropy',
    make: (p) => new Gru4RecRecommender(pick({ dim: num(p, 'dim'), dropout: num(p, 'dropout'), lr: num(p, 'lr') })),
    budget: 120,
    space: { dropout: { uniform: [0.1, 0.5] }, lr: { log: [5e-4, 5e-3] } },
  },
  twotower: {
    family: 'hybrid',
    summary: 'the bot’s two-tower model: id embeddings + content + persona, cold-start path',
    make: (p) => new TwoTowerRecommender(twoTowerOptions(p)),
    budget: 120,
    space: {
      lr: { log: [1e-3, 1e-2] },
      temperature: { log: [0.03, 0.3] },
      idDropout: { uniform: [0.1, 0.5] },
      dropout: { uniform: [0, 0.3] },
    },
  },
} satisfies Record<string, ModelSpec>;

export type ModelName = keyof typeof MODELS;
export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];

/** Two-tower training options from flat CLI / tuning parameters. */
export function twoTowerOptions(p: Params): TrainOptions {
  return pick({
    yieldBetweenBatches: false,
    epochs: num(p, 'epochs'),
    learningRate: num(p, 'lr'),
    temperature: num(p, 'temperature'),
    idDropout: num(p, 'idDropout'),
    loss: p.loss === 'triplet' ? ('triplet' as const) : p.loss === 'infonce' ? ('infonce' as const) : undefined,
    mineHardNegatives: typeof p.mine === 'boolean' ? p.mine : undefined,
    ...(num(p, 'dropout') !== undefined ? { sizes: { dropout: num(p, 'dropout')! } } : {}),
  }) as TrainOptions;
}
