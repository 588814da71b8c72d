/**
 * Mult-VAE (Liang et al. 2018, "Variational Autoencoders for Collaborative Filtering"): each user's training
 * positives x_u (a multi-hot row, L2-normalised, input dropout) are encoded to a Gaussian q(z|x) =
 * N(μ, diag σ²) through tanh layers; z is decoded to logits over all items and the loss is the multinomial
 * log-likelihood plus a β-weighted KL term, β annealed linearly from 0 to `betaMax` (the paper's 0.2):
 *   L = −Σ_i x_ui log softmax(f(z))_i + β · KL(q(z|x) ‖ N(0, I)).
 * At scoring time z = μ (no sampling). TensorFlow.js, Adam, seeded dropout and ε.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { FitContext, Recommender } from '../../core/eval/baselines.js';
import { createRng } from '../../core/eval/random.js';
import { indexByUser, itemsOf, type UserItemIndex } from '../../core/eval/ranking.js';
import { initTf, type Tf } from '../twotower/backend.js';
import { fastMatMul } from '../twotower/model.js';
import { loopSummary, trainLoop, type LoopResult } from './loop.js';
import { dropoutMask, filled, glorot, step, TfParams } from './tf-util.js';

export interface MultVaeOptions {
  hidden?: number;
  latent?: number;
  dropout?: number;
  betaMax?: number;
  /** Epochs over which β rises from 0 to `betaMax`. */
  annealEpochs?: number;
  lr?: number;
  batchSize?: number;
  maxEpochs?: number;
  patience?: number;
}

export class MultVaeRecommender implements Recommender {
  readonly name = 'multvae';
  readonly family = 'autoencoder';
  readonly options: Required<MultVaeOptions>;
  private tf: Tf | undefined;
  private mm: ((a: tfc.Tensor2D, b: tfc.Tensor2D) => tfc.Tensor2D) | undefined;
  private params: TfParams | undefined;
  private pos: UserItemIndex | undefined;
  private nItems = 0;
  private loop: LoopResult | undefined;

  constructor(o: MultVaeOptions = {}) {
    this.options = {
      hidden: o.hidden ?? 600,
      latent: o.latent ?? 200,
      dropout: o.dropout ?? 0.5,
      betaMax: o.betaMax ?? 0.2,
      annealEpochs: o.annealEpochs ?? 40,
      lr: o.lr ?? 1e-3,
      batchSize: o.batchSize ?? 128,
      maxEpochs: o.maxEpochs ?? 400,
      patience: o.patience ?? 6,
    };
  }

  /** `rows × items` L2-normalised multi-hot input of `users`. */
  private input(users: ArrayLike<number>): Float32Array {
    const n = this.nItems;
    const x = new Float32Array(users.length * n);
    for (let r = 0; r < users.length; r++) {
      const its = itemsOf(this.pos!, users[r]!);
      const w = its.length ? 1 / Math.sqrt(its.length) : 0;
      for (const i of its) x[r * n + i] = w;
    }
    return x;
  }

  private encode(x: tfc.Tensor2D): { mu: tfc.Tensor2D; logvar: tfc.Tensor2D } {
    const tf = this.tf!;
    const v = this.params!.v;
    const h = tf.tanh(tf.add(this.mm!(x, v.w1 as tfc.Tensor2D), v.b1!)) as tfc.Tensor2D;
    return {
      mu: tf.add(this.mm!(h, v.wMu as tfc.Tensor2D), v.bMu!) as tfc.Tensor2D,
      logvar: tf.add(this.mm!(h, v.wVar as tfc.Tensor2D), v.bVar!) as tfc.Tensor2D,
    };
  }

  private decode(z: tfc.Tensor2D): tfc.Tensor2D {
    const tf = this.tf!;
    const v = this.params!.v;
    const h = tf.tanh(tf.add(this.mm!(z, v.w2 as tfc.Tensor2D), v.b2!)) as tfc.Tensor2D;
    return tf.add(this.mm!(h, v.w3 as tfc.Tensor2D), v.b3!) as tfc.Tensor2D;
  }

  async fit(ctx: FitContext): Promise<void> {
    this.dispose();
    const { tf } = await initTf();
    this.tf = tf;
    this.mm = fastMatMul(tf);
    const o = this.options;
    const n = (this.nItems = ctx.dataset.items.length);
    const rng = createRng(ctx.seed * 1_000_003 + 53);
    this.pos = indexByUser(ctx.train, ctx.dataset.users.length, (s) => s === 1);
    this.params = new TfParams(tf, {
      w1: glorot(rng, n, o.hidden),
      b1: filled([o.hidden], 0),
      wMu: glorot(rng, o.hidden, o.latent),
      bMu: filled([o.latent], 0),
      wVar: glorot(rng, o.hidden, o.latent),
      bVar: filled([o.latent], 0),
      w2: glorot(rng, o.latent, o.hidden),
      b2: filled([o.hidden], 0),
      w3: glorot(rng, o.hidden, n),
      b3: filled([n], 0),
    });
    const optimizer = tf.train.adam(o.lr);
    const users: number[] = [];
    for (let u = 0; u < ctx.dataset.users.length; u++) if (itemsOf(this.pos, u).length) users.push(u);
    let epochNo = 0;
    try {
      this.loop = await trainLoop({
        ctx,
        name: this.name,
        maxEpochs: o.maxEpochs,
        patience: o.patience,
        evalEvery: 2,
        scorer: this,
        epoch: (e) => {
          epochNo = e;
          rng.shuffle(users);
          const beta = Math.min(o.betaMax, (o.betaMax * (epochNo - 1)) / Math.max(1, o.annealEpochs));
          let loss = 0;
          for (let s = 0; s < users.length; s += o.batchSize) {
            const batch = users.slice(s, s + o.batchSize);
            const b = batch.length;
            const raw = this.input(batch);
            // x (unnormalised multi-hot) for the likelihood; the encoder gets the normalised, dropped-out input
            const target = Float32Array.from(raw, (x) => (x > 0 ? 1 : 0));
            const mask = dropoutMask(rng, raw.length, o.dropout);
            const dropped = Float32Array.from(raw, (x, k) => x * mask[k]!);
            const eps = Float32Array.from({ length: b * o.latent }, () => rng.normal());
            loss +=
              b *
              step(tf, optimizer, this.params!, () => {
                const { mu, logvar } = this.encode(tf.tensor2d(dropped, [b, n]));
                const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.tensor2d(eps, [b, o.latent])));
                const logits = this.decode(z as tfc.Tensor2D);
                const nll = tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits), tf.tensor2d(target, [b, n])), 1)));
                const kl = tf.mean(
                  tf.sum(tf.mul(tf.sub(tf.add(tf.exp(logvar), tf.square(mu)), tf.add(logvar, 1)), 0.5), 1),
                );
                return tf.add(nll, tf.mul(kl, beta)) as tfc.Scalar;
              });
          }
          return loss / Math.max(1, users.length);
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
    const x = this.input(users);
    return tf.tidy(() => {
      const { mu } = this.encode(tf.tensor2d(x, [users.length, n]));
      return this.decode(mu).dataSync() as Float32Array;
    });
  }

  describe(): Record<string, unknown> {
    return { ...this.options, params: this.params?.count(), ...loopSummary(this.loop) };
  }

  dispose(): void {
    this.params?.dispose();
    this.params = undefined;
  }
}
