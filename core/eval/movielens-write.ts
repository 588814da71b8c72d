/**
 * `writeMovieLens100k`: any dataset written as a GroupLens ML-100K folder (the synthetic stand-in used when the
 * real files cannot be downloaded, so the real reader is what tests and measurements go through). Re-exported by
 * `movielens.ts`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MOVIELENS_GENRES } from './datasets.js';

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
