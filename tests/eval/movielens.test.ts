import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetFingerprint, withPositive } from '../../core/eval/datasets.js';
import { resolveDataset } from '../../core/eval/load.js';
import { detectMovieLens, loadMovieLens } from '../../core/eval/movielens.js';
import { generateMovieLensLike, writeSyntheticMovieLens } from '../../core/eval/synthetic.js';
import { isRecoError } from '../../core/errors.js';

const fixtures = path.resolve('tests/fixtures/movielens');
const tmp = path.resolve('tests/.tmp/eval-movielens');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('MovieLens folders (layouts of the public releases)', () => {
  it('GIVEN the three layouts THEN each is detected by its files', () => {
    expect(detectMovieLens(path.join(fixtures, 'ml-100k'))).toBe('ml-100k');
    expect(detectMovieLens(path.join(fixtures, 'ml-1m'))).toBe('ml-1m');
    expect(detectMovieLens(path.join(fixtures, 'ml-latest-small'))).toBe('ml-latest');
    expect(detectMovieLens(fixtures)).toBeUndefined();
  });

  it('GIVEN ML-100K THEN latin1 titles, the title-less row, attributes and ratings are read', async () => {
    const ds = await loadMovieLens(path.join(fixtures, 'ml-100k'));
    expect(ds.name).toBe('movielens-100k');
    expect(ds.users.map((u) => u.attributes.occupation)).toEqual([
      'technician',
      'other',
      'writer',
      'technician',
      'other',
    ]);
    expect(ds.items.find((i) => i.id === 'ml-i1633')!.text).toContain('Á köldum klaka');
    expect(ds.items.find((i) => i.id === 'ml-i267')!.categories).toEqual(['unknown']);
    expect(ds.items[0]!.categories).toEqual(['Animation', "Children's", 'Comedy']);
    expect(ds.interactions.length).toBe(8);
    expect([...ds.interactions.rating]).toEqual([5, 3, 4, 1, 4, 2, 4, 5]);
  });

  it('GIVEN ML-1M THEN "::" rows, age and occupation codes and pipe genres are read', async () => {
    const ds = await loadMovieLens(path.join(fixtures, 'ml-1m'));
    expect(ds.name).toBe('movielens-1m');
    expect(ds.users[0]!.attributes).toEqual({ age: 'under-18', gender: 'F', occupation: 'K-12 student' });
    expect(ds.users[1]!.attributes).toEqual({ age: '56+', gender: 'M', occupation: 'self-employed' });
    expect(ds.items[0]!.categories).toEqual(['Animation', "Children's", 'Comedy']);
    expect(ds.interactions.length).toBe(6);
    expect(ds.interactions.time[0]).toBe(978300760_000);
  });

  it('GIVEN ml-latest-small THEN the CSV headers, quoted titles and half stars are read; users have no attributes', async () => {
    const ds = await loadMovieLens(path.join(fixtures, 'ml-latest-small'));
    expect(ds.items.find((i) => i.id === 'ml-i11')!.text).toContain('American President, The (1995)');
    expect([...ds.interactions.rating]).toEqual([4, 4, 4, 3.5, 0.5]);
    expect(ds.users).toHaveLength(2);
    expect(ds.users[0]!.attributes).toEqual({});
    // --positive all: every rating is a positive; 4: 3.5 and 0.5 are not (0.5 a dislike)
    expect([...withPositive(ds, 'all').interactions.signal]).toEqual([1, 1, 1, 1, 1]);
    expect([...withPositive(ds, 4).interactions.signal]).toEqual([1, 1, 1, 0, -1]);
  });

  it('GIVEN a corrupt ratings.dat row THEN the error names the file and the row', async () => {
    const dir = path.join(tmp, 'bad-1m');
    cpSync(path.join(fixtures, 'ml-1m'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'ratings.dat'), '1::1193::5::978300760\n1::661::three::978302109\n');
    const err = await loadMovieLens(dir).catch((e: unknown) => e);
    expect(isRecoError(err, 'DATASET_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/^ratings\.dat row 2: /);
  });

  it('GIVEN a missing folder THEN the message says how to get the data and that --dataset takes a path', async () => {
    const err = await resolveDataset(path.join(tmp, 'nothing-here'), { dataDir: tmp }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/npm run data:pull -- movielens-100k/);
    expect((err as Error).message).toMatch(/--dataset takes/);
    expect((err as Error).message).not.toMatch(/corrupt/);
    const named = await resolveDataset('movielens-1m', { dataDir: tmp }).catch((e: unknown) => e);
    expect((named as Error).message).toMatch(/npm run data:pull -- movielens-1m.*--dataset <path/);
  });

  it('GIVEN the same rows in another file order THEN the dataset fingerprint is the same', async () => {
    const dir = path.join(tmp, 'shuffled');
    cpSync(path.join(fixtures, 'ml-100k'), dir, { recursive: true });
    const rows = (await import('node:fs')).readFileSync(path.join(dir, 'u.data'), 'utf8').trim().split('\n');
    writeFileSync(path.join(dir, 'u.data'), [...rows].reverse().join('\n') + '\n');
    const a = await loadMovieLens(path.join(fixtures, 'ml-100k'));
    const b = await loadMovieLens(dir);
    expect(datasetFingerprint(b)).toBe(datasetFingerprint(a));
    writeFileSync(path.join(dir, 'u.data'), rows.slice(1).join('\n') + '\n');
    expect(datasetFingerprint(await loadMovieLens(dir))).not.toBe(datasetFingerprint(a));
  });
});

describe('the MovieLens-shaped synthetic set', () => {
  it('GIVEN the generator THEN it writes an ML-100K folder the real reader loads, with ML-like shape', async () => {
    const dir = path.join(tmp, 'synthetic');
    mkdirSync(dir, { recursive: true });
    const data = await writeSyntheticMovieLens(dir, { users: 200, items: 300, meanRatings: 45, seed: 4 });
    const ds = await loadMovieLens(dir);
    expect(ds.users).toHaveLength(200);
    expect(ds.items).toHaveLength(300);
    expect(ds.interactions.length).toBe(data.ratings.length);
    expect(ds.users[0]!.attributes).toHaveProperty('occupation');
    // every user has at least 20 ratings (ML-100K's floor); item popularity is skewed (power law)
    const perUser = new Map<number, number>();
    const perItem = new Array<number>(300).fill(0);
    for (const r of data.ratings) {
      perUser.set(r.user, (perUser.get(r.user) ?? 0) + 1);
      perItem[r.item - 1]!++;
    }
    expect(Math.min(...perUser.values())).toBeGreaterThanOrEqual(20);
    const sorted = [...perItem].sort((a, b) => b - a);
    expect(sorted[0]!).toBeGreaterThan(5 * sorted[150]!);
    const mean = data.ratings.reduce((a, r) => a + r.rating, 0) / data.ratings.length;
    expect(mean).toBeGreaterThan(3.2);
    expect(mean).toBeLessThan(3.9);
    // deterministic per seed
    expect(generateMovieLensLike({ users: 30, items: 60, seed: 9 })).toEqual(
      generateMovieLensLike({ users: 30, items: 60, seed: 9 }),
    );
  });
});
