/**
 * The live catalog service: holds the items (in the store) and the current `CatalogIndex` (in memory), swapped
 * atomically, so a request in flight never sees half an update. Its parts: catalog-index.ts (the index and its
 * columns), builder.ts (index versions with reused rows, the vector cache, the ANN layer), snapshot-keeper.ts (warm
 * restarts), change-log.ts (catching up with other processes), seed.ts (seed files), options.ts. This module
 * re-exports them, so `core/catalog/catalog.js` stays the one import path.
 */
import { randomUUID } from 'node:crypto';
import type { ContentItem } from '../domain.js';
import type { ImageEncoder, TextEncoder } from '../ports.js';
import { NS_ITEMS } from '../store/namespaces.js';
import { IndexBuilder } from './builder.js';
import { buildIndex, contentHash, itemText, vectorNamespace, type CatalogIndex } from './catalog-index.js';
import { CATALOG_LOG_TTL_MS, NS_CATALOG_LOG, type LogEntry } from './change-log.js';
import type { CatalogServiceOptions } from './options.js';
import { syncSeedRows, type CatalogSeed, type SeedSync } from './seed.js';
import { SnapshotKeeper } from './snapshot-keeper.js';

export { NS_ITEMS, NS_META } from '../store/namespaces.js';
export {
  buildIndex,
  buildTermRows,
  candidateIndex,
  contentHash,
  itemText,
  priorRowsOf,
  PRIOR_ROWS,
  rowTermsOf,
  vectorNamespace,
  withCandidates,
  type BuildIndexInput,
  type CandidateIndex,
  type CatalogIndex,
} from './catalog-index.js';
export { CATALOG_LOG_TTL_MS, NS_CATALOG_LOG } from './change-log.js';
export type { CatalogServiceOptions, LargeCatalogOptions } from './options.js';
export { seedOfItems, type CatalogSeed, type SeedSync } from './seed.js';

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
  private readonly builder: IndexBuilder;
  private readonly snaps: SnapshotKeeper;
  /** Rows changed since the last snapshot was written (or loaded). */
  private dirty = 0;
  private annBuilding = false;
  private closed = false;

  constructor(options: CatalogServiceOptions) {
    this.o = options;
    this.enc = options.image ? { text: options.text, image: options.image } : { text: options.text };
    this.builder = new IndexBuilder(options);
    this.snaps = new SnapshotKeeper(options, this.builder, this.applied);
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
    return syncSeedRows(this.o.store, this.o.logger, seed, async (upserts, gone) => {
      const key = await this.logChange({ upsert: upserts.map((i) => i.id), remove: gone });
      for (const it of upserts) await this.o.store.set(NS_ITEMS, it.id, it);
      for (const id of gone) await this.o.store.delete(NS_ITEMS, id);
      if (this.current) await this.applyChanges(upserts, gone, key);
    });
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
        () => this.snaps.restore(this.enc),
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

  // ------------------------------------------------------------------ change log, ANN builds and snapshots

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

  /** After a change of `rows` rows: an ANN build and/or a snapshot when due. */
  private afterChange(rows: number): void {
    this.dirty += rows;
    if (this.closed || !this.current) return;
    const n = this.current.items.length;
    const annWanted = this.o.annFactory !== undefined && n >= (this.o.annMinItems ?? Infinity);
    const every = this.o.snapshotEvery ?? Math.max(1000, Math.floor(n * 0.05));
    const annStale = this.builder.ann !== undefined && this.builder.ann.pending >= every;
    if (annWanted && (!this.current.ann || annStale) && !this.annBuilding) {
      this.annBuilding = true;
      void this.enqueue(() => this.buildAnn()).finally(() => (this.annBuilding = false));
      return; // the build writes a snapshot when it is done
    }
    if (this.o.snapshots && !this.savePending && this.dirty > 0 && (this.dirty >= every || !this.snaps.savedOnce)) {
      this.savePending = true;
      void this.enqueue(() => this.saveSnapshot()).finally(() => (this.savePending = false));
    }
  }

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

  /** A fresh ANN index over the current rows (IndexBuilder.buildAnn), then a snapshot. */
  private async buildAnn(): Promise<void> {
    const idx = this.current;
    if (!idx || this.closed) return;
    const next = await this.builder.buildAnn(idx, () => this.closed);
    if (!next) return;
    // Rebuilds are queued behind this one, so `current` is still `idx`.
    this.current = next;
    if (this.o.snapshots) await this.saveSnapshot();
  }

  private async saveSnapshot(): Promise<void> {
    const idx = this.current;
    if (!idx || !this.o.snapshots || this.closed) return;
    const rows = this.dirty;
    await this.snaps.save(idx, this.enc);
    this.dirty = Math.max(0, this.dirty - rows);
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
          idx = await this.builder.build(items, this.current, enc);
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
}
