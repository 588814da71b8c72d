/**
 * Gets an evaluation dataset into `<DATA_DIR>/movielens/`:
 *
 *   npm run data:pull -- movielens-100k              # GroupLens download (needs internet) → …/ml-100k/{u.data,u.item,u.user,…}
 *   npm run data:pull -- movielens-1m                 # → …/ml-1m/{ratings.dat,movies.dat,users.dat}
 *   npm run data:pull -- movielens-latest-small       # → …/ml-latest-small/{ratings.csv,movies.csv}
 *   npm run data:pull -- synthetic [--seed 1]         # no internet: the MovieLens-shaped synthetic set as an ML-100K folder
 *   npm run data:pull -- movielens-100k --dir ./elsewhere --url <mirror zip>
 *
 * MOVIELENS_100K_URL (core/config.ts) overrides the GroupLens URL of ML-100K, for mirrors.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import AdmZip from 'adm-zip';
import { DEFAULTS } from '../core/config.js';
import { loadConfig } from '../infra/config.js';
import { choice, numberOpt, parseCli, runCli } from '../core/eval/cli.js';
import { MOVIELENS_RELEASES, syntheticDir, type MovieLensRelease } from '../core/eval/load.js';
import { writeSyntheticMovieLens } from '../core/eval/synthetic.js';

export const MOVIELENS_100K_URL = DEFAULTS.MOVIELENS_100K_URL;

/** Downloads a GroupLens zip and extracts it under `dir` (the archive holds one folder). Returns that folder. */
export async function pullMovieLens(
  dir: string,
  release: MovieLensRelease = 'movielens-100k',
  url: string = MOVIELENS_RELEASES[release].url,
): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const zip = new AdmZip(Buffer.from(await res.arrayBuffer()));
  mkdirSync(dir, { recursive: true });
  for (const entry of zip.getEntries()) {
    const target = path.resolve(dir, entry.entryName);
    if (!target.startsWith(path.resolve(dir) + path.sep))
      throw new Error(`refusing zip entry outside the target: ${entry.entryName}`);
  }
  zip.extractAllTo(dir, true);
  return path.join(dir, MOVIELENS_RELEASES[release].folder);
}

/** ML-100K (kept for callers of the first version). */
export const pullMovieLens100k = (dir: string, url: string = MOVIELENS_100K_URL): Promise<string> =>
  pullMovieLens(dir, 'movielens-100k', url);

const NAMES = [...(Object.keys(MOVIELENS_RELEASES) as MovieLensRelease[]), 'synthetic'] as const;

async function main(): Promise<void> {
  const { values, positionals } = parseCli(
    { dir: { type: 'string' }, url: { type: 'string' }, seed: { type: 'string', default: '1' } },
    process.argv.slice(2),
    true,
  );
  const name = choice('dataset', positionals[0] ?? 'movielens-100k', NAMES);
  const config = loadConfig();
  if (name === 'synthetic') {
    const seed = numberOpt('seed', values.seed, { integer: true, min: 0 });
    const dir = values.dir ?? syntheticDir(config.DATA_DIR, seed);
    const data = await writeSyntheticMovieLens(dir, { seed });
    console.log(
      `synthetic MovieLens-100K-format set (${data.users.length} users, ${data.items.length} items, ${data.ratings.length} ratings) is in ${dir}`,
    );
    return;
  }
  const dir = values.dir ?? path.join(config.DATA_DIR, 'movielens');
  const url = values.url ?? (name === 'movielens-100k' ? config.MOVIELENS_100K_URL : MOVIELENS_RELEASES[name].url);
  const out = await pullMovieLens(dir, name, url);
  console.log(`${name} is in ${out}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runCli(main);
