/**
 * Train → evaluate → (refit on everything) → save a versioned model directory with its ONNX towers.
 * Used by `npm run train` and by the bot's background retraining (`retrainFromFeedback`).
 */
import { MostPopularRecommender } from '../../core/eval/baselines.js';
import { buildInteractions, type InteractionDataset, type Interactions } from '../../core/eval/datasets.js';
import { evaluateRecommender } from '../../core/eval/harness.js';
import { makeSplit, type SplitKind } from '../../core/eval/splits.js';
import { saveModelDir } from './artifacts.js';
import { TwoTowerRecommender } from './recommender.js';
import { trainTwoTower, type TrainedTwoTower, type TrainOptions } from './train.js';

export interface TrainPipelineOptions {
  dataset: InteractionDataset;
  /** Where versioned model directories go (TWO_TOWER_DIR). */
  outDir: string;
  split?: SplitKind;
  seed?: number;
  k?: number;
  train?: TrainOptions;
  /** After early stopping picked the epoch count, train again on all rows for that many epochs. Default false. */
  refitOnAll?: boolean;
  log?: (message: string) => void;
  now?: Date;
}

export interface TrainPipelineResult {
  modelDir: string;
  trained: TrainedTwoTower;
  /** Test metrics of the model trained on the split's training rows, and of most-popular for reference. */
  test: Record<string, number>;
  popularTest: Record<string, number>;
}

export async function trainAndSave(o: TrainPipelineOptions): Promise<TrainPipelineResult> {
  const seed = o.seed ?? 42;
  const k = o.k ?? 10;
  const log = o.log ?? (() => {});
  const ds = o.dataset;
  const split = makeSplit(ds, o.split ?? 'random', { seed });
  const ctx = { dataset: ds, train: split.train, valid: split.valid, coldUsers: split.coldUsers, seed, k, log };
  const model = new TwoTowerRecommender(o.train ?? {});
  await model.fit(ctx);
  let trained = model.trained!;
  const test = (await evaluateRecommender(model, ds, split, { ks: [k] })).metrics;
  model.dispose();
  const pop = new MostPopularRecommender();
  pop.fit(ctx);
  const popularTest = (await evaluateRecommender(pop, ds, split, { ks: [k] })).metrics;
  log(
    `test ndcg@${k}: two-tower ${(test[`ndcg@${k}`] ?? 0).toFixed(4)} vs most-popular ${(popularTest[`ndcg@${k}`] ?? 0).toFixed(4)}`,
  );
  if (o.refitOnAll) {
    log(`refitting on all ${ds.interactions.length} rows for ${trained.bestEpoch} epochs`);
    const empty: Interactions = buildInteractions([], ds.items.length);
    trained = await trainTwoTower(
      { ...ctx, train: ds.interactions, valid: empty, coldUsers: new Int32Array(0) },
      { ...(o.train ?? {}), epochs: trained.bestEpoch },
    );
  }
  const modelDir = await saveModelDir(o.outDir, trained, {
    dataset: {
      name: ds.name,
      users: ds.users.length,
      items: ds.items.length,
      interactions: ds.interactions.length,
      meta: ds.meta,
    },
    metrics: { split: { kind: split.kind, ...split.options }, k, test, popularTest, refitOnAll: !!o.refitOnAll },
    ...(o.now ? { now: o.now } : {}),
  });
  log(`model written to ${modelDir}`);
  return { modelDir, trained, test, popularTest };
}
