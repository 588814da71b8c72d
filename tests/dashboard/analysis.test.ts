import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASELINES } from '../../core/eval/baselines.js';
import { generateSynthetic } from '../../core/eval/datasets.js';
import type { ExperimentPools } from '../../core/eval/experiment.js';
import { runHarness } from '../../core/eval/harness.js';
import { makeSplit } from '../../core/eval/splits.js';
import { listExperiments, readArtifact, writeExperiment } from '../../infra/experiments.js';
import { compareTable, distribution, popularityBuckets } from '../../dashboard/analysis.js';
import {
  artifactsFromModels,
  experimentFromHarness,
  pairedSignificance,
  wilcoxon,
} from '../../dashboard/from-harness.js';
import { sweepMmr } from '../../dashboard/rerank.js';
import { handRun } from './fixtures.js';

const tmp: string[] = [];
afterAll(async () => Promise.all(tmp.map((d) => rm(d, { recursive: true, force: true }))));

describe('dashboard analysis: compare table', () => {
  it('GIVEN a run THEN the best of each column follows the metric direction (gini: lowest)', () => {
    const t = compareTable([handRun().run]);
    expect(t.rows.map((r) => r.key)).toEqual(['pop', 'itemknn', 'ease']);
    expect(t.best['ndcg@10']).toBeCloseTo(0.41, 10);
    expect(t.best['coverage@10']).toBeCloseTo(0.85, 10);
    expect(t.best['gini@10']).toBeCloseTo(0.225, 10);
    expect(t.metricKeys).toEqual(['recall@10', 'ndcg@10', 'coverage@10', 'gini@10']);
    const ease = t.rows.find((r) => r.key === 'ease')!;
    expect(ease.metrics['ndcg@10']!.std).toBeCloseTo(Math.SQRT2 * 0.01, 10);
    expect(ease.significance['ndcg@10']!.vs).toBe('itemknn');
    expect(t.warnings).toEqual([]);
  });

  it('GIVEN two runs of different data THEN the rows are prefixed by run and a warning says so', () => {
    const a = handRun().run;
    const b = {
      ...handRun('2026-11-21T10-00-00Z-eval-bbbbbb').run,
      label: 'other',
      dataset: { ...a.dataset, fingerprint: 'e'.repeat(64) },
    };
    const t = compareTable([a, b]);
    expect(t.rows.map((r) => r.key)).toContain('other / ease');
    expect(t.warnings.join(' ')).toMatch(/2 different datasets/);
  });
});

describe('dashboard analysis: popularity buckets', () => {
  it('GIVEN the hand-made lists THEN bucket membership, recall and exposure match the hand computation', () => {
    const p = popularityBuckets(handRun().lists, 2, 3);
    // Popularity h3 m1 2 m2 2 t1 t2 t3 1 (10 interactions): head {h, m1} (5/10), mid {m2} (2/10), tail {t1..t3} (3/10).
    expect(p.buckets.map((b) => [b.label, b.items, b.trainShare])).toEqual([
      ['head', 2, 0.5],
      ['mid', 1, 0.2],
      ['tail', 3, 0.30000000000000004],
    ]);
    const row = (model: string, bucket: string) => p.rows.find((r) => r.model === model && r.bucket === bucket)!;
    expect(row('pop', 'head')).toMatchObject({ hits: 1, targets: 2, recall: 0.5 });
    expect(row('pop', 'tail')).toMatchObject({ hits: 0, targets: 2, recall: 0 });
    expect(row('pop', 'head').exposure).toBeCloseTo(5 / 6, 10);
    expect(row('ease', 'head')).toMatchObject({ hits: 2, recall: 1 });
    expect(row('ease', 'tail')).toMatchObject({ hits: 2, recall: 1 });
    expect(row('ease', 'tail').exposure).toBeCloseTo(0.5, 10);
  });
});

describe('dashboard analysis: MMR sweep', () => {
  // One user, pool p (score 1), q (0.9, the same direction as p), r (0, orthogonal); relevant: r.
  const pools: ExperimentPools = {
    seed: 1,
    pool: 3,
    users: ['u'],
    targets: [['r']],
    models: { m: { items: [['q', 'p', 'r']], scores: [[0.9, 1, 0]] } },
    itemVectors: { p: [1, 0], q: [1, 0], r: [0, 1] },
    itemPopularity: { p: 2, q: 1, r: 1 },
    nItems: 3,
    nTrainUsers: 2,
  };

  it("GIVEN a pool with a near-duplicate THEN the bot's MMR swaps it for the diverse item below λ ≈ 0.83, and the metrics follow", () => {
    const s = sweepMmr(pools, 'm', { k: 2, pool: 3, currentLevel: 1 });
    const at = (l: number) => s.points.find((p) => p.lambda === l)!;
    // λ = 1 and 0.9 keep the score order p, q: no hit, ILD 1 − cos(p, q) = 0.
    expect(at(1).metrics['ndcg@2']).toBe(0);
    expect(at(0.9).metrics['ild@2']).toBeCloseTo(0, 10);
    // λ = 0.5: second pick q scores 0.5·0.9 − 0.5·1 < 0 = r's 0·0.5 − 0 → p, r: hit at rank 2, ILD 1.
    expect(at(0.5).metrics['ndcg@2']).toBeCloseTo(1 / Math.log2(3), 10);
    expect(at(0.5).metrics['ild@2']).toBeCloseTo(1, 10);
    expect(at(0.5).levels).toEqual([2]);
    expect(s.currentLambda).toBe(0.7);
    expect(s.levels.map((l) => l.lambda)).toEqual([0.9, 0.7, 0.5, 0.3]);
  });

  it('GIVEN an unknown model THEN a clear error', () => {
    expect(() => sweepMmr(pools, 'nope', { k: 2, currentLevel: 1 })).toThrow(/no candidate pool for model "nope"/);
  });
});

describe('dashboard converter: the harness result → the experiment record', () => {
  it('GIVEN runHarness on tiny synthetic data with two seeds THEN run.json carries mean ± std and the artifacts reproduce the harness numbers', async () => {
    const ds = generateSynthetic({ users: 60, items: 80, perUser: 12, seed: 3 });
    const ks = [5, 10];
    const results = [];
    let artifacts;
    for (const seed of [1, 2]) {
      const models = [BASELINES.pop(), BASELINES.itemknn()];
      results.push(await runHarness({ dataset: ds, split: 'random', models, ks, seed }));
      artifacts ??= await artifactsFromModels({
        dataset: ds,
        split: makeSplit(ds, 'random', { seed }),
        models,
        ks,
        seed,
        pool: 20,
      });
    }
    const run = experimentFromHarness({
      results,
      dataset: ds,
      label: 'tiny',
      significance: pairedSignificance(artifacts!.users),
    });
    const pop = run.models.find((m) => m.name === 'pop')!;
    const a = results[0]!.results[0]!.metrics['ndcg@10']!;
    const b = results[1]!.results[0]!.metrics['ndcg@10']!;
    expect(pop.metrics['ndcg@10']!.perSeed).toEqual([a, b]);
    expect(pop.metrics['ndcg@10']!.mean).toBeCloseTo((a + b) / 2, 12);
    // Per-user values of the first seed average to the harness's own number (same split, masking and top-K).
    for (const model of ['pop', 'itemknn']) {
      const harness = results[0]!.results.find((r) => r.model === model)!.metrics;
      for (const key of ['ndcg@10', 'recall@5', 'novelty@10', 'serendipity@10']) {
        const vals = artifacts!.users.models[model]![key]!;
        expect(vals.reduce((x, y) => x + y, 0) / vals.length, `${model} ${key}`).toBeCloseTo(harness[key]!, 6);
      }
    }
    // Pools hold the scored candidates best first, and the lists are their first K.
    const pool = artifacts!.pools.models.itemknn!;
    for (const scores of pool.scores)
      for (let i = 1; i < scores.length; i++) expect(scores[i - 1]!).toBeGreaterThanOrEqual(scores[i]!);
    const u = artifacts!.pools.users[0]!;
    expect(artifacts!.lists.models.itemknn![artifacts!.lists.users.indexOf(u)]).toEqual(pool.items[0]!.slice(0, 10));

    const dir = await mkdtemp(path.join(tmpdir(), 'dash-conv-'));
    tmp.push(dir);
    const folder = await writeExperiment(dir, run, artifacts!);
    const listed = await listExperiments(dir);
    expect(listed.problems).toEqual([]);
    expect(listed.runs[0]!.run.models.map((m) => m.name)).toEqual(['pop', 'itemknn']);
    const users = await readArtifact(folder, 'users');
    expect(distribution(users!, 'ndcg@10').values.pop!.length).toBe(users!.users.length);
  });

  it('GIVEN paired values THEN the Wilcoxon test matches a hand computation', () => {
    // Differences 1, 2, 3, 4, 5 (all positive): W+ = 15, n = 5, mean 7.5, sd √13.75 → z = 2.0226, p ≈ 0.0431.
    const r = wilcoxon([2, 4, 6, 8, 10], [1, 2, 3, 4, 5]);
    expect(r.pValue).toBeCloseTo(0.0431, 3);
    expect(r.delta).toBe(3);
    expect(wilcoxon([1, 2], [1, 2]).pValue).toBe(1);
  });
});
