/**
 * Downloads and unzips an evaluation dataset (needs internet).
 *
 *   npm run data:pull -- movielens-100k              # → <DATA_DIR>/movielens/ml-100k/{u.data,u.item,u.user,…}
 *   npm run data:pull -- movielens-100k --dir ./elsewhere
 *
 * MOVIELENS_100K_URL (core/config.ts) overrides the GroupLens URL, for mirrors.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import AdmZip from 'adm-zip';
import { DEFAULTS } from '../core/config.js';
import { loadConfig } from '../infra/config.js';

export const MOVIELENS_100K_URL = DEFAULTS.MOVIELENS_100K_URL;

/** Downloads the zip and extracts it under `dir` (the archive holds an `ml-100k/` folder). Returns that folder. */
export async function pullMovieLens100k(dir: string, url: string = MOVIELENS_100K_URL): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const zip = new AdmZip(Buffer.from(await res.arrayBuffer()));
  mkdirSync(dir, { recursive: true });
  for (const entry of zip.getEntries()) {
    const target = path.resolve(dir, entry.entryName);
    if (!target.startsWith(path.resolve(dir) + path.sep))
      throw new Error(`refusing zip entry outside the target: ${entry.entryName}`);
  }
  zip.extractAllTo(dir, true);
  return path.join(dir, 'ml-100k');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { dir: { type: 'string' } } });
  const name = positionals[0] ?? 'movielens-100k';
  if (name !== 'movielens-100k') throw new Error(`unknown dataset "${name}" (available: movielens-100k)`);
  const dir = values.dir ?? path.join(loadConfig().DATA_DIR, 'movielens');
  const out = await pullMovieLens100k(dir, loadConfig().MOVIELENS_100K_URL);
  console.log(`MovieLens-100K is in ${out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
