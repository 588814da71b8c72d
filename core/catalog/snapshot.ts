/**
 * The catalog snapshot port: a derived, versioned, checksummed cache of the built index (items, vector
 * matrices, columns, inverted index, ANN index) so a warm restart reads a few contiguous files instead of one
 * store row and one vector blob per item. The store stays the source of truth: a snapshot is used only when its
 * manifest matches (format, encoders, ANN kind, store epoch, age) and every file's checksum holds, and then the
 * store's change log brings it up to date. Anything else is a warning and a rebuild from the store.
 * `infra/catalog/snapshot.ts` implements it on the local file system (one directory per machine).
 */
import type { ContentItem } from '../domain.js';
import type { VectorIndex } from './ann.js';

/** What a snapshot must match to be reused. */
export interface SnapshotKey {
  textEncoderId: string;
  textDim: number;
  imageEncoderId?: string;
  imageDim: number;
  /** The ANN factory id (`VectorIndexFactory.id`), when the snapshot carries an index. */
  annId?: string;
}

/** Bookkeeping saved with a snapshot. */
export interface SnapshotMeta {
  /** The store's catalog epoch (a new store, or a wiped one, has another). */
  epoch: string;
  /** Change-log keys already reflected in the snapshot. */
  applied: string[];
  /** When the state was captured (ms since epoch). */
  createdAt: number;
  /** The next free ANN slot. */
  nextSlot: number;
}

/** Everything a snapshot restores. */
export interface SnapshotData {
  meta: SnapshotMeta;
  items: ContentItem[];
  text: Float32Array;
  image?: Float32Array;
  hasImage?: Uint8Array;
  publishedMs: Float64Array;
  sourcePopularity: Float32Array;
  slots: Uint32Array;
  rowHashes: string[];
  termRows: Map<string, Int32Array>;
  priorRows: Int32Array;
  /** The saved ANN index, opened (memory-mapped where the library allows). */
  ann?: VectorIndex;
}

/** What a load found. `invalid` carries the reason for the operator's warning. */
export type SnapshotLoad = { kind: 'none' } | { kind: 'invalid'; reason: string } | { kind: 'ok'; data: SnapshotData };

export interface CatalogSnapshots {
  /** Where snapshots live, for logs. */
  readonly where: string;
  /** The newest snapshot for `key` whose files all verify; never throws for a bad snapshot (returns `invalid`). */
  load(key: SnapshotKey): Promise<SnapshotLoad>;
  /** Writes a snapshot atomically (readers never see a half-written one) and prunes older ones. */
  save(key: SnapshotKey, data: SnapshotData): Promise<void>;
}
