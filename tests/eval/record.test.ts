/**
 * A multi-seed harness run becomes an experiment record the registry accepts (zod shapes of
 * core/eval/experiment.ts) and the dashboard can read: summaries over seeds, significance, per-user values,
 * lists and pools of the first seed — and the dashboard's experiments API (issue 12) lists it and compares it.
 */
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASELINES } from '../../core/eval/baselines.js';
import { generateSynthetic } from '../../core/eval/datasets.js';
import { runHarness } from '../../core/eval/harness.js';
import { buildExperimentRecord } from '../../core/eval/record.js';
import { defaultConfig } from '../../core/config.js';
import { createDashboard } from '../../dashboard/server.js';
import { listExperiments, readArtifact, writeExperiment } from '../../infra/experiments.js';

describe('experiment record of an eval run', () => {
  it('GIVEN three models over two seeds THEN run.json holds mean/std/perSeed, significance and the split’s positive; the artifacts validate', async () => {
    const ds = generateSynthetic({ users: 150, items: 120, perUser: 14, seed: 8 });
    const result = await runHarness({
      dataset: ds,
      split: 'random',
      models: [BASELINES.random, BASELINES.pop, BASELINES.itemknn],
      ks: [5, 10],
      seeds: [0, 1],
      positive: 4,
      poolUsers: 40,
      poolSize: 20,
    });
    const record = buildExperimentRecord({
      kind: 'eval',
      result,
      dataset: ds,
      argv: ['--models', 'random,pop,itemknn'],
      git: { commit: null, dirty: null },
      now: new Date('2026-12-01T00:00:00Z'),
    });
    const dir = mkdtempSync(path.join('tests/.tmp', 'record-'));
    const folder = await writeExperiment(dir, record.run, {
      users: record.users,
      lists: record.lists,
      pools: record.pools,
    });
    const { runs, problems } = await listExperiments(dir);
    expect(problems).toEqual([]);
    const run = runs[0]!.run;
    expect(run.seeds).toEqual([0, 1]);
    expect(run.split).toMatchObject({ kind: 'random', positive: 4 });
    expect(run.dataset.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const knn = run.models.find((m) => m.name === 'itemknn')!;
    expect(knn.metrics['ndcg@10']!.perSeed).toHaveLength(2);
    expect(knn.metrics['ndcg@10']!.std).toBeGreaterThan(0);
    expect(knn.family).toBe('cf-neighbourhood');
    expect(knn.params).toMatchObject({ neighbours: 100, pruning: 'per scored item (RecBole)' });
    // the best model is compared with the runner-up, the others with the best, by a paired test
    const rnd = run.models.find((m) => m.name === 'random')!.significance!['ndcg@10']!;
    expect(rnd).toMatchObject({ test: 'wilcoxon-signed-rank', significant: true, alpha: 0.05 });
    expect(rnd.delta).toBeLessThan(0);
    expect(run.extra).toMatchObject({ significance: { test: 'wilcoxon-signed-rank', correction: 'holm' } });

    const users = (await readArtifact(folder, 'users'))!;
    expect(users.seed).toBe(0);
    expect(users.models.itemknn!['ndcg@10']).toHaveLength(users.users.length);
    const lists = (await readArtifact(folder, 'lists'))!;
    expect(lists.k).toBe(10);
    expect(lists.models.pop![0]).toHaveLength(10);
    expect(lists.targets).toHaveLength(lists.users.length);
    const pools = (await readArtifact(folder, 'pools'))!;
    expect(pools.users.length).toBeLessThanOrEqual(40);
    expect(pools.models.itemknn!.items[0]).toHaveLength(20);
    const someItem = pools.models.itemknn!.items[0]![0]!;
    const v = pools.itemVectors[someItem]!;
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);

    // the dashboard reads the same folder: the run is listed with its best model, and its table compares
    const { app } = createDashboard({
      config: defaultConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' }),
      experimentsDir: dir,
    });
    const get = (url: string) => app.request(url, { headers: { host: '127.0.0.1:8787' } });
    const listed = (await (await get('/api/runs')).json()) as {
      runs: { id: string; seeds: number[]; models: string[]; best: { model: string } | null }[];
      problems: unknown[];
    };
    expect(listed.problems).toEqual([]);
    const mine = listed.runs.find((r) => r.id === record.run.id)!;
    expect(mine).toMatchObject({ seeds: [0, 1], models: ['random', 'pop', 'itemknn'] });
    const bestByMean = [...run.models].sort((a, b) => b.metrics['ndcg@10']!.mean - a.metrics['ndcg@10']!.mean)[0]!;
    expect(mine.best?.model).toBe(bestByMean.name);
    const compare = await get(`/api/compare?runs=${record.run.id}`);
    expect(compare.status).toBe(200);
    const dist = await get(`/api/runs/${record.run.id}/distribution?metric=ndcg@10`);
    expect(dist.status).toBe(200);
  });
});
