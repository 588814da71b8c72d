/**
 * `npm run bench:ann -- --n 1000000 --dim 384` — the ANN candidate index against exact scoring on generated
 * clustered vectors (scripts/bench/catalog-gen.ts): build time, memory per item, query latency next to the
 * exact mat-vec (JS and onnxruntime MatMul, side by side in one run), recall@10 for f32/f16/i8 vectors, and the
 * `rankItems` latency with ANN candidates. Bounded: `--queries` queries, one index per quantization.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { buildIndex, candidateIndex } from '../../core/catalog/catalog.js';
import { AnnLayer } from '../../core/catalog/ann.js';
import { rankItems, type RankInput } from '../../core/recommend.js';
import { ANN_CANDIDATES } from '../../core/recommend/scoring/candidates.js';
import { emptyPersona } from '../../core/users/doc.js';
import { matVec, topK } from '../../core/vectors.js';
import { settingsFrom } from '../../app/settings.js';
import { defaultConfig } from '../../core/config.js';
import { OrtMatrixOps } from '../../models/matrix-ops.js';
import { UsearchFactory, type Quantization } from '../../models/ann/usearch.js';
import { loadBuiltinCatalog } from '../../infra/catalog/builtin.js';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusteredVectors, generateRows } from './catalog-gen.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '384' },
    queries: { type: 'string', default: '200' },
    quant: { type: 'string', default: 'f16,i8,f32' },
    ef: { type: 'string', default: '256' },
    candidates: { type: 'string', default: String(ANN_CANDIDATES) },
  },
});
const n = Number(values.n),
  dim = Number(values.dim),
  nq = Number(values.queries);
const mb = () => process.memoryUsage().rss / 2 ** 20;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; N=${n} D=${dim}`,
);
// Queries come from the catalog's own distribution (the same topic centroids, rows held out of the index), as the
// bot's queries do (persona and liked-item mixtures lie among the items). Drawing them with another seed would put
// them around other, random centroids, far from every item, where all neighbours are nearly equidistant.
const all = clusteredVectors(n + nq, dim, 7, 1024, 0.7);
const vectors = all.subarray(0, n * dim);
const queries = all.subarray(n * dim);
console.log(`vectors: ${((n * dim * 4) / 2 ** 20).toFixed(0)} MiB f32; RSS ${mb().toFixed(0)} MiB`);
const ops = await OrtMatrixOps.create();
const truth: Set<number>[] = [];
const exactJs: number[] = [],
  exactOrt: number[] = [];
for (let i = 0; i < nq; i++) {
  const q = queries.subarray(i * dim, (i + 1) * dim);
  let t = performance.now();
  const s = await ops.matVec(vectors, dim, q);
  const top = topK(s, 10);
  exactOrt.push(performance.now() - t);
  truth.push(new Set(top));
  if (i < 20) {
    t = performance.now();
    topK(matVec(vectors, dim, q), 10);
    exactJs.push(performance.now() - t);
  }
}
console.log(
  `exact top-10: ORT MatMul p50 ${pct(exactOrt, 0.5).toFixed(2)} ms p99 ${pct(exactOrt, 0.99).toFixed(2)} ms; JS p50 ${pct(exactJs, 0.5).toFixed(2)} ms`,
);
const slots = Uint32Array.from({ length: n }, (_, i) => i);
let lastLayer: AnnLayer | undefined;
for (const quantization of values.quant.split(',') as Quantization[]) {
  const factory = new UsearchFactory({ quantization, expansionSearch: Number(values.ef) });
  const rss0 = mb();
  const t0 = performance.now();
  const index = factory.create(dim, n);
  for (let from = 0; from < n; from += 65536) {
    const to = Math.min(n, from + 65536);
    index.add(slots.subarray(from, to), vectors.subarray(from * dim, to * dim));
  }
  const buildS = (performance.now() - t0) / 1000;
  const bytes = (mb() - rss0) * 2 ** 20;
  let hit = 0;
  const lat: number[] = [];
  for (let i = 0; i < nq; i++) {
    const q = queries.subarray(i * dim, (i + 1) * dim);
    const t = performance.now();
    const got = index.search(q, 10);
    lat.push(performance.now() - t);
    for (const k of got.keys) if (truth[i]!.has(k)) hit++;
  }
  const p50 = pct(lat, 0.5);
  console.log(
    `${quantization}: build ${buildS.toFixed(1)} s (${(n / buildS).toFixed(0)} vectors/s), index ≈ ${(bytes / n).toFixed(0)} B/item (RSS growth), recall@10 ${(hit / (nq * 10)).toFixed(4)}, query p50 ${p50.toFixed(3)} ms p99 ${pct(lat, 0.99).toFixed(3)} ms, ${(pct(exactOrt, 0.5) / p50).toFixed(0)}× faster than the ORT mat-vec`,
  );
  lastLayer = new AnnLayer(index, factory);
}

// The recommend core at N with ANN candidates: rankItems (candidates + scoring + MMR + evidence).
if (lastLayer) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ann-'));
  writeFileSync(join(dir, 'rows.json'), JSON.stringify(generateRows(n)));
  const items = loadBuiltinCatalog({ path: join(dir, 'rows.json'), now: new Date() });
  rmSync(dir, { recursive: true, force: true });
  const index = buildIndex({
    items,
    textEncoderId: 'bench',
    textDim: dim,
    text: vectors,
    slots,
    ann: candidateIndex(lastLayer, slots),
  });
  const weights = settingsFrom(defaultConfig()).weights;
  // 20 warm-up requests first (JIT, the per-index buffers, a common term's capped rows: what the first requests
  // after a start pay), reported apart; then --queries requests measured. Once per --candidates value (comma list).
  const WARM = 20;
  const requestFor = (i: number, candidates: number): RankInput => {
    const qi = Math.abs(i);
    const persona = emptyPersona('u', new Date().toISOString());
    persona.vector = Array.from(queries.subarray(qi * dim, (qi + 1) * dim));
    persona.encoderId = 'bench';
    persona.interests = [{ term: i % 2 ? 'football' : '라면', weight: 1, source: 'message', updatedAt: '' }];
    const feedback = Object.fromEntries(
      [qi, qi + 1].map((k) => [
        items[k]!.id,
        { itemId: items[k]!.id, signal: 'like' as const, origin: 'reaction' as const, at: '' },
      ]),
    );
    return {
      index,
      persona,
      feedback,
      shown: {},
      explore: 1,
      count: 5,
      now: new Date(),
      weights,
      annCandidates: candidates,
    };
  };
  // Agreement with exact scoring (the same terms over every row) on the first 50 requests: of the `count` items
  // exact scoring lists, how many the candidate path lists too (computed once, after the timed loops: an exact
  // pass allocates catalog-length arrays and would disturb the timings).
  const exactLists: Set<number>[] = [];
  const listsBy = new Map<number, number[][]>();
  for (const candidates of values.candidates.split(',').map(Number)) {
    const lat: number[] = [];
    const warm: number[] = [];
    const lists: number[][] = [];
    for (let i = -WARM; i < nq; i++) {
      const input = requestFor(i, candidates);
      const t = performance.now();
      const got = rankItems(input);
      (i < 0 ? warm : lat).push(performance.now() - t);
      if (i >= 0 && i < 50) lists.push(got.map((r) => r.row));
    }
    listsBy.set(candidates, lists);
    console.log(
      `rankItems with ${candidates} ANN candidates (count 5): p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ms over ${nq} requests after ${WARM} warm-up (first ${warm[0]!.toFixed(1)} ms, warm-up max ${Math.max(...warm).toFixed(1)} ms)`,
    );
  }
  for (let i = 0; i < Math.min(50, nq); i++)
    exactLists.push(new Set(rankItems({ ...requestFor(i, 0), mode: 'exact' }).map((r) => r.row)));
  for (const [candidates, lists] of listsBy) {
    let agree = 0,
      compared = 0;
    lists.forEach((rows, i) => {
      agree += rows.filter((r) => exactLists[i]!.has(r)).length;
      compared += exactLists[i]!.size;
    });
    console.log(
      `  ${candidates} candidates: agreement with exact scoring ${(agree / compared).toFixed(3)} (${agree}/${compared})`,
    );
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}
await ops.release();
