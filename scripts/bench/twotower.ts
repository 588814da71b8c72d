/**
 * Two-tower benchmark (a script, not a timed test).
 *
 *   npm run bench:twotower
 *   npm run bench:twotower -- --users 2000 --items 3000 --epochs 3 --n 10000,100000 --requests 50 --json out.json
 *
 * Measures: training seconds per epoch (tfjs; backend logged) on synthetic data; the item tower over a catalog of
 * N items (one-off, when items arrive); per-request scoring latency = user tower + (N × dim)·user-vector on
 * onnxruntime-node (p50/p95); peak RSS (process.resourceUsage().maxRSS).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSynthetic } from '../../core/eval/datasets.js';
import type { UserFeatures } from '../../core/ports.js';
import { trainAndSave } from '../../models/twotower/pipeline.js';
import { TwoTowerScorer } from '../../models/twotower/serve.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '2000' },
    items: { type: 'string', default: '3000' },
    epochs: { type: 'string', default: '3' },
    n: { type: 'string', default: '10000,100000' },
    requests: { type: 'string', default: '50' },
    json: { type: 'string' },
  },
});

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main(): Promise<void> {
  const out = path.resolve('.tmp/bench-twotower');
  rmSync(out, { recursive: true, force: true });
  const ds = generateSynthetic({ users: Number(values.users), items: Number(values.items), perUser: 20, seed: 1 });
  let backend = '';
  const t0 = performance.now();
  const trained = await trainAndSave({
    dataset: ds,
    outDir: out,
    train: { epochs: Number(values.epochs), patience: 1000, yieldBetweenBatches: false },
    log: (m) => {
      if (m.startsWith('tfjs')) backend = m;
      console.log(m);
    },
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  const likes = ds.interactions.signal.filter((s) => s === 1).length;
  const rows: Record<string, unknown>[] = [];
  const scorer = new TwoTowerScorer();
  await scorer.swap(trained.modelDir);
  for (const n of values.n.split(',').map(Number)) {
    const cat = generateSynthetic({ users: 1, items: n, perUser: 1, seed: 2 });
    const e0 = performance.now();
    await scorer.setCatalog({ version: `n${n}`, items: cat.items, text: cat.itemText });
    const embedMs = performance.now() - e0;
    const lat: number[] = [];
    for (let i = 0; i < Number(values.requests); i++) {
      const user: UserFeatures = {
        userId: `b${i}`,
        lang: 'en',
        platform: 'discord',
        attributes: ds.users[i % ds.users.length]!.attributes,
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
    rows.push({
      n,
      itemTowerMs: Math.round(embedMs),
      p50Ms: +pct(lat, 50).toFixed(2),
      p95Ms: +pct(lat, 95).toFixed(2),
    });
  }
  await scorer.close();
  const result = {
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    backend,
    training: {
      users: ds.users.length,
      items: ds.items.length,
      likes,
      epochs: trained.trained.history.length,
      secondsPerEpoch: +trained.trained.secondsPerEpoch.toFixed(2),
      totalSeconds: +trainSeconds.toFixed(1),
    },
    scoring: rows,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(`\n| N items | item tower (one-off) | user tower + N scores p50 | p95 |\n|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.n} | ${r.itemTowerMs} ms | ${r.p50Ms} ms | ${r.p95Ms} ms |`);
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  rmSync(out, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
