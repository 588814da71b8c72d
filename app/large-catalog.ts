/**
 * The large-catalog wiring from config: the usearch ANN factory, the snapshot directory and the change-log sync
 * interval, as `CatalogService` options (spread into its constructor by the composition root).
 */
import { join } from 'node:path';
import type { Config } from '../core/config.js';
import type { LargeCatalogOptions } from '../core/catalog/catalog.js';
import { UsearchFactory } from '../models/ann/usearch.js';
import { FileCatalogSnapshots } from '../infra/catalog/snapshot.js';

export { FileCatalogSnapshots } from '../infra/catalog/snapshot.js';

type LargeCatalogConfig = Pick<
  Config,
  | 'DATA_DIR'
  | 'CATALOG_ANN'
  | 'CATALOG_ANN_MIN_ITEMS'
  | 'CATALOG_VECTOR_QUANTIZATION'
  | 'CATALOG_ANN_CONNECTIVITY'
  | 'CATALOG_ANN_EXPANSION_ADD'
  | 'CATALOG_ANN_EXPANSION_SEARCH'
  | 'CATALOG_SNAPSHOT'
  | 'CATALOG_SNAPSHOT_DIR'
  | 'CATALOG_SYNC_INTERVAL_SECONDS'
>;

/** `CatalogService` options for the configured large-catalog mode. */
export function largeCatalogOptions(config: LargeCatalogConfig): LargeCatalogOptions {
  const annFactory =
    config.CATALOG_ANN === 'off'
      ? undefined
      : new UsearchFactory({
          quantization: config.CATALOG_VECTOR_QUANTIZATION,
          connectivity: config.CATALOG_ANN_CONNECTIVITY,
          expansionAdd: config.CATALOG_ANN_EXPANSION_ADD,
          expansionSearch: config.CATALOG_ANN_EXPANSION_SEARCH,
        });
  const out: LargeCatalogOptions = { syncIntervalMs: config.CATALOG_SYNC_INTERVAL_SECONDS * 1000 };
  if (annFactory) {
    out.annFactory = annFactory;
    out.annMinItems = config.CATALOG_ANN_MIN_ITEMS;
  }
  if (config.CATALOG_SNAPSHOT) {
    const dir = config.CATALOG_SNAPSHOT_DIR || join(config.DATA_DIR, 'catalog-snapshots');
    out.snapshots = new FileCatalogSnapshots({ dir, ...(annFactory ? { annFactory } : {}) });
  }
  return out;
}
