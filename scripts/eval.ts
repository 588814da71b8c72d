/**
 * Compares recommenders on one dataset and split over one or more seeds, prints one table (models × metrics,
 * mean ± std over seeds, best marked `*`, models not significantly different from the best marked `=`) and registers
 * the run as an experiment under `<DATA_DIR>/experiments/<id>/` (run.json, users.json, lists.json, pools.json).
 *
 *   npm run eval -- --dataset synthetic --split random --models all --seeds 0,1,2
 *   npm run eval -- --dataset ./ml-100k --split loo --models itemknn,sasrec,gru4rec --k 10
 *   npm run eval -- --dataset movielens-1m --split cold --models pop,segpop,twotower --positive 4
 *
 * Run with --help for every option. docs/EVALUATION.md explains the protocol.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../infra/config.js';
import { choice, CliError, nameList, numberList, numberOpt, parseCli, positiveOpt, runCli } from '../core/eval/cli.js';
import { runHarness } from '../core/eval/harness.js';
import { DATASET_CHOICES, resolveDataset } from '../core/eval/load.js';
import { buildExperimentRecord } from '../core/eval/record.js';
import { SPLIT_KINDS } from '../core/eval/splits.js';
import { experimentsDir, gitState, writeExperiment } from '../infra/experiments.js';
import { MODEL_NAMES, MODELS, type ModelName, type Params } from '../models/zoo/registry.js';

const OPTIONS = {
  dataset: { type: 'string', default: 'synthetic' },
  items: { type: 'string' },
  split: { type: 'string', default: 'random' },
  models: { type: 'string', default: 'all' },
  k: { type: 'string', default: '10' },
  seeds: { type: 'string' },
  seed: { type: 'string' },
  positive: { type: 'string', default: 'all' },
  budget: { type: 'string' },
  'rating-folds': { type: 'string', default: '5' },
  epochs: { type: 'string' },
  loss: { type: 'string' },
  mine: { type: 'boolean' },
  mmr: { type: 'string' },
  'mmr-pool': { type: 'string', default: '50' },
  name: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const HELP = `npm run eval -- [options]
  --dataset <d>        ${DATASET_CHOICES} (default synthetic)
  --items <file>       catalog items JSON for bot:<users.jsonl>
  --split <s>          ${SPLIT_KINDS.join(' | ')} (default random: per-user 8:1:1; loo: temporal leave-one-out; cold: held-out users)
  --models <list>      all, or a comma list of: ${MODEL_NAMES.join(', ')}
  --k <list>           cut-offs, e.g. 10 or 5,10,20 (default 10)
  --seeds <list>       e.g. 0,1,2: one split and one fit per seed; mean ± std and paired tests (default 0)
  --positive <p>       all (every rating is a positive; default, RecBole's convention) or a threshold such as 4
  --budget <s>         training seconds per model fit (default: each model's own, sized for MovieLens-100K)
  --rating-folds <n>   k-fold CV for RMSE/MAE of rating models (svd); 0 = skip (default 5)
  --epochs, --loss infonce|triplet, --mine     two-tower training options
  --mmr <λ list>       also evaluate each model re-ranked by the bot's MMR at each λ in [0, 1]
  --mmr-pool <n>       MMR candidates per user (default 50)
  --name <label>       a label for the experiment record
  --out <file>         also write the results as one JSON file
  --quiet              only the table`;

async function main(): Promise<void> {
  const { values } = parseCli(OPTIONS);
  if (values.help) {
    console.log(HELP);
    return;
  }
  const config = loadConfig();
  const split = choice('split', values.split, SPLIT_KINDS);
  const ks = numberList('k', values.k, { integer: true, min: 1 });
  const seeds = values.seeds
    ? numberList('seeds', values.seeds, { integer: true, min: 0 })
    : [values.seed ? numberOpt('seed', values.seed, { integer: true, min: 0 }) : 0];
  const positive = positiveOpt(values.positive);
  const budget = values.budget !== undefined ? numberOpt('budget', values.budget, { min: 1 }) : undefined;
  const ratingFolds = numberOpt('rating-folds', values['rating-folds'], { integer: true, min: 0, max: 20 });
  const names = nameList('models', values.models, MODEL_NAMES);
  const mmrLambdas = values.mmr ? numberList('mmr', values.mmr, { min: 0, max: 1 }) : [];
  const mmrPool = numberOpt('mmr-pool', values['mmr-pool'], { integer: true, min: 1 });
  const tt: Params = {};
  if (values.epochs !== undefined) tt.epochs = numberOpt('epochs', values.epochs, { integer: true, min: 1 });
  if (values.loss !== undefined) tt.loss = choice('loss', values.loss, ['infonce', 'triplet'] as const);
  if (values.mine !== undefined) tt.mine = values.mine;
  if (values.items === undefined && values.dataset.startsWith('bot:'))
    throw new CliError('--dataset bot:<users.jsonl> needs --items <catalog items JSON>');

  const log = values.quiet ? () => {} : (m: string) => console.log(m);
  const dataset = await resolveDataset(values.dataset, {
    dataDir: config.DATA_DIR,
    ...(values.items ? { itemsFile: values.items } : {}),
  });
  log(
    `dataset ${dataset.name}: ${dataset.users.length} users, ${dataset.items.length} items, ${dataset.interactions.length} interactions; split ${split}; positive ${positive}; K ${ks.join(',')}; seeds ${seeds.join(',')}`,
  );
  const budgets: Record<string, number> = {};
  for (const n of names) {
    const b = budget ?? (MODELS[n] as { budget?: number }).budget;
    if (b !== undefined) budgets[n] = b;
  }
  const started = performance.now();
  const result = await runHarness({
    dataset,
    split,
    models: names.map((n: ModelName) => () => MODELS[n].make(n === 'twotower' ? tt : {})),
    ks,
    seeds,
    positive,
    budgets,
    ratingFolds,
    mmrLambdas,
    mmrPool,
    log,
  });
  const minutes = (performance.now() - started) / 60_000;
  console.log(`\n${result.table}\n`);
  console.log(
    `* best · = not significantly different from the best (two-sided Wilcoxon signed-rank over users, Holm-corrected, α = 0.05)${seeds.length > 1 ? ` · mean ± std over ${seeds.length} seeds` : ''} · ${minutes.toFixed(1)} min`,
  );
  const record = buildExperimentRecord({
    kind: 'eval',
    result,
    dataset,
    argv: process.argv.slice(2),
    git: gitState(),
    ...(values.name ? { label: values.name } : {}),
    extra: { wallMinutes: +minutes.toFixed(2) },
  });
  const folder = await writeExperiment(experimentsDir(config.DATA_DIR), record.run, {
    users: record.users,
    lists: record.lists,
    pools: record.pools,
  });
  console.log(`experiment ${record.run.id} → ${folder}`);
  if (values.out) {
    mkdirSync(path.dirname(path.resolve(values.out)), { recursive: true });
    writeFileSync(values.out, JSON.stringify({ run: record.run, table: result.table }, null, 2));
    console.log(`written ${values.out}`);
  }
}

runCli(main);
