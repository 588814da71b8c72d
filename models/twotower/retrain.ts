/**
 * Retraining from the bot's own feedback — the function the bot's background job calls.
 *
 * @example
 * const { modelDir } = await retrainFromFeedback({
 *   users: store.userDocs(),               // AsyncIterable<FeedbackUserDoc>
 *   items: catalog.items, itemVectors: { text: catalog.textVectors },
 *   modelsDir: config.TWO_TOWER_DIR,
 * });
 * await scorer.swap(modelDir);
 */
import type { ContentItem } from '../../core/domain.js';
import { datasetItemsFromContent, readFeedbackLog, type FeedbackUserDoc } from '../../core/eval/datasets.js';
import { RecoError } from '../../core/errors.js';
import { trainAndSave, type TrainPipelineResult } from './pipeline.js';
import type { TrainOptions } from './train.js';

export interface RetrainFromFeedbackOptions {
  users: AsyncIterable<FeedbackUserDoc>;
  /** The catalog the feedback refers to (feedback on other items is skipped). */
  items: readonly ContentItem[];
  /** Encoder vectors of `items`, row-major: text (`items.length × textDim`), optional image. */
  itemVectors: { text: Float32Array; image?: Float32Array };
  /** TWO_TOWER_DIR. */
  modelsDir: string;
  train?: TrainOptions;
  /** Fewer likes than this → RecoError DATASET_INVALID (nothing is written). Default 20. */
  minLikes?: number;
  seed?: number;
  now?: Date;
  freshnessHalfLifeHours?: number;
  log?: (message: string) => void;
}

export async function retrainFromFeedback(
  o: RetrainFromFeedbackOptions,
): Promise<TrainPipelineResult & { likes: number }> {
  const now = o.now ?? new Date();
  const items = datasetItemsFromContent(o.items, now, o.freshnessHalfLifeHours ?? 72);
  const n = Math.max(1, items.length);
  const imageDim = o.itemVectors.image ? o.itemVectors.image.length / n : 0;
  const ds = await readFeedbackLog(o.users, items, {
    itemText: o.itemVectors.text,
    textDim: o.itemVectors.text.length / n,
    ...(o.itemVectors.image && Number.isInteger(imageDim) ? { itemImage: o.itemVectors.image, imageDim } : {}),
  });
  let likes = 0;
  for (const s of ds.interactions.signal) if (s === 1) likes++;
  const minLikes = o.minLikes ?? 20;
  if (likes < minLikes) {
    throw new RecoError(
      'DATASET_INVALID',
      `Not enough feedback to train the two-tower model yet (${likes} likes, need ${minLikes})`,
      { details: { likes, minLikes } },
    );
  }
  const result = await trainAndSave({
    dataset: ds,
    outDir: o.modelsDir,
    split: 'random',
    seed: o.seed ?? 42,
    train: { yieldBetweenBatches: true, ...(o.train ?? {}) },
    refitOnAll: true,
    now,
    ...(o.log ? { log: o.log } : {}),
  });
  return { ...result, likes };
}
