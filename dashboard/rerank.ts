/**
 * The re-ranking lab: replays the bot's MMR (`mmr` from core/recommend.ts) over a run's stored candidate pools
 * (pools.json) at many λ, and measures each re-ranked top-K with the project's metrics (computeMetrics). The
 * relevance and similarity are scaled exactly as `/recommend` and the harness do: relevance = the model's score
 * min–max scaled over the user's pool, similarity = max(0, cosine) divided by the pool's largest pairwise cosine.
 * λ = 1 keeps the model's order. Exploration levels 0–3 are the bot's λ per level (`MMR_LAMBDA`); the random
 * exploration slots the bot adds at levels 2–3 are not replayed (they need the live catalog's categories).
 */
import type { ExperimentPools } from '../core/eval/experiment.js';
import { computeMetrics } from '../core/eval/metrics.js';
import { MMR_LAMBDA, mmr } from '../core/recommend.js';

export interface SweepOptions {
  k: number;
  /** Candidates per user MMR chooses from (≤ the stored pool). Default: the bot's pool for a list of K, max(8K, 40). */
  pool?: number;
  lambdas?: readonly number[];
  /** The bot's configured exploration level (RECO_DEFAULT_EXPLORE), marked on the curve. */
  currentLevel: number;
}

export interface SweepPoint {
  lambda: number;
  /** Exploration levels whose λ this is. */
  levels: number[];
  metrics: Record<string, number>;
}

export interface Sweep {
  model: string;
  k: number;
  pool: number;
  users: number;
  points: SweepPoint[];
  levels: { level: number; lambda: number }[];
  currentLevel: number;
  currentLambda: number;
}

export const DEFAULT_LAMBDAS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

/** Sweeps λ for one model of a run's pools. */
export function sweepMmr(pools: ExperimentPools, model: string, o: SweepOptions): Sweep {
  const m = pools.models[model];
  if (!m) throw new Error(`the run has no candidate pool for model "${model}"`);
  const k = o.k;
  const pool = Math.max(k, Math.min(pools.pool, o.pool ?? Math.max(8 * k, 40)));
  const lambdas = [...new Set([...(o.lambdas ?? DEFAULT_LAMBDAS), ...MMR_LAMBDA])].sort((a, b) => a - b);

  // Index the pooled items; vectors as one contiguous matrix.
  const index = new Map<string, number>();
  const ids: string[] = [];
  const idx = (id: string) => {
    let i = index.get(id);
    if (i === undefined) index.set(id, (i = ids.push(id) - 1));
    return i;
  };
  for (const list of m.items) for (const id of list.slice(0, pool)) idx(id);
  for (const t of pools.targets) for (const id of t) idx(id);
  const nItems = Math.max(pools.nItems, ids.length);
  const first = Object.values(pools.itemVectors)[0];
  const dim = first?.length ?? 0;
  const vectors = new Float32Array(nItems * dim);
  ids.forEach((id, i) => {
    const v = pools.itemVectors[id];
    if (v && v.length === dim) vectors.set(v, i * dim);
  });
  const counts = new Int32Array(nItems);
  for (const [id, c] of Object.entries(pools.itemPopularity)) {
    const i = index.get(id);
    if (i !== undefined) counts[i] = c;
  }

  // Per user: the pool (best first), relevance and the scaled similarity matrix, computed once for every λ.
  const users = pools.users.length;
  const prepared = pools.users.map((_, r) => {
    const items = (m.items[r] ?? []).slice(0, pool);
    const scores = (m.scores[r] ?? []).slice(0, pool);
    const order = items.map((_, j) => j).sort((a, b) => scores[b]! - scores[a]! || a - b);
    const rows = order.map((j) => idx(items[j]!));
    const sc = order.map((j) => scores[j]!);
    const n = rows.length;
    const hi = sc[0] ?? 0;
    const lo = sc[n - 1] ?? 0;
    const sim = new Float32Array(n * n);
    let simMax = 1e-9;
    for (let a = 0; a < n; a++)
      for (let b = a + 1; b < n; b++) {
        let d = 0;
        const oa = rows[a]! * dim;
        const ob = rows[b]! * dim;
        for (let t = 0; t < dim; t++) d += vectors[oa + t]! * vectors[ob + t]!;
        sim[a * n + b] = sim[b * n + a] = d;
        simMax = Math.max(simMax, d);
      }
    const rel = sc.map((s) => (hi > lo ? (s - lo) / (hi - lo) : 1));
    return { rows, rel, sim, simMax, n };
  });
  const relevant = pools.targets.map((t) => new Set(t.map((id) => index.get(id)!)));

  const points: SweepPoint[] = lambdas.map((lambda) => {
    const lists = new Int32Array(users * k).fill(-1);
    prepared.forEach((p, r) => {
      // Positions 0..n-1 stand for the pool's items; rel and sim look them up by position.
      const picked = mmr(
        Array.from({ length: p.n }, (_, j) => j),
        k,
        lambda,
        (j) => p.rel[j]!,
        (a, b) => Math.max(0, p.sim[a * p.n + b]!) / p.simMax,
      );
      picked.forEach((j, slot) => (lists[r * k + slot] = p.rows[j]!));
    });
    const metrics = computeMetrics({
      lists,
      width: k,
      relevant,
      ks: [k],
      nItems,
      ...(dim > 0 ? { itemVectors: vectors, dim } : {}),
      itemUserCounts: counts,
      nTrainUsers: pools.nTrainUsers,
    });
    return { lambda, levels: MMR_LAMBDA.flatMap((l, level) => (l === lambda ? [level] : [])), metrics };
  });
  const currentLevel = Math.max(0, Math.min(3, Math.round(o.currentLevel)));
  return {
    model,
    k,
    pool,
    users,
    points,
    levels: MMR_LAMBDA.map((lambda, level) => ({ level, lambda })),
    currentLevel,
    currentLambda: MMR_LAMBDA[currentLevel]!,
  };
}
