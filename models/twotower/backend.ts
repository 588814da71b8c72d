/**
 * TensorFlow.js for training in Node without the native binding (tfjs-node cannot install offline): the WebAssembly
 * backend, its .wasm files loaded from the package's dist directory by file path, with the pure-JS cpu backend as
 * the fallback. Gradients are registered by importing tfjs-layers.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

export type TfBackendName = 'wasm' | 'cpu';
export type Tf = typeof tf;

let ready: Promise<{ tf: Tf; backend: TfBackendName; note: string }> | undefined;

/**
 * Initialises tfjs once per process (the first call's preference wins).
 * `preferred` 'wasm' (default) falls back to 'cpu' when wasm fails; `note` says which backend runs and why, for the logs.
 */
export function initTf(preferred: TfBackendName = 'wasm'): Promise<{ tf: Tf; backend: TfBackendName; note: string }> {
  ready ??= (async () => {
    tf.env().set('PROD', true);
    if (preferred === 'wasm') {
      const before = { u: process.listeners('uncaughtException'), r: process.listeners('unhandledRejection') };
      try {
        const require = createRequire(import.meta.url);
        const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
        setWasmPaths(dist + path.sep);
        if (await tf.setBackend('wasm')) {
          await tf.ready();
          return { tf, backend: 'wasm' as const, note: `tfjs ${tf.version_core} on the wasm backend (${dist})` };
        }
        throw new Error('setBackend(wasm) returned false');
      } catch (e) {
        await tf.setBackend('cpu');
        return {
          tf,
          backend: 'cpu' as const,
          note: `tfjs ${tf.version_core} on the cpu backend (wasm failed: ${(e as Error).message})`,
        };
      } finally {
        // The emscripten glue re-throws every uncaught exception / unhandled rejection from its own listeners;
        // leave the process's error handling as it was.
        for (const l of process.listeners('uncaughtException'))
          if (!before.u.includes(l)) process.removeListener('uncaughtException', l);
        for (const l of process.listeners('unhandledRejection'))
          if (!before.r.includes(l)) process.removeListener('unhandledRejection', l);
      }
    }
    await tf.setBackend('cpu');
    return { tf, backend: 'cpu' as const, note: `tfjs ${tf.version_core} on the cpu backend (requested)` };
  })();
  return ready;
}
