/** Candidate generation for large catalogs: ANN nearest rows, keyword rows and popular recent rows. */
import { CATEGORIES } from '../../domain.js';
import type { CatalogIndex } from '../../catalog/catalog.js';
import { topK } from '../../vectors.js';
import { rowsMatching } from './terms.js';
import type { RankInput } from './types.js';

/**
 * Nearest rows asked from the ANN index per request. A trade-off measured by `bench:ann` at 1M × 384 (f16 HNSW,
 * 50 requests, a 5-item list): of exact scoring's items, the candidate path lists 43% with 300 candidates, 70%
 * with 1,000, 99% with 3,000, at rankItems p99 16.6, 19.1 and 27.9 ms (at 100k: 100% from 300 on). 1,000 keeps
 * the p99 inside 20 ms; the items it misses are high-freshness/popularity ones of middling content similarity.
 */
export const ANN_CANDIDATES = 1000;
/** At most this many rows per topic term join the candidates (the most popular and recent of them). */
export const KEYWORD_CANDIDATES = 2000;
/** Per persona interest (up to 20 of them): fewer, so a person with many interests does not score 40k rows. */
export const INTEREST_CANDIDATES = 300;

/** Rows for one term, at most `cap` of them (the best by source popularity and recency when there are more). */
function cappedRows(index: CatalogIndex, rows: Int32Array, cap: number, nowMs: number): Int32Array {
  if (rows.length <= cap) return rows;
  // The order moves with the clock only slowly (a 72 h half-life): kept per index version and posting list for
  // CAPPED_TTL_MS, so a common term at 1M items (~80k rows) is not re-ranked on every request.
  let memo = cappedMemo.get(index);
  if (!memo) cappedMemo.set(index, (memo = new Map()));
  const hit = memo.get(rows);
  if (hit && hit.cap === cap && Math.abs(nowMs - hit.at) < CAPPED_TTL_MS) return hit.rows;
  const prior = new Float32Array(rows.length);
  const halfLife = 72 * 3_600_000;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    prior[k] = index.sourcePopularity[r]! + Math.pow(2, -Math.max(0, nowMs - index.publishedMs[r]!) / halfLife);
  }
  const top = Int32Array.from(topK(prior, cap), (k) => rows[k]!);
  if (memo.size >= 1024) memo.clear();
  memo.set(rows, { at: nowMs, cap, rows: top });
  return top;
}
const CAPPED_TTL_MS = 10 * 60_000;
const cappedMemo = new WeakMap<CatalogIndex, Map<Int32Array, { at: number; cap: number; rows: Int32Array }>>();

/**
 * The rows to score when the index has an ANN candidate generator: the nearest rows to the query, the rows that
 * match topic and interest terms (keyword-only matches stay reachable), and the most popular recent rows (a
 * user with no signal yet). Undefined: score every row (small catalog, `mode: 'exact'`, or a filter that leaves
 * too few candidates).
 */
export function candidateRows(
  input: RankInput,
  q: Float32Array,
  topicTerms: readonly string[],
): Int32Array | undefined {
  const { index } = input;
  if (input.mode === 'exact' || !index.ann) return undefined;
  const nowMs = input.now.getTime();
  const seen = new Set<number>();
  let qn = 0;
  for (let i = 0; i < q.length; i++) qn += q[i]! * q[i]!;
  if (qn > 0) for (const r of index.ann.nearest(q, input.annCandidates ?? ANN_CANDIDATES)) seen.add(r);
  const terms = [
    ...topicTerms.map((term) => ({ term, cap: KEYWORD_CANDIDATES })),
    ...input.persona.interests.slice(0, 20).map((i) => ({ term: i.term, cap: INTEREST_CANDIDATES })),
  ];
  for (const { term, cap } of terms)
    for (const rows of rowsMatching(index, term)) for (const r of cappedRows(index, rows, cap, nowMs)) seen.add(r);
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
