/**
 * Warm restarts of a `CatalogService` (core/catalog/catalog.ts): writes index versions as snapshots and restores
 * one at start-up when it is valid, made from the same store (its epoch) and young enough for the change log to
 * catch it up; otherwise the index is rebuilt from the store (a snapshot is only a cache).
 */
import { randomUUID } from 'node:crypto';
import type { ImageEncoder, TextEncoder } from '../ports.js';
import { NS_META } from '../store/namespaces.js';
import { AnnLayer } from './ann.js';
import type { IndexBuilder } from './builder.js';
import {
  buildIndex,
  candidateIndex,
  contentHash,
  itemText,
  type BuildIndexInput,
  type CatalogIndex,
} from './catalog-index.js';
import { CATALOG_LOG_TTL_MS, EPOCH_KEY } from './change-log.js';
import type { CatalogServiceOptions } from './options.js';
import type { SnapshotData, SnapshotKey } from './snapshot.js';

type Encoders = { text: TextEncoder; image?: ImageEncoder };

export class SnapshotKeeper {
  /** Whether a snapshot was written (or loaded) in this process. */
  savedOnce = false;
  private epoch: string | undefined;

  /** `applied`: the change-log keys the current index reflects (shared with the service). */
  constructor(
    private readonly o: CatalogServiceOptions,
    private readonly builder: IndexBuilder,
    private readonly applied: Set<string>,
  ) {}

  async storeEpoch(): Promise<string> {
    if (this.epoch) return this.epoch;
    let epoch = await this.o.store.get<string>(NS_META, EPOCH_KEY);
    if (typeof epoch !== 'string') {
      epoch = randomUUID();
      await this.o.store.set(NS_META, EPOCH_KEY, epoch);
    }
    return (this.epoch = epoch);
  }

  snapshotKey(enc: { text: TextEncoder; image?: ImageEncoder }, withAnn: boolean): SnapshotKey {
    const key: SnapshotKey = { textEncoderId: enc.text.id, textDim: enc.text.dim, imageDim: 0 };
    if (enc.image && this.o.loadImage) {
      key.imageEncoderId = enc.image.id;
      key.imageDim = enc.image.dim;
    }
    if (withAnn && this.o.annFactory) key.annId = this.o.annFactory.id;
    return key;
  }

  /** The index from a valid snapshot, or undefined (with a warning when one was there but unusable). */
  async restore(enc: Encoders): Promise<CatalogIndex | undefined> {
    const snaps = this.o.snapshots!;
    const started = Date.now();
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
    this.builder.textBacking = d.text;
    this.savedOnce = true;
    this.builder.nextSlot = d.meta.nextSlot;
    if (d.ann) this.builder.ann = new AnnLayer(d.ann, this.o.annFactory!);
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
    if (this.builder.ann && d.items.length >= (this.o.annMinItems ?? Infinity))
      input.ann = candidateIndex(this.builder.ann, d.slots);
    const idx = buildIndex(input);
    this.o.logger.info(
      { items: idx.items.length, ms: Date.now() - started, ann: this.builder.ann?.id ?? 'none', where: snaps.where },
      'catalog restored from snapshot',
    );
    return idx;
  }

  /** Writes `idx` (with the ANN index when that can be saved) as the snapshot for the encoders `enc`. */
  async save(idx: CatalogIndex, enc: Encoders): Promise<void> {
    const snaps = this.o.snapshots;
    if (!snaps) return;
    const started = Date.now();
    const withAnn = this.builder.ann !== undefined && this.builder.ann.base.mutable && idx.ann !== undefined;
    const data: SnapshotData = {
      meta: {
        epoch: await this.storeEpoch(),
        applied: [...this.applied],
        createdAt: Date.now(),
        nextSlot: this.builder.nextSlot,
      },
      items: [...idx.items],
      text: idx.text,
      publishedMs: idx.publishedMs,
      sourcePopularity: idx.sourcePopularity,
      slots: idx.slots,
      rowHashes: [...(idx.rowHashes ?? idx.items.map((it) => contentHash(itemText(it))))],
      termRows: new Map(idx.termRows),
      priorRows: idx.priorRows,
      ...(withAnn ? { ann: this.builder.ann!.base } : {}),
    };
    if (idx.image && idx.imageEncoderId) {
      data.image = idx.image;
      data.hasImage = idx.hasImage;
    }
    await snaps.save(this.snapshotKey(enc, withAnn), data);
    this.savedOnce = true;
    this.o.logger.info(
      { items: idx.items.length, ms: Date.now() - started, where: snaps.where },
      'catalog snapshot written',
    );
  }
}
