/**
 * Small TensorFlow.js helpers the neural zoo models share: parameters created from the project's seeded RNG (so a
 * seed reproduces a run bit for bit on the wasm backend), a row gather whose gradient works on the wasm backend
 * (its Gather gradient needs UnsortedSegmentSum, which tfjs-backend-wasm lacks: ScatterNd sums duplicate rows
 * instead), dropout masks from the same RNG, and snapshot / restore for early stopping.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/eval/random.js';
import type { Tf } from '../twotower/backend.js';

export type Init = { shape: number[]; data: Float32Array };

export const glorot = (rng: Rng, fanIn: number, fanOut: number, shape = [fanIn, fanOut]): Init => {
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * lim) };
};
export const normal = (rng: Rng, shape: number[], std: number): Init => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: n }, () => rng.normal() * std) };
};
export const filled = (shape: number[], v: number): Init => ({
  shape,
  data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v),
});

/** Named trainable variables with snapshot / restore (early stopping) and dispose. */
export class TfParams {
  readonly v: Record<string, tfc.Variable> = {};
  constructor(
    private readonly tf: Tf,
    init: Record<string, Init>,
  ) {
    for (const [name, p] of Object.entries(init)) this.v[name] = tf.variable(tf.tensor(p.data, p.shape), true, name);
  }
  get list(): tfc.Variable[] {
    return Object.values(this.v);
  }
  snapshot(): Record<string, Float32Array> {
    return Object.fromEntries(Object.entries(this.v).map(([k, x]) => [k, Float32Array.from(x.dataSync())]));
  }
  restore(s: Record<string, Float32Array>): void {
    for (const [k, data] of Object.entries(s)) this.v[k]!.assign(this.tf.tensor(data, this.v[k]!.shape));
  }
  count(): number {
    return this.list.reduce((a, x) => a + x.size, 0);
  }
  dispose(): void {
    for (const x of this.list) x.dispose();
  }
}

/** `table[idx]` (rows) with a gradient that works on the wasm backend. */
export function makeGather(tf: Tf): (table: tfc.Tensor, idx: tfc.Tensor) => tfc.Tensor {
  const f = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => {
    const [table, idx, save] = args as [tfc.Tensor, tfc.Tensor, tfc.GradSaveFunc];
    save([idx]);
    const shape = table.shape;
    return {
      value: tf.gather(table, idx),
      gradFunc: (dy: tfc.Tensor, saved: tfc.Tensor[]) => {
        const ids = saved[0]!;
        const flat = tf.reshape(ids, [-1, 1]);
        const rows = tf.reshape(dy, [ids.size, shape[1]!]);
        return [tf.scatterND(flat, rows, shape), tf.zerosLike(ids)];
      },
    };
  });
  return (table, idx) => f(table, idx) as tfc.Tensor;
}

/** Inverted-dropout mask (0 or 1/(1−p)) of `n` values from the seeded RNG. */
export function dropoutMask(rng: Rng, n: number, p: number): Float32Array {
  const keep = 1 - p;
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.next() < keep ? 1 / keep : 0;
  return m;
}

/** One Adam step on `params` minimising `loss()`; returns the loss value. */
export function step(tf: Tf, optimizer: tfc.Optimizer, params: TfParams, loss: () => tfc.Scalar): number {
  const l = optimizer.minimize(loss, true, params.list);
  const value = l ? l.dataSync()[0]! : Number.NaN;
  l?.dispose();
  void tf;
  return value;
}
