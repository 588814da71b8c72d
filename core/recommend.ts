/**
 * Scoring and re-ranking: candidates → score → MMR re-rank → evidence.
 *
 * score(i) = fused_sim(i, q)                          one mat-vec over the catalog, where
 *            q = w_p·persona + w_f·(liked − disliked) + w_t·topic   (centroids, L2-normalised)
 *            fused_sim = (1−w_img)·text_sim + w_img·image_sim for items with an image vector
 *          + w_t·keyword(topic terms)  + 0.15·keyword(persona interests) − 0.6·keyword(dislikes)
 *          + w_fresh·2^(−age/half-life) + w_pop·popularity prior + w_learned·two-tower(i)
 *          + 0.1·category preference + 0.05 per stated preference matched (source, format, language)
 *          − shown penalty;   items the user reacted to, filtered out or muted (core/filters) are excluded.
 * The popularity prior blends the item's percentile within its source with a Bayesian weighted
 * rating of the bot's own reactions: (v/(v+m))·R + (m/(v+m))·C.
 */
import { CATEGORIES, LANGS, type Category, type Evidence, type FeedbackState, type Persona } from './domain.js';
import { rowTermsOf, type CatalogIndex } from './catalog/catalog.js';
import type { ShownState } from './users/doc.js';
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
  /** Hard filters (core/filters): true for a row that must never be returned, whatever its score. */
  muted?: (row: number) => boolean;
  random?: () => number;
  /**
   * `auto` (default): when the index has an ANN candidate generator, score only its candidates (plus keyword,
   * topic and popular rows); `exact`: score every row (the oracle).
   */
  mode?: 'auto' | 'exact';
  /** How many nearest rows the ANN contributes (default {@link ANN_CANDIDATES}). */
  annCandidates?: number;
  /**
   * Chooses the list from the scores instead of the MMR re-rank (the elicitation bandit, core/elicitation):
   * rows best first, and which of them were chosen to explore. Undefined (or no rows): the MMR list stands.
   */
  select?: (
    score: Float32Array,
    rows: Int32Array | undefined,
  ) => { rows: number[]; exploration: Set<number> } | undefined;
  /** Sources the subject subscribed to (`/subscribe`): {@link SUBSCRIBED_SOURCE_BONUS} for their items. */
  boostSources?: readonly string[];
}

/** The boost of an item from a source the subject subscribed to: about one σ of content similarity. */
export const SUBSCRIBED_SOURCE_BONUS = 0.1;

/** Nearest rows asked from the ANN index per request. */
export const ANN_CANDIDATES = 1000;
/** At most this many rows per keyword term join the candidates (the most popular and recent of them). */
export const KEYWORD_CANDIDATES = 2000;

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

/** Per index version: term → rows (exact and substring matches merged), so a term scans the vocabulary once. */
const termMemo = new WeakMap<CatalogIndex, Map<string, Int32Array>>();
const TERM_MEMO_MAX = 4096;

/** Rows whose terms contain `term` (exact, or as a substring for terms of 2+ characters — Korean compounds). */
export function rowsMatching(index: CatalogIndex, term: string): Int32Array[] {
  let memo = termMemo.get(index);
  if (!memo) termMemo.set(index, (memo = new Map()));
  let rows = memo.get(term);
  if (!rows) {
    const exact = index.termRows.get(term);
    const parts: Int32Array[] = exact ? [exact] : [];
    if (Array.from(term).length >= 2) {
      for (const [t, r] of index.termRows) if (t !== term && t.includes(term)) parts.push(r);
    }
    rows = parts.length === 1 ? parts[0]! : Int32Array.from(new Set(parts.flatMap((p) => Array.from(p))));
    if (memo.size >= TERM_MEMO_MAX) memo.clear();
    memo.set(term, rows);
  }
  return rows.length > 0 ? [rows] : [];
}

function matchedTerms(index: CatalogIndex, row: number, list: readonly string[]): string[] {
  if (list.length === 0) return [];
  const rowTerms = rowTermsOf(index, row);
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
  const sp = index.sourcePopularity;
  const m = 5;
  if (!stats) {
    // No reactions yet: the Bayesian term is the prior C = 0.5 everywhere.
    for (let i = 0; i < n; i++) out[i] = 0.5 * sp[i]! + 0.25;
    return out;
  }
  const { likes: L, dislikes: D } = stats;
  let likes = 0,
    votes = 0;
  for (let i = 0; i < n; i++) {
    likes += L[i]!;
    votes += L[i]! + D[i]!;
  }
  const C = votes > 0 ? likes / votes : 0.5;
  for (let i = 0; i < n; i++) {
    const l = L[i] ?? 0;
    const v = l + (D[i] ?? 0);
    const R = v > 0 ? l / v : C;
    out[i] = 0.5 * sp[i]! + 0.5 * ((v / (v + m)) * R + (m / (v + m)) * C);
  }
  return out;
}

/**
 * Freshness 2^(−age/half-life) as `min(1, c · f[i])` with `f[i] = 2^((published[i] − t0)/half-life)` computed once
 * per index version and half-life, and `c = 2^(−(now − t0)/half-life)` once per request: no `Math.pow` per row.
 * (`min(1, …)` is the clamp of a future publication time to age 0.)
 */
const freshMemo = new WeakMap<CatalogIndex, { halfLifeMs: number; t0: number; f: Float32Array }>();
function freshnessOf(index: CatalogIndex, halfLifeMs: number, nowMs: number): { c: number; f: Float32Array } {
  let memo = freshMemo.get(index);
  if (!memo || memo.halfLifeMs !== halfLifeMs) {
    const pm = index.publishedMs;
    const unknown = (i: number) => index.items[i]!.dateUnknown === true; // no date found: never fresh
    let t0 = 0;
    for (let i = 0; i < pm.length; i++) if (pm[i]! > t0 && !unknown(i)) t0 = pm[i]!;
    const f = new Float32Array(pm.length);
    for (let i = 0; i < pm.length; i++) f[i] = unknown(i) ? 0 : Math.pow(2, (pm[i]! - t0) / halfLifeMs);
    memo = { halfLifeMs, t0, f };
    freshMemo.set(index, memo);
  }
  return { c: Math.pow(2, -(nowMs - memo.t0) / halfLifeMs), f: memo.f };
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
  const table = preferenceTable(index, persona);
  if (!table) return undefined;
  const n = index.items.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = table.bySource[index.sourceCode[i]!]! + table.byLang[index.langCode[i]!]!;
  return out;
}

/** The preference bonus per source code and per language code (sources are few: one pass over them, not the items). */
function preferenceTable(
  index: CatalogIndex,
  persona: Persona,
): { bySource: Float32Array; byLang: Float32Array } | undefined {
  const p = persona.preferences;
  if (!p || p.sources.length + p.formats.length + p.languages.length === 0) return undefined;
  const sources = p.sources.map((x) => x.toLowerCase());
  const formats = new Set(p.formats.map((x) => x.toLowerCase().replace(/s$/, '')));
  const langs = new Set(p.languages);
  const bySource = new Float32Array(index.sources.length);
  index.sources.forEach((source, code) => {
    let b = 0;
    const src = source.toLowerCase();
    if (sources.some((x) => src.includes(x) || x.includes(src))) b += PREFERENCE_BONUS;
    const kinds = SOURCE_FORMATS[src] ?? (src.startsWith('rss:') || src.startsWith('og:') ? ['article'] : []);
    if (kinds.some((k) => formats.has(k))) b += PREFERENCE_BONUS;
    bySource[code] = b;
  });
  const byLang = Float32Array.from(LANGS, (l) => (langs.size > 0 && langs.has(l) ? PREFERENCE_BONUS : 0));
  return { bySource, byLang };
}

/** The subscription bonus per source code (exact source ids); undefined when none of them is in the catalog. */
function subscribedTable(index: CatalogIndex, sources: readonly string[] | undefined): Float32Array | undefined {
  if (!sources?.length) return undefined;
  const wanted = new Set(sources);
  const table = new Float32Array(index.sources.length);
  let any = false;
  index.sources.forEach((s, code) => {
    if (wanted.has(s)) {
      table[code] = SUBSCRIBED_SOURCE_BONUS;
      any = true;
    }
  });
  return any ? table : undefined;
}

/** Everything the scoring pass computes that re-ranking and evidence reuse. */
export interface CatalogScores {
  /** One score per catalog row; `-Infinity` marks excluded rows (and, with candidates, rows not scored). */
  score: Float32Array;
  /** The rows that were scored when candidate generation ran (ANN + keyword + popular rows); absent: every row. */
  rows?: Int32Array;
  pop: Float32Array;
  liked: number[];
  personaVec: Float32Array | undefined;
  likedC: Float32Array | undefined;
  dislikedC: Float32Array | undefined;
  /** Standard score of a row's similarity to the liked centroid (−∞ without likes). */
  likedZ: (row: number) => number;
  topicTerms: string[];
}

/** Rows for one term, at most `cap` of them (the best by source popularity and recency when there are more). */
function cappedRows(index: CatalogIndex, rows: Int32Array, cap: number, nowMs: number): ArrayLike<number> {
  if (rows.length <= cap) return rows;
  const prior = new Float32Array(rows.length);
  const halfLife = 72 * 3_600_000;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    prior[k] = index.sourcePopularity[r]! + Math.pow(2, -Math.max(0, nowMs - index.publishedMs[r]!) / halfLife);
  }
  return topK(prior, cap).map((k) => rows[k]!);
}

/**
 * The rows to score when the index has an ANN candidate generator: the nearest rows to the query, the rows that
 * match topic and interest terms (keyword-only matches stay reachable), and the most popular recent rows (a
 * user with no signal yet). Undefined: score every row (small catalog, `mode: 'exact'`, or a filter that leaves
 * too few candidates).
 */
function candidateRows(input: RankInput, q: Float32Array, topicTerms: readonly string[]): Int32Array | undefined {
  const { index } = input;
  if (input.mode === 'exact' || !index.ann) return undefined;
  const nowMs = input.now.getTime();
  const seen = new Set<number>();
  let qn = 0;
  for (let i = 0; i < q.length; i++) qn += q[i]! * q[i]!;
  if (qn > 0) for (const r of index.ann.nearest(q, input.annCandidates ?? ANN_CANDIDATES)) seen.add(r);
  const terms = [...topicTerms, ...input.persona.interests.slice(0, 20).map((i) => i.term)];
  for (const t of terms)
    for (const rows of rowsMatching(index, t))
      for (const r of Array.from(cappedRows(index, rows, KEYWORD_CANDIDATES, nowMs))) seen.add(r);
  for (const r of index.priorRows) seen.add(r);
  const after = input.publishedAfter?.getTime();
  const catCode = input.category ? CATEGORIES.indexOf(input.category) : -1;
  const srcCode = input.source ? index.sources.indexOf(input.source) : -1;
  if (input.source && srcCode < 0) return new Int32Array(0); // no such source: nothing passes the filter
  const out: number[] = [];
  for (const r of seen) {
    if (catCode >= 0 && index.categoryCode[r] !== catCode) continue;
    if (srcCode >= 0 && index.sourceCode[r] !== srcCode) continue;
    if (after !== undefined && index.publishedMs[r]! < after) continue;
    out.push(r);
  }
  // A narrow filter can leave too few candidates for a good list: then score every row.
  if ((input.category || input.source || after !== undefined) && out.length < Math.max(input.count * 8, 40))
    return undefined;
  return Int32Array.from(out).sort();
}

/**
 * Scores the catalog for one user (steps 1–4 below): the full score vector, before re-ranking. With an ANN
 * candidate generator (large catalogs) only the candidates are scored, with the same terms; the others are −∞.
 * The offline evaluation uses it (exactly) as the core content recommender.
 */
export function scoreCatalog(input: RankInput): CatalogScores {
  const { index, persona, feedback, weights: w, now } = input;
  const n = index.items.length;
  const dim = index.textDim;
  const nowMs = now.getTime();
  const topicTerms = input.topic ? [...new Set(termsOf(input.topic.text))] : [];

  // 1. The combined query vector, the rows to score, and the content similarity of each.
  const { q, personaVec, likedC, dislikedC, liked } = textQuery(input);
  const rows = candidateRows(input, q, topicTerms);
  const m = rows ? rows.length : n;
  // Position of a row among the scored rows (−1: not scored).
  let posMap: Map<number, number> | undefined;
  const posOf = (row: number): number => {
    if (!rows) return row;
    if (!posMap) posMap = new Map(Array.from(rows, (r, k) => [r, k]));
    return posMap.get(row) ?? -1;
  };
  let s: Float32Array;
  if (!rows) {
    s = input.textScores && input.textScores.length === n ? input.textScores.slice() : matVec(index.text, dim, q);
  } else {
    s = new Float32Array(m);
    for (let k = 0; k < m; k++) s[k] = dot(index.text, q, rows[k]! * dim, 0, dim);
  }
  // Similarity to the liked centroid, standardised: "resembles what you liked" is stated only where it stands
  // out (z ≥ 1), whatever the encoder's similarity range. The spread comes from a fixed sample of rows.
  const sample = sampleRows(n);
  let likedStats: { mean: number; std: number } | undefined;
  if (likedC) {
    const likedSet = new Set(liked);
    let k = 0,
      sum = 0,
      sq = 0;
    for (const r of sample) {
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

  // Image similarity fused in for rows with an image vector.
  let qi: Float32Array | undefined;
  if (index.image && index.imageDim > 0 && w.image > 0) {
    const idim = index.imageDim;
    const v = new Float32Array(idim);
    const li = centroid(index.image, idim, liked.filter((r) => index.hasImage[r]).slice(-200));
    if (li) axpy(v, li, w.feedback);
    if (input.topic?.imageVector) axpy(v, input.topic.imageVector, w.topic);
    if (li || input.topic?.imageVector) qi = v;
  }
  if (qi && index.image) {
    const idim = index.imageDim;
    const img = rows ? undefined : matVec(index.image, idim, qi);
    for (let k = 0; k < m; k++) {
      const r = rows ? rows[k]! : k;
      if (!index.hasImage[r]) continue;
      const sim = img ? img[r]! : dot(index.image, qi, r * idim, 0, idim);
      s[k] = (1 - w.image) * s[k]! + w.image * sim;
    }
  }

  // Standardise the content similarity by the catalog's spread (from the sample rows), so one standard deviation
  // is worth CONTENT_SCALE whatever the encoder's similarity range (lexical ≈ 0–0.3, SBERT ≈ 0.2–0.9).
  {
    let k = 0,
      sum = 0,
      sq = 0;
    for (const r of sample) {
      let v: number;
      const p = rows ? -1 : r;
      if (p >= 0) v = s[p]!;
      else {
        v = dot(index.text, q, r * dim, 0, dim);
        if (qi && index.image && index.hasImage[r])
          v = (1 - w.image) * v + w.image * dot(index.image, qi, r * index.imageDim, 0, index.imageDim);
      }
      if (!Number.isFinite(v)) continue;
      k++;
      sum += v;
      sq += v * v;
    }
    const mean = k > 0 ? sum / k : 0;
    const std = Math.sqrt(Math.max(0, (k > 0 ? sq / k : 0) - mean * mean));
    const scale = std > 1e-9 ? CONTENT_SCALE / std : 0;
    for (let j = 0; j < m; j++) s[j] = (s[j]! - mean) * scale;
  }

  // 2. Keyword terms (sparse, via the inverted index).
  const addRows = (list: Int32Array, value: number, mode: 'add' | 'max', into: Float32Array) => {
    for (const r of list) {
      const p = posOf(r);
      if (p < 0) continue;
      into[p] = mode === 'add' ? into[p]! + value : Math.max(into[p]!, value);
    }
  };
  if (topicTerms.length > 0) {
    const hits = new Float32Array(m);
    for (const t of topicTerms)
      for (const list of rowsMatching(index, t)) addRows(list, 1 / topicTerms.length, 'add', hits);
    axpy(s, hits, w.topic * 0.5);
  }
  const maxW = Math.max(1e-9, ...persona.interests.map((i) => i.weight));
  const interestList = persona.interests.slice(0, 20).map((i) => ({ term: i.term, weight: i.weight / maxW }));
  if (interestList.length > 0 && w.persona > 0) {
    const t = new Float32Array(m);
    for (const { term, weight } of interestList)
      for (const list of rowsMatching(index, term)) addRows(list, weight, 'max', t);
    axpy(s, t, 0.15);
  }
  if (persona.dislikes.length > 0) {
    const t = new Float32Array(m);
    for (const d of persona.dislikes) for (const list of rowsMatching(index, d.term)) addRows(list, 1, 'max', t);
    axpy(s, t, -0.6);
  }

  // 3. Freshness, popularity prior, the learned scorer, category and stated preferences (columns, no objects).
  const pop = popularityPrior(index, input.stats);
  const halfLifeMs = w.halfLifeHours * 3_600_000;
  const catPref = new Float32Array(CATEGORIES.length);
  CATEGORIES.forEach((c, i) => (catPref[i] = 0.1 * (persona.categories[c] ?? 0)));
  const prefs = preferenceTable(index, persona);
  const subscribed = subscribedTable(index, input.boostSources);
  const learned = input.learned && input.learned.length === n ? input.learned : undefined;
  const { c: freshNow, f: fresh } = freshnessOf(index, halfLifeMs, nowMs);
  for (let k = 0; k < m; k++) {
    const i = rows ? rows[k]! : k;
    let v =
      s[k]! +
      w.freshness * Math.min(1, freshNow * fresh[i]!) +
      w.popularity * pop[i]! +
      catPref[index.categoryCode[i]!]!;
    if (prefs) v += prefs.bySource[index.sourceCode[i]!]! + prefs.byLang[index.langCode[i]!]!;
    if (subscribed) v += subscribed[index.sourceCode[i]!]!;
    if (learned) v += w.learned * learned[i]!;
    s[k] = v;
  }
  for (const [id, st] of Object.entries(input.shown)) {
    const r = index.rowOf.get(id);
    const p = r === undefined ? -1 : posOf(r);
    if (p >= 0) s[p]! -= w.shownPenalty * Math.min(2, 1 + 0.5 * (st.count - 1));
  }

  // 4. Exclusions: anything the user reacted to (disliked items never come back), filters.
  const excludeId = (id: string) => {
    const r = index.rowOf.get(id);
    const p = r === undefined ? -1 : posOf(r);
    if (p >= 0) s[p] = -Infinity;
  };
  for (const id of Object.keys(feedback)) excludeId(id);
  if (input.exclude) for (const id of input.exclude) excludeId(id);
  const after = input.publishedAfter?.getTime();
  if (input.category || input.source || after !== undefined) {
    const catCode = input.category ? CATEGORIES.indexOf(input.category) : -1;
    const srcCode = input.source ? index.sources.indexOf(input.source) : -1;
    for (let k = 0; k < m; k++) {
      const i = rows ? rows[k]! : k;
      if (
        (catCode >= 0 && index.categoryCode[i] !== catCode) ||
        (input.source && index.sourceCode[i] !== srcCode) ||
        (after !== undefined && index.publishedMs[i]! < after)
      )
        s[k] = -Infinity;
    }
  }

  // Hard filters last, on the rows still in play: a muted row is never returned, in any mode.
  if (input.muted) {
    let removed = 0,
      left = 0;
    for (let k = 0; k < m; k++) {
      if (s[k] === -Infinity) continue;
      if (input.muted(rows ? rows[k]! : k)) {
        s[k] = -Infinity;
        removed++;
      } else left++;
    }
    // Mutes can empty the ANN candidates (a muted source that dominates them): then score every row.
    if (rows && removed > 0 && left < Math.max(input.count * 8, 40)) return scoreCatalog({ ...input, mode: 'exact' });
  }

  let score = s;
  if (rows) {
    score = new Float32Array(n).fill(-Infinity);
    for (let k = 0; k < m; k++) score[rows[k]!] = s[k]!;
  }
  return { score, ...(rows ? { rows } : {}), pop, liked, personaVec, likedC, dislikedC, likedZ, topicTerms };
}

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
 * The evidence of one row from a scoring pass (`scoreCatalog`): the facts explanations and "why?" may state.
 * `exploration`: the row was picked by the diversity re-ranker rather than by score alone.
 */
export function evidenceOf(
  input: RankInput,
  scores: Pick<
    CatalogScores,
    'score' | 'pop' | 'liked' | 'personaVec' | 'likedC' | 'dislikedC' | 'likedZ' | 'topicTerms'
  >,
  row: number,
  exploration: boolean,
): Evidence {
  const { index, persona, weights: w, now } = input;
  const { score, pop, liked, personaVec, likedC, dislikedC, likedZ, topicTerms } = scores;
  const dim = index.textDim;
  const nowMs = now.getTime();
  const halfLifeMs = w.halfLifeHours * 3_600_000;
  const interestTerms = persona.interests.slice(0, 20).map((i) => i.term);
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
  return {
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
    exploration,
    components,
    score: Number.isFinite(score[row]!) ? score[row]! : 0,
  };
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
