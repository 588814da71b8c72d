/**
 * `npm run bench:startup -- --n 100000 [--mode lexical|random] [--dim 384]` — time to "recommender ready" and
 * peak RSS of the composition root (`createApp`) on a generated catalog loaded through `CATALOG_PATH`, on the
 * first start (empty DATA_DIR: seed, embed, index, snapshot) and on a warm restart (snapshot), each in a fresh
 * child process. `--mode random` uses a fixed-dimension random-vector encoder so 1M × 384 is feasible without a
 * model; `lexical` is the built-in encoder (1024-d).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateRows } from './catalog-gen.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    mode: { type: 'string', default: 'random' },
    dim: { type: 'string', default: '384' },
    child: { type: 'boolean', default: false },
    path: { type: 'string' },
    data: { type: 'string' },
  },
});

if (values.child) {
  const t0 = performance.now();
  const { createApp } = await import('../../app/compose.js');
  const { defaultConfig } = await import('../../core/config.js');
  const { silentLogger } = await import('../../core/ports.js');
  const { randomVectorEncoder } = await import('./catalog-gen.js');
  const config = defaultConfig({ CATALOG_PATH: values.path!, DATA_DIR: values.data!, ENCODER: 'lexical' });
  const app = await createApp({
    config,
    logger: silentLogger,
    ...(values.mode === 'random' ? { textEncoder: randomVectorEncoder(Number(values.dim)) } : {}),
  });
  const readyMs = performance.now() - t0;
  const index = app.catalog.index;
  const vectorBytes = index.text.byteLength + (index.image?.byteLength ?? 0);
  const peak = process.resourceUsage().maxRSS * 1024;
  await app.catalog.idle(); // background ANN build + snapshot (first start)
  const settledMs = performance.now() - t0;
  const settledPeak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${JSON.stringify({ readyMs, settledMs, peak, settledPeak, vectorBytes, items: app.catalog.size, mode: app.catalog.describe() })}\n`,
  );
  await app.close();
  process.exit(0);
}

const n = Number(values.n);
const dir = mkdtempSync(join(tmpdir(), 'bench-startup-'));
const path = join(dir, 'catalog.json');
writeFileSync(path, JSON.stringify(generateRows(n)));
const data = join(dir, 'data');
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; N=${n}, encoder ${values.mode}${values.mode === 'random' ? ` ${values.dim}-d` : ' 1024-d'}`,
);
const du = (p: string): number => {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((s, f) => s + du(join(p, f)), 0);
};
for (const run of ['first start', 'warm restart', 'warm restart']) {
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/bench/startup.ts',
      '--child',
      '--path',
      path,
      '--data',
      data,
      '--mode',
      values.mode!,
      '--dim',
      values.dim!,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) {
    console.log(`${run}: failed (${child.status})\n${child.stderr.slice(-2000)}`);
    break;
  }
  const r = JSON.parse(line) as Record<string, number | string>;
  const mib = (x: unknown) => `${((x as number) / 2 ** 20).toFixed(0)} MiB`;
  console.log(
    `${run}: ready ${((r.readyMs as number) / 1000).toFixed(1)} s, peak RSS ${mib(r.peak)} (${((r.peak as number) / (r.vectorBytes as number)).toFixed(2)}× the ${mib(r.vectorBytes)} of vectors); background work done at ${((r.settledMs as number) / 1000).toFixed(1)} s, peak ${mib(r.settledPeak)}; ${r.mode}; DATA_DIR ${mib(du(data))}`,
  );
}
rmSync(dir, { recursive: true, force: true });
