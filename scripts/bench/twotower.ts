/**
 * Two-tower benchmark (a script, not a timed test).
 *
 *   npm run bench:twotower
 *   npm run bench:twotower -- --users 1300 --items 3000 --epochs 3 --n 10000,100000 --requests 200 --json out.json
 *
 * Training: seconds per epoch of the training steps alone and per 100k training examples (the target is ≤ 10 s),
 * examples/s, on the MovieLens-shaped synthetic set (≈ 100k training positives at the defaults), backend logged.
 * Serving: the item tower over a catalog of N items (once per model × catalog version), then per request the user
 * tower + the N × d item matrix · user vector through the app's onnxruntime MatMul (`OrtMatrixOps`), p50 / p95 —
 * set beside one memory pass over the same N × d matrix (the MatMul alone, and a native copy), the target being
 * ≤ 2× that pass.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { generateSynthetic, withPositive } from '../../core/eval/datasets.js';
import { numberOpt, parseCli, runCli } from '../../core/eval/cli.js';
import { loadMovieLens } from '../../core/eval/movielens.js';
import { writeSyntheticMovieLens } from '../../core/eval/synthetic.js';
import type { UserFeatures } from '../../core/ports.js';
import { OrtMatrixOps } from '../../models/matrix-ops.js';
import { vectorDim } from '../../models/twotower/model.js';
import { trainAndSave } from '../../models/twotower/pipeline.js';
import { TwoTowerScorer } from '../../models/twotower/serve.js';

const { values } = parseCli({
  users: { type: 'string', default: '1300' },
  items: { type: 'string', default: '3000' },
  ratings: { type: 'string', default: '120' },
  epochs: { type: 'string', default: '3' },
  n: { type: 'string', default: '10000,100000' },
  requests: { type: 'string', default: '200' },
  json: { type: 'string' },
});

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main(): Promise<void> {
  const users = numberOpt('users', values.users, { integer: true, min: 10 });
  const items = numberOpt('items', values.items, { integer: true, min: 10 });
  const meanRatings = numberOpt('ratings', values.ratings, { min: 21 });
  const requests = numberOpt('requests', values.requests, { integer: true, min: 10 });
  const out = path.resolve('.tmp/bench-twotower');
  rmSync(out, { recursive: true, force: true });
  const dataDir = path.resolve(`.tmp/bench-twotower-data/${users}x${items}-r${meanRatings}`);
  await writeSyntheticMovieLens(dataDir, { users, items, meanRatings, seed: 1 });
  const ds = withPositive(await loadMovieLens(dataDir), 'all');
  let backend = '';
  const trained = await trainAndSave({
    dataset: ds,
    outDir: out,
    train: {
      epochs: numberOpt('epochs', values.epochs, { integer: true, min: 1 }),
      patience: 1000,
      yieldBetweenBatches: false,
    },
    log: (m) => {
      if (m.startsWith('tfjs')) backend = m;
      console.log(m);
    },
  });
  const h = trained.trained.history;
  const trainSeconds = h.reduce((a, e) => a + e.trainSeconds, 0);
  const examples = h.reduce((a, e) => a + e.examples, 0);
  const training = {
    users: ds.users.length,
    items: ds.items.length,
    trainingExamplesPerEpoch: h[0]!.examples,
    epochs: h.length,
    trainSecondsPerEpoch: +(trainSeconds / h.length).toFixed(2),
    secondsPer100kExamples: +((trainSeconds / examples) * 100_000).toFixed(2),
    examplesPerSecond: Math.round(examples / trainSeconds),
    epochSecondsWithValidation: +(h.reduce((a, e) => a + e.seconds, 0) / h.length).toFixed(2),
  };
  console.log(JSON.stringify(training));

  const ops = await OrtMatrixOps.create();
  const scorer = new TwoTowerScorer({ matrixOps: ops });
  await scorer.swap(trained.modelDir);
  const dim = vectorDim(trained.trained.sizes);
  const rows: Record<string, unknown>[] = [];
  for (const n of values.n.split(',').map((x) => numberOpt('n', x, { integer: true, min: 1 }))) {
    const cat = generateSynthetic({ users: 1, items: n, perUser: 1, seed: 2, textDim: ds.textDim });
    const e0 = performance.now();
    await scorer.setCatalog({ version: `n${n}`, items: cat.items, text: cat.itemText });
    const embedMs = performance.now() - e0;
    const lat: number[] = [];
    for (let i = 0; i < requests; i++) {
      const u = ds.users[i % ds.users.length]!;
      const user: UserFeatures = {
        userId: u.id,
        lang: 'en',
        platform: 'discord',
        attributes: u.attributes,
        interests: ['tech'],
        categories: [],
        likedItemIds: i % 2 ? [cat.items[i]!.id, cat.items[i + 1]!.id] : [],
        dislikedItemIds: [],
      };
      const s = performance.now();
      const scores = await scorer.scoreAll(user, `n${n}`);
      lat.push(performance.now() - s);
      if (scores?.length !== n) throw new Error('scoreAll returned the wrong length');
    }
    // one memory pass over the same N × d matrix: the ORT MatMul alone, and a native copy
    const m = Float32Array.from({ length: n * dim }, (_, k) => Math.sin(k));
    const v = Float32Array.from({ length: dim }, (_, k) => Math.cos(k));
    const scan: number[] = [];
    const copy: number[] = [];
    const dst = new Float32Array(m.length);
    for (let i = 0; i < requests; i++) {
      let s = performance.now();
      await ops.matVec(m, dim, v);
      scan.push(performance.now() - s);
      s = performance.now();
      dst.set(m);
      copy.push(performance.now() - s);
    }
    rows.push({
      n,
      itemTowerMs: Math.round(embedMs),
      p50Ms: +pct(lat, 50).toFixed(2),
      p95Ms: +pct(lat, 95).toFixed(2),
      scanP50Ms: +pct(scan, 50).toFixed(2),
      copyP50Ms: +pct(copy, 50).toFixed(2),
      ratioToScan: +(pct(lat, 50) / pct(scan, 50)).toFixed(2),
    });
  }
  await scorer.close();
  await ops.release();
  const result = {
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    backend,
    training,
    scoring: rows,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `\n| N items | item tower (once per catalog) | request p50 | p95 | one pass (MatMul) p50 | copy p50 | request / pass |\n|---|---|---|---|---|---|---|`,
  );
  for (const r of rows)
    console.log(
      `| ${String(r.n)} | ${String(r.itemTowerMs)} ms | ${String(r.p50Ms)} ms | ${String(r.p95Ms)} ms | ${String(r.scanP50Ms)} ms | ${String(r.copyP50Ms)} ms | ${String(r.ratioToScan)}× |`,
    );
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  rmSync(out, { recursive: true, force: true });
}

runCli(main);
