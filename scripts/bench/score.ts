/**
 * `npm run bench:score` — whole-catalog scoring latency (rankItems: one mat-vec, keyword terms, priors,
 * top-k, MMR, evidence) for N items × D dims, against the machine's limit: the time to stream the
 * item matrix once from memory (a plain Float32Array sum over the same bytes).
 */
import { buildIndex } from '../../core/catalog/catalog.js';
import type { Category, ContentItem } from '../../core/domain.js';
import { CATEGORIES } from '../../core/domain.js';
import { rankItems, textQuery, type RankInput } from '../../core/recommend.js';
import { OrtMatrixOps } from '../../models/matrix-ops.js';
import { emptyPersona } from '../../core/users/doc.js';
import { normalizeRows } from '../../core/vectors.js';
import { cpus, totalmem } from 'node:os';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function catalog(n: number, dim: number) {
  const r = rng(42);
  const items: ContentItem[] = [];
  const words = ['ramen', 'football', 'ai', 'jazz', 'jeju', 'stocks', 'lol', 'sneakers', 'kimchi', 'space'];
  for (let i = 0; i < n; i++) {
    const w = words[i % words.length]!;
    items.push({
      id: `i${i}`,
      url: `https://e.x/${i}`,
      canonicalUrl: `https://e.x/${i}`,
      title: `${w} story ${i}`,
      summary: `${w} ${words[(i * 7) % words.length]}`,
      category: CATEGORIES[i % CATEGORIES.length] as Category,
      source: `s${i % 8}`,
      lang: i % 2 ? 'ko' : 'en',
      publishedAt: new Date(Date.now() - r() * 30 * 86_400_000).toISOString(),
      fetchedAt: new Date().toISOString(),
      popularity: { views: Math.floor(r() * 1e6) },
      tags: [w],
    });
  }
  const text = new Float32Array(n * dim);
  for (let i = 0; i < text.length; i++) text[i] = r() - 0.5;
  normalizeRows(text, dim);
  return buildIndex({ items, textEncoderId: 'bench', textDim: dim, text });
}

async function timeAsync(fn: () => Promise<void>, reps: number): Promise<number> {
  await fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / reps;
}

function time(fn: () => void, reps: number): number {
  fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / reps;
}

const dim = Number(process.argv[2] ?? 384);
import { matVec } from '../../core/vectors.js';
import { settingsFrom } from '../../app/settings.js';
import { defaultConfig } from '../../core/config.js';

const DEFAULT_WEIGHTS = settingsFrom(defaultConfig()).weights;
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; D=${dim}`,
);
const ops = await OrtMatrixOps.create();
console.log('N\tmemcpy GB/s\tJS matVec ms (GB/s)\tORT matVec ms (GB/s)\trank p50 ms, JS\trank p50 ms, ORT');
for (const n of [10_000, 100_000]) {
  const index = catalog(n, dim);
  const persona = emptyPersona('u', new Date().toISOString());
  const q = new Float32Array(dim).map((_, i) => Math.sin(i));
  persona.vector = Array.from(q);
  persona.encoderId = 'bench';
  persona.interests = [{ term: 'ramen', weight: 2, source: 'message', updatedAt: '' }];
  const feedback = Object.fromEntries(
    [1, 2, 3].map((k) => [`i${k}`, { itemId: `i${k}`, signal: 'like' as const, origin: 'reaction' as const, at: '' }]),
  );
  let sink = 0;
  // The machine's limit for a pass over the matrix: native memcpy bandwidth (read + write).
  const copy = new Float32Array(index.text.length);
  const memcpyMs = time(() => copy.set(index.text), 5);
  const memGBs = (2 * index.text.byteLength) / 1e9 / (memcpyMs / 1e3);
  const q2 = new Float32Array(dim).fill(0.01);
  const mv = time(() => {
    sink += matVec(index.text, dim, q2)[0]!;
  }, 5);
  const weights = DEFAULT_WEIGHTS;
  const input: RankInput = { index, persona, feedback, shown: {}, explore: 1, count: 10, now: new Date(), weights };
  const tq = textQuery(input).q;
  const om = await timeAsync(async () => {
    sink += (await ops.matVec(index.text, dim, tq))[0]!;
  }, 5);
  const jsRuns: number[] = [];
  const ortRuns: number[] = [];
  for (let k = 0; k < 7; k++) {
    jsRuns.push(time(() => void (sink += rankItems(input).length), 1));
    ortRuns.push(
      await timeAsync(async () => {
        const textScores = await ops.matVec(index.text, dim, textQuery(input).q);
        sink += rankItems({ ...input, textScores }).length;
      }, 1),
    );
  }
  const p50 = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const gbs = (ms: number) => (index.text.byteLength / 1e9 / (ms / 1e3)).toFixed(1);
  console.log(
    `${n}\t${memGBs.toFixed(1)}\t${mv.toFixed(1)} (${gbs(mv)})\t${om.toFixed(1)} (${gbs(om)})\t${p50(jsRuns).toFixed(1)}\t${p50(ortRuns).toFixed(1)}`,
  );
  if (sink === 42) console.log('');
}
