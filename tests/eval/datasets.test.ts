import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic, readFeedbackLog, type FeedbackUserDoc } from '../../core/eval/datasets.js';
import { loadMovieLens100k } from '../../core/eval/movielens.js';
import { isRecoError } from '../../core/errors.js';
import { pullMovieLens100k } from '../../scripts/data-pull.js';

const root = path.resolve('tests/.tmp/eval-datasets');
const genres = (...on: number[]) => Array.from({ length: 19 }, (_, g) => (on.includes(g) ? '1' : '0')).join('|');

function writeMovieLens(dir: string, data: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'u.user'), '1|24|M|technician|85711\n2|53|F|other|94043\n3|17|M|student|32067\n');
  // latin1 title: "Café Society" with é as byte 0xE9
  const items = [
    `1|Toy Story (1995)|01-Jan-1995||http://x|${genres(3, 4, 5)}`,
    `2|Caf\xe9 Society (1995)|01-Jan-1995||http://x|${genres(8)}`,
    `3|Heat (1995)|01-Jan-1995||http://x|${genres(1, 6)}`,
  ];
  writeFileSync(path.join(dir, 'u.item'), Buffer.from(items.join('\n') + '\n', 'latin1'));
  writeFileSync(path.join(dir, 'u.data'), data);
}

const goodData =
  ['1\t1\t5\t881250949', '1\t2\t3\t881250950', '2\t1\t1\t881250951', '2\t3\t4\t881250952', '3\t3\t5\t881250953'].join(
    '\n',
  ) + '\n';

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('MovieLens-100K loader', () => {
  it('reads users (attributes), items (genres, latin1 titles) and ratings (like ≥ 4, dislike ≤ 2)', async () => {
    const dir = path.join(root, 'good');
    writeMovieLens(dir, goodData);
    const ds = await loadMovieLens100k(dir);
    expect(ds.users).toHaveLength(3);
    expect(ds.users[0]!.attributes).toEqual({ age: '18-24', gender: 'M', occupation: 'technician' });
    expect(ds.users[2]!.attributes.age).toBe('under-18');
    expect(ds.items[1]!.text).toContain('Café Society');
    expect(ds.items[0]!.categories).toEqual(['Animation', "Children's", 'Comedy']);
    expect(ds.interactions.length).toBe(5);
    expect([...ds.interactions.signal]).toEqual([1, 0, -1, 1, 1]);
    expect(ds.itemText.length).toBe(3 * ds.textDim);
  });

  it('a corrupt row fails cleanly with the file and row number', async () => {
    const dir = path.join(root, 'bad');
    writeMovieLens(dir, goodData.replace('2\t3\t4\t881250952', '2\t3\tfour\t881250952'));
    const err = await loadMovieLens100k(dir).catch((e: unknown) => e);
    expect(isRecoError(err, 'DATASET_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/u\.data row 4/);
    expect((err as { details: Record<string, unknown> }).details).toMatchObject({ file: 'u.data', row: 4 });

    writeMovieLens(dir, goodData.replace('3\t3\t5', '3\t99\t5'));
    await expect(loadMovieLens100k(dir)).rejects.toThrow(/u\.data row 5: unknown item id 99/);
  });
});

describe('data:pull', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    const zip = new AdmZip();
    zip.addFile('ml-100k/u.user', Buffer.from('1|24|M|technician|85711\n'));
    zip.addFile('ml-100k/u.item', Buffer.from(`1|Toy Story (1995)|01-Jan-1995||http://x|${genres(5)}\n`));
    zip.addFile('ml-100k/u.data', Buffer.from('1\t1\t5\t881250949\n'));
    const body = zip.toBuffer();
    server = createServer((req, res) => {
      if (req.url === '/ml-100k.zip') res.writeHead(200, { 'content-type': 'application/zip' }).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ml-100k.zip`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('downloads and unzips into <dir>/ml-100k, loadable by the loader', async () => {
    const out = await pullMovieLens100k(path.join(root, 'pulled'), url);
    const ds = await loadMovieLens100k(out);
    expect(ds.interactions.length).toBe(1);
    await expect(
      pullMovieLens100k(path.join(root, 'pulled2'), url.replace('ml-100k.zip', 'missing.zip')),
    ).rejects.toThrow(/HTTP 404/);
  });
});

describe('synthetic generator', () => {
  it('is deterministic per seed and plants attribute-dependent tastes', () => {
    const a = generateSynthetic({ users: 100, items: 120, seed: 3 });
    const b = generateSynthetic({ users: 100, items: 120, seed: 3 });
    const c = generateSynthetic({ users: 100, items: 120, seed: 4 });
    expect([...a.interactions.item]).toEqual([...b.interactions.item]);
    expect([...a.interactions.item]).not.toEqual([...c.interactions.item]);
    expect(Object.keys(a.users[0]!.attributes).sort()).toEqual(['age', 'gender', 'occupation', 'region']);
    // users sharing an occupation like the same categories more often than users that do not
    const liked = a.users.map(() => new Map<string, number>());
    for (let r = 0; r < a.interactions.length; r++) {
      if (a.interactions.signal[r] !== 1) continue;
      const m = liked[a.interactions.user[r]!]!;
      for (const cat of a.items[a.interactions.item[r]!]!.categories) m.set(cat, (m.get(cat) ?? 0) + 1);
    }
    const top = liked.map((m) => [...m].sort((x, y) => y[1] - x[1])[0]?.[0]);
    let same = 0;
    let sameN = 0;
    let diff = 0;
    let diffN = 0;
    for (let i = 0; i < a.users.length; i++)
      for (let j = i + 1; j < a.users.length; j++) {
        const eq = top[i] === top[j] ? 1 : 0;
        const keyEq =
          a.users[i]!.attributes.occupation === a.users[j]!.attributes.occupation &&
          a.users[i]!.attributes.age === a.users[j]!.attributes.age;
        if (keyEq) {
          same += eq;
          sameN++;
        } else {
          diff += eq;
          diffN++;
        }
      }
    expect(same / sameN).toBeGreaterThan(diff / diffN);
  });
});

describe("the bot's feedback log", () => {
  it('keeps the latest signal per item, drops undone ones and unknown items, carries persona data', async () => {
    const items = [
      { id: 'a', categories: ['tech'], text: 'gpu news' },
      { id: 'b', categories: ['games'], text: 'new game' },
    ];
    const docs: FeedbackUserDoc[] = [
      {
        userId: 'u1',
        attributes: { age: '25-34' },
        lang: 'ko',
        platform: 'discord',
        interests: ['gpu'],
        feedback: [
          { itemId: 'a', signal: 'dislike', at: '2026-11-01T00:00:00Z' },
          { itemId: 'a', signal: 'like', at: '2026-11-02T00:00:00Z' },
          { itemId: 'b', signal: 'like', at: '2026-11-01T00:00:00Z' },
          { itemId: 'b', signal: 'none', at: '2026-11-03T00:00:00Z' },
          { itemId: 'gone', signal: 'like', at: '2026-11-03T00:00:00Z' },
        ],
      },
      { userId: 'u2', feedback: [{ itemId: 'b', signal: 'dislike', at: '2026-11-05T00:00:00Z' }] },
    ];
    async function* gen() {
      yield* docs;
    }
    const ds = await readFeedbackLog(gen(), items, { textDim: 16 });
    expect(ds.users.map((u) => u.id)).toEqual(['u1', 'u2']);
    expect(ds.users[0]).toMatchObject({
      attributes: { age: '25-34' },
      lang: 'ko',
      platform: 'discord',
      interests: ['gpu'],
    });
    expect(ds.interactions.length).toBe(2);
    expect([...ds.interactions.user]).toEqual([0, 1]);
    expect([...ds.interactions.item]).toEqual([0, 1]);
    expect([...ds.interactions.signal]).toEqual([1, -1]);
    expect(ds.meta.skippedUnknownItems).toBe(1);
  });
});
