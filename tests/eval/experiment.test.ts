import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { experimentId, summarize, type ExperimentRun } from '../../core/eval/experiment.js';
import { listExperiments, readArtifact, writeExperiment } from '../../infra/experiments.js';

const run = (id: string): ExperimentRun => ({
  schema: 1,
  id,
  kind: 'eval',
  createdAt: '2026-12-01T00:00:00.000Z',
  git: { commit: null, dirty: null },
  argv: ['--models', 'pop'],
  dataset: { name: 'tiny', fingerprint: 'ab', users: 2, items: 3, interactions: 4 },
  split: { kind: 'random', positive: 'all', options: {}, train: 2, valid: 1, test: 1, coldUsers: 0 },
  ks: [10],
  seeds: [0],
  models: [
    { name: 'pop', params: {}, metrics: { 'ndcg@10': summarize([0.5]) }, fitSeconds: summarize([0.1]), users: 2 },
  ],
});

describe('experiment registry', () => {
  it('GIVEN values THEN summarize gives the mean and the sample standard deviation', () => {
    const s = summarize([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(summarize([7]).std).toBe(0);
  });

  it('GIVEN a time THEN the id is sortable and filesystem-safe', () => {
    expect(experimentId('tune', new Date('2026-12-01T08:30:00.123Z'), () => 0.5)).toBe(
      '2026-12-01T08-30-00Z-tune-7fffff',
    );
  });

  it('GIVEN runs written, an unfinished folder and a broken run.json THEN listing returns the valid runs newest first and names the broken one', async () => {
    const dir = mkdtempSync(path.join('tests/.tmp', 'exp-'));
    await writeExperiment(dir, run('2026-12-01T00-00-00Z-eval-000001'));
    await writeExperiment(dir, run('2026-12-02T00-00-00Z-eval-000002'), {
      users: { seed: 0, users: ['u1', 'u2'], models: { pop: { 'ndcg@10': [1, 0] } } },
    });
    mkdirSync(path.join(dir, 'unfinished'));
    mkdirSync(path.join(dir, 'broken'));
    writeFileSync(path.join(dir, 'broken', 'run.json'), '{"schema": 1}');
    const { runs, problems } = await listExperiments(dir);
    expect(runs.map((r) => r.run.id)).toEqual(['2026-12-02T00-00-00Z-eval-000002', '2026-12-01T00-00-00Z-eval-000001']);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.folder).toContain('broken');
    expect((await readArtifact(runs[0]!.folder, 'users'))?.models.pop?.['ndcg@10']).toEqual([1, 0]);
    expect(await readArtifact(runs[1]!.folder, 'users')).toBeUndefined();
  });

  it('GIVEN an invalid run THEN nothing is written', async () => {
    const dir = mkdtempSync(path.join('tests/.tmp', 'exp-'));
    await expect(writeExperiment(dir, { ...run('x'), id: '../escape' })).rejects.toThrow();
    expect((await listExperiments(dir)).runs).toHaveLength(0);
  });
});
