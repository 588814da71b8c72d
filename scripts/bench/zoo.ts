/**
 * Model-zoo benchmark (a script, not a timed test): fit time and peak memory of every model on the MovieLens-shaped
 * synthetic set at two sizes, each fit in its own process (so peak RSS is that model's), random 8:1:1 split.
 *
 *   npm run bench:zoo
 *   npm run bench:zoo -- --sizes 1000x2000,10000x20000 --models all --budget 120 --json bench-zoo.json
 *
 * Per model and size: fit seconds (capped by --budget for iterative models: "budget" in the stop column means the
 * cap, not convergence, ended training), epochs run, peak RSS of the child process, NDCG@10 on ≤ 2000 test users.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Recommender } from '../../core/eval/baselines.js';
import { withPositive } from '../../core/eval/datasets.js';
import { evaluateRecommender } from '../../core/eval/harness.js';
import { loadMovieLens } from '../../core/eval/movielens.js';
import { makeSplit } from '../../core/eval/splits.js';
import { writeSyntheticMovieLens } from '../../core/eval/synthetic.js';
import { nameList, numberOpt, parseCli, runCli } from '../../core/eval/cli.js';
import { MODEL_NAMES, MODELS, type ModelName } from '../../models/zoo/registry.js';

const run = promisify(execFile);

const { values } = parseCli({
  sizes: { type: 'string', default: '1000x2000,10000x20000' },
  models: { type: 'string', default: 'all' },
  budget: { type: 'string', default: '120' },
  ratings: { type: 'string', default: '100' },
  json: { type: 'string' },
  child: { type: 'string' },
  dir: { type: 'string' },
});

async function child(model: ModelName, dir: string, budget: number): Promise<void> {
  const ds = withPositive(await loadMovieLens(dir), 'all');
  const split = makeSplit(ds, 'random', { seed: 0 });
  const m: Recommender = MODELS[model].make({});
  const t0 = performance.now();
  let error: string | undefined;
  try {
    await m.fit({
      dataset: ds,
      train: split.train,
      valid: split.valid,
      coldUsers: split.coldUsers,
      seed: 0,
      k: 10,
      budgetSeconds: budget,
    });
  } catch (e) {
    error = (e as Error).message.split('\n')[0];
  }
  const fitSeconds = (performance.now() - t0) / 1000;
  const ndcg = error
    ? null
    : (await evaluateRecommender(m, ds, split, { ks: [10], accuracyOnly: true, maxUsers: 2000 })).metrics['ndcg@10'];
  const s = m.describe?.() ?? {};
  process.stdout.write(
    JSON.stringify({
      model,
      fitSeconds: +fitSeconds.toFixed(1),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      ndcg10: ndcg === null || ndcg === undefined ? null : +ndcg.toFixed(4),
      epochs: s.epochsRun ?? s.epochs ?? null,
      stoppedBy: s.stoppedBy ?? null,
      ...(error ? { error } : {}),
    }),
  );
}

async function main(): Promise<void> {
  const budget = numberOpt('budget', values.budget, { min: 1 });
  if (values.child) return child(values.child as ModelName, values.dir!, budget);
  const models = nameList('models', values.models, MODEL_NAMES);
  const meanRatings = numberOpt('ratings', values.ratings, { min: 21 });
  const sizes = values.sizes.split(',').map((s) => {
    const [u, i] = s.split('x').map(Number);
    if (!u || !i) throw new Error(`--sizes takes users×items pairs like 1000x2000, got ${s}`);
    return { users: u, items: i };
  });
  const rows: Record<string, unknown>[] = [];
  for (const size of sizes) {
    const dir = path.resolve(`.tmp/bench-zoo/${size.users}x${size.items}-r${meanRatings}`);
    if (!existsSync(path.join(dir, 'u.info'))) {
      const t = performance.now();
      const d = await writeSyntheticMovieLens(dir, { users: size.users, items: size.items, meanRatings, seed: 1 });
      console.log(
        `generated ${size.users} users × ${size.items} items, ${d.ratings.length} ratings in ${((performance.now() - t) / 1000).toFixed(0)} s`,
      );
    }
    for (const model of models) {
      const args = [path.resolve('scripts/bench/zoo.ts'), '--child', model, '--dir', dir, '--budget', String(budget)];
      let row: Record<string, unknown>;
      try {
        const { stdout } = await run(path.resolve('node_modules/.bin/tsx'), args, {
          maxBuffer: 1 << 24,
          timeout: (budget * 4 + 600) * 1000,
        });
        row = { size: `${size.users}×${size.items}`, ...(JSON.parse(stdout.trim().split('\n').at(-1)!) as object) };
      } catch (e) {
        row = { size: `${size.users}×${size.items}`, model, error: (e as Error).message.split('\n')[0] };
      }
      console.log(JSON.stringify(row));
      rows.push(row);
    }
  }
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  console.log(`\n${machine}, budget ${budget} s per fit\n`);
  console.log('| size | model | fit s | epochs | stop | peak RSS MiB | NDCG@10 |\n|---|---|---:|---:|---|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${String(r.size)} | ${String(r.model)} | ${r.error ? `– (${String(r.error)})` : String(r.fitSeconds)} | ${String(r.epochs ?? '')} | ${String(r.stoppedBy ?? '')} | ${String(r.peakRssMiB ?? '')} | ${String(r.ndcg10 ?? '')} |`,
    );
  if (values.json) writeFileSync(values.json, JSON.stringify({ machine, budget, rows }, null, 2));
}

runCli(main);
