/** Runs and stores for the dashboard suites: small hand-computed records, and a live store seeded through core. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXPERIMENT_SCHEMA, summarize, type ExperimentLists, type ExperimentRun } from '../../core/eval/experiment.js';
import type { ContentItem } from '../../core/domain.js';
import { writeExperiment } from '../../infra/experiments.js';
import { SourceHealthStore } from '../../scrapers/health.js';
import { testApp } from '../helpers/app.js';

/** The hand-made CSV of the upload tests and the metrics computed by hand (see tests/dashboard/upload.test.ts). */
export const HAND_RECS = 'user,item,rank\nu1,a,1\nu1,b,2\nu1,c,3\nu2,c,1\nu2,d,2\nu2,a,3\n';
export const HAND_TEST = 'user,item\nu1,b\nu1,e\nu2,c\n';
/**
 * u1: list a,b,c; relevant {b,e} → recall 1/2, precision 1/3, NDCG (1/log2 3)/(1 + 1/log2 3) = 0.386853, AP 0.5/2,
 *     MRR 1/2, hit 1.
 * u2: list c,d,a; relevant {c} → recall 1, precision 1/3, NDCG 1, AP 1, MRR 1, hit 1.
 * Coverage: {a,b,c,d} of the 5 items in the files = 0.8. Gini over counts a2 b1 c2 d1 e0: sorted 0,1,1,2,2 →
 * Σ(2j−n−1)c_j = 10, / (5·6) = 1/3.
 */
export const HAND_METRICS: Record<string, number> = {
  'recall@3': 0.75,
  'precision@3': 1 / 3,
  'ndcg@3': (1 / Math.log2(3) / (1 + 1 / Math.log2(3)) + 1) / 2,
  'map@3': 0.625,
  'mrr@3': 0.75,
  'hit@3': 1,
  'coverage@3': 0.8,
  'gini@3': 1 / 3,
};

const s = (...v: number[]) => summarize(v);

/**
 * A run with three models and known numbers (two seeds): `ease` best on NDCG, `pop` best on coverage; significance
 * of `ease` vs `itemknn` on ndcg@10. Lists with item popularity for the popularity buckets.
 */
export function handRun(id = '2026-11-20T10-00-00Z-eval-aaaaaa'): { run: ExperimentRun; lists: ExperimentLists } {
  const run: ExperimentRun = {
    schema: EXPERIMENT_SCHEMA,
    id,
    kind: 'eval',
    label: 'hand-made run',
    createdAt: '2026-11-20T10:00:00.000Z',
    git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: false },
    argv: ['--models', 'pop,itemknn,ease'],
    dataset: { name: 'tiny', fingerprint: 'f'.repeat(64), users: 3, items: 6, interactions: 12 },
    split: {
      kind: 'random',
      positive: 'all',
      options: { ratios: [0.8, 0.1, 0.1] },
      train: 8,
      valid: 1,
      test: 3,
      coldUsers: 0,
    },
    ks: [10],
    seeds: [1, 2],
    models: [
      {
        name: 'pop',
        family: 'baseline',
        params: {},
        metrics: {
          'ndcg@10': s(0.1, 0.12),
          'recall@10': s(0.2, 0.2),
          'coverage@10': s(0.9, 0.8),
          'gini@10': s(0.5, 0.5),
        },
        fitSeconds: s(0.01, 0.01),
        users: 3,
      },
      {
        name: 'itemknn',
        family: 'cf-linear',
        params: { k: 50 },
        metrics: {
          'ndcg@10': s(0.3, 0.34),
          'recall@10': s(0.4, 0.5),
          'coverage@10': s(0.5, 0.5),
          'gini@10': s(0.3, 0.3),
        },
        fitSeconds: s(0.2, 0.3),
        users: 3,
      },
      {
        name: 'ease',
        family: 'cf-linear',
        params: { lambda: 500 },
        metrics: {
          'ndcg@10': s(0.4, 0.42),
          'recall@10': s(0.45, 0.55),
          'coverage@10': s(0.4, 0.3),
          'gini@10': s(0.2, 0.25),
        },
        significance: {
          'ndcg@10': {
            vs: 'itemknn',
            test: 'wilcoxon-signed-rank',
            pValue: 0.004,
            significant: true,
            alpha: 0.05,
            delta: 0.09,
          },
        },
        fitSeconds: s(1.5, 1.7),
        users: 3,
      },
    ],
  };
  // Items h (head: 3 training users), m1, m2 (2 each), t1..t3 (1 each): 10 training interactions.
  const lists: ExperimentLists = {
    seed: 1,
    k: 2,
    users: ['x', 'y', 'z'],
    targets: [['h'], ['t1'], ['m1', 't2']],
    models: {
      pop: [
        ['h', 'm1'],
        ['h', 'm1'],
        ['h', 'm2'],
      ],
      ease: [
        ['h', 't3'],
        ['t1', 'h'],
        ['t2', 'm1'],
      ],
    },
    itemPopularity: { h: 3, m1: 2, m2: 2, t1: 1, t2: 1, t3: 1 },
    nItems: 6,
  };
  return { run, lists };
}

export async function writeHandRun(dir: string): Promise<string> {
  const { run, lists } = handRun();
  await writeExperiment(dir, run, { lists });
  return run.id;
}

/**
 * A live bot store seeded through the real services (composition root, DeepReco): three people on three platforms,
 * messages, one list each, reactions on two days; plus scraper health and a two-tower folder in the shape
 * `saveModelDir` writes (config.json + metrics.json, reconstructed; no weights, so it is listed but not serving).
 */
export async function seedLiveBot(options: { items?: ContentItem[]; twoTowerDir: string }) {
  let now = new Date('2026-11-24T09:00:00Z');
  const app = await testApp({
    ...(options.items ? { items: options.items } : {}),
    now: () => now,
    env: { TWO_TOWER_DIR: options.twoTowerDir },
  });
  const alice = { platform: 'console', externalId: 'alice' } as const;
  const bob = { platform: 'discord', externalId: '1234567890' } as const;
  const chloe = { platform: 'telegram', externalId: '42' } as const;
  await app.reco.message(alice, 'I love football and ramen');
  await app.reco.message(bob, 'games and tech please');
  await app.reco.message(chloe, 'just browsing');
  for (const a of [alice, bob, chloe]) await app.reco.recommend(a, { count: 5 }, { chatId: 'c' });
  await app.reco.reactToListItem(alice, 'c', 1, '👍', 'add', 'a1');
  await app.reco.reactToListItem(alice, 'c', 2, '👍', 'add', 'a2');
  now = new Date('2026-11-25T09:00:00Z');
  await app.reco.reactToListItem(alice, 'c', 3, '👎', 'add', 'a3');
  await app.reco.reactToListItem(bob, 'c', 1, '👍', 'add', 'b1');
  await new SourceHealthStore(app.store).put({
    source: 'youtube',
    displayName: 'YouTube',
    status: 'ok',
    lastRunAt: '2026-11-25T08:00:00Z',
    lastSuccessAt: '2026-11-25T08:00:00Z',
    itemsFound: 40,
    itemsNew: 12,
    itemsDropped: 3,
    pagesOk: 4,
    pagesFailed: 0,
    durationMs: 5200,
    consecutiveFailures: 0,
    notes: [],
  });
  await new SourceHealthStore(app.store).put({
    source: 'instagram',
    displayName: 'Instagram',
    status: 'failing',
    lastRunAt: '2026-11-25T08:00:00Z',
    lastError: { code: 'SCRAPE_FAILED', reason: 'login-wall', message: 'login wall', at: '2026-11-25T08:00:00Z' },
    itemsFound: 0,
    itemsNew: 0,
    itemsDropped: 0,
    pagesOk: 0,
    pagesFailed: 2,
    durationMs: 800,
    consecutiveFailures: 3,
    notes: ['login wall'],
  });
  const version = path.join(options.twoTowerDir, 'v20261123-101500-000');
  await mkdir(version, { recursive: true });
  await writeFile(
    path.join(version, 'config.json'),
    JSON.stringify({
      format: 'deep-reco-two-tower',
      formatVersion: 1,
      name: 'v20261123-101500-000',
      createdAt: '2026-11-23T10:15:00.000Z',
      dataset: { name: 'bot', users: 3, items: 40, interactions: 4 },
    }),
  );
  await writeFile(
    path.join(version, 'metrics.json'),
    JSON.stringify({
      history: [{ epoch: 1 }, { epoch: 2 }, { epoch: 3 }],
      bestEpoch: 2,
      bestValidNdcg: 0.2345,
      k: 10,
      test: { 'ndcg@10': 0.21 },
      popularTest: { 'ndcg@10': 0.15 },
    }),
  );
  return { app, now: () => now };
}
