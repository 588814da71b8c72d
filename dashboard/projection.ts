/**
 * Item vectors → 2-D map: UMAP (umap-js, seeded) for the layout and k-means (ml-kmeans, k-means++ seeded) on the
 * original vectors for clusters. `project` runs both in a worker thread, so a large map never blocks the server.
 */
import { Worker } from 'node:worker_threads';
import { kmeans } from 'ml-kmeans';
import { UMAP } from 'umap-js';
import { createRng } from '../core/eval/random.js';

export interface ProjectionJob {
  /** `n × dim`, row-major. */
  vectors: Float32Array;
  n: number;
  dim: number;
  /** k-means clusters (0 = none). */
  clusters: number;
  seed: number;
  nNeighbors?: number;
  minDist?: number;
  /** UMAP optimisation epochs (umap-js picks 200–500 by size when absent). */
  epochs?: number;
}

export interface ProjectionResult {
  /** `n × 2`. */
  coords: Float32Array;
  clusters: Int32Array;
}

const rows = (v: Float32Array, n: number, dim: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from(v.subarray(i * dim, (i + 1) * dim)));

/** The projection itself, in this thread. */
export function projectNow(job: ProjectionJob): ProjectionResult {
  const { n, dim } = job;
  const coords = new Float32Array(n * 2);
  const clusters = new Int32Array(n);
  if (n === 0) return { coords, clusters };
  const data = rows(job.vectors, n, dim);
  if (n < 4) {
    data.forEach((_, i) => ((coords[i * 2] = i), (coords[i * 2 + 1] = 0)));
  } else {
    const rng = createRng(job.seed);
    const umap = new UMAP({
      nComponents: 2,
      nNeighbors: Math.max(2, Math.min(job.nNeighbors ?? 15, n - 1)),
      minDist: job.minDist ?? 0.1,
      random: () => rng.next(),
      ...(job.epochs ? { nEpochs: job.epochs } : {}),
    });
    umap.fit(data).forEach(([x, y], i) => ((coords[i * 2] = x!), (coords[i * 2 + 1] = y!)));
  }
  const k = Math.min(job.clusters, n);
  if (k > 1)
    kmeans(data, k, { seed: job.seed, initialization: 'kmeans++', maxIterations: 100 }).clusters.forEach(
      (c, i) => (clusters[i] = c),
    );
  return { coords, clusters };
}

/** The projection in a worker thread (one per job; terminated when done). */
export function project(job: ProjectionJob): Promise<ProjectionResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./projection-worker.mjs', import.meta.url));
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.once('message', (m: { ok: true; result: ProjectionResult } | { ok: false; error: string }) =>
      finish(() => (m.ok ? resolve(m.result) : reject(new Error(`projection failed: ${m.error}`)))),
    );
    worker.once('error', (e) => finish(() => reject(e)));
    worker.once('exit', (code) => finish(() => reject(new Error(`projection worker exited with code ${code}`))));
    worker.postMessage(job, [job.vectors.buffer as ArrayBuffer]);
  });
}
