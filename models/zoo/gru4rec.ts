/**
 * GRU4Rec (Hidasi et al. 2016; the cross-entropy variant of Hidasi & Karatzoglou 2018 and RecBole): a GRU reads the
 * user's time-ordered positives (item embeddings, dropout); the hidden state after item t scores the next item
 * through the tied item embeddings, full softmax cross-entropy at every non-padding position. Left padding keeps the
 * state at zero (masked updates). Same scaffolding, training windows and scoring history as SASRec.
 *   z = σ(x W_z + h U_z + b_z),  r = σ(x W_r + h U_r + b_r),  ĥ = tanh(x W_h + (r ⊙ h) U_h + b_h),
 *   h' = (1 − z) ⊙ ĥ + z ⊙ h.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/eval/random.js';
import { SequenceRecommender } from './sasrec.js';
import { dropoutMask, filled, glorot, normal, type Init } from './tf-util.js';

export interface Gru4RecOptions {
  dim?: number;
  maxLen?: number;
  dropout?: number;
  lr?: number;
  batchSize?: number;
  maxEpochs?: number;
  patience?: number;
}

export class Gru4RecRecommender extends SequenceRecommender {
  readonly name = 'gru4rec';
  readonly options: Required<Gru4RecOptions>;
  protected readonly seqOptions: Required<Gru4RecOptions>;

  constructor(o: Gru4RecOptions = {}) {
    super();
    this.options = this.seqOptions = {
      dim: o.dim ?? 64,
      maxLen: o.maxLen ?? 50,
      dropout: o.dropout ?? 0.2,
      lr: o.lr ?? 2e-3,
      batchSize: o.batchSize ?? 128,
      maxEpochs: o.maxEpochs ?? 200,
      patience: o.patience ?? 5,
    };
  }

  protected init(rng: Rng, nItems: number): Record<string, Init> {
    const d = this.options.dim;
    const emb = normal(rng, [nItems + 1, d], 1 / Math.sqrt(d));
    emb.data.fill(0, 0, d);
    return {
      emb,
      wx: glorot(rng, d, 3 * d),
      bx: filled([3 * d], 0),
      wzr: glorot(rng, d, 2 * d),
      wh: glorot(rng, d, d),
    };
  }

  protected hidden(inputs: Int32Array, b: number, rng?: Rng): tfc.Tensor2D {
    const tf = this.tf!;
    const v = this.params!.v;
    const { dim: d, maxLen: L, dropout } = this.options;
    let x = this.gather!(v.emb!, tf.tensor1d(inputs, 'int32')) as tfc.Tensor2D;
    if (rng && dropout > 0)
      x = tf.mul(x, tf.tensor2d(dropoutMask(rng, b * L * d, dropout), [b * L, d])) as tfc.Tensor2D;
    const xw = tf.reshape(tf.add(this.mm!(x, v.wx as tfc.Tensor2D), v.bx!), [b, L, 3 * d]);
    const keep = Float32Array.from(inputs, (i) => (i > 0 ? 1 : 0));
    let h = tf.zeros([b, d]) as tfc.Tensor2D;
    const outs: tfc.Tensor2D[] = [];
    for (let t = 0; t < L; t++) {
      const xt = tf.reshape(tf.slice(xw, [0, t, 0], [b, 1, 3 * d]), [b, 3 * d]);
      const [xz, xr, xh] = tf.split(xt, 3, 1) as [tfc.Tensor2D, tfc.Tensor2D, tfc.Tensor2D];
      const [hz, hr] = tf.split(this.mm!(h, v.wzr as tfc.Tensor2D), 2, 1) as [tfc.Tensor2D, tfc.Tensor2D];
      const z = tf.sigmoid(tf.add(xz, hz));
      const r = tf.sigmoid(tf.add(xr, hr));
      const cand = tf.tanh(tf.add(xh, this.mm!(tf.mul(r, h) as tfc.Tensor2D, v.wh as tfc.Tensor2D)));
      const next = tf.add(tf.mul(tf.sub(1, z), cand), tf.mul(z, h));
      const m = tf.tensor2d(
        Float32Array.from({ length: b }, (_, r2) => keep[r2 * L + t]!),
        [b, 1],
      );
      h = tf.add(tf.mul(m, next), tf.mul(tf.sub(1, m), h)) as tfc.Tensor2D;
      outs.push(h);
    }
    let out = tf.reshape(tf.stack(outs, 1), [b * L, d]) as tfc.Tensor2D;
    if (rng && dropout > 0)
      out = tf.mul(out, tf.tensor2d(dropoutMask(rng, b * L * d, dropout), [b * L, d])) as tfc.Tensor2D;
    return out;
  }
}
