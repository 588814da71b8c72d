/**
 * Catalog seed files (the built-in catalog or `CATALOG_PATH`) and how a seed is synced into the store: changes are
 * found by content hash (whole file, then per row). `CatalogService.syncSeed` (core/catalog/catalog.ts) applies them.
 */
import type { ContentItem } from '../domain.js';
import type { KeyValueStore, Logger } from '../ports.js';
import { NS_ITEMS, NS_META } from '../store/namespaces.js';
import { contentHash } from './catalog-index.js';

const SEED_KEY = 'catalog-seed';

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

/**
 * Compares a seed with the rows the previous one stored (the marker in `NS_META`) and hands the rows to add or
 * update and the ids to retire to `apply` (which stores them and updates the index); then records the new marker.
 */
export async function syncSeedRows(
  store: KeyValueStore,
  logger: Logger,
  seed: CatalogSeed,
  apply: (upserts: ContentItem[], gone: string[]) => Promise<void>,
): Promise<SeedSync> {
  const marker = await store.get<{ hash: string; rows: Record<string, string> }>(NS_META, SEED_KEY);
  if (marker?.hash === seed.hash) return { unchanged: true, added: 0, updated: 0, retired: 0 };
  const { items, rowHashes } = seed.load();
  // Installs seeded before row hashes were recorded: every stored row counts as "seen with an unknown hash".
  const before = marker?.rows ?? {};
  const existing = await store.getMany<ContentItem>(
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
  if (upserts.length > 0 || gone.length > 0) await apply(upserts, gone);
  await store.set(NS_META, SEED_KEY, { hash: seed.hash, rows });
  logger.info(
    { added, updated, retired: gone.length, total: items.length },
    'catalog seed loaded (changes found by content hash)',
  );
  return { unchanged: false, added, updated, retired: gone.length };
}
