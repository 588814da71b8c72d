/**
 * The live catalog: every recommendable item with its vectors in contiguous matrices, built once
 * per catalog version and swapped atomically. Scoring reads a `CatalogIndex` snapshot, so a request
 * in flight never sees half an update.
 */
import { createHash, randomUUID } from 'node:crypto';
import { CATEGORIES, LANGS, type Category, type ContentItem } from '../domain.js';
import type { ImageEncoder, KeyValueStore, Logger, TextEncoder } from '../ports.js';
import { terms as termsOf } from '../text.js';
import { bytesToVector, topK, vectorToBytes } from '../vectors.js';
import { AnnLayer, type VectorIndexFactory } from './ann.js';
import type { CatalogSnapshots, SnapshotData, SnapshotKey } from './snapshot.js';

export { NS_ITEMS, NS_META } from '../store/namespaces.js';
import { NS_ITEMS, NS_META } from '../store/namespaces.js';

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

/** Store namespace of the catalog change log (one entry per upsert/remove, read by other processes to catch up). */
export const NS_CATALOG_LOG = 'catalog.log';
/** How long change-log entries live; a snapshot older than this (less a day) is not caught up but rebuilt. */
export const CATALOG_LOG_TTL_MS = 7 * 86_400_000;
const EPOCH_KEY = 'catalog-epoch';
const SEED_KEY = 'catalog-seed';

interface LogEntry {
  upsert: string[];
  remove: string[];
}

/** A catalog seed file (the built-in catalog or `CATALOG_PATH`): a content hash, and its rows on demand. */
export interface CatalogSeed {
  /** Content hash of the whole file: an unchanged file is not even parsed. */
  hash: string;
  /** The rows, with one content hash per row (edits are found by row hash, not by row count). */
  load(): { items: ContentItem[]; rowHashes: readonly string[] };
}

/** Items given in code (tests, scripts) as a seed: hashed by their JSON. */
export function seedOfItems(items: readonly ContentItem[]): CatalogSeed {
  const rowHashes = items.map((it) => contentHash(JSON.stringify(it)));
  return { hash: contentHash(rowHashes.join(',')), load: () => ({ items: [...items], rowHashes }) };
}

/** What `syncSeed` changed. */
export interface SeedSync {
  unchanged: boolean;
  added: number;
  updated: number;
  retired: number;
}

/** Large-catalog settings (see the README's "Large catalogs"). */
export interface LargeCatalogOptions {
  /** ANN indexes (usearch). Without it every request scores the whole catalog exactly. */
  annFactory?: VectorIndexFactory;
  /** From this many items on, requests score ANN candidates instead of every row. */
  annMinItems?: number;
  /** Snapshot cache for warm restarts. */
  snapshots?: CatalogSnapshots;
  /** Rows changed since the last snapshot that trigger a new one (and an ANN rebuild). Default max(1000, 5% of rows). */
  snapshotEvery?: number;
  /** ANN vectors added per step of a background build (the event loop runs between steps). */
  annBuildBatch?: number;
  /** How often to catch up with changes other processes made (the store's change log); 0: never. */
  syncIntervalMs?: number;
}

export interface CatalogServiceOptions extends LargeCatalogOptions {
  store: KeyValueStore;
  text: TextEncoder;
  image?: ImageEncoder;
  /** Reads a thumbnail's bytes (a local path or a cached download); undefined when unavailable. */
  loadImage?: (item: ContentItem) => Promise<Uint8Array | undefined>;
  logger: Logger;
}

/**
 * Holds the items (in the store) and the current index (in memory). `upsert` stores new items,
 * embeds what is not cached and swaps in a new index; readers keep the snapshot they took.
 *
 * Every change is also written to a change log in the store, so other processes on the same store (and this
 * one after a restart from a snapshot) catch up by reading only the changed rows (`sync`).
 */
export class CatalogService {
  private current: CatalogIndex | undefined;
  private readonly listeners: ((index: CatalogIndex) => void | Promise<void>)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  /** The encoders the current index was built with (swapped together with it). */
  private enc: { text: TextEncoder; image?: ImageEncoder };
  private readonly o: CatalogServiceOptions;
  /** Change-log keys reflected in the current index. */
  private readonly applied = new Set<string>();
  private epoch: string | undefined;
  private nextSlot = 0;
  private ann: AnnLayer | undefined;
  /** Rows changed since the last snapshot was written (or loaded). */
  private dirty = 0;
  private annBuilding = false;
  private closed = false;

  constructor(options: CatalogServiceOptions) {
    this.o = options;
    this.enc = options.image ? { text: options.text, image: options.image } : { text: options.text };
  }

  /** The index together with the encoders that made it: queries must use the same encoders. */
  snapshot(): { index: CatalogIndex; text: TextEncoder; image?: ImageEncoder } {
    const { text, image } = this.enc;
    return image ? { index: this.index, text, image } : { index: this.index, text };
  }

  /**
   * Re-embeds the catalog with other encoders (a model change) and then swaps encoders and index in one
   * step. Until then the current ones keep serving; vectors already cached for the new model are reused.
   */
  switchEncoders(next: { text: TextEncoder; image?: ImageEncoder }): Promise<CatalogIndex> {
    return this.rebuild(async () => (this.current ? [...this.current.items] : this.loadItems()), next);
  }

  /** The current snapshot (build first with `refresh`). */
  get index(): CatalogIndex {
    if (!this.current) throw new Error('catalog index not built yet: call refresh() first');
    return this.current;
  }

  get size(): number {
    return this.current?.items.length ?? 0;
  }

  get textEncoder(): TextEncoder {
    return this.enc.text;
  }

  get imageEncoder(): ImageEncoder | undefined {
    return this.enc.image;
  }

  /** A line for `/status`: the scoring mode and the ANN index. */
  describe(): string {
    const n = this.size;
    const min = this.o.annMinItems ?? Infinity;
    if (!this.o.annFactory || n < min) return `exact scoring (${n} items)`;
    if (!this.current?.ann) return `exact scoring while the ANN index is built (${n} items)`;
    return `ANN candidates (${this.current.ann.id}) + re-ranking (${n} items)`;
  }

  /** Resolves when background work (ANN build, snapshot write) queued so far is done. */
  async idle(): Promise<void> {
    for (let q = this.queue; ; q = this.queue) {
      await q.catch(() => undefined);
      if (q === this.queue) return;
    }
  }

  /** Share of the current items whose vectors for `encoderId` are already cached (0..1). */
  async cachedShare(encoderId: string): Promise<number> {
    const items = this.current ? this.current.items : await this.loadItems();
    if (items.length === 0) return 1;
    const got = await this.o.store.getMany<Uint8Array>(
      vectorNamespace(encoderId),
      items.map((it) => contentHash(itemText(it))),
    );
    return got.filter((v) => v !== undefined).length / items.length;
  }

  /** Loads every stored item. */
  async loadItems(): Promise<ContentItem[]> {
    const ids: string[] = [];
    for await (const k of this.o.store.keys(NS_ITEMS)) ids.push(k);
    ids.sort();
    const values = await this.o.store.getMany<ContentItem>(NS_ITEMS, ids);
    return values.filter((v): v is ContentItem => v !== undefined);
  }

  /**
   * Stores items (by id, replacing) and updates the index incrementally: the current rows are kept (their
   * vectors reused), changed and new items are embedded, and nothing else is read back from the store.
   * Returns how many were new.
   */
  async upsert(items: readonly ContentItem[]): Promise<number> {
    if (items.length === 0) return 0;
    let fresh = 0;
    const existing = await this.o.store.getMany<ContentItem>(
      NS_ITEMS,
      items.map((i) => i.id),
    );
    const key = await this.logChange({ upsert: items.map((i) => i.id), remove: [] });
    for (let i = 0; i < items.length; i++) {
      if (!existing[i]) fresh++;
      await this.o.store.set(NS_ITEMS, items[i]!.id, items[i]);
    }
    await this.applyChanges(items, [], key);
    return fresh;
  }

  /** Removes items (expiry) and updates the index without reloading the rest. */
  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const key = await this.logChange({ upsert: [], remove: [...ids] });
    for (const id of ids) await this.o.store.delete(NS_ITEMS, id);
    await this.applyChanges([], ids, key);
  }

  /**
   * Loads a catalog seed (the built-in catalog or `CATALOG_PATH`) into the store through the catalog: an unchanged
   * file (same content hash) costs one read; otherwise new rows are added, edited rows (another row hash) updated,
   * and rows the previous seed had but this one lacks are retired. Rows already stored keep their first-load
   * `publishedAt`/`fetchedAt` (re-seeding never resets freshness). Scraped items are never touched.
   */
  async syncSeed(seed: CatalogSeed): Promise<SeedSync> {
    const marker = await this.o.store.get<{ hash: string; rows: Record<string, string> }>(NS_META, SEED_KEY);
    if (marker?.hash === seed.hash) return { unchanged: true, added: 0, updated: 0, retired: 0 };
    const { items, rowHashes } = seed.load();
    // Installs seeded before row hashes were recorded: every stored row counts as "seen with an unknown hash".
    const before = marker?.rows ?? {};
    const existing = await this.o.store.getMany<ContentItem>(
      NS_ITEMS,
      items.map((i) => i.id),
    );
    const upserts: ContentItem[] = [];
    let added = 0,
      updated = 0;
    const rows: Record<string, string> = {};
    items.forEach((it, i) => {
      const h = rowHashes[i]!;
      rows[it.id] = h;
      const old = existing[i];
      if (!old) {
        added++;
        upserts.push(it);
      } else if (before[it.id] !== undefined && before[it.id] !== h) {
        updated++;
        upserts.push({ ...it, publishedAt: old.publishedAt, fetchedAt: old.fetchedAt });
      }
    });
    const gone = Object.keys(before).filter((id) => rows[id] === undefined);
    if (upserts.length > 0 || gone.length > 0) {
      const key = await this.logChange({ upsert: upserts.map((i) => i.id), remove: gone });
      for (const it of upserts) await this.o.store.set(NS_ITEMS, it.id, it);
      for (const id of gone) await this.o.store.delete(NS_ITEMS, id);
      if (this.current) await this.applyChanges(upserts, gone, key);
    }
    await this.o.store.set(NS_META, SEED_KEY, { hash: seed.hash, rows });
    this.o.logger.info(
      { added, updated, retired: gone.length, total: items.length },
      'catalog seed loaded (changes found by content hash)',
    );
    return { unchanged: false, added, updated, retired: gone.length };
  }

  /**
   * Catches up with changes other processes (or this one before a restart) made to the store: reads the change
   * log, then only the rows it names. Returns how many rows changed.
   */
  async sync(): Promise<number> {
    if (!this.current) return 0;
    const keys: string[] = [];
    for await (const k of this.o.store.keys(NS_CATALOG_LOG)) keys.push(k);
    const live = new Set(keys);
    for (const k of this.applied) if (!live.has(k)) this.applied.delete(k); // expired entries
    const fresh = keys.filter((k) => !this.applied.has(k)).sort();
    if (fresh.length === 0) return 0;
    const entries = await this.o.store.getMany<LogEntry>(NS_CATALOG_LOG, fresh);
    const ids = new Set<string>();
    for (const e of entries) for (const id of [...(e?.upsert ?? []), ...(e?.remove ?? [])]) ids.add(id);
    const list = [...ids];
    const rows = await this.o.store.getMany<ContentItem>(NS_ITEMS, list);
    const upserts = rows.filter((r): r is ContentItem => r !== undefined);
    const removes = list.filter((_, i) => rows[i] === undefined);
    // The store holds the current state of each named row, so applying it is right whatever the entries' order.
    await this.rebuild(async () => this.merge(upserts, removes));
    for (const k of fresh) this.applied.add(k);
    this.afterChange(list.length);
    if (list.length > 0)
      this.o.logger.info({ rows: list.length, entries: fresh.length }, 'catalog caught up with the store');
    return list.length;
  }

  /** Called after every rebuild with the new index (e.g. the two-tower scorer re-embeds the catalog). */
  onRefresh(listener: (index: CatalogIndex) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /**
   * Builds the index. The first time, a valid snapshot is loaded and caught up with the store's change log when
   * snapshots are configured; otherwise (and on later calls) the index is rebuilt from the store, reusing the
   * vectors of unchanged rows.
   */
  async refresh(): Promise<CatalogIndex> {
    this.startSyncTimer();
    if (!this.current && this.o.snapshots) {
      const restored = await this.rebuild(
        async () => undefined,
        undefined,
        () => this.restore(),
      );
      if (restored.items.length > 0 || this.applied.size > 0) {
        await this.sync();
        this.afterChange(0);
        return this.index;
      }
    }
    const idx = await this.rebuild(() => this.loadItemsAndLog());
    this.dirty = Math.max(this.dirty, 1); // built from the store: worth a snapshot
    this.afterChange(0);
    return idx;
  }

  /** Stops background work (a queued ANN build or snapshot write finishes first). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    await this.idle();
  }

  private syncTimer: NodeJS.Timeout | undefined;

  private startSyncTimer(): void {
    const every = this.o.syncIntervalMs ?? 0;
    if (this.syncTimer || every <= 0 || this.closed) return;
    this.syncTimer = setInterval(() => {
      this.sync().catch((e: unknown) =>
        this.o.logger.warn({ err: e }, 'catching up with catalog changes failed; retrying at the next interval'),
      );
    }, every);
    this.syncTimer.unref();
  }

  // ------------------------------------------------------------------ change log and snapshots

  private async logChange(entry: LogEntry): Promise<string> {
    const key = `${Date.now().toString(36).padStart(10, '0')}-${randomUUID().slice(0, 8)}`;
    await this.o.store.set(NS_CATALOG_LOG, key, entry, CATALOG_LOG_TTL_MS);
    return key;
  }

  /** Every stored item, with the change-log entries it already reflects (listed first, so none is missed). */
  private async loadItemsAndLog(): Promise<ContentItem[]> {
    for await (const k of this.o.store.keys(NS_CATALOG_LOG)) this.applied.add(k);
    return this.loadItems();
  }

  private async storeEpoch(): Promise<string> {
    if (this.epoch) return this.epoch;
    let epoch = await this.o.store.get<string>(NS_META, EPOCH_KEY);
    if (typeof epoch !== 'string') {
      epoch = randomUUID();
      await this.o.store.set(NS_META, EPOCH_KEY, epoch);
    }
    return (this.epoch = epoch);
  }

  private snapshotKey(enc: { text: TextEncoder; image?: ImageEncoder }, withAnn: boolean): SnapshotKey {
    const key: SnapshotKey = { textEncoderId: enc.text.id, textDim: enc.text.dim, imageDim: 0 };
    if (enc.image && this.o.loadImage) {
      key.imageEncoderId = enc.image.id;
      key.imageDim = enc.image.dim;
    }
    if (withAnn && this.o.annFactory) key.annId = this.o.annFactory.id;
    return key;
  }

  /** The index from a valid snapshot, or undefined (with a warning when one was there but unusable). */
  private async restore(): Promise<CatalogIndex | undefined> {
    const snaps = this.o.snapshots!;
    const started = Date.now();
    const enc = this.enc;
    let loaded = await snaps.load(this.snapshotKey(enc, true));
    if (loaded.kind === 'none' && this.o.annFactory) loaded = await snaps.load(this.snapshotKey(enc, false));
    if (loaded.kind === 'none') return undefined;
    if (loaded.kind === 'invalid') {
      this.o.logger.warn(
        { where: snaps.where, reason: loaded.reason },
        'catalog snapshot unusable; rebuilding the index from the store (the snapshot is only a cache)',
      );
      return undefined;
    }
    const d = loaded.data;
    const epoch = await this.storeEpoch();
    const tooOld = Date.now() - d.meta.createdAt > CATALOG_LOG_TTL_MS - 86_400_000;
    if (d.meta.epoch !== epoch || tooOld) {
      this.o.logger.warn(
        { where: snaps.where, reason: tooOld ? 'older than the change log' : 'made from another store' },
        'catalog snapshot is stale; rebuilding the index from the store',
      );
      return undefined;
    }
    for (const k of d.meta.applied) this.applied.add(k);
    this.textBacking = d.text;
    this.savedOnce = true;
    this.nextSlot = d.meta.nextSlot;
    if (d.ann) this.ann = new AnnLayer(d.ann, this.o.annFactory!);
    const input: BuildIndexInput = {
      items: d.items,
      textEncoderId: enc.text.id,
      textDim: enc.text.dim,
      text: d.text,
      rowHashes: d.rowHashes,
      slots: d.slots,
      precomputed: {
        publishedMs: d.publishedMs,
        sourcePopularity: d.sourcePopularity,
        termRows: d.termRows,
        priorRows: d.priorRows,
      },
    };
    if (enc.image && d.image && d.hasImage) {
      input.imageEncoderId = enc.image.id;
      input.imageDim = enc.image.dim;
      input.image = d.image;
      input.hasImage = d.hasImage;
    }
    if (this.ann && d.items.length >= (this.o.annMinItems ?? Infinity)) input.ann = candidateIndex(this.ann, d.slots);
    const idx = buildIndex(input);
    this.o.logger.info(
      { items: idx.items.length, ms: Date.now() - started, ann: this.ann?.id ?? 'none', where: snaps.where },
      'catalog restored from snapshot',
    );
    return idx;
  }

  /** After a change of `rows` rows: an ANN build and/or a snapshot when due. */
  private afterChange(rows: number): void {
    this.dirty += rows;
    if (this.closed || !this.current) return;
    const n = this.current.items.length;
    const annWanted = this.o.annFactory !== undefined && n >= (this.o.annMinItems ?? Infinity);
    const every = this.o.snapshotEvery ?? Math.max(1000, Math.floor(n * 0.05));
    const annStale = this.ann !== undefined && this.ann.pending >= every;
    if (annWanted && (!this.current.ann || annStale) && !this.annBuilding) {
      this.annBuilding = true;
      void this.enqueue(() => this.buildAnn()).finally(() => (this.annBuilding = false));
      return; // the build writes a snapshot when it is done
    }
    if (this.o.snapshots && !this.savePending && this.dirty > 0 && (this.dirty >= every || !this.savedOnce)) {
      this.savePending = true;
      void this.enqueue(() => this.saveSnapshot()).finally(() => (this.savePending = false));
    }
  }

  private savedOnce = false;
  private savePending = false;

  /** Runs `task` in the rebuild queue; failures are logged, never thrown at a caller. */
  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue
      .catch(() => undefined)
      .then(task)
      .catch((e: unknown) => this.o.logger.warn({ err: e }, 'catalog background task failed; the index keeps serving'));
    this.queue = run;
    return run;
  }

  /** A fresh ANN index over the current rows, built in steps so requests keep being answered meanwhile. */
  private async buildAnn(): Promise<void> {
    const factory = this.o.annFactory;
    const idx = this.current;
    if (!factory || !idx || this.closed) return;
    const started = Date.now();
    const n = idx.items.length;
    const dim = idx.textDim;
    const base = factory.create(dim, n);
    const step = this.o.annBuildBatch ?? 4096;
    for (let from = 0; from < n; from += step) {
      if (this.closed) return;
      const to = Math.min(n, from + step);
      base.add(idx.slots.slice(from, to), idx.text.subarray(from * dim, to * dim));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // Rebuilds are queued behind this one, so `current` is still `idx`.
    this.ann = new AnnLayer(base, factory);
    this.current = withCandidates(idx, candidateIndex(this.ann, idx.slots));
    this.o.logger.info({ items: n, ms: Date.now() - started, ann: base.id }, 'ANN index built');
    if (this.o.snapshots) await this.saveSnapshot();
  }

  private async saveSnapshot(): Promise<void> {
    const idx = this.current;
    const snaps = this.o.snapshots;
    if (!idx || !snaps || this.closed) return;
    const started = Date.now();
    const rows = this.dirty;
    const withAnn = this.ann !== undefined && this.ann.base.mutable && idx.ann !== undefined;
    const data: SnapshotData = {
      meta: {
        epoch: await this.storeEpoch(),
        applied: [...this.applied],
        createdAt: Date.now(),
        nextSlot: this.nextSlot,
      },
      items: [...idx.items],
      text: idx.text,
      publishedMs: idx.publishedMs,
      sourcePopularity: idx.sourcePopularity,
      slots: idx.slots,
      rowHashes: [...(idx.rowHashes ?? idx.items.map((it) => contentHash(itemText(it))))],
      termRows: new Map(idx.termRows),
      priorRows: idx.priorRows,
      ...(withAnn ? { ann: this.ann!.base } : {}),
    };
    if (idx.image && idx.imageEncoderId) {
      data.image = idx.image;
      data.hasImage = idx.hasImage;
    }
    await snaps.save(this.snapshotKey(this.enc, withAnn), data);
    this.dirty = Math.max(0, this.dirty - rows);
    this.savedOnce = true;
    this.o.logger.info(
      { items: idx.items.length, ms: Date.now() - started, where: snaps.where },
      'catalog snapshot written',
    );
  }

  // ------------------------------------------------------------------ rebuilds

  /** The current items with `upserts` merged in (by id) and `removes` dropped. */
  private merge(upserts: readonly ContentItem[], removes: readonly string[]): ContentItem[] {
    const cur = this.current!;
    const gone = new Set(removes);
    const merged = gone.size > 0 ? cur.items.filter((i) => !gone.has(i.id)) : [...cur.items];
    const rowOf = gone.size > 0 ? new Map(merged.map((it, i) => [it.id, i])) : new Map(cur.rowOf);
    for (const it of upserts) {
      if (gone.has(it.id)) continue;
      const r = rowOf.get(it.id);
      if (r === undefined) {
        rowOf.set(it.id, merged.length);
        merged.push(it);
      } else merged[r] = it;
    }
    return merged;
  }

  private async applyChanges(upserts: readonly ContentItem[], removes: readonly string[], key: string): Promise<void> {
    await this.rebuild(async () => (this.current ? this.merge(upserts, removes) : this.loadItemsAndLog()));
    this.applied.add(key);
    this.afterChange(upserts.length + removes.length);
  }

  /** Rebuilds are serialised: each one starts from the index the previous one produced. */
  private rebuild(
    itemsFor: () => Promise<ContentItem[] | undefined>,
    encoders?: { text: TextEncoder; image?: ImageEncoder },
    restore?: () => Promise<CatalogIndex | undefined>,
  ): Promise<CatalogIndex> {
    const run = this.queue
      .catch(() => undefined)
      .then(async () => {
        const enc = encoders ?? this.enc;
        let idx = restore ? await restore() : undefined;
        if (!idx) {
          const items = await itemsFor();
          if (items === undefined)
            return (
              this.current ??
              buildIndex({ items: [], textEncoderId: enc.text.id, textDim: enc.text.dim, text: new Float32Array(0) })
            );
          idx = await this.build(items, this.current, enc);
        }
        this.enc = enc;
        this.current = idx;
        for (const l of this.listeners) {
          try {
            await l(idx);
          } catch (e) {
            this.o.logger.warn({ err: e }, 'a catalog refresh listener failed');
          }
        }
        return idx;
      });
    this.queue = run;
    return run;
  }

  /**
   * The text matrix for `n` rows: the current backing buffer when the new rows extend the old ones in place (no
   * removals, same encoder), so an upsert writes only its rows; a fresh buffer with 10% headroom otherwise.
   * Older index versions keep their view of the rows they had (appends go past them).
   */
  private textBacking: Float32Array | undefined;

  private textMatrixFor(n: number, dim: number, inPlace: boolean): { m: Float32Array; fresh: boolean } {
    const b = this.textBacking;
    if (inPlace && b && b.length >= n * dim) return { m: b.subarray(0, n * dim), fresh: false };
    const cap = n === 0 ? 0 : Math.ceil(n * 1.1) + 16;
    const next = new Float32Array(cap * dim);
    if (inPlace && b) next.set(b.subarray(0, Math.min(b.length, n * dim)));
    this.textBacking = next;
    return { m: next.subarray(0, n * dim), fresh: !inPlace };
  }

  private async build(
    items: readonly ContentItem[],
    reuse: CatalogIndex | undefined,
    enc: { text: TextEncoder; image?: ImageEncoder },
  ): Promise<CatalogIndex> {
    const { text, image } = enc;
    const n = items.length;
    const sameText = reuse && reuse.textEncoderId === text.id && reuse.textDim === text.dim && reuse.rowHashes;
    // Unchanged rows (the same object) keep their hash: an upsert into a large catalog hashes only its own rows.
    const hashes: string[] = new Array<string>(n);
    const oldRow = new Int32Array(n).fill(-1);
    for (let row = 0; row < n; row++) {
      const it = items[row]!;
      const r = reuse?.rowOf.get(it.id);
      if (r !== undefined) oldRow[row] = r;
      hashes[row] =
        r !== undefined && reuse!.rowHashes && reuse!.items[r] === it
          ? reuse!.rowHashes[r]!
          : contentHash(itemText(it));
    }
    // In place when every old row keeps its position (upserts without removals).
    let inPlace = !!sameText && n >= reuse.items.length && reuse.text.buffer === this.textBacking?.buffer;
    for (let r = 0; inPlace && r < reuse!.items.length; r++) inPlace = oldRow[r] === r;
    const { m: textMatrix } = this.textMatrixFor(n, text.dim, inPlace);
    const sameImage =
      reuse && image && reuse.image && reuse.imageEncoderId === image.id && reuse.imageDim === image.dim;
    let imageMatrix: Float32Array | undefined;
    let hasImage: Uint8Array | undefined;
    if (image && this.o.loadImage) {
      imageMatrix = new Float32Array(n * image.dim);
      hasImage = new Uint8Array(n);
    }
    // Rows whose text (and thumbnail) did not change keep their vectors and ANN slots; only the rest go to
    // cache/encoder and get new slots.
    const slots = new Uint32Array(n);
    const keptOld = new Uint8Array(reuse?.items.length ?? 0);
    const textRows: number[] = [];
    const imageRows: number[] = [];
    for (let row = 0; row < n; row++) {
      const it = items[row]!;
      const r = oldRow[row]! >= 0 ? oldRow[row]! : undefined;
      if (sameText && r !== undefined && reuse.rowHashes![r] === hashes[row]) {
        if (!inPlace) textMatrix.set(reuse.text.subarray(r * text.dim, (r + 1) * text.dim), row * text.dim);
        slots[row] = reuse.slots[r]!;
        keptOld[r] = 1;
      } else {
        textRows.push(row);
        slots[row] = this.nextSlot++;
      }
      if (!imageMatrix || !hasImage || !image) continue;
      if (sameImage && r !== undefined && reuse.items[r]!.thumbnail === it.thumbnail) {
        imageMatrix.set(reuse.image!.subarray(r * image.dim, (r + 1) * image.dim), row * image.dim);
        hasImage[row] = reuse.hasImage[r]!; // a thumbnail that could not be embedded is not retried until it changes
      } else if (it.thumbnail) imageRows.push(row);
    }
    await this.embedCached(vectorNamespace(text.id), text.dim, hashes, textRows, textMatrix, async (rows) =>
      text.encode(rows.map((r) => itemText(items[r]!))),
    );
    if (image && imageMatrix && hasImage && imageRows.length > 0) {
      await this.embedImages(image, items, imageRows, imageMatrix, hasImage);
    }
    this.updateAnn(reuse, !!sameText, keptOld, slots, textRows, textMatrix, text.dim);
    const input: BuildIndexInput = {
      items: [...items],
      textEncoderId: text.id,
      textDim: text.dim,
      text: textMatrix,
      rowHashes: hashes,
      slots,
    };
    if (this.ann && n >= (this.o.annMinItems ?? Infinity)) input.ann = candidateIndex(this.ann, slots);
    if (image && imageMatrix && hasImage) {
      input.imageEncoderId = image.id;
      input.imageDim = image.dim;
      input.image = imageMatrix;
      input.hasImage = hasImage;
    }
    return buildIndex(input);
  }

  /** Keeps the ANN index in step with a rebuild: retired rows' slots removed, new and changed rows added. */
  private updateAnn(
    reuse: CatalogIndex | undefined,
    sameText: boolean,
    keptOld: Uint8Array,
    slots: Uint32Array,
    newRows: readonly number[],
    m: Float32Array,
    dim: number,
  ): void {
    if (!this.ann) return;
    if (!reuse || !sameText || this.ann.base.dim !== dim) {
      this.ann = undefined; // another encoder: rebuilt in the background
      return;
    }
    const retired: number[] = [];
    for (let r = 0; r < keptOld.length; r++) if (!keptOld[r]) retired.push(reuse.slots[r]!);
    this.ann.remove(Uint32Array.from(retired));
    if (newRows.length === 0) return;
    const vecs = new Float32Array(newRows.length * dim);
    newRows.forEach((row, k) => vecs.set(m.subarray(row * dim, (row + 1) * dim), k * dim));
    this.ann.add(
      Uint32Array.from(newRows, (row) => slots[row]!),
      vecs,
    );
  }

  /** Image vectors for `rows`: from the cache, else thumbnails loaded and embedded in batches (and cached). */
  private async embedImages(
    image: ImageEncoder,
    items: readonly ContentItem[],
    rows: readonly number[],
    imageMatrix: Float32Array,
    hasImage: Uint8Array,
  ): Promise<void> {
    const ns = vectorNamespace(image.id);
    const keys = rows.map((row) => contentHash(items[row]!.thumbnail!));
    const cached = await this.o.store.getMany<Uint8Array>(ns, keys);
    const missing: number[] = [];
    cached.forEach((bytes, k) => {
      const row = rows[k]!;
      if (bytes) {
        imageMatrix.set(bytesToVector(bytes), row * image.dim);
        hasImage[row] = 1;
      } else missing.push(k);
    });
    for (let start = 0; start < missing.length; start += 32) {
      const loaded: { k: number; bytes: Uint8Array }[] = [];
      for (const k of missing.slice(start, start + 32)) {
        const bytes = await this.o.loadImage!(items[rows[k]!]!).catch(() => undefined);
        if (bytes) loaded.push({ k, bytes });
      }
      if (loaded.length === 0) continue;
      try {
        const vecs = await image.encode(loaded.map((l) => l.bytes));
        for (let j = 0; j < loaded.length; j++) {
          const v = vecs.subarray(j * image.dim, (j + 1) * image.dim);
          const row = rows[loaded[j]!.k]!;
          imageMatrix.set(v, row * image.dim);
          hasImage[row] = 1;
          await this.o.store.set(ns, keys[loaded[j]!.k]!, vectorToBytes(v));
        }
      } catch (e) {
        this.o.logger.warn(
          { err: e, rows: loaded.length },
          'image embedding failed for a batch; those items use text only',
        );
      }
    }
  }

  /** Fills `rows` of `m` from the vector cache, embedding (in batches) only rows whose hash is not cached. */
  private async embedCached(
    ns: string,
    dim: number,
    hashes: readonly string[],
    rows: readonly number[],
    m: Float32Array,
    embed: (rows: number[]) => Promise<Float32Array>,
  ): Promise<void> {
    if (rows.length === 0) return;
    const cached = await this.o.store.getMany<Uint8Array>(
      ns,
      rows.map((r) => hashes[r]!),
    );
    const missing: number[] = [];
    cached.forEach((bytes, k) => {
      const v = bytes ? bytesToVector(bytes) : undefined;
      if (v && v.length === dim) m.set(v, rows[k]! * dim);
      else missing.push(rows[k]!);
    });
    const batch = 256;
    for (let start = 0; start < missing.length; start += batch) {
      const part = missing.slice(start, start + batch);
      const vecs = await embed(part);
      for (let k = 0; k < part.length; k++) {
        const v = vecs.subarray(k * dim, (k + 1) * dim);
        m.set(v, part[k]! * dim);
        await this.o.store.set(ns, hashes[part[k]!]!, vectorToBytes(v));
      }
    }
    if (missing.length > 0) this.o.logger.info({ embedded: missing.length, encoder: ns }, 'embedded catalog items');
  }
}
