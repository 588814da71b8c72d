/**
 * The live catalog: every recommendable item with its vectors in contiguous matrices, built once
 * per catalog version and swapped atomically. Scoring reads a `CatalogIndex` snapshot, so a request
 * in flight never sees half an update.
 */
import { createHash } from 'node:crypto';
import type { Category, ContentItem } from '../domain.js';
import type { ImageEncoder, KeyValueStore, Logger, TextEncoder } from '../ports.js';
import { terms as termsOf } from '../text.js';
import { bytesToVector, vectorToBytes } from '../vectors.js';

export { NS_ITEMS, NS_META } from '../store/namespaces.js';
import { NS_ITEMS } from '../store/namespaces.js';

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
  /** Terms per row (title, summary, tags), for evidence. */
  readonly rowTerms: readonly ReadonlySet<string>[];
  readonly categories: readonly Category[];
  readonly sources: readonly string[];
  /** Content hash of each row's text (what its text vector was made from), so a rebuild can reuse rows. */
  readonly rowHashes?: readonly string[];
}

function percentiles(items: readonly ContentItem[]): Float32Array {
  const out = new Float32Array(items.length);
  const bySource = new Map<string, number[]>();
  items.forEach((it, i) => {
    const list = bySource.get(it.source) ?? [];
    list.push(i);
    bySource.set(it.source, list);
  });
  const raw = (it: ContentItem) => {
    const p = it.popularity;
    if (p.rank !== undefined) return -p.rank;
    return Math.log1p((p.views ?? 0) + 20 * (p.likes ?? 0) + 50 * (p.comments ?? 0) + 100 * (p.viewers ?? 0));
  };
  for (const rows of bySource.values()) {
    // Mid-rank percentiles: tied items get the same value.
    const sorted = [...rows].sort((a, b) => raw(items[a]!) - raw(items[b]!));
    for (let k = 0; k < sorted.length;) {
      let j = k;
      while (j + 1 < sorted.length && raw(items[sorted[j + 1]!]!) === raw(items[sorted[k]!]!)) j++;
      const p = rows.length === 1 ? 0.5 : (k + j) / 2 / (rows.length - 1);
      for (let m = k; m <= j; m++) out[sorted[m]!] = p;
      k = j + 1;
    }
  }
  return out;
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
}

export function buildIndex(input: BuildIndexInput): CatalogIndex {
  const { items } = input;
  const rowOf = new Map<string, number>();
  items.forEach((it, i) => rowOf.set(it.id, i));
  const termLists = new Map<string, number[]>();
  const rowTerms: Set<string>[] = [];
  items.forEach((it, row) => {
    const set = new Set(termsOf(itemText(it)));
    rowTerms.push(set);
    for (const t of set) {
      const list = termLists.get(t) ?? [];
      list.push(row);
      termLists.set(t, list);
    }
  });
  const termRows = new Map<string, Int32Array>();
  for (const [t, rows] of termLists) termRows.set(t, Int32Array.from(rows));
  const version = contentHash(
    `${input.textEncoderId}|${input.imageEncoderId ?? ''}|${items.map((i) => i.id).join(',')}`,
  );
  const base = {
    version,
    items,
    rowOf,
    textEncoderId: input.textEncoderId,
    textDim: input.textDim,
    text: input.text,
    imageDim: input.imageDim ?? 0,
    hasImage: input.hasImage ?? new Uint8Array(items.length),
    publishedMs: Float64Array.from(items, (it) => Date.parse(it.publishedAt) || 0),
    sourcePopularity: percentiles(items),
    termRows,
    rowTerms,
    categories: [...new Set(items.map((i) => i.category))].sort(),
    sources: [...new Set(items.map((i) => i.source))].sort(),
    ...(input.rowHashes ? { rowHashes: input.rowHashes } : {}),
  };
  return input.image && input.imageEncoderId
    ? { ...base, image: input.image, imageEncoderId: input.imageEncoderId }
    : base;
}

export interface CatalogServiceOptions {
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
 */
export class CatalogService {
  private current: CatalogIndex | undefined;
  private readonly listeners: ((index: CatalogIndex) => void | Promise<void>)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  /** The encoders the current index was built with (swapped together with it). */
  private enc: { text: TextEncoder; image?: ImageEncoder };
  private readonly o: CatalogServiceOptions;

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
    let fresh = 0;
    const existing = await this.o.store.getMany<ContentItem>(
      NS_ITEMS,
      items.map((i) => i.id),
    );
    for (let i = 0; i < items.length; i++) {
      if (!existing[i]) fresh++;
      await this.o.store.set(NS_ITEMS, items[i]!.id, items[i]);
    }
    await this.rebuild(async () => {
      if (!this.current) return this.loadItems();
      const merged = [...this.current.items];
      const rowOf = new Map(this.current.rowOf);
      for (const it of items) {
        const r = rowOf.get(it.id);
        if (r === undefined) {
          rowOf.set(it.id, merged.length);
          merged.push(it);
        } else merged[r] = it;
      }
      return merged;
    });
    return fresh;
  }

  /** Removes items (expiry) and updates the index without reloading the rest. */
  async remove(ids: readonly string[]): Promise<void> {
    for (const id of ids) await this.o.store.delete(NS_ITEMS, id);
    const gone = new Set(ids);
    await this.rebuild(async () =>
      this.current ? this.current.items.filter((i) => !gone.has(i.id)) : this.loadItems(),
    );
  }

  /** Called after every rebuild with the new index (e.g. the two-tower scorer re-embeds the catalog). */
  onRefresh(listener: (index: CatalogIndex) => void | Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Rebuilds the index from the store (vectors of unchanged rows are reused). */
  refresh(): Promise<CatalogIndex> {
    return this.rebuild(() => this.loadItems());
  }

  /** Rebuilds are serialised: each one starts from the index the previous one produced. */
  private rebuild(
    itemsFor: () => Promise<ContentItem[]>,
    encoders?: { text: TextEncoder; image?: ImageEncoder },
  ): Promise<CatalogIndex> {
    const run = this.queue
      .catch(() => undefined)
      .then(async () => {
        const enc = encoders ?? this.enc;
        const idx = await this.build(await itemsFor(), this.current, enc);
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

  private async build(
    items: readonly ContentItem[],
    reuse: CatalogIndex | undefined,
    enc: { text: TextEncoder; image?: ImageEncoder },
  ): Promise<CatalogIndex> {
    const { text, image } = enc;
    const texts = items.map(itemText);
    const hashes = texts.map(contentHash);
    const sameText = reuse && reuse.textEncoderId === text.id && reuse.textDim === text.dim && reuse.rowHashes;
    const sameImage =
      reuse && image && reuse.image && reuse.imageEncoderId === image.id && reuse.imageDim === image.dim;
    const textMatrix = new Float32Array(items.length * text.dim);
    let imageMatrix: Float32Array | undefined;
    let hasImage: Uint8Array | undefined;
    if (image && this.o.loadImage) {
      imageMatrix = new Float32Array(items.length * image.dim);
      hasImage = new Uint8Array(items.length);
    }
    // Rows whose text (and thumbnail) did not change keep their vectors; only the rest go to cache/encoder.
    const textRows: number[] = [];
    const imageRows: number[] = [];
    items.forEach((it, row) => {
      const r = reuse?.rowOf.get(it.id);
      if (sameText && r !== undefined && reuse.rowHashes![r] === hashes[row]) {
        textMatrix.set(reuse.text.subarray(r * text.dim, (r + 1) * text.dim), row * text.dim);
      } else textRows.push(row);
      if (!imageMatrix || !hasImage || !image) return;
      if (sameImage && r !== undefined && reuse.items[r]!.thumbnail === it.thumbnail) {
        imageMatrix.set(reuse.image!.subarray(r * image.dim, (r + 1) * image.dim), row * image.dim);
        hasImage[row] = reuse.hasImage[r]!; // a thumbnail that could not be embedded is not retried until it changes
      } else if (it.thumbnail) imageRows.push(row);
    });
    await this.embedCached(vectorNamespace(text.id), text.dim, hashes, textRows, textMatrix, async (rows) =>
      text.encode(rows.map((r) => texts[r]!)),
    );
    if (image && imageMatrix && hasImage && imageRows.length > 0) {
      await this.embedImages(image, items, imageRows, imageMatrix, hasImage);
    }
    const input: BuildIndexInput = {
      items: [...items],
      textEncoderId: text.id,
      textDim: text.dim,
      text: textMatrix,
      rowHashes: hashes,
    };
    if (image && imageMatrix && hasImage) {
      input.imageEncoderId = image.id;
      input.imageDim = image.dim;
      input.image = imageMatrix;
      input.hasImage = hasImage;
    }
    return buildIndex(input);
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
