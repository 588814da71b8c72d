/** Outbox wait statistics: a bounded sample ring of recent waits and the `/status` line. */
import type { OutboxStats } from './types.js';

const WAIT_SAMPLES = 512;

export class Ring {
  private readonly xs: number[] = [];
  private i = 0;
  push(x: number): void {
    if (this.xs.length < WAIT_SAMPLES) this.xs.push(x);
    else this.xs[this.i++ % WAIT_SAMPLES] = x;
  }
  summary(): { n: number; p50: number; p95: number; max: number } {
    if (this.xs.length === 0) return { n: 0, p50: 0, p95: 0, max: 0 };
    const s = [...this.xs].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
    return { n: s.length, p50: at(0.5), p95: at(0.95), max: s[s.length - 1]! };
  }
}

/** The outbox's `/status` line: waiting messages, the oldest wait, recent wait percentiles and 429s. */
export function describeOutbox(s: OutboxStats): string {
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const waiting = s.waiting.interactive + s.waiting.digest;
  const w = s.wait.interactive;
  const d = s.wait.digest;
  return (
    `Outbox (${s.name}): ${waiting} waiting (${s.waiting.interactive} interactive, ${s.waiting.digest} digest), ` +
    `${s.inFlight} in flight, oldest ${sec(s.oldestWaitMs)}; wait p50/p95 ${sec(w.p50)}/${sec(w.p95)} interactive` +
    (d.n > 0 ? `, ${sec(d.p50)}/${sec(d.p95)} digest` : '') +
    ` (last ${Math.max(w.n, d.n)}); ${s.sent} sent, ${s.rateLimited} flood waits (429)`
  );
}
