/**
 * Scoring and re-ranking: candidates → score → MMR re-rank → evidence.
 *
 * score(i) = fused_sim(i, q)                          one mat-vec over the catalog, where
 *            q = w_p·persona + w_f·(liked − disliked) + w_t·topic   (centroids, L2-normalised)
 *            fused_sim = (1−w_img)·text_sim + w_img·image_sim for items with an image vector
 *          + w_t·keyword(topic terms)  + 0.15·keyword(persona interests) − 0.6·keyword(dislikes)
 *          + w_fresh·2^(−age/half-life) + w_pop·popularity prior + w_learned·two-tower(i)
 *          + 0.1·category preference + 0.05 per stated preference matched (source, format, language)
 *          − shown penalty;   items the user reacted to, or filtered out, are excluded.
 * The popularity prior blends the item's percentile within its source with a Bayesian weighted
 * rating of the bot's own reactions: (v/(v+m))·R + (m/(v+m))·C.
 */
import type { Category, Evidence, FeedbackState, Persona } from './domain.js';
import type { CatalogIndex } from './catalog/catalog.js';
import type { ShownState } from './users.js';
import { terms as termsOf } from './text.js';
import { axpy, centroid, dot, matVec, normalizeInPlace, topK } from './vectors.js';

export interface ScoringWeights {
  persona: number;
  feedback: number;
  topic: number;
  freshness: number;
  popularity: number;
  learned: number;
  /** Share of the image similarity in the fused content similarity (items with an image only). */
  image: number;
  shownPenalty: number;
  halfLifeHours: number;
}

/** At most this many rows estimate a similarity spread (every row when the catalog is smaller). */
export const SPREAD_SAMPLE = 2048;

/** A deterministic, evenly spread sample of row indices. */
export function sampleRows(n: number): Int32Array {
  if (n <= SPREAD_SAMPLE) return Int32Array.from({ length: n }, (_, i) => i);
  const step = n / SPREAD_SAMPLE;
  return Int32Array.from({ length: SPREAD_SAMPLE }, (_, i) => Math.floor(i * step));
}

/** Score units per standard deviation of content similarity. */
export const CONTENT_SCALE = 0.1;

/** In place: x ← scale·(x − mean)/std over the finite entries; all-equal input becomes 0. */
export function standardize(x: Float32Array, scale: number): Float32Array {
  let n = 0,
    sum = 0,
    sq = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) continue;
    n++;
    sum += v;
    sq += v * v;
  }
  if (n === 0) return x;
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
  const k = std > 1e-9 ? scale / std : 0;
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - mean) * k;
  return x;
}

/** MMR trade-off per exploration level 0..3: relevance weight λ. */
export const MMR_LAMBDA = [0.9, 0.7, 0.5, 0.3] as const;

export interface ItemStats {
  likes: Float32Array;
  dislikes: Float32Array;
}

export interface RankInput {
  index: CatalogIndex;
  persona: Persona;
  feedback: Record<string, FeedbackState>;
  shown: Record<string, ShownState>;
  explore: number;
  count: number;
  topic?: { text: string; vector?: Float32Array; imageVector?: Float32Array };
  category?: Category;
  source?: string;
  /** `index.text · textQuery(input).q`, when the caller computed it with faster matrix math (MatrixOps). */
  textScores?: Float32Array;
  /** Two-tower scores, one per catalog row. */
  learned?: Float32Array;
  stats?: ItemStats;
  now: Date;
  weights: ScoringWeights;
  /** Items never to return (e.g. a digest's already-sent items). */
  exclude?: ReadonlySet<string>;
  /** Only items published after this time (digest freshness). */
  publishedAfter?: Date;
  random?: () => number;
}

export interface Ranked {
  row: number;
  score: number;
  evidence: Evidence;
}

/**
 * The combined text query `q = w_p·persona + w_f·(liked − 0.8·disliked) + w_t·topic` (centroids L2-normalised),
 * so callers can run the catalog mat-vec with any `MatrixOps` and pass the result as `textScores`.
 */
export function textQuery(input: RankInput): {
  q: Float32Array;
  personaVec: Float32Array | undefined;
  likedC: Float32Array | undefined;
  dislikedC: Float32Array | undefined;
  liked: number[];
  disliked: number[];
} {
  const { index, persona, feedback, weights: w } = input;
  const dim = index.textDim;
  const rowsOf = (signal: 'like' | 'dislike') =>
    Object.values(feedback)
      .filter((f) => f.signal === signal)
      .map((f) => index.rowOf.get(f.itemId))
      .filter((r): r is number => r !== undefined);
  const liked = rowsOf('like');
  const disliked = rowsOf('dislike');
  const q = new Float32Array(dim);
  const personaVec =
    persona.vector && persona.encoderId === index.textEncoderId && persona.vector.length === dim
      ? Float32Array.from(persona.vector)
      : undefined;
  if (personaVec) axpy(q, personaVec, w.persona);
  const likedC = centroid(index.text, dim, liked.slice(-200));
  const dislikedC = centroid(index.text, dim, disliked.slice(-200));
  if (likedC) axpy(q, likedC, w.feedback);
  if (dislikedC) axpy(q, dislikedC, -w.feedback * 0.8);
  if (input.topic?.vector) axpy(q, input.topic.vector, w.topic);
  return { q, personaVec, likedC, dislikedC, liked, disliked };
}

/** Rows whose terms contain `term` (exact, or as a substring for terms of 2+ characters — Korean compounds). */
export function rowsMatching(index: CatalogIndex, term: string): Int32Array[] {
  const exact = index.termRows.get(term);
  const out: Int32Array[] = exact ? [exact] : [];
  if (Array.from(term).length >= 2) {
    for (const [t, rows] of index.termRows) if (t !== term && t.includes(term)) out.push(rows);
  }
  return out;
}

function termScores(index: CatalogIndex, list: readonly { term: string; weight: number }[]): Float32Array {
  const s = new Float32Array(index.items.length);
  for (const { term, weight } of list)
    for (const rows of rowsMatching(index, term)) for (const r of rows) s[r] = Math.max(s[r]!, weight);
  return s;
}

function matchedTerms(index: CatalogIndex, row: number, list: readonly string[]): string[] {
  const rowTerms = index.rowTerms[row]!;
  return list.filter((t) => {
    if (rowTerms.has(t)) return true;
    if (Array.from(t).length < 2) return false;
    for (const rt of rowTerms) if (rt.includes(t)) return true;
    return false;
  });
}

export function popularityPrior(index: CatalogIndex, stats: ItemStats | undefined): Float32Array {
  const n = index.items.length;
  const out = new Float32Array(n);
  let likes = 0,
    votes = 0;
  if (stats) {
    for (let i = 0; i < n; i++) {
      likes += stats.likes[i]!;
      votes += stats.likes[i]! + stats.dislikes[i]!;
    }
  }
  const C = votes > 0 ? likes / votes : 0.5;
  const m = 5;
  for (let i = 0; i < n; i++) {
    const l = stats?.likes[i] ?? 0;
    const v = l + (stats?.dislikes[i] ?? 0);
    const R = v > 0 ? l / v : C;
    const bayes = (v / (v + m)) * R + (m / (v + m)) * C;
    out[i] = 0.5 * index.sourcePopularity[i]! + 0.5 * bayes;
  }
  return out;
}

/** What kind of content each source carries, for stated format preferences ("I mostly watch videos"). */
export const SOURCE_FORMATS: Record<string, readonly string[]> = {
  youtube: ['video'],
  tiktok: ['video', 'short'],
  instagram: ['photo', 'short'],
  twitch: ['stream', 'live', 'video'],
  'naver-news': ['news', 'article'],
  'google-news': ['news', 'article'],
  clien: ['forum', 'community', 'post'],
  inven: ['forum', 'community', 'post', 'news'],
};

/** Bonus for a match with stated preferences. */
export const PREFERENCE_BONUS = 0.05;

/**
 * Small bonuses for items that match the preferences a user stated (read by the LLM from conversation):
 * preferred sources, formats (through `SOURCE_FORMATS`; RSS/OpenGraph sources count as articles) and
 * languages. Undefined when the persona states none.
 */
export function preferenceBonus(index: CatalogIndex, persona: Persona): Float32Array | undefined {
  const p = persona.preferences;
  if (!p || p.sources.length + p.formats.length + p.languages.length === 0) return undefined;
  const sources = p.sources.map((x) => x.toLowerCase());
  const formats = new Set(p.formats.map((x) => x.toLowerCase().replace(/s$/, '')));
  const langs = new Set(p.languages);
  const out = new Float32Array(index.items.length);
  index.items.forEach((it, i) => {
    let b = 0;
    const src = it.source.toLowerCase();
    if (sources.some((x) => src.includes(x) || x.includes(src))) b += PREFERENCE_BONUS;
    const kinds = SOURCE_FORMATS[src] ?? (src.startsWith('rss:') || src.startsWith('og:') ? ['article'] : []);
    if (kinds.some((k) => formats.has(k))) b += PREFERENCE_BONUS;
    if (langs.size > 0 && langs.has(it.lang)) b += PREFERENCE_BONUS;
    out[i] = b;
  });
  return out;
}

/** Everything the scoring pass computes that re-ranking and evidence reuse. */
export interface CatalogScores {
  /** One score per catalog row; `-Infinity` marks excluded rows. */
  score: Float32Array;
  pop: Float32Array;
  liked: number[];
  personaVec: Float32Array | undefined;
  likedC: Float32Array | undefined;
  dislikedC: Float32Array | undefined;
  /** Standard score of a row's similarity to the liked centroid (−∞ without likes). */
  likedZ: (row: number) => number;
  topicTerms: string[];
}

/**
 * Scores every catalog row for one user (steps 1–4 below): the full score vector, before re-ranking.
 * The offline evaluation uses it as the core content recommender.
 */
export function scoreCatalog(input: RankInput): CatalogScores {
  const { index, persona, feedback, weights: w, now } = input;
  const n = index.items.length;
  const dim = index.textDim;
  const nowMs = now.getTime();

  // 1. The combined query vector and one mat-vec over the catalog (text), and over images when present.
  const { q, personaVec, likedC, dislikedC, liked } = textQuery(input);
  const score =
    input.textScores && input.textScores.length === n
      ? Float32Array.from(input.textScores)
      : matVec(index.text, dim, q);
  // Similarity to the liked centroid over the catalog, standardised: "resembles what you liked" is
  // stated only where it stands out (z ≥ 1), whatever the encoder's similarity range.
  // The spread is estimated on a fixed sample of rows (not a second full mat-vec), and only the chosen
  // rows are scored against it below.
  let likedStats: { mean: number; std: number } | undefined;
  if (likedC) {
    const likedSet = new Set(liked);
    let k = 0,
      sum = 0,
      sq = 0;
    for (const r of sampleRows(n)) {
      if (likedSet.has(r)) continue; // the liked items themselves would dominate the spread
      const v = dot(index.text, likedC, r * dim, 0, dim);
      k++;
      sum += v;
      sq += v * v;
    }
    const mean = k > 0 ? sum / k : 0;
    likedStats = { mean, std: Math.sqrt(Math.max(0, (k > 0 ? sq / k : 0) - mean * mean)) };
  }
  const likedZ = (row: number) =>
    likedStats && likedC && likedStats.std > 1e-9
      ? (dot(index.text, likedC, row * dim, 0, dim) - likedStats.mean) / likedStats.std
      : -Infinity;

  if (index.image && index.imageDim > 0 && w.image > 0) {
    const idim = index.imageDim;
    const qi = new Float32Array(idim);
    const likedImg = liked.filter((r) => index.hasImage[r]);
    const li = centroid(index.image, idim, likedImg.slice(-200));
    if (li) axpy(qi, li, w.feedback);
    if (input.topic?.imageVector) axpy(qi, input.topic.imageVector, w.topic);
    if (li || input.topic?.imageVector) {
      const img = matVec(index.image, idim, qi);
      for (let i = 0; i < n; i++) if (index.hasImage[i]) score[i] = (1 - w.image) * score[i]! + w.image * img[i]!;
    }
  }

  // Standardise the content similarity over the catalog, so one standard deviation is worth
  // CONTENT_SCALE whatever the encoder's similarity range (lexical ≈ 0–0.3, SBERT ≈ 0.2–0.9).
  standardize(score, CONTENT_SCALE);

  // 2. Keyword terms (sparse, via the inverted index).
  const topicTerms = input.topic ? [...new Set(termsOf(input.topic.text))] : [];
  if (topicTerms.length > 0) {
    const hits = new Float32Array(n);
    for (const t of topicTerms) {
      const seen = new Set<number>();
      for (const rows of rowsMatching(index, t)) for (const r of rows) seen.add(r);
      for (const r of seen) hits[r]! += 1 / topicTerms.length;
    }
    axpy(score, hits, w.topic * 0.5);
  }
  const maxW = Math.max(1e-9, ...persona.interests.map((i) => i.weight));
  const interestList = persona.interests.slice(0, 20).map((i) => ({ term: i.term, weight: i.weight / maxW }));
  if (interestList.length > 0) axpy(score, termScores(index, interestList), 0.15 * (w.persona > 0 ? 1 : 0));
  const dislikeTerms = persona.dislikes.map((d) => ({ term: d.term, weight: 1 }));
  if (dislikeTerms.length > 0) axpy(score, termScores(index, dislikeTerms), -0.6);

  // 3. Freshness, popularity prior, the learned scorer, shown penalty, category preference.
  const pop = popularityPrior(index, input.stats);
  const halfLifeMs = w.halfLifeHours * 3_600_000;
  for (let i = 0; i < n; i++) {
    const age = index.items[i]!.dateUnknown ? Infinity : Math.max(0, nowMs - index.publishedMs[i]!); // no date: not fresh
    score[i]! += w.freshness * Math.pow(2, -age / halfLifeMs) + w.popularity * pop[i]!;
    const pref = persona.categories[index.items[i]!.category];
    if (pref !== undefined) score[i]! += 0.1 * pref;
  }
  const prefs = preferenceBonus(index, persona);
  if (prefs) axpy(score, prefs, 1);
  if (input.learned && input.learned.length === n) axpy(score, input.learned, w.learned);
  for (const [id, st] of Object.entries(input.shown)) {
    const r = index.rowOf.get(id);
    if (r !== undefined) score[r]! -= w.shownPenalty * Math.min(2, 1 + 0.5 * (st.count - 1));
  }

  // 4. Exclusions: anything the user reacted to (disliked items never come back), filters.
  for (const id of Object.keys(feedback)) {
    const r = index.rowOf.get(id);
    if (r !== undefined) score[r] = -Infinity;
  }
  if (input.exclude)
    for (const id of input.exclude) {
      const r = index.rowOf.get(id);
      if (r !== undefined) score[r] = -Infinity;
    }
  const after = input.publishedAfter?.getTime();
  if (input.category || input.source || after !== undefined) {
    for (let i = 0; i < n; i++) {
      const it = index.items[i]!;
      if (
        (input.category && it.category !== input.category) ||
        (input.source && it.source !== input.source) ||
        (after !== undefined && index.publishedMs[i]! < after)
      )
        score[i] = -Infinity;
    }
  }

  return { score, pop, liked, personaVec, likedC, dislikedC, likedZ, topicTerms };
}

/** Ranks the catalog for one user and returns `count` items with their evidence. */
export function rankItems(input: RankInput): Ranked[] {
  const { index, persona, weights: w, now } = input;
  const n = index.items.length;
  if (n === 0 || input.count <= 0) return [];
  const dim = index.textDim;
  const nowMs = now.getTime();
  const halfLifeMs = w.halfLifeHours * 3_600_000;
  const { score, pop, liked, personaVec, likedC, dislikedC, likedZ, topicTerms } = scoreCatalog(input);

  // 5. MMR re-rank over the top candidates, plus exploration slots at higher levels.
  const explore = Math.max(0, Math.min(3, Math.round(input.explore)));
  const poolSize = Math.min(n, Math.max(input.count * 8, 40));
  const pool = topK(score, poolSize);
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
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(score[i]!) || chosen.includes(i)) continue;
      const c = index.items[i]!.category;
      if (!likedCats.has(c) && !shownCats.has(c)) others.push(i);
    }
    others.sort(
      (a, b) =>
        pop[b]! +
        0.5 * Math.pow(2, -(nowMs - index.publishedMs[b]!) / halfLifeMs) -
        (pop[a]! + 0.5 * Math.pow(2, -(nowMs - index.publishedMs[a]!) / halfLifeMs)),
    );
    const top = others.slice(0, 20);
    while (chosen.length < input.count && top.length > 0) {
      const pick = top.splice(Math.floor(random() * top.length), 1)[0]!;
      if (chosen.some((r) => index.items[r]!.category === index.items[pick]!.category)) continue;
      chosen.push(pick);
      exploration.add(pick);
    }
    // Not enough distinct categories: fill from the pool.
    for (const r of pool) if (chosen.length < input.count && !chosen.includes(r)) chosen.push(r);
  }

  // 6. Evidence from the real scoring terms.
  const interestTerms = persona.interests.slice(0, 20).map((i) => i.term);
  return chosen.map((row) => {
    const it = index.items[row]!;
    const likedSimilar = (likedZ(row) >= 1 ? liked : [])
      .slice(-200)
      .map((lr) => ({
        itemId: index.items[lr]!.id,
        title: index.items[lr]!.title,
        similarity: dot(index.text, index.text, row * dim, lr * dim, dim),
      }))
      .filter((l) => l.similarity > 0.05)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, 2);
    const components: Record<string, number> = {
      persona: personaVec ? dot(index.text, personaVec, row * dim, 0, dim) : 0,
      liked: likedC ? dot(index.text, likedC, row * dim, 0, dim) : 0,
      disliked: dislikedC ? dot(index.text, dislikedC, row * dim, 0, dim) : 0,
      topic: input.topic?.vector ? dot(index.text, input.topic.vector, row * dim, 0, dim) : 0,
      freshness: Math.pow(2, -Math.max(0, nowMs - index.publishedMs[row]!) / halfLifeMs),
      popularity: pop[row]!,
      learned: input.learned?.[row] ?? 0,
      image:
        index.image && index.hasImage[row] && input.topic?.imageVector
          ? dot(index.image, input.topic.imageVector, row * index.imageDim, 0, index.imageDim)
          : 0,
      shown: input.shown[it.id]?.count ?? 0,
    };
    const evidence: Evidence = {
      itemId: it.id,
      title: it.title,
      category: it.category,
      source: it.source,
      likedSimilar,
      interests: matchedTerms(index, row, interestTerms).slice(0, 3),
      topicTerms: matchedTerms(index, row, topicTerms),
      likedCategory: (persona.categories[it.category] ?? 0) > 0.2,
      ageHours: Math.max(0, (nowMs - index.publishedMs[row]!) / 3_600_000),
      popular: index.sourcePopularity[row]! >= 0.8,
      exploration: exploration.has(row),
      components,
      score: Number.isFinite(score[row]!) ? score[row]! : 0,
    };
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

export { normalizeInPlace };
