/** Runs a UMAP projection and k-means off the server's event loop (see `project` in projection.ts). */
import { parentPort } from 'node:worker_threads';
import { projectNow, type ProjectionJob } from './projection.js';

parentPort?.on('message', (job: ProjectionJob) => {
  try {
    const result = projectNow(job);
    parentPort!.postMessage({ ok: true, result }, [
      result.coords.buffer as ArrayBuffer,
      result.clusters.buffer as ArrayBuffer,
    ]);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).message });
  }
});
