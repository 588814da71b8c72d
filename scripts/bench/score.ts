/**
 * `npm run bench:score` — whole-catalog scoring latency (rankItems: one mat-vec, keyword terms, priors,
 * top-k, MMR, evidence) for N items × D dims, against the machine's limit: the time to stream the
 * item matrix once from memory (a plain Float32Array sum over the same bytes).
 */
import { buildIndex } from '../../core/catalog/catalog.js';
import type { Category, ContentItem } from '../../core/domain.js';
import { CATEGORIES } from '../../core/domain.js';
import { rankItems } from '../../core/recommend.js';
import { emptyPersona } from '../../core/users.js';
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

function time(fn: () => void, reps: number): number {
  fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / reps;
}

const dim = Number(process.argv[2] ?? 384);
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; D=${dim}`,
);
console.log('N\tstream (ms)\tGB/s\trankItems p50 (ms)\tvs stream');
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
  const stream = time(() => {
    let s = 0;
    const m = index.text;
    for (let i = 0; i < m.length; i++) s += m[i]!;
    sink += s;
  }, 5);
  const runs: number[] = [];
  for (let k = 0; k < 7; k++) {
    runs.push(
      time(() => {
        const r = rankItems({
          index,
          persona,
          feedback,
          shown: {},
          explore: 1,
          count: 10,
          now: new Date(),
          weights: {
            persona: 0.35,
            feedback: 0.45,
            topic: 0.9,
            freshness: 0.08,
            popularity: 0.07,
            learned: 0.4,
            image: 0.3,
            shownPenalty: 0.1,
            halfLifeHours: 72,
          },
        });
        sink += r.length;
      }, 1),
    );
  }
  runs.sort((a, b) => a - b);
  const p50 = runs[3]!;
  const gbs = index.text.byteLength / 1e9 / (stream / 1e3);
  console.log(`${n}\t${stream.toFixed(1)}\t${gbs.toFixed(1)}\t${p50.toFixed(1)}\t${(p50 / stream).toFixed(1)}×`);
  if (sink === 42) console.log('');
}
