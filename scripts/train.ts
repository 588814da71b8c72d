/**
 * Trains the two-tower model and writes a versioned model directory (config, metrics, weights, ONNX towers).
 *
 *   npm run train                                         # synthetic data, TWO_TOWER_DIR
 *   npm run train -- --dataset movielens-100k --epochs 30
 *   npm run train -- --dataset ./data/ml-100k --out ./data/two-tower --split loo --loss triplet
 *   npm run train -- --dataset bot:./export/users.jsonl --items ./export/items.json
 *
 * Options: --dataset, --epochs, --out, --split random|loo|cold (validation for early stopping; default random),
 * --k (NDCG@K for early stopping, default 10), --seed, --loss infonce|triplet, --batch, --lr, --mine (hard-negative
 * mining), --refit (train again on all rows for the best epoch count), --backend wasm|cpu.
 */
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { loadConfig } from '../infra/config.js';
import { resolveDataset } from '../core/eval/load.js';
import type { SplitKind } from '../core/eval/splits.js';
import { isRecoError } from '../core/errors.js';
import { trainAndSave } from '../models/twotower/pipeline.js';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'synthetic' },
    items: { type: 'string' },
    epochs: { type: 'string', default: '20' },
    out: { type: 'string' },
    split: { type: 'string', default: 'random' },
    k: { type: 'string', default: '10' },
    seed: { type: 'string', default: '42' },
    loss: { type: 'string', default: 'infonce' },
    batch: { type: 'string', default: '256' },
    lr: { type: 'string', default: '0.003' },
    mine: { type: 'boolean', default: false },
    refit: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
  },
});

async function main(): Promise<void> {
  const config = loadConfig();
  const out = values.out ?? config.TWO_TOWER_DIR;
  const ds = await resolveDataset(values.dataset, {
    dataDir: config.DATA_DIR,
    ...(values.items ? { itemsFile: values.items } : {}),
  });
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
    split: values.split as SplitKind,
    seed: Number(values.seed),
    k: Number(values.k),
    refitOnAll: values.refit,
    log: (m) => {
      if (barEpoch > 0) bar.stop();
      barEpoch = 0;
      console.log(m);
    },
    train: {
      epochs: Number(values.epochs),
      loss: values.loss as 'infonce' | 'triplet',
      batchSize: Number(values.batch),
      learningRate: Number(values.lr),
      mineHardNegatives: values.mine,
      backend: values.backend as 'wasm' | 'cpu',
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

main().catch((e: unknown) => {
  console.error(isRecoError(e) ? `${e.message}\n  → ${e.hint}` : e);
  process.exit(1);
});
