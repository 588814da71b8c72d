import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentItem } from '../../core/domain.js';
import { generateSynthetic, type FeedbackUserDoc, type InteractionDataset } from '../../core/eval/datasets.js';
import { makeSplit } from '../../core/eval/splits.js';
import type { UserFeatures } from '../../core/ports.js';
import { latestModelDir, loadParams, readModelConfig } from '../../models/twotower/artifacts.js';
import { initTf } from '../../models/twotower/backend.js';
import { TfTowers } from '../../models/twotower/model.js';
import { trainAndSave } from '../../models/twotower/pipeline.js';
import { retrainFromFeedback } from '../../models/twotower/retrain.js';
import { loadOnnxModel, runItemTower, runUserTower, TwoTowerScorer } from '../../models/twotower/serve.js';
import { DatasetFeatures } from '../../models/twotower/train.js';

const root = path.resolve('tests/.tmp/twotower-serve');
const ds: InteractionDataset = generateSynthetic({ users: 160, items: 150, perUser: 10, textDim: 24, seed: 5 });
const fast = { epochs: 2, batchSize: 128, sizes: { hidden: [32], outputDim: 16 }, yieldBetweenBatches: false };
let dirA = '';
let dirB = '';

const catalog = (version = 'c1') => ({ version, items: ds.items, text: ds.itemText });
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const user = (k: number, liked: string[] = []): UserFeatures => ({
  userId: `u${k}`,
  lang: k % 2 ? 'ko' : 'en',
  platform: 'discord',
  attributes: ds.users[k]!.attributes,
  interests: [],
  categories: [],
  likedItemIds: liked,
  dislikedItemIds: [],
});

beforeAll(async () => {
  rmSync(root, { recursive: true, force: true });
  dirA = (await trainAndSave({ dataset: ds, outDir: path.join(root, 'a'), seed: 1, train: fast })).modelDir;
  dirB = (await trainAndSave({ dataset: ds, outDir: path.join(root, 'b'), seed: 2, train: fast })).modelDir;
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('model directory and ONNX export', () => {
  it('writes config, metrics, weights and both towers', async () => {
    for (const f of ['config.json', 'metrics.json', 'weights.bin', 'user_tower.onnx', 'item_tower.onnx'])
      expect(existsSync(path.join(dirA, f))).toBe(true);
    expect(path.basename(dirA)).toMatch(/^v\d{8}-\d{6}-\d{3}$/);
    const metrics = JSON.parse(readFileSync(path.join(dirA, 'metrics.json'), 'utf8'));
    expect(metrics.history.length).toBeGreaterThan(0);
    expect(metrics.test['ndcg@10']).toBeTypeOf('number');
    expect(await latestModelDir(path.join(root, 'a'))).toBe(dirA);
  });

  it('onnxruntime reproduces the tfjs towers (max |Δ| < 1e-4)', async () => {
    const config = await readModelConfig(dirA);
    const { tf } = await initTf();
    const towers = new TfTowers(tf, config.spec, config.sizes, await loadParams(dirA, config));
    const onnx = await loadOnnxModel(dirA);
    try {
      const split = makeSplit(ds, 'random', { seed: 1 });
      const feats = new DatasetFeatures(ds, split.train, config.spec, config.spec);
      const users = feats.encodeUsers(Int32Array.from(ds.users.keys()), towers.ids['item.id']?.data);
      expect(users.history.some((x) => x !== 0)).toBe(true); // the id-history input is exercised
      const du = maxDiff(towers.userVectors(users), await runUserTower(onnx, users));
      const di = maxDiff(towers.itemVectors(feats.items), await runItemTower(onnx, feats.items, 64));
      expect(du).toBeLessThan(1e-4);
      expect(di).toBeLessThan(1e-4);
    } finally {
      towers.dispose();
      await onnx.user.release();
      await onnx.item.release();
    }
  });
});

describe('TwoTowerScorer', () => {
  it('without a model: scoreAll → undefined and describe() says so', async () => {
    const s = new TwoTowerScorer({ modelsDir: path.join(root, 'none') });
    expect(await s.loadLatest()).toBe(false);
    await s.setCatalog(catalog());
    expect(await s.scoreAll(user(0), 'c1')).toBeUndefined();
    expect(s.describe()).toMatch(/no trained model yet/);
  });

  it('scores the catalog: one score per item, unknown catalog version → undefined, cold users from persona alone', async () => {
    const s = new TwoTowerScorer({ modelsDir: path.join(root, 'a') });
    expect(await s.loadLatest()).toBe(true);
    expect(s.describe()).toMatch(/two-tower v\d{8}/);
    expect(await s.scoreAll(user(0), 'c1')).toBeUndefined(); // no catalog embedded yet
    await s.setCatalog(catalog());
    expect(s.describe()).toMatch(/catalog c1: 150 items/);
    const cold = await s.scoreAll(user(3), 'c1');
    expect(cold).toBeInstanceOf(Float32Array);
    expect(cold!.length).toBe(150);
    expect(cold!.every((x) => Number.isFinite(x))).toBe(true); // cos(u, v) + biasScale·b_i
    // persona features alone move the scores; history moves them further
    const other = await s.scoreAll(user(4), 'c1');
    expect(maxDiff(cold!, other!)).toBeGreaterThan(1e-3);
    const warm = await s.scoreAll(user(3, [ds.items[0]!.id, ds.items[1]!.id]), 'c1');
    expect(maxDiff(cold!, warm!)).toBeGreaterThan(1e-3);
    expect(await s.scoreAll(user(3), 'c2')).toBeUndefined();
    // an encoder change (other text vector size) switches the scorer off cleanly until a retrained model arrives
    await s.setCatalog({ version: 'c3', items: ds.items, text: new Float32Array(ds.items.length * 8) });
    expect(await s.scoreAll(user(3), 'c3')).toBeUndefined();
    expect(s.describe()).toMatch(/8-d text vectors, the model expects 24-d/);
    await s.close();
  });

  it('hot swap under concurrent requests: no mixed results; requests in flight finish on the old model', async () => {
    const refA = new TwoTowerScorer();
    const refB = new TwoTowerScorer();
    await refA.swap(dirA);
    await refB.swap(dirB);
    await refA.setCatalog(catalog());
    await refB.setCatalog(catalog());
    const users = Array.from({ length: 8 }, (_, k) => user(k, k % 2 ? [ds.items[k]!.id] : []));
    const expectA = await Promise.all(users.map((u) => refA.scoreAll(u, 'c1')));
    const expectB = await Promise.all(users.map((u) => refB.scoreAll(u, 'c1')));
    for (let k = 0; k < users.length; k++) expect(maxDiff(expectA[k]!, expectB[k]!)).toBeGreaterThan(1e-3);

    const s = new TwoTowerScorer();
    await s.swap(dirA);
    await s.setCatalog(catalog());
    const which = (k: number, r: Float32Array | undefined): 'A' | 'B' | 'mixed' =>
      maxDiff(r!, expectA[k]!) < 1e-6 ? 'A' : maxDiff(r!, expectB[k]!) < 1e-6 ? 'B' : 'mixed';

    const before = users.map((u, k) => s.scoreAll(u, 'c1').then((r) => which(k, r)));
    let swapped = false;
    const swap = s.swap(dirB).then(() => (swapped = true));
    const during: Promise<'A' | 'B' | 'mixed'>[] = [];
    for (let i = 0; i < 2000 && !swapped; i++) {
      const k = i % users.length;
      during.push(s.scoreAll(users[k]!, 'c1').then((r) => which(k, r)));
      await new Promise<void>((r) => setImmediate(r));
    }
    await swap;
    const after = users.map((u, k) => s.scoreAll(u, 'c1').then((r) => which(k, r)));

    expect(await Promise.all(before)).toEqual(users.map(() => 'A'));
    expect(await Promise.all(after)).toEqual(users.map(() => 'B'));
    const mid = await Promise.all(during);
    expect(mid.length).toBeGreaterThan(0);
    expect(mid.filter((x) => x === 'mixed')).toEqual([]);
    expect(s.modelDir).toBe(dirB);
    await Promise.all([s.close(), refA.close(), refB.close()]);
  });
});

describe('retraining from the bot feedback log', () => {
  it('trains from user documents and writes a model the scorer serves', async () => {
    const now = new Date('2026-11-26T00:00:00Z');
    const items: ContentItem[] = ds.items.map((it, i) => ({
      id: it.id,
      url: `https://example.com/${i}`,
      canonicalUrl: `https://example.com/${i}`,
      title: it.text,
      summary: '',
      category: it.categories[0] as ContentItem['category'],
      source: it.source ?? 'rss:x',
      lang: (it.lang ?? 'en') as 'en',
      publishedAt: new Date(now.getTime() - i * 3_600_000).toISOString(),
      fetchedAt: now.toISOString(),
      popularity: { views: 10 * i },
    }));
    const docs: FeedbackUserDoc[] = ds.users.map((u) => ({ userId: u.id, attributes: u.attributes, feedback: [] }));
    const { interactions: x } = ds;
    for (let r = 0; r < x.length; r++) {
      if (x.signal[r] === 0) continue;
      docs[x.user[r]!]!.feedback.push({
        itemId: ds.items[x.item[r]!]!.id,
        signal: x.signal[r] === 1 ? 'like' : 'dislike',
        at: new Date(x.time[r]!).toISOString(),
      });
    }
    async function* source() {
      yield* docs;
    }
    const out = await retrainFromFeedback({
      users: source(),
      items,
      itemVectors: { text: ds.itemText },
      modelsDir: path.join(root, 'bot'),
      train: fast,
      now,
    });
    expect(out.likes).toBeGreaterThan(100);
    expect(path.dirname(out.modelDir)).toBe(path.join(root, 'bot'));
    const s = new TwoTowerScorer();
    await s.swap(out.modelDir);
    await s.setContentCatalog('live-1', items, ds.itemText, undefined, now);
    const scores = await s.scoreAll(user(0, [items[0]!.id]), 'live-1');
    expect(scores?.length).toBe(items.length);
    await s.close();

    async function* tooFew() {
      yield { userId: 'x', feedback: [{ itemId: items[0]!.id, signal: 'like' as const, at: now.toISOString() }] };
    }
    await expect(
      retrainFromFeedback({
        users: tooFew(),
        items,
        itemVectors: { text: ds.itemText },
        modelsDir: path.join(root, 'bot2'),
      }),
    ).rejects.toThrow(/Not enough feedback/);
  }, 60_000);
});
