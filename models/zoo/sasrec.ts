/**
 * SASRec (Kang & McAuley 2018, "Self-Attentive Sequential Recommendation"): a causal Transformer over each user's
 * time-ordered positives. Input = item embedding · √d + learned position embedding (dropout); each block:
 *   Q = LN(x);  x = Q + softmax(Q W_q (x W_k)ᵀ / √d + causal mask + padding mask) · x W_v;
 *   x = x' + FFN(LN(x'))  (ReLU, dropout);   finally LN.
 * The output at position t predicts the item at t + 1 through the (tied) item embeddings; the loss is the full
 * softmax cross-entropy over all items at every non-padding position. A position attends only to itself and the
 * past (tests/eval/zoo.test.ts checks that a future item never changes a past position's output).
 * Scoring reads the last `maxLen` items of the user's history: training positives while fitting, training +
 * validation positives afterwards (RecBole's leave-one-out convention for sequential models).
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { FitContext, Recommender } from '../../core/eval/baselines.js';
import { createRng, type Rng } from '../../core/eval/random.js';
import { initTf, type Tf } from '../twotower/backend.js';
import { fastMatMul } from '../twotower/model.js';
import { loopSummary, trainLoop, type LoopResult } from './loop.js';
import { lastWindow, trainingWindows, userSequences } from './sequences.js';
import { dropoutMask, filled, glorot, makeGather, normal, step, TfParams, type Init } from './tf-util.js';

export interface SasRecOptions {
  dim?: number;
  maxLen?: number;
  blocks?: number;
  dropout?: number;
  lr?: number;
  batchSize?: number;
  maxEpochs?: number;
  patience?: number;
}

type Mm = (a: tfc.Tensor2D, b: tfc.Tensor2D) => tfc.Tensor2D;

/** A sequence model's shared scaffolding: sequences, item-logit scoring, the training loop on windows. */
export abstract class SequenceRecommender implements Recommender {
  abstract readonly name: string;
  readonly family = 'sequential';
  protected tf: Tf | undefined;
  protected mm: Mm | undefined;
  protected gather: ((t: tfc.Tensor, i: tfc.Tensor) => tfc.Tensor) | undefined;
  protected params: TfParams | undefined;
  protected nItems = 0;
  protected seqs: Int32Array[] = [];
  protected loop: LoopResult | undefined;
  protected abstract readonly seqOptions: {
    maxLen: number;
    dropout: number;
    lr: number;
    batchSize: number;
    maxEpochs: number;
    patience: number;
  };

  /** Parameter initialisation for `nItems` items. */
  protected abstract init(rng: Rng, nItems: number): Record<string, Init>;
  /** Hidden states `(b·L) × d` for left-padded inputs `b × L`; `rng` set = training (dropout). */
  protected abstract hidden(inputs: Int32Array, b: number, rng?: Rng): tfc.Tensor2D;

  /** Item logits `(rows) × nItems` from hidden states (tied item embeddings, padding row excluded). */
  protected logits(h: tfc.Tensor2D): tfc.Tensor2D {
    const tf = this.tf!;
    const items = tf.slice(this.params!.v.emb!, [1, 0], [this.nItems, -1]) as tfc.Tensor2D;
    return this.mm!(h, tf.transpose(items));
  }

  async fit(ctx: FitContext): Promise<void> {
    this.dispose();
    const { tf } = await initTf();
    this.tf = tf;
    this.mm = fastMatMul(tf);
    this.gather = makeGather(tf);
    const o = this.seqOptions;
    const L = o.maxLen;
    const n = (this.nItems = ctx.dataset.items.length);
    const nUsers = ctx.dataset.users.length;
    const rng = createRng(ctx.seed * 1_000_003 + 71);
    this.params = new TfParams(tf, this.init(rng, n));
    this.seqs = userSequences(nUsers, ctx.train);
    const w = trainingWindows(this.seqs, L);
    const order = Array.from({ length: w.count }, (_, k) => k);
    const optimizer = tf.train.adam(o.lr);
    try {
      this.loop = await trainLoop({
        ctx,
        name: this.name,
        maxEpochs: o.maxEpochs,
        patience: o.patience,
        scorer: this,
        epoch: (_e, deadline) => {
          rng.shuffle(order);
          let loss = 0;
          let batches = 0;
          for (let s = 0; s < order.length; s += o.batchSize) {
            if (performance.now() > deadline) break;
            const idx = order.slice(s, s + o.batchSize);
            const b = idx.length;
            const inputs = new Int32Array(b * L);
            const flatTargets: number[] = [];
            const rows: number[] = [];
            idx.forEach((k, r) => {
              inputs.set(w.inputs.subarray(k * L, (k + 1) * L), r * L);
              for (let t = 0; t < L; t++) {
                const y = w.targets[k * L + t]!;
                if (y > 0) {
                  rows.push(r * L + t);
                  flatTargets.push((r * L + t) * n + (y - 1));
                }
              }
            });
            if (!rows.length) continue;
            loss += step(tf, optimizer, this.params!, () => {
              const h = this.hidden(inputs, b, rng);
              const logp = tf.logSoftmax(this.logits(h));
              const picked = this.gather!(tf.reshape(logp, [-1, 1]), tf.tensor1d(flatTargets, 'int32'));
              return tf.neg(tf.mean(picked)) as tfc.Scalar;
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
    // after fitting, histories include the validation positives (the most recent items before the test item)
    this.seqs = userSequences(nUsers, ctx.train, ctx.valid);
  }

  /** Hidden state of each user's last position (deterministic). */
  userStates(users: ArrayLike<number>): tfc.Tensor2D {
    const tf = this.tf!;
    const L = this.seqOptions.maxLen;
    const inputs = new Int32Array(users.length * L);
    for (let r = 0; r < users.length; r++) lastWindow(this.seqs[users[r]!]!, L, inputs, r * L);
    const h = this.hidden(inputs, users.length);
    const d = h.shape[1];
    const idx = Int32Array.from({ length: users.length }, (_, r) => r * L + L - 1);
    return tf.reshape(tf.gather(h, tf.tensor1d(idx, 'int32')), [users.length, d]) as tfc.Tensor2D;
  }

  scoreUsers(users: Int32Array): Float32Array {
    const tf = this.tf!;
    return tf.tidy(() => this.logits(this.userStates(users)).dataSync() as Float32Array);
  }

  /** Hidden states of every position for explicit inputs (tests: the causal mask). */
  hiddenStates(inputs: Int32Array, b: number): Float32Array {
    return this.tf!.tidy(() => this.hidden(inputs, b).dataSync() as Float32Array);
  }

  describe(): Record<string, unknown> {
    return {
      ...this.seqOptions,
      loss: 'full softmax cross-entropy at every position',
      testHistory: 'train + valid',
      params: this.params?.count(),
      ...loopSummary(this.loop),
    };
  }

  dispose(): void {
    this.params?.dispose();
    this.params = undefined;
  }
}

export class SasRecRecommender extends SequenceRecommender {
  readonly name = 'sasrec';
  readonly options: Required<SasRecOptions>;
  protected readonly seqOptions: Required<SasRecOptions>;

  constructor(o: SasRecOptions = {}) {
    super();
    this.options = this.seqOptions = {
      dim: o.dim ?? 64,
      maxLen: o.maxLen ?? 50,
      blocks: o.blocks ?? 2,
      dropout: o.dropout ?? 0.2,
      lr: o.lr ?? 1e-3,
      batchSize: o.batchSize ?? 128,
      maxEpochs: o.maxEpochs ?? 200,
      patience: o.patience ?? 5,
    };
  }

  protected init(rng: Rng, nItems: number): Record<string, Init> {
    const d = this.options.dim;
    const p: Record<string, Init> = {
      emb: normal(rng, [nItems + 1, d], 1 / Math.sqrt(d)),
      pos: normal(rng, [this.options.maxLen, d], 1 / Math.sqrt(d)),
      lnfG: filled([d], 1),
      lnfB: filled([d], 0),
    };
    p.emb!.data.fill(0, 0, d); // padding row
    for (let k = 0; k < this.options.blocks; k++) {
      for (const w of ['wq', 'wk', 'wv', 'f1', 'f2']) p[`${w}${k}`] = glorot(rng, d, d);
      for (const b of ['fb1', 'fb2', 'ln1B', 'ln2B']) p[`${b}${k}`] = filled([d], 0);
      for (const g of ['ln1G', 'ln2G']) p[`${g}${k}`] = filled([d], 1);
    }
    return p;
  }

  private ln(x: tfc.Tensor2D, g: tfc.Tensor, b: tfc.Tensor): tfc.Tensor2D {
    const tf = this.tf!;
    const mean = tf.mean(x, 1, true);
    const c = tf.sub(x, mean);
    const v = tf.mean(tf.square(c), 1, true);
    return tf.add(tf.mul(tf.mul(c, tf.rsqrt(tf.add(v, 1e-8))), g), b) as tfc.Tensor2D;
  }

  protected hidden(inputs: Int32Array, b: number, rng?: Rng): tfc.Tensor2D {
    const tf = this.tf!;
    const v = this.params!.v;
    const { dim: d, maxLen: L, dropout } = this.options;
    const drop = (x: tfc.Tensor2D): tfc.Tensor2D =>
      rng && dropout > 0
        ? (tf.mul(x, tf.tensor2d(dropoutMask(rng, b * L * d, dropout), [b * L, d])) as tfc.Tensor2D)
        : x;
    const keep = tf.tensor2d(
      Float32Array.from(inputs, (x) => (x > 0 ? 1 : 0)),
      [b * L, 1],
    );
    const posIdx = Int32Array.from({ length: b * L }, (_, k) => k % L);
    let x = tf.add(
      tf.mul(this.gather!(v.emb!, tf.tensor1d(inputs, 'int32')), Math.sqrt(d)),
      this.gather!(v.pos!, tf.tensor1d(posIdx, 'int32')),
    ) as tfc.Tensor2D;
    x = tf.mul(drop(x), keep) as tfc.Tensor2D;
    // additive attention mask (b, L, L): −1e9 on future positions and on padding keys
    const mask = new Float32Array(b * L * L);
    for (let r = 0; r < b; r++)
      for (let q = 0; q < L; q++)
        for (let k = 0; k < L; k++) if (k > q || inputs[r * L + k] === 0) mask[(r * L + q) * L + k] = -1e9;
    const maskT = tf.tensor3d(mask, [b, L, L]);
    for (let k = 0; k < this.options.blocks; k++) {
      const q = this.ln(x, v[`ln1G${k}`]!, v[`ln1B${k}`]!);
      const Q = tf.reshape(this.mm!(q, v[`wq${k}`] as tfc.Tensor2D), [b, L, d]);
      const K = tf.reshape(this.mm!(x, v[`wk${k}`] as tfc.Tensor2D), [b, L, d]);
      const V = tf.reshape(this.mm!(x, v[`wv${k}`] as tfc.Tensor2D), [b, L, d]);
      const att = tf.softmax(tf.add(tf.div(tf.matMul(Q, tf.transpose(K, [0, 2, 1])), Math.sqrt(d)), maskT));
      const ctxv = tf.reshape(tf.matMul(att, V), [b * L, d]) as tfc.Tensor2D;
      x = tf.add(q, drop(ctxv)) as tfc.Tensor2D;
      const y = this.ln(x, v[`ln2G${k}`]!, v[`ln2B${k}`]!);
      const f = tf.add(
        this.mm!(
          drop(tf.relu(tf.add(this.mm!(y, v[`f1${k}`] as tfc.Tensor2D), v[`fb1${k}`]!)) as tfc.Tensor2D),
          v[`f2${k}`] as tfc.Tensor2D,
        ),
        v[`fb2${k}`]!,
      ) as tfc.Tensor2D;
      x = tf.mul(tf.add(y, drop(f)), keep) as tfc.Tensor2D;
    }
    return this.ln(x, v.lnfG!, v.lnfB!);
  }
}
