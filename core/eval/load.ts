/**
 * Resolves a `--dataset` argument:
 * - `synthetic` — the MovieLens-shaped synthetic set (`synthetic.ts`), written once as an ML-100K folder under
 *   `<DATA_DIR>/movielens/synthetic-ml100k` and read back through the real ML-100K reader;
 * - `planted` — the small planted-attribute generator (`generateSynthetic`, fast, for smoke runs);
 * - `movielens-100k`, `movielens-1m`, `movielens-latest-small` — the GroupLens folders where
 *   `npm run data:pull -- <name>` puts them (`<DATA_DIR>/movielens/<folder>`);
 * - a path to a MovieLens folder (ML-100K `u.data`, ML-1M/10M `ratings.dat`, ml-latest `ratings.csv`, detected);
 * - `bot:<users.jsonl>` with `--items <items.json>` — a JSON-lines export of the bot's user documents.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContentItem } from '../domain.js';
import { RecoError } from '../errors.js';
import {
  datasetItemsFromContent,
  generateSynthetic,
  readFeedbackLog,
  type FeedbackUserDoc,
  type InteractionDataset,
  type SyntheticOptions,
} from './datasets.js';
import { detectMovieLens, loadMovieLens } from './movielens.js';
import { SYNTHETIC_GENERATOR, writeSyntheticMovieLens, type MovieLensLikeOptions } from './synthetic.js';

/** Named GroupLens releases: folder under `<DATA_DIR>/movielens/` and download URL. */
export const MOVIELENS_RELEASES = {
  'movielens-100k': { folder: 'ml-100k', url: 'https://files.grouplens.org/datasets/movielens/ml-100k.zip' },
  'movielens-1m': { folder: 'ml-1m', url: 'https://files.grouplens.org/datasets/movielens/ml-1m.zip' },
  'movielens-latest-small': {
    folder: 'ml-latest-small',
    url: 'https://files.grouplens.org/datasets/movielens/ml-latest-small.zip',
  },
} as const;
export type MovieLensRelease = keyof typeof MOVIELENS_RELEASES;

export const DATASET_CHOICES =
  'synthetic, planted, movielens-100k, movielens-1m, movielens-latest-small, a path to a MovieLens folder, or bot:<users.jsonl> --items <items.json>';

export const movieLensDir = (dataDir: string, release: MovieLensRelease = 'movielens-100k'): string =>
  path.join(dataDir, 'movielens', MOVIELENS_RELEASES[release].folder);

/** Where `--dataset synthetic` keeps its ML-100K-format folder (per generator version and seed). */
export const syntheticDir = (dataDir: string, seed = 1): string =>
  path.join(dataDir, 'movielens', `synthetic-ml100k-${SYNTHETIC_GENERATOR}-s${seed}`);

export interface ResolveDatasetOptions {
  dataDir: string;
  /** Options of `planted`. */
  synthetic?: SyntheticOptions;
  /** Options of `synthetic` (the folder is regenerated when they differ from the defaults). */
  movieLensLike?: MovieLensLikeOptions;
  /** For `bot:<file>`: a JSON file with the catalog's ContentItem[] the feedback refers to. */
  itemsFile?: string;
}

function missing(name: string, dir: string, release?: MovieLensRelease): RecoError {
  const how = release
    ? `Get it with \`npm run data:pull -- ${release}\` (needs internet), or pass --dataset <path to a MovieLens folder>`
    : '--dataset takes a path to a MovieLens folder (u.data, ratings.dat or ratings.csv inside)';
  return new RecoError('DATASET_INVALID', `--dataset ${name}: no MovieLens files in ${dir}. ${how}.`, {
    details: { dir },
  });
}

export async function resolveDataset(name: string, o: ResolveDatasetOptions): Promise<InteractionDataset> {
  if (name === 'planted') return generateSynthetic(o.synthetic ?? {});
  if (name === 'synthetic') {
    const custom = o.movieLensLike && Object.keys(o.movieLensLike).some((k) => k !== 'seed');
    const dir = custom
      ? path.join(o.dataDir, 'movielens', `synthetic-ml100k-custom-${process.pid}`)
      : syntheticDir(o.dataDir, o.movieLensLike?.seed ?? 1);
    if (custom || !existsSync(path.join(dir, 'u.info'))) await writeSyntheticMovieLens(dir, o.movieLensLike ?? {});
    const ds = await loadMovieLens(dir);
    return { ...ds, name: 'synthetic-ml100k', meta: { ...ds.meta, generator: SYNTHETIC_GENERATOR } };
  }
  if (name in MOVIELENS_RELEASES) {
    const release = name as MovieLensRelease;
    const dir = movieLensDir(o.dataDir, release);
    if (!detectMovieLens(dir)) throw missing(name, dir, release);
    return loadMovieLens(dir);
  }
  if (name.startsWith('bot:')) {
    const file = name.slice(4);
    if (!o.itemsFile)
      throw new RecoError('DATASET_INVALID', '--dataset bot:<users.jsonl> needs --items <catalog items JSON>');
    const items = JSON.parse(await readFile(o.itemsFile, 'utf8')) as ContentItem[];
    const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
    async function* docs(): AsyncIterable<FeedbackUserDoc> {
      for (const [i, line] of lines.entries()) {
        if (!line.trim()) continue;
        try {
          yield JSON.parse(line) as FeedbackUserDoc;
        } catch (e) {
          throw new RecoError('DATASET_INVALID', `${path.basename(file)} row ${i + 1}: not valid JSON`, {
            cause: e,
            details: { file, row: i + 1 },
          });
        }
      }
    }
    return readFeedbackLog(docs(), datasetItemsFromContent(items, new Date()), { name: `bot:${path.basename(file)}` });
  }
  if (existsSync(name) && statSync(name).isDirectory()) {
    if (!detectMovieLens(name)) throw missing(name, path.resolve(name));
    return loadMovieLens(name);
  }
  throw new RecoError(
    'DATASET_INVALID',
    `--dataset ${name}: no such dataset or folder. --dataset takes ${DATASET_CHOICES}. Get MovieLens with \`npm run data:pull -- movielens-100k\` (needs internet) or build the synthetic stand-in with \`npm run data:pull -- synthetic\`.`,
    { details: { dataset: name } },
  );
}
