/**
 * NeuMF (He et al. 2017, "Neural Collaborative Filtering"): a GMF branch (p_u ⊙ q_i) beside an MLP branch over
 * [p'_u ‖ q'_i] (ReLU layers), concatenated into one logit ŷ_ui = σ(hᵀ[GMF ‖ MLP]). Trained as pointwise
 * classification: binary cross-entropy on each training positive and `negatives` uniformly sampled non-positives
 * (the paper's 4), Adam. Scoring runs the network on every (user, item) pair — the expensive part of this family.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { FitContext, Recommender } from '../../core/eval/baselines.js';
import { createRng } from '../../core/eval/random.js';
import { indexByUser, itemsOf } from '../../core/eval/ranking.js';
import { initTf, type Tf } from '../twotower/backend.js';
import { fastMatMul } from '../twotower/model.js';
import { loopSummary, trainLoop, type LoopResult } from './loop.js';
import { sampleNegative } from './mf.js';
import { filled, glorot, makeGather, normal, step, TfParams, type Init } from './tf-util.js';

export interface NeuMfOptions {
  /** GMF and MLP embedding width. */
  dim?: number;
  /** MLP hidden widths (the first layer reads 2·dim). */
  layers?: number[];
  negatives?: number;
  lr?: number;
  batchSize?: number;
  maxEpochs?: number;
  patience?: number;
}

type Mm = (a: tfc.Tensor2D, b: tfc.Tensor2D) => tfc.Tensor2D;

export class NeuMfRecommender implements Recommender {
  readonly name = 'neumf';
  readonly family = 'neural';
  readonly options: Required<NeuMfOptions>;
  private tf: Tf | undefined;
  private mm: Mm | undefined;
  private gather: ((t: tfc.Tensor, i: tfc.Tensor) => tfc.Tensor) | undefined;
  private params: TfParams | undefined;
  private nItems = 0;
  private loop: LoopResult | undefined;

  constructor(o: NeuMfOptions = {}) {
    this.options = {
      dim: o.dim ?? 32,
      layers: o.layers ?? [64, 32, 16],
      negatives: o.negatives ?? 4,
      lr: o.lr ?? 2e-3,
      batchSize: o.batchSize ?? 2048,
      maxEpochs: o.maxEpochs ?? 100,
      patience: o.patience ?? 4,
    };
  }

  private logit(users: Int32Array, items: Int32Array): tfc.Tensor2D {
    const tf = this.tf!;
    const v = this.params!.v;
    const u = tf.tensor1d(users, 'int32');
    const i = tf.tensor1d(items, 'int32');
    const gmf = tf.mul(this.gather!(v.gmfU!, u), this.gather!(v.gmfI!, i)) as tfc.Tensor2D;
    let h = tf.concat([this.gather!(v.mlpU!, u), this.gather!(v.mlpI!, i)], 1) as tfc.Tensor2D;
    this.options.layers.forEach((_, k) => {
      h = tf.relu(tf.add(this.mm!(h, v[`w${k}`] as tfc.Tensor2D), v[`b${k}`]!)) as tfc.Tensor2D;
    });
    return tf.add(this.mm!(tf.concat([gmf, h], 1) as tfc.Tensor2D, v.out as tfc.Tensor2D), v.outB!) as tfc.Tensor2D;
  }

  async fit(ctx: FitContext): Promise<void> {
    this.dispose();
    const { tf } = await initTf();
    this.tf = tf;
    this.mm = fastMatMul(tf);
    this.gather = makeGather(tf);
    const o = this.options;
    const nUsers = ctx.dataset.users.length;
    const n = (this.nItems = ctx.dataset.items.length);
    const rng = createRng(ctx.seed * 1_000_003 + 89);
    const init: Record<string, Init> = {
      gmfU: normal(rng, [nUsers, o.dim], 0.01),
      gmfI: normal(rng, [n, o.dim], 0.01),
      mlpU: normal(rng, [nUsers, o.dim], 0.01),
      mlpI: normal(rng, [n, o.dim], 0.01),
    };
    let width = 2 * o.dim;
    o.layers.forEach((h, k) => {
      init[`w${k}`] = glorot(rng, width, h);
      init[`b${k}`] = filled([h], 0);
      width = h;
    });
    init.out = glorot(rng, o.dim + width, 1);
    init.outB = filled([1], 0);
    this.params = new TfParams(tf, init);
    const pos = indexByUser(ctx.train, nUsers, (s) => s === 1);
    const rows: number[] = [];
    for (let r = 0; r < ctx.train.length; r++) if (ctx.train.signal[r] === 1) rows.push(r);
    const optimizer = tf.train.adam(o.lr);
    const per = 1 + o.negatives;
    try {
      this.loop = await trainLoop({
        ctx,
        name: this.name,
        maxEpochs: o.maxEpochs,
        patience: o.patience,
        scorer: this,
        epoch: (_e, deadline) => {
          rng.shuffle(rows);
          let loss = 0;
          let batches = 0;
          const step0 = Math.max(1, Math.floor(o.batchSize / per));
          for (let s = 0; s < rows.length; s += step0) {
            if (performance.now() > deadline) break;
            const batch = rows.slice(s, s + step0);
            const m = batch.length * per;
            const us = new Int32Array(m);
            const is = new Int32Array(m);
            const ys = new Float32Array(m);
            batch.forEach((r, k) => {
              const u = ctx.train.user[r]!;
              us[k * per] = u;
              is[k * per] = ctx.train.item[r]!;
              ys[k * per] = 1;
              for (let j = 1; j < per; j++) {
                us[k * per + j] = u;
                is[k * per + j] = sampleNegative(rng, n, itemsOf(pos, u));
              }
            });
            loss += step(tf, optimizer, this.params!, () => {
              const z = this.logit(us, is);
              const y = tf.tensor2d(ys, [m, 1]);
              // BCE with logits: max(z,0) − z·y + log(1 + e^−|z|)
              return tf.mean(
                tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))),
              ) as tfc.Scalar;
            });
            batches++;
          }
          return loss / Math.max(1, batches);
        },
        snapshot: () => this.params!.snapshot(),
        restore: (s) => this.params!.restore(s),
      });
    } finally {
      optimizer.dispose();
    }
  }

  scoreUsers(users: Int32Array): Float32Array {
    const tf = this.tf!;
    const n = this.nItems;
    const out = new Float32Array(users.length * n);
    const chunk = Math.max(1, Math.floor(65536 / n));
    for (let s = 0; s < users.length; s += chunk) {
      const part = users.subarray(s, s + chunk);
      const us = new Int32Array(part.length * n);
      const is = new Int32Array(part.length * n);
      part.forEach((u, r) => {
        us.fill(u, r * n, (r + 1) * n);
        for (let i = 0; i < n; i++) is[r * n + i] = i;
      });
      out.set(
        tf.tidy(() => this.logit(us, is).dataSync() as Float32Array),
        s * n,
      );
    }
    return out;
  }

  describe(): Record<string, unknown> {
    return { ...this.options, params: this.params?.count(), ...loopSummary(this.loop) };
  }

  dispose(): void {
    this.params?.dispose();
    this.params = undefined;
  }
}
