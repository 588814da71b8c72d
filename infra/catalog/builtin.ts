/**
 * Reads the built-in catalog file shipped in `core/catalog/builtin/items.json` (parsing and validation are the
 * core's: `core/catalog/builtin.ts`).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { catalogSeedFromBytes, parseCatalogFile } from '../../core/catalog/builtin.js';
import type { CatalogSeed } from '../../core/catalog/catalog.js';
import type { ContentItem } from '../../core/domain.js';
import { RecoError } from '../../core/errors.js';

const PROJECT_ROOT_URL = new URL('../../', import.meta.url);

/** Absolute path of the shipped built-in catalog file. */
export const DEFAULT_BUILTIN_CATALOG_PATH = fileURLToPath(new URL('core/catalog/builtin/items.json', PROJECT_ROOT_URL));

/** Absolute path of a project-root-relative asset path such as a built-in `thumbnail`. */
export function resolveProjectPath(relativePath: string): string {
  return fileURLToPath(new URL(relativePath, PROJECT_ROOT_URL));
}

export interface LoadBuiltinCatalogOptions {
  /** The JSON file; defaults to {@link DEFAULT_BUILTIN_CATALOG_PATH}. */
  path?: string;
  /** Load time: `publishedAt = now - ageHours`, `fetchedAt = now`. */
  now: Date;
}

function readCatalogFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new RecoError('CATALOG_CORRUPT', `built-in catalog ${path} cannot be read`, { cause: e, details: { path } });
  }
}

/**
 * Reads and validates the built-in catalog.
 * @throws RecoError CATALOG_CORRUPT (unreadable, not JSON, a bad or repeated row, named) / CATALOG_EMPTY.
 */
export function loadBuiltinCatalog(opts: LoadBuiltinCatalogOptions): ContentItem[] {
  const path = opts.path ?? DEFAULT_BUILTIN_CATALOG_PATH;
  return parseCatalogFile(readCatalogFile(path), path, opts.now).items;
}

/** The catalog file as a seed for `CatalogService.syncSeed` (rows parsed only when the file's hash changed). */
export function catalogSeed(opts: LoadBuiltinCatalogOptions): CatalogSeed {
  const path = opts.path ?? DEFAULT_BUILTIN_CATALOG_PATH;
  return catalogSeedFromBytes(readCatalogFile(path), path, opts.now);
}
