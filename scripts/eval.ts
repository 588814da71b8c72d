/**
 * Compares recommenders on one dataset and split, prints a metrics × models table and writes the full
 * configuration and results to `<DATA_DIR>/eval/<timestamp>.json`.
 *
 *   npm run eval -- --dataset synthetic --split cold --models random,pop,itemknn,content,twotower --k 10
 *   npm run eval -- --dataset movielens-100k --split random --models pop,itemknn,twotower --k 10,20
 *   npm run eval -- --dataset ./data/ml-100k --split loo --epochs 10
 *
 * Options: --dataset, --split random|loo|cold, --models (comma list), --k (comma list), --seed, --epochs (two-tower),
 * --loss infonce|triplet, --mine, --out <file>, --mmr <λ list> (also evaluate each model re-ranked by the bot's MMR at
 * each λ — a tuning sweep, e.g. `--mmr 0.9,0.7,0.5,0.3`), --mmr-pool <n> (candidates per user, default 50).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../infra/config.js';
import { BASELINES, type Recommender } from '../core/eval/baselines.js';
import { runHarness } from '../core/eval/harness.js';
import { resolveDataset } from '../core/eval/load.js';
import { SPLIT_KINDS, type SplitKind } from '../core/eval/splits.js';
import { isRecoError } from '../core/errors.js';
import { TwoTowerRecommender } from '../models/twotower/recommender.js';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'synthetic' },
    items: { type: 'string' },
    split: { type: 'string', default: 'random' },
    models: { type: 'string', default: 'random,pop,itemknn,content,twotower' },
    k: { type: 'string', default: '10' },
    seed: { type: 'string', default: '42' },
    epochs: { type: 'string', default: '20' },
    loss: { type: 'string', default: 'infonce' },
    mine: { type: 'boolean', default: false },
    mmr: { type: 'string' },
    'mmr-pool': { type: 'string', default: '50' },
    out: { type: 'string' },
  },
});

async function main(): Promise<void> {
  const config = loadConfig();
  const split = values.split as SplitKind;
  if (!SPLIT_KINDS.includes(split)) throw new Error(`--split must be one of ${SPLIT_KINDS.join(', ')}`);
  const ks = values.k.split(',').map(Number);
  if (ks.some((k) => !Number.isInteger(k) || k < 1)) throw new Error('--k takes positive integers, e.g. 10 or 5,10,20');
  const seed = Number(values.seed);
  const models: Recommender[] = values.models.split(',').map((name) => {
    const n = name.trim();
    if (n === 'twotower')
      return new TwoTowerRecommender({
        epochs: Number(values.epochs),
        loss: values.loss as 'infonce',
        mineHardNegatives: values.mine,
        yieldBetweenBatches: false,
      });
    const make = BASELINES[n as keyof typeof BASELINES];
    if (!make) throw new Error(`unknown model "${n}" (random, pop, itemknn, content, twotower)`);
    return make();
  });
  const ds = await resolveDataset(values.dataset, {
    dataDir: config.DATA_DIR,
    ...(values.items ? { itemsFile: values.items } : {}),
  });
  console.log(
    `dataset ${ds.name}: ${ds.users.length} users, ${ds.items.length} items, ${ds.interactions.length} interactions; split ${split}; K ${ks.join(',')}`,
  );
  const mmrLambdas = values.mmr ? values.mmr.split(',').map(Number) : [];
  if (mmrLambdas.some((l) => !(l >= 0 && l <= 1))) throw new Error(`--mmr takes λ values in [0, 1], got ${values.mmr}`);
  const result = await runHarness({
    dataset: ds,
    split,
    models,
    ks,
    seed,
    mmrLambdas,
    mmrPool: Number(values['mmr-pool']),
    log: (m) => console.log(m),
  });
  console.log(`\n${result.table}\n`);
  const stamp = new Date()
    .toISOString()
    .replaceAll(':', '-')
    .replace(/\.\d+Z$/, 'Z');
  const file = values.out ?? path.join(config.DATA_DIR, 'eval', `${stamp}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    JSON.stringify({ config: { ...result.config, argv: process.argv.slice(2) }, results: result.results }, null, 2),
  );
  console.log(`written ${file}`);
}

main().catch((e: unknown) => {
  console.error(isRecoError(e) ? `${e.message}\n  → ${e.hint}` : e);
  process.exit(1);
});
