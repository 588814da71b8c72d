/** The scoring pass (steps 1–4 of core/recommend.ts): the combined query and the full score vector. */
import { CATEGORIES } from '../../domain.js';
import { terms as termsOf } from '../../text.js';
import { axpy, centroid, dot, matVec } from '../../vectors.js';
import { candidateRows } from './candidates.js';
import { CONTENT_SCALE, sampleRows } from './normalize.js';
import { freshnessOf, popularityPrior, preferenceTable, subscribedTable } from './priors.js';
import { rowsMatching } from './terms.js';
import type { CatalogIndex } from '../../catalog/catalog.js';
import type { CatalogScores, RankInput } from './types.js';

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

/**
 * Scores the catalog for one user (steps 1–4 below): the full score vector, before re-ranking. With an ANN
 * candidate generator (large catalogs) only the candidates are scored, with the same terms; the others are −∞.
 * The offline evaluation uses it (exactly) as the core content recommender.
 */
export function scoreCatalog(input: RankInput): CatalogScores {
  const { index } = input;
  const topicTerms = input.topic ? [...new Set(termsOf(input.topic.text))] : [];

  // 1. The combined query vector, the rows to score, and the content similarity of each.
  const query = textQuery(input);
  const rows = candidateRows(input, query.q, topicTerms);
  if (!rows) return scoreRows(input, query, topicTerms, undefined, undefined);
  // Position of a row among the scored rows (−1: not scored): a table the index keeps for this, set for these
  // rows and cleared again before returning (scoring is synchronous; a keyword's posting list can be 100k rows
  // at 1M items, where a Map lookup per row was a large share of a request).
  const scratch = scratchOf(index);
  const table = scratch.pos;
  for (let k = 0; k < rows.length; k++) table[rows[k]!] = k;
  try {
    return scoreRows(input, query, topicTerms, rows, scratch);
  } finally {
    for (let k = 0; k < rows.length; k++) table[rows[k]!] = -1;
  }
}

/**
 * Per index, catalog-length buffers for candidate scoring: row positions (−1 outside the request), the score
 * vector (−∞ outside the rows last scored) and the popularity prior.
 */
interface Scratch {
  pos: Int32Array;
  score: Float32Array;
  pop: Float32Array;
  lastRows: Int32Array | undefined;
}
const scratches = new WeakMap<CatalogIndex, Scratch>();
function scratchOf(index: CatalogIndex): Scratch {
  const n = index.items.length;
  let t = scratches.get(index);
  if (!t || t.pos.length !== n) {
    t = {
      pos: new Int32Array(n).fill(-1),
      score: new Float32Array(n).fill(-Infinity),
      pop: new Float32Array(n),
      lastRows: undefined,
    };
    scratches.set(index, t);
  }
  return t;
}

/** Steps 1–4 over every row (`rows` undefined) or over the candidate rows, `pos[row]` their positions. */
function scoreRows(
  input: RankInput,
  query: ReturnType<typeof textQuery>,
  topicTerms: string[],
  rows: Int32Array | undefined,
  scratch: Scratch | undefined,
): CatalogScores {
  const { index, persona, feedback, weights: w, now } = input;
  const { q, personaVec, likedC, dislikedC, liked } = query;
  const n = index.items.length;
  const dim = index.textDim;
  const nowMs = now.getTime();
  const m = rows ? rows.length : n;
  const pos = scratch?.pos;
  const posOf = (row: number): number => (pos ? pos[row]! : row);
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
  const pop = popularityPrior(index, input.stats, rows, scratch?.pop);
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
  if (rows && scratch) {
    score = scratch.score;
    if (scratch.lastRows) for (const r of scratch.lastRows) score[r] = -Infinity;
    for (let k = 0; k < m; k++) score[rows[k]!] = s[k]!;
    scratch.lastRows = rows;
  }
  return { score, ...(rows ? { rows } : {}), pop, liked, personaVec, likedC, dislikedC, likedZ, topicTerms };
}
