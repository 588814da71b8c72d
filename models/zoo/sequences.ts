/**
 * Time-ordered item sequences for the sequential models (SASRec, GRU4Rec): each user's positives sorted by time
 * (ties by row order), as 1-based item ids (0 = padding), and the left-padded windows they train on.
 */
import type { Interactions } from '../../core/eval/datasets.js';

/** Per user, the positive items of `rows` (one or more interaction sets, in order) sorted by time; item ids + 1. */
export function userSequences(nUsers: number, ...parts: Interactions[]): Int32Array[] {
  const by: { t: number; o: number; i: number }[][] = Array.from({ length: nUsers }, () => []);
  let o = 0;
  for (const p of parts)
    for (let r = 0; r < p.length; r++, o++)
      if (p.signal[r] === 1) by[p.user[r]!]!.push({ t: p.time[r]!, o, i: p.item[r]! + 1 });
  return by.map((xs) => Int32Array.from(xs.sort((a, b) => a.t - b.t || a.o - b.o).map((x) => x.i)));
}

/**
 * Training windows: for a sequence s (length m ≥ 2), inputs s[a..b) and next-item targets s[a+1..b+1), cut into
 * windows of `len` from the end backwards, each left-padded with 0 to `len`.
 */
export function trainingWindows(
  seqs: readonly Int32Array[],
  len: number,
): { inputs: Int32Array; targets: Int32Array; count: number } {
  const ins: number[] = [];
  const outs: number[] = [];
  let count = 0;
  for (const s of seqs) {
    for (let end = s.length - 1; end > 0; end -= len) {
      const start = Math.max(0, end - len);
      const pad = len - (end - start);
      for (let k = 0; k < pad; k++) {
        ins.push(0);
        outs.push(0);
      }
      for (let k = start; k < end; k++) {
        ins.push(s[k]!);
        outs.push(s[k + 1]!);
      }
      count++;
    }
  }
  return { inputs: Int32Array.from(ins), targets: Int32Array.from(outs), count };
}

/** The last `len` items of each user's sequence, left-padded with 0 (what the model reads to score). */
export function lastWindow(seq: Int32Array, len: number, out: Int32Array, at: number): void {
  const n = Math.min(len, seq.length);
  out.fill(0, at, at + len - n);
  out.set(seq.subarray(seq.length - n), at + len - n);
}
