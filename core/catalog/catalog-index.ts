/**
 * The catalog index: every recommendable item with its vectors in contiguous matrices and its columns (category,
 * source, language, popularity, recency, terms), built once per catalog version (`buildIndex`). Scoring reads a
 * `CatalogIndex` snapshot; `CatalogService` (core/catalog/catalog.ts) swaps them atomically.
 */
import { createHash } from 'node:crypto';
import { CATEGORIES, LANGS, type Category, type ContentItem } from '../domain.js';
import { terms as termsOf } from '../text.js';
import { topK } from '../vectors.js';
import type { AnnLayer } from './ann.js';

/** The text an encoder sees for an item. */
export function itemText(item: ContentItem): string {
  return [item.title, item.summary, ...(item.tags ?? [])].join(' \n');
}

/** The store namespace of an encoder's vector cache (store namespaces allow [A-Za-z0-9_.-], ≤ 64 chars). */
export function vectorNamespace(encoderId: string): string {
  const safe = encoderId.replace(/[^A-Za-z0-9_.-]/g, '_');
  return safe.length <= 56 ? `vec.${safe}` : `vec.${safe.slice(0, 35)}.${contentHash(encoderId).slice(0, 16)}`;
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export interface CatalogIndex {
  readonly version: string;
  readonly items: readonly ContentItem[];
  readonly rowOf: ReadonlyMap<string, number>;
  readonly textEncoderId: string;
  readonly textDim: number;
  /** rows × textDim, L2-normalised. */
  readonly text: Float32Array;
  readonly imageEncoderId?: string;
  readonly imageDim: number;
  /** rows × imageDim (zero rows for items without an image vector). */
  readonly image?: Float32Array;
  readonly hasImage: Uint8Array;
  readonly publishedMs: Float64Array;
  /** Source popularity as a percentile in [0, 1] within the item's source. */
  readonly sourcePopularity: Float32Array;
  /** Inverted index: content term → rows containing it. */
  readonly termRows: ReadonlyMap<string, Int32Array>;
  readonly categories: readonly Category[];
  readonly sources: readonly string[];
  /** Per row: the item's category as an index into `CATEGORIES` (scoring reads columns, not objects). */
  readonly categoryCode: Uint8Array;
  /** Per row: the item's source as an index into `sources`. */
  readonly sourceCode: Uint16Array;
  /** Per row: the item's language as an index into `LANGS`. */
  readonly langCode: Uint8Array;
  /** Per row: the item's ANN slot (stable while its text is unchanged). */
  readonly slots: Uint32Array;
  /** Rows with the best static prior (source popularity + recency at build time), best first: cold-start candidates. */
  readonly priorRows: Int32Array;
  /** Candidate generation over the text vectors (large catalogs only); exact scoring when absent. */
  readonly ann?: CandidateIndex;
  /** Content hash of each row's text (what its text vector was made from), so a rebuild can reuse rows. */
  readonly rowHashes?: readonly string[];
}

/** Approximate nearest rows of a catalog version. */
export interface CandidateIndex {
  readonly id: string;
  /** Up to `k` rows most similar to `q` (an L2-normalisable text query), best first. */
  nearest(q: Float32Array, k: number): Int32Array;
}

/** The content terms of one row (title, summary, tags), for evidence; computed on demand. */
export function rowTermsOf(index: CatalogIndex, row: number): Set<string> {
  return new Set(termsOf(itemText(index.items[row]!)));
}

function percentiles(items: readonly ContentItem[]): Float32Array {
  const n = items.length;
  const out = new Float32Array(n);
  // One raw value per row, then one sort of row numbers per source (no per-comparison closures over objects).
  const raw = new Float64Array(n);
  const bySource = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    const p = it.popularity;
    raw[i] =
      p.rank !== undefined
        ? -p.rank
        : Math.log1p((p.views ?? 0) + 20 * (p.likes ?? 0) + 50 * (p.comments ?? 0) + 100 * (p.viewers ?? 0));
    let list = bySource.get(it.source);
    if (!list) bySource.set(it.source, (list = []));
    list.push(i);
  }
  for (const rows of bySource.values()) {
    // Mid-rank percentiles: tied items get the same value.
    const sorted = Int32Array.from(rows).sort((a, b) => raw[a]! - raw[b]! || a - b);
    for (let k = 0; k < sorted.length;) {
      let j = k;
      while (j + 1 < sorted.length && raw[sorted[j + 1]!] === raw[sorted[k]!]) j++;
      const p = rows.length === 1 ? 0.5 : (k + j) / 2 / (rows.length - 1);
      for (let m = k; m <= j; m++) out[sorted[m]!] = p;
      k = j + 1;
    }
  }
  return out;
}

/** How many rows `priorRows` keeps. */
export const PRIOR_ROWS = 1000;

/** Rows by a static prior: source popularity percentile plus recency (3-day half-life at `nowMs`), best first. */
export function priorRowsOf(publishedMs: Float64Array, sourcePopularity: Float32Array, nowMs: number): Int32Array {
  const n = publishedMs.length;
  const prior = new Float32Array(n);
  const halfLife = 72 * 3_600_000;
  for (let i = 0; i < n; i++) {
    prior[i] = sourcePopularity[i]! + Math.pow(2, -Math.max(0, nowMs - publishedMs[i]!) / halfLife);
  }
  return Int32Array.from(topK(prior, Math.min(PRIOR_ROWS, n)));
}

/** The inverted index (content term → rows), built from the items' text. */
export function buildTermRows(items: readonly ContentItem[]): Map<string, Int32Array> {
  const termLists = new Map<string, number[]>();
  for (let row = 0; row < items.length; row++) {
    for (const t of new Set(termsOf(itemText(items[row]!)))) {
      let list = termLists.get(t);
      if (!list) termLists.set(t, (list = []));
      list.push(row);
    }
  }
  const termRows = new Map<string, Int32Array>();
  for (const [t, rows] of termLists) termRows.set(t, Int32Array.from(rows));
  return termRows;
}

export interface BuildIndexInput {
  items: readonly ContentItem[];
  textEncoderId: string;
  textDim: number;
  text: Float32Array;
  imageEncoderId?: string;
  imageDim?: number;
  image?: Float32Array;
  hasImage?: Uint8Array;
  rowHashes?: readonly string[];
  /** ANN slots per row (default: the row numbers). */
  slots?: Uint32Array;
  ann?: CandidateIndex;
  /** Columns already computed (a snapshot): skips recomputing them from the items. */
  precomputed?: {
    publishedMs: Float64Array;
    sourcePopularity: Float32Array;
    termRows: Map<string, Int32Array>;
    priorRows: Int32Array;
  };
  /** For `priorRows` recency (default: now). */
  nowMs?: number;
}

export function buildIndex(input: BuildIndexInput): CatalogIndex {
  const { items } = input;
  const n = items.length;
  const rowOf = new Map<string, number>();
  const sourceSet = new Set<string>();
  const categorySet = new Set<Category>();
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    rowOf.set(it.id, i);
    sourceSet.add(it.source);
    categorySet.add(it.category);
  }
  const sources = [...sourceSet].sort();
  const sourceIndex = new Map(sources.map((s, i) => [s, i]));
  const categoryIndex = new Map(CATEGORIES.map((c, i) => [c as string, i]));
  const categoryCode = new Uint8Array(n);
  const sourceCode = new Uint16Array(n);
  const langCode = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const it = items[i]!;
    categoryCode[i] = categoryIndex.get(it.category) ?? 0;
    sourceCode[i] = sourceIndex.get(it.source)!;
    langCode[i] = Math.max(0, LANGS.indexOf(it.lang));
  }
  const pre = input.precomputed;
  const publishedMs = pre?.publishedMs ?? Float64Array.from(items, (it) => Date.parse(it.publishedAt) || 0);
  const sourcePopularity = pre?.sourcePopularity ?? percentiles(items);
  const version = contentHash(
    `${input.textEncoderId}|${input.imageEncoderId ?? ''}|${n}|${items.map((i) => i.id).join(',')}`,
  );
  const base = {
    version,
    items,
    rowOf,
    textEncoderId: input.textEncoderId,
    textDim: input.textDim,
    text: input.text,
    imageDim: input.imageDim ?? 0,
    hasImage: input.hasImage ?? new Uint8Array(n),
    publishedMs,
    sourcePopularity,
    termRows: pre?.termRows ?? buildTermRows(items),
    categories: [...categorySet].sort(),
    sources,
    categoryCode,
    sourceCode,
    langCode,
    slots: input.slots ?? Uint32Array.from({ length: n }, (_, i) => i),
    priorRows: pre?.priorRows ?? priorRowsOf(publishedMs, sourcePopularity, input.nowMs ?? Date.now()),
    ...(input.ann ? { ann: input.ann } : {}),
    ...(input.rowHashes ? { rowHashes: input.rowHashes } : {}),
  };
  return input.image && input.imageEncoderId
    ? { ...base, image: input.image, imageEncoderId: input.imageEncoderId }
    : base;
}

/** The same index with another candidate generator (or none). */
export function withCandidates(index: CatalogIndex, ann: CandidateIndex | undefined): CatalogIndex {
  const { ann: _old, ...rest } = index;
  return ann ? { ...rest, ann } : rest;
}

/** A candidate generator for one index version: ANN slots mapped to that version's rows. */
export function candidateIndex(layer: AnnLayer, slots: Uint32Array): CandidateIndex {
  let max = 0;
  for (let i = 0; i < slots.length; i++) if (slots[i]! > max) max = slots[i]!;
  const rowOfSlot = new Int32Array(max + 1).fill(-1);
  for (let i = 0; i < slots.length; i++) rowOfSlot[slots[i]!] = i;
  return {
    id: layer.id,
    nearest(q, k) {
      const found = layer.search(q, k);
      const rows = new Int32Array(found.length);
      let m = 0;
      for (const slot of found) {
        // A slot from a newer version (an upsert raced this request) has no row here: skip it.
        const row = slot < rowOfSlot.length ? rowOfSlot[slot]! : -1;
        if (row >= 0) rows[m++] = row;
      }
      return rows.subarray(0, m);
    },
  };
}
