/**
 * EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): a closed-form item–item linear model.
 * With X the binary user × item matrix of training positives and G = XᵀX + λI,
 *   B = I − P · diag(1 / diag(P)),  P = G⁻¹  (so diag(B) = 0),   score(u, ·) = x_u · B.
 * λ (`lambda`, default 250 as RecBole's `reg_weight`) is the only hyperparameter. Cost: O(|I|³) time and
 * O(|I|²) memory for the inverse (Cholesky in float64), then |I_u|·|I| per user to score. Above `maxItems`
 * (default 8000: a 512 MB float64 Gram matrix and minutes of CPU) it refuses rather than run out of memory.
 */
import type { FitContext, Recommender } from '../../core/eval/baselines.js';
import { indexByUser, itemsOf, type UserItemIndex } from '../../core/eval/ranking.js';
import { RecoError } from '../../core/errors.js';

/** Inverse of a symmetric positive-definite n×n matrix (row-major float64), by Cholesky: G = LLᵀ, G⁻¹ = L⁻ᵀL⁻¹. */
export function invertSpd(g: Float64Array, n: number): Float64Array {
  const l = g; // factor in place (lower triangle)
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = l[rj + j]!;
    for (let k = 0; k < j; k++) s -= l[rj + k]! * l[rj + k]!;
    if (!(s > 0)) throw new Error(`invertSpd: matrix is not positive definite at pivot ${j}`);
    const d = Math.sqrt(s);
    l[rj + j] = d;
    const inv = 1 / d;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let t = l[ri + j]!;
      for (let k = 0; k < j; k++) t -= l[ri + k]! * l[rj + k]!;
      l[ri + j] = t * inv;
    }
  }
  // M = L⁻¹ (lower), row by row: M_i = (e_i − Σ_{k<i} L_ik M_k) / L_ii
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < i; k++) {
      const a = l[ri + k]!;
      if (a === 0) continue;
      const rk = k * n;
      for (let c = 0; c <= k; c++) m[ri + c]! -= a * m[rk + c]!;
    }
    m[ri + i]! += 1;
    const inv = 1 / l[ri + i]!;
    for (let c = 0; c <= i; c++) m[ri + c]! *= inv;
  }
  // P = Mᵀ M: P_ij = Σ_k M_ki M_kj (lower triangle accumulated by rows of M, then mirrored)
  const p = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const a = m[rk + i]!;
      if (a === 0) continue;
      const ri = i * n;
      for (let c = 0; c <= i; c++) p[ri + c]! += a * m[rk + c]!;
    }
  }
  for (let i = 0; i < n; i++) for (let c = 0; c < i; c++) p[c * n + i] = p[i * n + c]!;
  return p;
}

export interface EaseOptions {
  lambda?: number;
  maxItems?: number;
}

export class EaseRecommender implements Recommender {
  readonly name = 'ease';
  readonly family = 'cf-linear';
  private b = new Float32Array(0);
  private n = 0;
  private likes: UserItemIndex | undefined;
  private readonly lambda: number;
  private readonly maxItems: number;

  constructor(o: EaseOptions = {}) {
    this.lambda = o.lambda ?? 250;
    this.maxItems = o.maxItems ?? 8000;
  }

  fit(ctx: FitContext): void {
    const n = (this.n = ctx.dataset.items.length);
    if (n > this.maxItems)
      throw new RecoError(
        'INPUT_INVALID',
        `ease: ${n} items is over its limit of ${this.maxItems} (an items × items inverse: ${((8 * n * n) / 2 ** 30).toFixed(1)} GiB and O(n³) time); leave ease out of --models for this dataset`,
      );
    this.likes = indexByUser(ctx.train, ctx.dataset.users.length, (s) => s === 1);
    const g = new Float64Array(n * n);
    for (let u = 0; u < ctx.dataset.users.length; u++) {
      const its = itemsOf(this.likes, u);
      for (let a = 0; a < its.length; a++) {
        const ra = its[a]! * n;
        for (let b = 0; b < its.length; b++) g[ra + its[b]!]!++;
      }
    }
    for (let i = 0; i < n; i++) g[i * n + i]! += this.lambda;
    const p = invertSpd(g, n);
    const b = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i * n + j] = i === j ? 0 : -p[i * n + j]! / p[j * n + j]!;
    this.b = b;
  }

  /** The learned item–item weights B (`items × items`, row i = what item i contributes). */
  get weights(): Float32Array {
    return this.b;
  }

  scoreUsers(users: Int32Array): Float32Array {
    const n = this.n;
    const out = new Float32Array(users.length * n);
    users.forEach((u, r) => {
      const o = r * n;
      for (const i of itemsOf(this.likes!, u)) {
        const row = i * n;
        for (let j = 0; j < n; j++) out[o + j]! += this.b[row + j]!;
      }
    });
    return out;
  }

  describe(): Record<string, unknown> {
    return { lambda: this.lambda };
  }
}
