/**
 * `npm run bench:grounding` — the grounding checker on the red-team suite (tests/llm/redteam/):
 * adversarial rejection rate (target 100%), false-rejection rate of faithful paraphrases (target
 * ≤ 5%) and of the blind set (lines never used to grow the vocabulary), per attack kind, and the
 * checker's latency per line (p50 / p95 / max over ROUNDS passes, after a warm-up pass).
 *
 * ROUNDS=20 npm run bench:grounding
 */
import { cpus, totalmem } from 'node:os';
import { factsOf, GroundingChecker } from '../../core/llm/grounding.js';
import { loadGroundingVocabularies } from '../../infra/llm/prompts.js';
import { loadRedTeam, type RedTeamLine } from '../../tests/llm/redteam/load.js';

const rounds = Math.max(1, Number(process.env.ROUNDS ?? 10));
const suite = loadRedTeam();
const checker = new GroundingChecker(loadGroundingVocabularies());
const check = (l: RedTeamLine) => checker.check(l.text, factsOf(l.evidence, [l.template]), l.lang);

const pct = (n: number, d: number): string => `${((100 * n) / Math.max(1, d)).toFixed(1)}% (${n}/${d})`;
const rejected = (set: readonly RedTeamLine[]) => set.filter((l) => !check(l).ok);

const adversarialRejected = rejected(suite.adversarial);
const faithfulRejected = rejected(suite.faithful);
const blindRejected = rejected(suite.blind);

console.log(
  `grounding checker — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
);
console.log(
  `adversarial rejected:          ${pct(adversarialRejected.length, suite.adversarial.length)}   (target 100%)`,
);
for (const lang of ['en', 'ko'] as const) {
  const set = suite.adversarial.filter((l) => l.lang === lang);
  console.log(`  ${lang}: ${pct(set.filter((l) => !check(l).ok).length, set.length)}`);
}
const kinds = [...new Set(suite.adversarial.map((l) => l.kind ?? '?'))].sort();
for (const k of kinds) {
  const set = suite.adversarial.filter((l) => l.kind === k);
  console.log(`  ${k.padEnd(18)} ${pct(set.filter((l) => !check(l).ok).length, set.length)}`);
}
console.log(`faithful falsely rejected:     ${pct(faithfulRejected.length, suite.faithful.length)}   (target ≤ 5%)`);
for (const set of [...new Set(suite.faithful.map((l) => l.set ?? 'first'))]) {
  const lines = suite.faithful.filter((l) => (l.set ?? 'first') === set);
  console.log(`  ${set.padEnd(18)} ${pct(lines.filter((l) => !check(l).ok).length, lines.length)}`);
}
console.log(
  `blind falsely rejected:        ${pct(blindRejected.length, suite.blind.length)}   (never used to grow the vocabulary)`,
);
if (process.env.VERBOSE)
  for (const l of [...faithfulRejected, ...blindRejected]) {
    const r = check(l);
    if (!r.ok) console.log(`  ✗ ${l.evidenceId}: ${l.text}  → ${r.reason} [${r.word ?? ''}]`);
  }

// Latency per line (facts built per line, as the explainer does).
const all = [...suite.adversarial, ...suite.faithful, ...suite.blind];
for (const l of all) check(l);
const times: number[] = [];
for (let r = 0; r < rounds; r++)
  for (const l of all) {
    const t0 = performance.now();
    check(l);
    times.push(performance.now() - t0);
  }
times.sort((a, b) => a - b);
const q = (p: number): string => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(3);
console.log(
  `latency per line: p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${times.at(-1)!.toFixed(3)} ms over ${times.length} checks`,
);
