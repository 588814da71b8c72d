/**
 * Embedding off the chat path: a p-queue of batches with priorities (not a worker thread).
 *
 * Why a queue and not a worker: onnxruntime-node runs `session.run` on its own native thread pool, so inference
 * never blocks the event loop; what does run on the loop (tokenising, pooling) is small per batch. What makes a big
 * ingest delay a reply is waiting behind it — so ingest is cut into batches of EMBED_BATCH_SIZE, each a
 * low-priority job, with a macrotask yield between them, and chat-path requests (a topic, a persona) are
 * high-priority jobs that run next, ahead of every queued ingest batch. Concurrency 1 by default: parallel sessions on
 * a small machine only fight over the same cores (onnxruntime already uses ORT_INTRA_OP_THREADS of them), and a
 * worker thread would hold a second copy of every model in memory.
 */
import PQueue from 'p-queue';
import type { ImageEncoder, Logger, TextEncoder } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import type { EmbeddingCache } from './embedding-cache.js';

export const PRIORITY = { interactive: 10, ingest: 0 } as const;

export interface EmbedQueueOptions {
  /** Batches of ingest work (EMBED_BATCH_SIZE). Default 32. */
  batchSize?: number;
  /** Jobs running at once. Default 1. */
  concurrency?: number;
  logger?: Logger;
}

export interface IngestProgress {
  done: number;
  total: number;
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export class EmbedQueue {
  readonly batchSize: number;
  private readonly queue: PQueue;
  private readonly logger: Logger;

  constructor(options: EmbedQueueOptions = {}) {
    this.batchSize = options.batchSize ?? 32;
    this.queue = new PQueue({ concurrency: options.concurrency ?? 1 });
    this.logger = options.logger ?? silentLogger;
  }

  /** Queued + running jobs. */
  get pending(): number {
    return this.queue.size + this.queue.pending;
  }

  onIdle(): Promise<void> {
    return this.queue.onIdle();
  }

  /** Chat path: runs ahead of every queued ingest batch. */
  encodeInteractive(encoder: TextEncoder, texts: readonly string[]): Promise<Float32Array> {
    return this.queue.add(() => encoder.encode(texts), { priority: PRIORITY.interactive, throwOnTimeout: true });
  }

  /** CLIP text tower on the chat path (topic → image matching). */
  encodeInteractiveImageText(encoder: ImageEncoder, texts: readonly string[]): Promise<Float32Array> {
    if (!encoder.encodeText) return Promise.reject(new Error(`${encoder.id} has no text tower`));
    const encodeText = encoder.encodeText.bind(encoder);
    return this.queue.add(() => encodeText(texts), { priority: PRIORITY.interactive, throwOnTimeout: true });
  }

  /**
   * Ingest: texts in low-priority batches (through the cache when given). Resolves with the full matrix.
   * Use it for catalog upserts and for re-embedding with a new model in the background.
   */
  async ingestTexts(
    encoder: TextEncoder,
    texts: readonly string[],
    options: { cache?: EmbeddingCache; onProgress?: (p: IngestProgress) => void; signal?: AbortSignal } = {},
  ): Promise<Float32Array> {
    const dim = encoder.dim;
    const out = new Float32Array(texts.length * dim);
    let done = 0;
    const jobs: Promise<void>[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const slice = texts.slice(start, start + this.batchSize);
      const at = start;
      jobs.push(
        this.queue.add(
          async () => {
            await yieldToLoop();
            const vectors = options.cache
              ? (await options.cache.encodeTexts(encoder, slice)).vectors
              : await encoder.encode(slice);
            out.set(vectors, at * dim);
            done += slice.length;
            options.onProgress?.({ done, total: texts.length });
          },
          { priority: PRIORITY.ingest, throwOnTimeout: true, ...(options.signal ? { signal: options.signal } : {}) },
        ),
      );
    }
    await Promise.all(jobs);
    this.logger.debug({ encoder: encoder.id, count: texts.length }, 'ingest embedded');
    return out;
  }

  /** Ingest: images (encoded bytes) in low-priority batches. */
  async ingestImages(
    encoder: ImageEncoder,
    images: readonly Uint8Array[],
    options: { onProgress?: (p: IngestProgress) => void } = {},
  ): Promise<Float32Array> {
    const dim = encoder.dim;
    const out = new Float32Array(images.length * dim);
    let done = 0;
    const jobs: Promise<void>[] = [];
    for (let start = 0; start < images.length; start += this.batchSize) {
      const slice = images.slice(start, start + this.batchSize);
      const at = start;
      jobs.push(
        this.queue.add(
          async () => {
            await yieldToLoop();
            out.set(await encoder.encode(slice), at * dim);
            done += slice.length;
            options.onProgress?.({ done, total: images.length });
          },
          { priority: PRIORITY.ingest, throwOnTimeout: true },
        ),
      );
    }
    await Promise.all(jobs);
    return out;
  }
}
