import { describe, expect, it } from 'vitest';
import { BASELINES } from '../../core/eval/baselines.js';
import { generateSynthetic } from '../../core/eval/datasets.js';
import { runHarness } from '../../core/eval/harness.js';

describe('evaluation harness', () => {
  it('runs baselines over a split and returns a table and a JSON-able record; pop and item-KNN beat random', async () => {
    const ds = generateSynthetic({ users: 200, items: 250, perUser: 15, seed: 2 });
    const r = await runHarness({
      dataset: ds,
      split: 'random',
      models: Object.values(BASELINES).map((f) => f()),
      ks: [5, 10],
      seed: 1,
    });
    const by = Object.fromEntries(r.results.map((x) => [x.model, x.metrics]));
    expect(Object.keys(by)).toEqual(['random', 'pop', 'segpop', 'itemknn', 'content', 'content-mean']);
    // The bot's own content scorer beats random on planted tastes.
    expect(by.content!['ndcg@10']!).toBeGreaterThan(by.random!['ndcg@10']! * 2);
    expect(by.pop!['ndcg@10']!).toBeGreaterThan(by.random!['ndcg@10']! * 2);
    expect(by.itemknn!['ndcg@10']!).toBeGreaterThan(by.random!['ndcg@10']! * 2);
    expect(by.pop!['coverage@10']!).toBeLessThan(by.random!['coverage@10']!);
    expect(by.pop!['serendipity@10']).toBe(0); // most-popular is the "expected" list itself
    for (const key of ['recall@5', 'precision@10', 'map@10', 'mrr@10', 'hit@10', 'gini@10', 'ild@10', 'novelty@10'])
      expect(by.content![key]).toBeTypeOf('number');
    expect(r.table).toMatch(/ndcg@10/);
    expect(r.table.split('\n')[0]).toMatch(/^model\s+ndcg@5\s+recall@5/);
    expect(r.table).toMatch(/\nitemknn\s+0\.\d{4}/);
    const json = JSON.parse(JSON.stringify(r));
    expect(json.config).toMatchObject({
      split: { kind: 'random' },
      ks: [5, 10],
      seeds: [1],
      dataset: { name: 'synthetic', users: 200 },
    });
  });

  it('GIVEN an MMR sweep THEN λ=1 reproduces the model and a low λ raises intra-list diversity', async () => {
    const ds = generateSynthetic({ users: 120, items: 200, perUser: 15, seed: 5 });
    const r = await runHarness({
      dataset: ds,
      split: 'random',
      models: [BASELINES.pop()],
      ks: [10],
      seed: 2,
      mmrLambdas: [1, 0.3],
    });
    const by = Object.fromEntries(r.results.map((x) => [x.model, x.metrics]));
    expect(Object.keys(by)).toEqual(['pop', 'pop+mmr(1)', 'pop+mmr(0.3)']);
    expect(by['pop+mmr(1)']).toEqual(by.pop);
    expect(by['pop+mmr(0.3)']!['ild@10']!).toBeGreaterThan(by.pop!['ild@10']!);
    expect(r.config.models).toEqual(['pop', 'pop+mmr(1)', 'pop+mmr(0.3)']);
  });
});
