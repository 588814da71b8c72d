/** Ranking (steps 5–6 of core/recommend.ts): MMR re-rank of the scored pool, exploration slots, evidence. */
import { CATEGORIES } from '../../domain.js';
import { dot, topK } from '../../vectors.js';
import { evidenceOf } from './evidence.js';
import { scoreCatalog } from './score.js';
import type { Ranked, RankInput } from './types.js';

/** MMR trade-off per exploration level 0..3: relevance weight λ. */
export const MMR_LAMBDA = [0.9, 0.7, 0.5, 0.3] as const;

/** Ranks the catalog for one user and returns `count` items with their evidence. */
export function rankItems(input: RankInput): Ranked[] {
  const { index, persona, weights: w, now } = input;
  const n = index.items.length;
  if (n === 0 || input.count <= 0) return [];
  const dim = index.textDim;
  const nowMs = now.getTime();
  const halfLifeMs = w.halfLifeHours * 3_600_000;
  const { score, rows, pop, liked, personaVec, likedC, dislikedC, likedZ, topicTerms } = scoreCatalog(input);

  // 5. MMR re-rank over the top candidates, plus exploration slots at higher levels.
  const explore = Math.max(0, Math.min(3, Math.round(input.explore)));
  const poolSize = Math.min(n, Math.max(input.count * 8, 40));
  const pool = rows
    ? topK(
        Float32Array.from(rows, (r) => score[r]!),
        poolSize,
      ).map((k) => rows[k]!)
    : topK(score, poolSize);
  if (pool.length === 0) return [];
  const lambda = MMR_LAMBDA[explore]!;
  const lo = score[pool[pool.length - 1]!]!,
    hi = score[pool[0]!]!;
  const rel = (r: number) => (hi > lo ? (score[r]! - lo) / (hi - lo) : 1);
  const exploreSlots =
    explore >= 3 ? Math.max(1, Math.ceil(input.count / 3)) : explore === 2 && input.count >= 4 ? 1 : 0;
  const mmrCount = Math.min(pool.length, input.count - Math.min(exploreSlots, Math.max(0, input.count - 1)));
  // Similarities rescaled to the pool's own range, so λ means the same under any encoder.
  let simMax = 1e-9;
  const simCache = new Map<number, number>();
  const rawSim = (a: number, b: number) => {
    const key = a < b ? a * n + b : b * n + a;
    let v = simCache.get(key);
    if (v === undefined) simCache.set(key, (v = dot(index.text, index.text, a * dim, b * dim, dim)));
    return v;
  };
  for (let i = 0; i < pool.length; i++)
    for (let j = i + 1; j < pool.length; j++) simMax = Math.max(simMax, rawSim(pool[i]!, pool[j]!));
  const chosen = mmr(pool, mmrCount, lambda, rel, (a, b) => Math.max(0, rawSim(a, b)) / simMax);
  const exploration = new Set<number>();
  const rankOf = new Map(pool.map((r, k) => [r, k]));
  for (const r of chosen) if ((rankOf.get(r) ?? 0) >= input.count * 2) exploration.add(r);
  if (chosen.length < input.count) {
    const random = input.random ?? Math.random;
    const likedCats = new Set(
      Object.entries(persona.categories)
        .filter(([, v]) => (v ?? 0) > 0)
        .map(([c]) => c),
    );
    const shownCats = new Set(chosen.map((r) => index.items[r]!.category));
    const others: number[] = [];
    const chosenSet = new Set(chosen);
    for (let k = 0, m = rows ? rows.length : n; k < m; k++) {
      const i = rows ? rows[k]! : k;
      if (!Number.isFinite(score[i]!) || chosenSet.has(i)) continue;
      const c = CATEGORIES[index.categoryCode[i]!]!;
      if (!likedCats.has(c) && !shownCats.has(c)) others.push(i);
    }
    // The 20 best by popularity and freshness (one value per row, then a bounded top-k; no sort of every row).
    const value = Float32Array.from(
      others,
      (r) => pop[r]! + 0.5 * Math.pow(2, -(nowMs - index.publishedMs[r]!) / halfLifeMs),
    );
    const top = topK(value, 20).map((k) => others[k]!);
    while (chosen.length < input.count && top.length > 0) {
      const pick = top.splice(Math.floor(random() * top.length), 1)[0]!;
      if (chosen.some((r) => index.items[r]!.category === index.items[pick]!.category)) continue;
      chosen.push(pick);
      exploration.add(pick);
    }
    // Not enough distinct categories: fill from the pool.
    for (const r of pool) if (chosen.length < input.count && !chosen.includes(r)) chosen.push(r);
  }

  const picked = input.select?.(score, rows);
  if (picked && picked.rows.length > 0) {
    chosen.splice(0, chosen.length, ...picked.rows);
    exploration.clear();
    for (const r of picked.exploration) exploration.add(r);
  }

  // 6. Evidence from the real scoring terms.
  const scores = { score, pop, liked, personaVec, likedC, dislikedC, likedZ, topicTerms };
  return chosen.map((row) => {
    const evidence = evidenceOf(input, scores, row, exploration.has(row));
    return { row, score: evidence.score, evidence };
  });
}

/**
 * Maximal Marginal Relevance: repeatedly picks argmax λ·rel(i) − (1−λ)·max_{j∈S} sim(i, j).
 * `pool` must be sorted by relevance, best first.
 */
export function mmr(
  pool: readonly number[],
  k: number,
  lambda: number,
  rel: (row: number) => number,
  sim: (a: number, b: number) => number,
): number[] {
  const chosen: number[] = [];
  const maxSim = new Float64Array(pool.length).fill(-Infinity);
  const used = new Uint8Array(pool.length);
  while (chosen.length < Math.min(k, pool.length)) {
    let best = -1,
      bestVal = -Infinity;
    for (let p = 0; p < pool.length; p++) {
      if (used[p]) continue;
      const penalty = chosen.length === 0 ? 0 : maxSim[p]!;
      const v = lambda * rel(pool[p]!) - (1 - lambda) * penalty;
      if (v > bestVal) {
        bestVal = v;
        best = p;
      }
    }
    if (best < 0) break;
    used[best] = 1;
    const row = pool[best]!;
    chosen.push(row);
    for (let p = 0; p < pool.length; p++) if (!used[p]) maxSim[p] = Math.max(maxSim[p]!, sim(pool[p]!, row));
  }
  return chosen;
}
