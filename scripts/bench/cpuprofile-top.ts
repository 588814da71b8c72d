/**
 * Summarises a V8 .cpuprofile (`bench:delivery -- --cpu-prof DIR`): self time per function, and with
 * `--inclusive` the total time (self + callees) of this project's functions.
 * Usage: `npx tsx scripts/bench/cpuprofile-top.ts FILE [N] [--inclusive]`
 */
import { readFileSync } from 'node:fs';

interface ProfNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, n = '30', mode] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file!, 'utf8')) as Profile;
const dt = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++)
  dt.set(prof.samples[i]!, (dt.get(prof.samples[i]!) ?? 0) + (prof.timeDeltas[i] ?? 0));
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const name = (f: ProfNode['callFrame']) =>
  `${f.functionName || '(anonymous)'} ${f.url
    .replace(/^.*node_modules\//, '~/')
    .replace(/^file:\/\/.*?\/(core|bots|app|infra|models|scrapers)\//, '$1/')}:${f.lineNumber + 1}`;
const out = new Map<string, number>();
let total = 0;
for (const x of prof.nodes) total += dt.get(x.id) ?? 0;
if (mode === '--inclusive') {
  const memo = new Map<number, number>();
  const inc = (id: number): number => {
    const hit = memo.get(id);
    if (hit !== undefined) return hit;
    const node = byId.get(id)!;
    const t = (dt.get(id) ?? 0) + (node.children ?? []).reduce((a, c) => a + inc(c), 0);
    memo.set(id, t);
    return t;
  };
  // Each function counted once per stack (recursion is not counted twice).
  const walk = (id: number, seen: Set<string>) => {
    const node = byId.get(id)!;
    const key = name(node.callFrame);
    if (!seen.has(key) && /^(core|bots|app|infra)\//.test(key.split(' ')[1] ?? ''))
      out.set(key, (out.get(key) ?? 0) + inc(id));
    const next = new Set(seen).add(key);
    for (const c of node.children ?? []) walk(c, next);
  };
  walk(prof.nodes[0]!.id, new Set());
} else {
  for (const x of prof.nodes) out.set(name(x.callFrame), (out.get(name(x.callFrame)) ?? 0) + (dt.get(x.id) ?? 0));
}
for (const [k, t] of [...out.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(n)))
  console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(0).padStart(7)} ms  ${k}`);
