/**
 * Worker-thread entry for retraining inside the bot: training is CPU-bound (tfjs), so it runs here,
 * off the event loop that serves chat replies. Receives the feedback log, items and vectors; replies
 * with the new model directory or an error message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ContentItem } from '../../core/domain.js';
import type { FeedbackUserDoc } from '../../core/eval/datasets.js';
import { retrainFromFeedback } from './retrain.js';
import type { TrainOptions } from './train.js';

export interface RetrainJob {
  users: FeedbackUserDoc[];
  items: ContentItem[];
  text: Float32Array;
  image?: Float32Array;
  modelsDir: string;
  minLikes: number;
  train?: TrainOptions;
  now: string;
}

export type RetrainReply =
  { ok: true; modelDir: string; likes: number } | { ok: false; code?: string; message: string };

async function run(job: RetrainJob): Promise<RetrainReply> {
  async function* users() {
    yield* job.users;
  }
  try {
    const r = await retrainFromFeedback({
      users: users(),
      items: job.items,
      itemVectors: job.image ? { text: job.text, image: job.image } : { text: job.text },
      modelsDir: job.modelsDir,
      minLikes: job.minLikes,
      now: new Date(job.now),
      ...(job.train
        ? { train: { ...job.train, yieldBetweenBatches: false } }
        : { train: { yieldBetweenBatches: false } }),
    });
    return { ok: true, modelDir: r.modelDir, likes: r.likes };
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return { ok: false, ...(err.code ? { code: err.code } : {}), message: err.message ?? String(e) };
  }
}

if (parentPort) {
  const port = parentPort;
  void run(workerData as RetrainJob).then((reply) => port.postMessage(reply));
}
