/**
 * Resolves a `--dataset` argument: `synthetic`, `movielens-100k` (from `<DATA_DIR>/movielens/ml-100k`, where
 * `npm run data:pull -- movielens-100k` puts it), a directory holding the MovieLens-100K files, or `bot:<file>` —
 * a JSON-lines export of the bot's user documents ({@link FeedbackUserDoc} per line) with `--items <file>`.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContentItem } from '../domain.js';
import { RecoError } from '../errors.js';
import {
  datasetItemsFromContent,
  generateSynthetic,
  loadMovieLens100k,
  readFeedbackLog,
  type FeedbackUserDoc,
  type InteractionDataset,
  type SyntheticOptions,
} from './datasets.js';

export const movieLensDir = (dataDir: string): string => path.join(dataDir, 'movielens', 'ml-100k');

export interface ResolveDatasetOptions {
  dataDir: string;
  synthetic?: SyntheticOptions;
  /** For `bot:<file>`: a JSON file with the catalog's ContentItem[] the feedback refers to. */
  itemsFile?: string;
}

export async function resolveDataset(name: string, o: ResolveDatasetOptions): Promise<InteractionDataset> {
  if (name === 'synthetic') return generateSynthetic(o.synthetic ?? {});
  if (name === 'movielens-100k') {
    const dir = movieLensDir(o.dataDir);
    if (!existsSync(path.join(dir, 'u.data'))) {
      throw new RecoError(
        'DATASET_INVALID',
        `MovieLens-100K is not in ${dir}. Run \`npm run data:pull -- movielens-100k\` (needs internet) or pass --dataset <dir with u.data, u.item, u.user>`,
        { details: { dir } },
      );
    }
    return loadMovieLens100k(dir);
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
  if (existsSync(name) && statSync(name).isDirectory()) return loadMovieLens100k(name);
  throw new RecoError(
    'DATASET_INVALID',
    `Unknown dataset "${name}": use synthetic, movielens-100k, a MovieLens-100K directory or bot:<users.jsonl>`,
  );
}
