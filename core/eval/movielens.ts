/**
 * GroupLens MovieLens folders, detected by their files:
 *
 * | folder              | ratings                                              | items                                          | users                                      |
 * | ------------------- | ---------------------------------------------------- | ---------------------------------------------- | ------------------------------------------ |
 * | ML-100K             | `u.data` — `user⇥item⇥rating⇥timestamp`              | `u.item` (latin1) — `id\|title\|date\|…\|19 genre flags` | `u.user` — `id\|age\|gender\|occupation\|zip` |
 * | ML-1M (and 10M)     | `ratings.dat` — `UserID::MovieID::Rating::Timestamp` | `movies.dat` (latin1) — `MovieID::Title::A\|B` | `users.dat` — `UserID::Gender::Age::Occupation::Zip` (10M: none) |
 * | ml-latest(-small)   | `ratings.csv` (header `userId,movieId,rating,timestamp`, half stars) | `movies.csv` (header, quoted titles) | none |
 *
 * Every reader fails on the first corrupt row with `RecoError DATASET_INVALID` naming the file and the 1-based row.
 * `writeMovieLens100k` writes any dataset in the ML-100K format (the synthetic stand-in used when the real files
 * cannot be downloaded, so the real reader is what tests and measurements go through).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { RecoError } from '../errors.js';
import {
  ageBand,
  buildInteractions,
  MOVIELENS_GENRES,
  type DatasetItem,
  type DatasetUser,
  type InteractionDataset,
  type RawInteraction,
  type SignalValue,
} from './datasets.js';
import { hashedTextVectors } from './text.js';

export type MovieLensFormat = 'ml-100k' | 'ml-1m' | 'ml-latest';

export interface MovieLensOptions {
  /** Ratings ≥ this are likes (relevant) until the harness's `positive` setting says otherwise. Default 4. */
  likeAtLeast?: number;
  /** Ratings ≤ this are dislikes (hard negatives). Default 2. */
  dislikeAtMost?: number;
  textDim?: number;
}

/** Which MovieLens layout `dir` holds, by its files; undefined when none. */
export function detectMovieLens(dir: string): MovieLensFormat | undefined {
  if (existsSync(path.join(dir, 'u.data'))) return 'ml-100k';
  if (existsSync(path.join(dir, 'ratings.dat'))) return 'ml-1m';
  if (existsSync(path.join(dir, 'ratings.csv'))) return 'ml-latest';
  return undefined;
}

/** ML-1M `users.dat` age codes → the band names ML-100K ages map to (`ageBand`). */
const ML1M_AGES: Record<string, string> = {
  '1': 'under-18',
  '18': '18-24',
  '25': '25-34',
  '35': '35-44',
  '45': '45-49',
  '50': '50-55',
  '56': '56+',
};

/** ML-1M `users.dat` occupation codes (its README). */
export const ML1M_OCCUPATIONS = [
  'other',
  'academic/educator',
  'artist',
  'clerical/admin',
  'college/grad student',
  'customer service',
  'doctor/health care',
  'executive/managerial',
  'farmer',
  'homemaker',
  'K-12 student',
  'lawyer',
  'programmer',
  'retired',
  'sales/marketing',
  'scientist',
  'self-employed',
  'technician/engineer',
  'tradesman/craftsman',
  'unemployed',
  'writer',
] as const;

function corrupt(file: string, row: number, why: string, cause?: unknown): RecoError {
  return new RecoError('DATASET_INVALID', `${file} row ${row}: ${why}`, {
    details: { file, row },
    ...(cause === undefined ? {} : { cause }),
  });
}

async function readText(file: string, encoding: BufferEncoding): Promise<string> {
  try {
    return await readFile(file, { encoding });
  } catch (e) {
    throw new RecoError('DATASET_INVALID', `Cannot read ${file}: ${(e as Error).message}`, {
      cause: e,
      details: { file },
    });
  }
}

async function readLines(file: string, encoding: BufferEncoding): Promise<string[]> {
  const lines = (await readText(file, encoding)).split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

const intField = (s: string | undefined): number =>
  s !== undefined && /^\s*-?\d+\s*$/.test(s) ? Number(s) : Number.NaN;
const numField = (s: string | undefined): number =>
  s !== undefined && /^\s*-?\d+(\.\d+)?\s*$/.test(s) ? Number(s) : Number.NaN;

interface Builder {
  users: DatasetUser[];
  userIndex: Map<string, number>;
  items: DatasetItem[];
  itemIndex: Map<string, number>;
  rows: RawInteraction[];
}

const newBuilder = (): Builder => ({ users: [], userIndex: new Map(), items: [], itemIndex: new Map(), rows: [] });

function addItem(b: Builder, rawId: string, title: string, genres: readonly string[], year?: string): void {
  b.itemIndex.set(rawId, b.items.length);
  const categories = genres.length ? [...genres] : ['unknown'];
  b.items.push({
    id: `ml-i${rawId}`,
    categories,
    text: `${title} ${genres.join(' ')}`.trim(),
    source: 'movielens',
    lang: 'en',
    ...(year ? { freshness: Math.min(1, Math.max(0, (Number(year) - 1920) / (1998 - 1920))) } : {}),
  });
}

function userOf(b: Builder, rawId: string): number {
  let u = b.userIndex.get(rawId);
  if (u === undefined) {
    u = b.users.length;
    b.userIndex.set(rawId, u);
    b.users.push({ id: `ml-u${rawId}`, attributes: {}, lang: 'en' });
  }
  return u;
}

function signalOf(rating: number, o: MovieLensOptions): SignalValue {
  return rating >= (o.likeAtLeast ?? 4) ? 1 : rating <= (o.dislikeAtMost ?? 2) ? -1 : 0;
}

function finish(b: Builder, name: string, dir: string, format: MovieLensFormat, o: MovieLensOptions) {
  const textDim = o.textDim ?? 128;
  return {
    name,
    users: b.users,
    items: b.items,
    interactions: buildInteractions(b.rows, b.items.length),
    itemText: hashedTextVectors(
      b.items.map((x) => x.text),
      textDim,
    ),
    textDim,
    imageDim: 0,
    meta: {
      source: path.resolve(dir),
      format,
      likeAtLeast: o.likeAtLeast ?? 4,
      dislikeAtMost: o.dislikeAtMost ?? 2,
      textVectors: `hashed-bow:${textDim}`,
    },
  } satisfies InteractionDataset;
}

/**
 * Reads the MovieLens-100K files from `dir` (`u.data`, `u.item` in latin1, `u.user`). Users get `age` (band),
 * `gender` and `occupation` attributes; items get genres as categories and title + genres as text.
 */
export async function loadMovieLens100k(dir: string, options: MovieLensOptions = {}): Promise<InteractionDataset> {
  const b = newBuilder();
  (await readLines(path.join(dir, 'u.user'), 'latin1')).forEach((line, i) => {
    const f = line.split('|');
    const age = intField(f[1]);
    if (f.length !== 5 || !f[0] || Number.isNaN(age) || !f[2] || !f[3]) {
      throw corrupt(
        'u.user',
        i + 1,
        `expected "id|age|gender|occupation|zip", got ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    b.userIndex.set(f[0], b.users.length);
    b.users.push({ id: `ml-u${f[0]}`, attributes: { age: ageBand(age), gender: f[2], occupation: f[3] }, lang: 'en' });
  });
  (await readLines(path.join(dir, 'u.item'), 'latin1')).forEach((line, i) => {
    const f = line.split('|');
    if (f.length !== 5 + MOVIELENS_GENRES.length || !f[0] || Number.isNaN(intField(f[0]))) {
      throw corrupt('u.item', i + 1, `expected 24 "|"-separated fields, got ${f.length}`);
    }
    const flags = f.slice(5);
    if (!flags.every((g) => g === '0' || g === '1')) throw corrupt('u.item', i + 1, 'genre flags must be 0 or 1');
    const genres = MOVIELENS_GENRES.filter((_, g) => flags[g] === '1');
    addItem(b, f[0], f[1] ?? '', genres, /(\d{4})\s*$/.exec(f[2] ?? '')?.[1]);
  });
  (await readLines(path.join(dir, 'u.data'), 'latin1')).forEach((line, i) => {
    const f = line.split('\t');
    const rating = intField(f[2]);
    const ts = intField(f[3]);
    if (f.length !== 4 || Number.isNaN(rating) || Number.isNaN(ts) || rating < 1 || rating > 5) {
      throw corrupt(
        'u.data',
        i + 1,
        `expected "user<TAB>item<TAB>rating 1-5<TAB>timestamp", got ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    const u = b.userIndex.get(f[0] ?? '');
    const it = b.itemIndex.get(f[1] ?? '');
    if (u === undefined) throw corrupt('u.data', i + 1, `unknown user id ${f[0]}`);
    if (it === undefined) throw corrupt('u.data', i + 1, `unknown item id ${f[1]}`);
    b.rows.push({ user: u, item: it, time: ts * 1000, rating, signal: signalOf(rating, options) });
  });
  return finish(b, 'movielens-100k', dir, 'ml-100k', options);
}

/**
 * Reads an ML-1M folder (`ratings.dat`, `movies.dat` in latin1, `users.dat` when present: ML-10M has none).
 * Age codes become the same bands as ML-100K ages; occupation codes their names from the ML-1M README.
 */
export async function loadMovieLens1m(dir: string, options: MovieLensOptions = {}): Promise<InteractionDataset> {
  const b = newBuilder();
  const usersFile = path.join(dir, 'users.dat');
  if (existsSync(usersFile)) {
    (await readLines(usersFile, 'latin1')).forEach((line, i) => {
      const f = line.split('::');
      const age = ML1M_AGES[f[2] ?? ''];
      const occupation = ML1M_OCCUPATIONS[intField(f[3])];
      if (f.length !== 5 || !f[0] || !f[1] || !age || !occupation) {
        throw corrupt(
          'users.dat',
          i + 1,
          `expected "UserID::Gender::Age::Occupation::Zip-code", got ${JSON.stringify(line.slice(0, 80))}`,
        );
      }
      b.userIndex.set(f[0], b.users.length);
      b.users.push({ id: `ml-u${f[0]}`, attributes: { age, gender: f[1], occupation }, lang: 'en' });
    });
  }
  (await readLines(path.join(dir, 'movies.dat'), 'latin1')).forEach((line, i) => {
    const f = line.split('::');
    if (f.length !== 3 || Number.isNaN(intField(f[0]))) {
      throw corrupt('movies.dat', i + 1, `expected "MovieID::Title::Genres", got ${JSON.stringify(line.slice(0, 80))}`);
    }
    const genres = (f[2] ?? '').split('|').filter((g) => g && g !== '(no genres listed)');
    addItem(b, f[0]!, f[1] ?? '', genres, /\((\d{4})\)\s*$/.exec(f[1] ?? '')?.[1]);
  });
  const hasUsers = b.users.length > 0;
  (await readLines(path.join(dir, 'ratings.dat'), 'latin1')).forEach((line, i) => {
    const f = line.split('::');
    const rating = numField(f[2]);
    const ts = intField(f[3]);
    if (f.length !== 4 || Number.isNaN(rating) || Number.isNaN(ts) || rating < 0.5 || rating > 5) {
      throw corrupt(
        'ratings.dat',
        i + 1,
        `expected "UserID::MovieID::Rating::Timestamp", got ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    const u = hasUsers ? b.userIndex.get(f[0] ?? '') : userOf(b, f[0] ?? '');
    const it = b.itemIndex.get(f[1] ?? '');
    if (u === undefined) throw corrupt('ratings.dat', i + 1, `unknown user id ${f[0]}`);
    if (it === undefined) throw corrupt('ratings.dat', i + 1, `unknown movie id ${f[1]}`);
    b.rows.push({ user: u, item: it, time: ts * 1000, rating, signal: signalOf(rating, options) });
  });
  return finish(b, hasUsers ? 'movielens-1m' : 'movielens-10m', dir, 'ml-1m', options);
}

function readCsv(text: string, file: string, header: readonly string[]): string[][] {
  let rows: string[][];
  try {
    rows = parseCsv(text, { relax_column_count: false, skip_empty_lines: true, bom: true }) as string[][];
  } catch (e) {
    const line = (e as { lines?: number }).lines;
    throw corrupt(file, line ?? 0, `not valid CSV: ${(e as Error).message}`, e);
  }
  const first = rows[0] ?? [];
  if (header.some((h, i) => first[i] !== h))
    throw corrupt(file, 1, `expected the header "${header.join(',')}", got ${JSON.stringify(first.join(','))}`);
  return rows.slice(1);
}

/**
 * Reads an ml-latest / ml-latest-small folder (`ratings.csv`, `movies.csv`, UTF-8, with headers). These releases
 * have no user file, so users have no attributes (cold start can only fall back to popularity there).
 */
export async function loadMovieLensLatest(dir: string, options: MovieLensOptions = {}): Promise<InteractionDataset> {
  const b = newBuilder();
  const movies = readCsv(await readText(path.join(dir, 'movies.csv'), 'utf8'), 'movies.csv', [
    'movieId',
    'title',
    'genres',
  ]);
  movies.forEach((f, i) => {
    if (Number.isNaN(intField(f[0]))) throw corrupt('movies.csv', i + 2, `movieId "${f[0]}" is not an integer`);
    const genres = (f[2] ?? '').split('|').filter((g) => g && g !== '(no genres listed)');
    addItem(b, f[0]!, f[1] ?? '', genres, /\((\d{4})\)\s*$/.exec(f[1] ?? '')?.[1]);
  });
  const ratings = readCsv(await readText(path.join(dir, 'ratings.csv'), 'utf8'), 'ratings.csv', [
    'userId',
    'movieId',
    'rating',
    'timestamp',
  ]);
  ratings.forEach((f, i) => {
    const rating = numField(f[2]);
    const ts = intField(f[3]);
    if (Number.isNaN(rating) || Number.isNaN(ts) || rating < 0.5 || rating > 5 || !f[0]) {
      throw corrupt('ratings.csv', i + 2, `expected "userId,movieId,rating 0.5-5,timestamp", got ${f.join(',')}`);
    }
    const it = b.itemIndex.get(f[1] ?? '');
    if (it === undefined) throw corrupt('ratings.csv', i + 2, `unknown movieId ${f[1]}`);
    b.rows.push({ user: userOf(b, f[0]), item: it, time: ts * 1000, rating, signal: signalOf(rating, options) });
  });
  return finish(b, path.basename(path.resolve(dir)) || 'movielens-latest', dir, 'ml-latest', options);
}

/** Reads whichever MovieLens layout `dir` holds (see the module comment). */
export async function loadMovieLens(dir: string, options: MovieLensOptions = {}): Promise<InteractionDataset> {
  const format = detectMovieLens(dir);
  if (format === 'ml-100k') return loadMovieLens100k(dir, options);
  if (format === 'ml-1m') return loadMovieLens1m(dir, options);
  if (format === 'ml-latest') return loadMovieLensLatest(dir, options);
  throw new RecoError(
    'DATASET_INVALID',
    `${dir} holds no MovieLens ratings file (u.data, ratings.dat or ratings.csv)`,
    { details: { dir } },
  );
}

/** ML-100K's `u.user` occupations (its `u.occupation` file). */
export const ML100K_OCCUPATIONS = [
  'administrator',
  'artist',
  'doctor',
  'educator',
  'engineer',
  'entertainment',
  'executive',
  'healthcare',
  'homemaker',
  'lawyer',
  'librarian',
  'marketing',
  'none',
  'other',
  'programmer',
  'retired',
  'salesman',
  'scientist',
  'student',
  'technician',
  'writer',
] as const;

export interface MovieLensWriteInput {
  users: { id: number; age: number; gender: 'M' | 'F'; occupation: string; zip: string }[];
  /** `genres`: indices into MOVIELENS_GENRES; `released`: `01-Jan-1995`. */
  items: { id: number; title: string; released: string; imdbUrl: string; genres: number[] }[];
  /** Integer ratings 1–5, timestamps in epoch seconds. */
  ratings: { user: number; item: number; rating: number; timestamp: number }[];
}

/**
 * Writes `u.data`, `u.item` (latin1), `u.user`, `u.genre`, `u.occupation` and `u.info` exactly as GroupLens lays
 * them out, so `loadMovieLens100k` (and anything reading the real release) reads the folder.
 */
export async function writeMovieLens100k(dir: string, d: MovieLensWriteInput): Promise<void> {
  await mkdir(dir, { recursive: true });
  const nl = (rows: string[]) => rows.map((r) => `${r}\n`).join('');
  await writeFile(
    path.join(dir, 'u.data'),
    nl(d.ratings.map((r) => `${r.user}\t${r.item}\t${r.rating}\t${r.timestamp}`)),
    'latin1',
  );
  await writeFile(
    path.join(dir, 'u.item'),
    nl(
      d.items.map((it) => {
        const flags = MOVIELENS_GENRES.map((_, g) => (it.genres.includes(g) ? '1' : '0'));
        return [it.id, it.title, it.released, '', it.imdbUrl, ...flags].join('|');
      }),
    ),
    'latin1',
  );
  await writeFile(
    path.join(dir, 'u.user'),
    nl(d.users.map((u) => `${u.id}|${u.age}|${u.gender}|${u.occupation}|${u.zip}`)),
    'latin1',
  );
  await writeFile(path.join(dir, 'u.genre'), `${nl(MOVIELENS_GENRES.map((g, i) => `${g}|${i}`))}\n`, 'latin1');
  await writeFile(path.join(dir, 'u.occupation'), nl([...ML100K_OCCUPATIONS]), 'latin1');
  await writeFile(
    path.join(dir, 'u.info'),
    nl([`${d.users.length} users`, `${d.items.length} items`, `${d.ratings.length} ratings`]),
    'latin1',
  );
}
