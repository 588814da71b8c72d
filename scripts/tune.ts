/**
 * Random search over one model's hyperparameters (its small search space in models/zoo/registry.ts): trial 0 is
 * the defaults, trials 1..N−1 are sampled (seeded); each trial fits on the training rows and is scored on the
 * VALIDATION rows (the objective, default NDCG@10); the best trial is then fitted again and evaluated on the test
 * rows. The run — search space, every trial, the chosen one and its test metrics — is registered as an experiment
 * of kind `tune` under `<DATA_DIR>/experiments/<id>/`.
 *
 *   npm run tune -- --model ease --trials 8
 *   npm run tune -- --model sasrec --trials 6 --split loo --budget 60 --dataset ./ml-100k
 */
import { loadConfig } from '../infra/config.js';
import { choice, numberOpt, parseCli, positiveOpt, runCli } from '../core/eval/cli.js';
import { withPositive } from '../core/eval/datasets.js';
import { evaluateRecommender, runHarness } from '../core/eval/harness.js';
import { DATASET_CHOICES, resolveDataset } from '../core/eval/load.js';
import { createRng, type Rng } from '../core/eval/random.js';
import { buildExperimentRecord } from '../core/eval/record.js';
import { makeSplit, SPLIT_KINDS } from '../core/eval/splits.js';
import type { Recommender } from '../core/eval/baselines.js';
import { experimentsDir, gitState, writeExperiment } from '../infra/experiments.js';
import { MODEL_NAMES, MODELS, type ParamSpace, type Params } from '../models/zoo/registry.js';

const OPTIONS = {
  model: { type: 'string' },
  trials: { type: 'string', default: '8' },
  dataset: { type: 'string', default: 'synthetic' },
  split: { type: 'string', default: 'random' },
  positive: { type: 'string', default: 'all' },
  k: { type: 'string', default: '10' },
  seed: { type: 'string', default: '0' },
  budget: { type: 'string' },
  objective: { type: 'string', default: 'ndcg' },
  name: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

const HELP = `npm run tune -- --model <name> [--trials N] [options]
  --model <name>       one of: ${MODEL_NAMES.filter((n) => Object.keys(MODELS[n].space).length).join(', ')}
  --trials <n>         trials including the defaults (default 8)
  --dataset <d>        ${DATASET_CHOICES} (default synthetic)
  --split <s>          ${SPLIT_KINDS.join(' | ')} (default random)
  --positive <p>       all or a rating threshold (default all)
  --k <n>              the objective's cut-off (default 10)
  --objective <m>      ndcg | recall | hit | mrr (default ndcg), on the validation rows
  --seed <n>           split, sampling and model seed (default 0)
  --budget <s>         training seconds per trial (default: the model's own)`;

/** One sample of a search space. */
export function sampleParams(space: Record<string, ParamSpace>, rng: Rng): Params {
  const out: Params = {};
  for (const [k, s] of Object.entries(space)) {
    if ('log' in s)
      out[k] = +Math.exp(Math.log(s.log[0]) + rng.next() * (Math.log(s.log[1]) - Math.log(s.log[0]))).toPrecision(3);
    else if ('int' in s) out[k] = s.int[0] + rng.int(s.int[1] - s.int[0] + 1);
    else if ('uniform' in s) out[k] = +(s.uniform[0] + rng.next() * (s.uniform[1] - s.uniform[0])).toPrecision(3);
    else out[k] = s.choice[rng.int(s.choice.length)]!;
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseCli(OPTIONS);
  if (values.help || values.model === undefined) {
    console.log(HELP);
    if (!values.help) process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  const model = choice('model', values.model, MODEL_NAMES);
  const spec = MODELS[model];
  const trials = numberOpt('trials', values.trials, { integer: true, min: 1, max: 200 });
  const split = choice('split', values.split, SPLIT_KINDS);
  const positive = positiveOpt(values.positive);
  const k = numberOpt('k', values.k, { integer: true, min: 1 });
  const seed = numberOpt('seed', values.seed, { integer: true, min: 0 });
  const objective = choice('objective', values.objective, ['ndcg', 'recall', 'hit', 'mrr'] as const);
  const budget =
    values.budget !== undefined ? numberOpt('budget', values.budget, { min: 1 }) : (spec as { budget?: number }).budget;
  const dataset = await resolveDataset(values.dataset, { dataDir: config.DATA_DIR });
  const ds = withPositive(dataset, positive);
  const s = makeSplit(ds, split, { seed });
  const rng = createRng(seed * 7919 + 3);
  const space = spec.space as Record<string, ParamSpace>;
  const key = `${objective}@${k}`;
  const results: { params: Params; score: number; seconds: number }[] = [];
  for (let t = 0; t < trials; t++) {
    const params = t === 0 ? {} : sampleParams(space, rng);
    const m: Recommender = spec.make(params);
    const t0 = performance.now();
    await m.fit({
      dataset: ds,
      train: s.train,
      valid: s.valid,
      coldUsers: s.coldUsers,
      seed,
      k,
      ...(budget !== undefined ? { budgetSeconds: budget } : {}),
    });
    const ev = await evaluateRecommender(m, ds, s, { ks: [k], part: 'valid', accuracyOnly: true, tieSeed: seed });
    m.dispose?.();
    const score = ev.metrics[key] ?? 0;
    const seconds = (performance.now() - t0) / 1000;
    results.push({ params: t === 0 ? { defaults: true } : params, score, seconds: +seconds.toFixed(2) });
    console.log(
      `trial ${t + 1}/${trials} ${JSON.stringify(params)}: valid ${key} ${score.toFixed(4)} (${seconds.toFixed(1)} s)`,
    );
  }
  const best = results.reduce((b, r, i) => (r.score > results[b]!.score ? i : b), 0);
  const bestParams = best === 0 ? {} : results[best]!.params;
  console.log(
    `best: trial ${best + 1} ${JSON.stringify(results[best]!.params)} (valid ${key} ${results[best]!.score.toFixed(4)})`,
  );
  const result = await runHarness({
    dataset,
    split,
    models: [() => spec.make(bestParams)],
    ks: [k],
    seeds: [seed],
    positive,
    ...(budget !== undefined ? { budgetSeconds: budget } : {}),
  });
  console.log(`\n${result.table}\n`);
  const record = buildExperimentRecord({
    kind: 'tune',
    result,
    dataset,
    argv: process.argv.slice(2),
    git: gitState(),
    ...(values.name ? { label: values.name } : {}),
    tuning: { model, objective: `valid ${key}`, space, trials: results, best },
  });
  const folder = await writeExperiment(experimentsDir(config.DATA_DIR), record.run, {
    users: record.users,
    lists: record.lists,
    pools: record.pools,
  });
  console.log(`experiment ${record.run.id} → ${folder}`);
}

runCli(main);
