/**
 * The catalog change log in the store: one entry per upsert/remove, read by other processes (and this one after a
 * restart from a snapshot) to catch up (`CatalogService.sync`), and the store's epoch that snapshots are tied to.
 */

/** Store namespace of the catalog change log (one entry per upsert/remove, read by other processes to catch up). */
export const NS_CATALOG_LOG = 'catalog.log';
/** How long change-log entries live; a snapshot older than this (less a day) is not caught up but rebuilt. */
export const CATALOG_LOG_TTL_MS = 7 * 86_400_000;
/** Meta key of the store epoch (a snapshot made from another store is not used). */
export const EPOCH_KEY = 'catalog-epoch';

/** One change-log entry: the ids upserted and removed. */
export interface LogEntry {
  upsert: string[];
  remove: string[];
}
