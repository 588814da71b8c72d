/**
 * Matrix factorisation, two ways:
 *
 * - **BPR-MF** (Rendle et al. 2009): score(u, i) = p_u·q_i + b_i, trained by SGD on the pairwise loss
 *   −ln σ(x_ui − x_uj) + λ(‖p_u‖² + ‖q_i‖² + ‖q_j‖²) over (user, positive, sampled negative) triples — one triple per
 *   training positive per epoch, negatives uniform over the items the user has no positive with.
 * - **SVD / biased MF** (Funk; Koren et al. 2009 — Surprise's `SVD`): r̂_ui = μ + b_u + b_i + q_iᵀp_u, SGD on the
 *   squared error of the explicit ratings with L2 (`lr` 0.005, `reg` 0.02, 100 factors, 20 epochs, init N(0, 0.1):
 *   Surprise's defaults). Predictions are clipped to the rating scale. In the top-N harness it ranks by r̂ (a rating
 *   model is not a ranking model: it scores what a user would rate highly, not what they would pick); its own
 *   metric is RMSE / MAE under 5-fold cross-validation (`crossValidateRatings`).
 *
 * Both are plain typed-array loops (a few multiply-adds per sample: faster than any tensor library call here).
 */
import type { FitContext, RatingRecommender, Recommender } from '../../core/eval/baselines.js';
import { createRng, type Rng } from '../../core/eval/random.js';
import { indexByUser, itemsOf, matmulABt } from '../../core/eval/ranking.js';
import { loopSummary, trainLoop, type LoopResult } from './loop.js';

function gaussian(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}

const contains = (sorted: Int32Array, x: number): boolean => {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m] === x) return true;
    if (sorted[m]! < x) lo = m + 1;
    else hi = m - 1;
  }
  return false;
};

/** Samples an item the user has no positive with (sorted `positives`); gives up after 50 tries. */
export function sampleNegative(rng: Rng, nItems: number, positives: Int32Array): number {
  let j = rng.int(nItems);
  for (let t = 0; t < 50 && contains(positives, j); t++) j = rng.int(nItems);
  return j;
}

export interface BprOptions {
  factors?: number;
  lr?: number;
  reg?: number;
  maxEpochs?: number;
  patience?: number;
}

export class BprMfRecommender implements Recommender {
  readonly name = 'bpr';
  readonly family = 'mf';
  private p: Float32Array = new Float32Array(0);
  private q: Float32Array = new Float32Array(0);
  private bias: Float32Array = new Float32Array(0);
  private nItems = 0;
  private loop: LoopResult | undefined;
  readonly options: Required<BprOptions>;

  constructor(o: BprOptions = {}) {
    this.options = {
      factors: o.factors ?? 64,
      lr: o.lr ?? 0.05,
      reg: o.reg ?? 0.03,
      maxEpochs: o.maxEpochs ?? 200,
      patience: o.patience ?? 5,
    };
  }

  async fit(ctx: FitContext): Promise<void> {
    const { factors: f, lr, reg } = this.options;
    const nUsers = ctx.dataset.users.length;
    const n = (this.nItems = ctx.dataset.items.length);
    const rng = createRng(ctx.seed * 1_000_003 + 11);
    this.p = gaussian(rng, nUsers * f, 0.1);
    this.q = gaussian(rng, n * f, 0.1);
    this.bias = new Float32Array(n);
    const pos = indexByUser(ctx.train, nUsers, (s) => s === 1);
    const rows: number[] = [];
    for (let r = 0; r < ctx.train.length; r++) if (ctx.train.signal[r] === 1) rows.push(r);
    const { user, item } = ctx.train;
    const { p, q, bias } = this;
    this.loop = await trainLoop({
      ctx,
      name: this.name,
      maxEpochs: this.options.maxEpochs,
      patience: this.options.patience,
      evalEvery: 2,
      scorer: this,
      epoch: () => {
        rng.shuffle(rows);
        let loss = 0;
        for (const r of rows) {
          const u = user[r]!;
          const i = item[r]!;
          const j = sampleNegative(rng, n, itemsOf(pos, u));
          const pu = u * f;
          const qi = i * f;
          const qj = j * f;
          let x = bias[i]! - bias[j]!;
          for (let k = 0; k < f; k++) x += p[pu + k]! * (q[qi + k]! - q[qj + k]!);
          const g = 1 / (1 + Math.exp(x)); // σ(−x)
          loss += Math.log1p(Math.exp(-x));
          for (let k = 0; k < f; k++) {
            const a = p[pu + k]!;
            const bi = q[qi + k]!;
            const bj = q[qj + k]!;
            p[pu + k] = a + lr * (g * (bi - bj) - reg * a);
            q[qi + k] = bi + lr * (g * a - reg * bi);
            q[qj + k] = bj + lr * (-g * a - reg * bj);
          }
          bias[i]! += lr * (g - reg * bias[i]!);
          bias[j]! += lr * (-g - reg * bias[j]!);
        }
        return loss / Math.max(1, rows.length);
      },
      snapshot: () => [p.slice(), q.slice(), bias.slice()],
      restore: ([a, b, c]) => {
        p.set(a!);
        q.set(b!);
        bias.set(c!);
      },
    });
  }

  scoreUsers(users: Int32Array): Float32Array {
    const f = this.options.factors;
    const pu = new Float32Array(users.length * f);
    users.forEach((u, r) => pu.set(this.p.subarray(u * f, (u + 1) * f), r * f));
    const out = matmulABt(pu, users.length, this.q, this.nItems, f);
    for (let r = 0; r < users.length; r++)
      for (let i = 0; i < this.nItems; i++) out[r * this.nItems + i]! += this.bias[i]!;
    return out;
  }

  describe(): Record<string, unknown> {
    return { ...this.options, negatives: 'uniform over non-positives', ...loopSummary(this.loop) };
  }
}

export interface SvdOptions {
  factors?: number;
  lr?: number;
  reg?: number;
  epochs?: number;
  initStd?: number;
  patience?: number;
}

/** A row's rating; rows without one (the bot's reactions) map their signal onto the 1–5 scale. */
const ratingOf = (rating: number, signal: number): number =>
  Number.isNaN(rating) ? (signal === 1 ? 5 : signal === -1 ? 1 : 3) : rating;

export class SvdRecommender implements RatingRecommender {
  readonly name = 'svd';
  readonly family = 'mf';
  private mu = 0;
  private bu: Float32Array = new Float32Array(0);
  private bi: Float32Array = new Float32Array(0);
  private p: Float32Array = new Float32Array(0);
  private q: Float32Array = new Float32Array(0);
  private nItems = 0;
  private lo = 1;
  private hi = 5;
  private loop: LoopResult | undefined;
  readonly options: Required<SvdOptions>;

  constructor(o: SvdOptions = {}) {
    this.options = {
      factors: o.factors ?? 100,
      lr: o.lr ?? 0.005,
      reg: o.reg ?? 0.02,
      epochs: o.epochs ?? 20,
      initStd: o.initStd ?? 0.1,
      patience: o.patience ?? 3,
    };
  }

  fit(ctx: FitContext): Promise<void> {
    return this.train(ctx, true);
  }

  fitRatings(ctx: FitContext): Promise<void> {
    return this.train(ctx, false);
  }

  /** SGD over the training ratings; with `earlyStop`, stops on the validation rows' RMSE (when they have ratings). */
  private async train(ctx: FitContext, earlyStop: boolean): Promise<void> {
    const { factors: f, lr, reg, initStd } = this.options;
    const nUsers = ctx.dataset.users.length;
    const n = (this.nItems = ctx.dataset.items.length);
    const rng = createRng(ctx.seed * 1_000_003 + 23);
    this.p = gaussian(rng, nUsers * f, initStd);
    this.q = gaussian(rng, n * f, initStd);
    this.bu = new Float32Array(nUsers);
    this.bi = new Float32Array(n);
    const t = ctx.train;
    const r = Float32Array.from(t.rating, (x, k) => ratingOf(x, t.signal[k]!));
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of r) {
      sum += x;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    this.mu = r.length ? sum / r.length : 0;
    this.lo = Number.isFinite(lo) ? Math.min(1, lo) : 1;
    this.hi = Number.isFinite(hi) ? Math.max(5, hi) : 5;
    const order = Int32Array.from({ length: t.length }, (_, k) => k);
    const { p, q, bu, bi } = this;
    const v = ctx.valid;
    const validRated = earlyStop && v.rating.some((x) => !Number.isNaN(x));
    this.loop = await trainLoop({
      ctx: earlyStop ? ctx : { ...ctx, valid: v.length ? { ...v, signal: new Int8Array(v.length) } : v },
      name: this.name,
      maxEpochs: this.options.epochs,
      patience: this.options.patience,
      scorer: this,
      ...(validRated
        ? {
            validate: () => {
              const pred = this.predictRatings(v.user, v.item);
              let se = 0;
              let m = 0;
              for (let k = 0; k < v.length; k++) {
                if (Number.isNaN(v.rating[k]!)) continue;
                se += (pred[k]! - v.rating[k]!) ** 2;
                m++;
              }
              return -Math.sqrt(se / Math.max(1, m));
            },
          }
        : {}),
      epoch: () => {
        rng.shuffle(order);
        let loss = 0;
        for (const k of order) {
          const u = t.user[k]!;
          const i = t.item[k]!;
          const pu = u * f;
          const qi = i * f;
          let dot = 0;
          for (let c = 0; c < f; c++) dot += p[pu + c]! * q[qi + c]!;
          const e = r[k]! - (this.mu + bu[u]! + bi[i]! + dot);
          loss += e * e;
          bu[u]! += lr * (e - reg * bu[u]!);
          bi[i]! += lr * (e - reg * bi[i]!);
          for (let c = 0; c < f; c++) {
            const a = p[pu + c]!;
            const b = q[qi + c]!;
            p[pu + c] = a + lr * (e * b - reg * a);
            q[qi + c] = b + lr * (e * a - reg * b);
          }
        }
        return Math.sqrt(loss / Math.max(1, order.length));
      },
      snapshot: () => [p.slice(), q.slice(), bu.slice(), bi.slice()],
      restore: ([a, b, c, d]) => {
        p.set(a!);
        q.set(b!);
        bu.set(c!);
        bi.set(d!);
      },
    });
  }

  predictRatings(users: Int32Array, items: Int32Array): Float32Array {
    const f = this.options.factors;
    const out = new Float32Array(users.length);
    for (let k = 0; k < users.length; k++) {
      const u = users[k]!;
      const i = items[k]!;
      let dot = 0;
      for (let c = 0; c < f; c++) dot += this.p[u * f + c]! * this.q[i * f + c]!;
      out[k] = Math.min(this.hi, Math.max(this.lo, this.mu + this.bu[u]! + this.bi[i]! + dot));
    }
    return out;
  }

  scoreUsers(users: Int32Array): Float32Array {
    const f = this.options.factors;
    const n = this.nItems;
    const pu = new Float32Array(users.length * f);
    users.forEach((u, r) => pu.set(this.p.subarray(u * f, (u + 1) * f), r * f));
    const out = matmulABt(pu, users.length, this.q, n, f);
    users.forEach((u, r) => {
      for (let i = 0; i < n; i++) out[r * n + i]! += this.mu + this.bu[u]! + this.bi[i]!;
    });
    return out;
  }

  describe(): Record<string, unknown> {
    return { ...this.options, ratingScale: [this.lo, this.hi], ...loopSummary(this.loop) };
  }
}
