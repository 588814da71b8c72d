/**
 * The settings of a `CatalogService` (core/catalog/catalog.ts).
 */
import type { ContentItem } from '../domain.js';
import type { ImageEncoder, KeyValueStore, Logger, TextEncoder } from '../ports.js';
import type { VectorIndexFactory } from './ann.js';
import type { CatalogSnapshots } from './snapshot.js';

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
