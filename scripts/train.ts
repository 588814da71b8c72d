/**
 * Trains the two-tower model and writes a versioned model directory (config, metrics, weights, ONNX towers).
 *
 *   npm run train                                         # synthetic data, TWO_TOWER_DIR
 *   npm run train -- --dataset movielens-100k --epochs 30
 *   npm run train -- --dataset ./data/ml-100k --out ./data/two-tower --split loo --loss triplet
 *   npm run train -- --dataset bot:./export/users.jsonl --items ./export/items.json
 *
 * Options: --dataset, --epochs, --out, --split random|loo|cold (validation for early stopping; default random),
 * --positive all|<rating threshold> (default all), --k (NDCG@K for early stopping, default 10), --seed,
 * --loss infonce|triplet, --batch, --lr, --mine (hard-negative mining), --refit (train again on all rows for the best
 * epoch count), --backend wasm|cpu. A bad option or value is one line naming it and the valid choices.
 */
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../infra/config.js';
import { choice, numberOpt, parseCli, positiveOpt, runCli } from '../core/eval/cli.js';
import { withPositive } from '../core/eval/datasets.js';
import { resolveDataset } from '../core/eval/load.js';
import { SPLIT_KINDS } from '../core/eval/splits.js';
import { trainAndSave } from '../models/twotower/pipeline.js';

const { values } = parseCli({
  dataset: { type: 'string', default: 'synthetic' },
  items: { type: 'string' },
  epochs: { type: 'string', default: '30' },
  out: { type: 'string' },
  split: { type: 'string', default: 'random' },
  positive: { type: 'string', default: 'all' },
  k: { type: 'string', default: '10' },
  seed: { type: 'string', default: '42' },
  loss: { type: 'string', default: 'infonce' },
  batch: { type: 'string', default: '1024' },
  lr: { type: 'string', default: '0.003' },
  mine: { type: 'boolean', default: false },
  refit: { type: 'boolean', default: false },
  backend: { type: 'string', default: 'wasm' },
});

async function main(): Promise<void> {
  const config = loadConfig();
  const split = choice('split', values.split, SPLIT_KINDS);
  const loss = choice('loss', values.loss, ['infonce', 'triplet'] as const);
  const backend = choice('backend', values.backend, ['wasm', 'cpu'] as const);
  const epochs = numberOpt('epochs', values.epochs, { integer: true, min: 1 });
  const batchSize = numberOpt('batch', values.batch, { integer: true, min: 2 });
  const learningRate = numberOpt('lr', values.lr, { min: 1e-6, max: 1 });
  const k = numberOpt('k', values.k, { integer: true, min: 1 });
  const seed = numberOpt('seed', values.seed, { integer: true, min: 0 });
  const positive = positiveOpt(values.positive);
  const out = values.out ?? config.TWO_TOWER_DIR;
  const ds = withPositive(
    await resolveDataset(values.dataset, {
      dataDir: config.DATA_DIR,
      ...(values.items ? { itemsFile: values.items } : {}),
    }),
    positive,
  );
  console.log(
    `dataset ${ds.name}: ${ds.users.length} users, ${ds.items.length} items, ${ds.interactions.length} interactions`,
  );
  const bar = new SingleBar(
    { format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} batches | loss {loss}', hideCursor: true },
    Presets.shades_classic,
  );
  let barEpoch = 0;
  const result = await trainAndSave({
    dataset: ds,
    outDir: out,
    split,
    seed,
    k,
    refitOnAll: values.refit,
    log: (m) => {
      if (barEpoch > 0) bar.stop();
      barEpoch = 0;
      console.log(m);
    },
    train: {
      epochs,
      loss,
      batchSize,
      learningRate,
      mineHardNegatives: values.mine,
      backend,
      yieldBetweenBatches: false,
      onBatch: (p) => {
        if (barEpoch !== p.epoch) {
          barEpoch = p.epoch;
          bar.start(p.steps, 0, { epoch: p.epoch, epochs: p.epochs, loss: '-' });
        }
        bar.update(p.step, { loss: p.loss.toFixed(4) });
        if (p.step === p.steps) {
          bar.stop();
          barEpoch = -1;
        }
      },
    },
  });
  console.log(`\n${result.modelDir}`);
}

runCli(main);
