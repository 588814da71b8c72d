/**
 * Full ranking over all items: batch matrix products on Float32Array matrices, masking of known items,
 * and top-K by partial selection (the one bounded heap in core/vectors.ts, O(n log K) per row).
 */
import { topKInto } from '../vectors.js';
import type { Interactions } from './datasets.js';

/** Compressed rows: the items of user `u` are `items[offsets[u] .. offsets[u+1])`. */
export interface UserItemIndex {
  offsets: Int32Array;
  items: Int32Array;
}

/** Groups interaction rows by user (optionally only rows whose signal passes `keep`). Items sorted per user. */
export function indexByUser(inter: Interactions, nUsers: number, keep?: (signal: number) => boolean): UserItemIndex {
  const counts = new Int32Array(nUsers + 1);
  for (let r = 0; r < inter.length; r++) if (!keep || keep(inter.signal[r]!)) counts[inter.user[r]! + 1]!++;
  for (let u = 0; u < nUsers; u++) counts[u + 1]! += counts[u]!;
  const items = new Int32Array(counts[nUsers]!);
  const fill = counts.slice(0, nUsers);
  for (let r = 0; r < inter.length; r++) {
    if (keep && !keep(inter.signal[r]!)) continue;
    items[fill[inter.user[r]!]!++] = inter.item[r]!;
  }
  for (let u = 0; u < nUsers; u++) items.subarray(counts[u]!, counts[u + 1]!).sort();
  return { offsets: counts, items };
}

/** The transpose of a user → items index: the users of item `i` are `items[offsets[i] .. offsets[i+1])`. */
export function indexByItem(byUser: UserItemIndex, nItems: number): UserItemIndex {
  const offsets = new Int32Array(nItems + 1);
  for (const i of byUser.items) offsets[i + 1]!++;
  for (let i = 0; i < nItems; i++) offsets[i + 1]! += offsets[i]!;
  const fill = offsets.slice(0, nItems);
  const users = new Int32Array(byUser.items.length);
  const nUsers = byUser.offsets.length - 1;
  for (let u = 0; u < nUsers; u++)
    for (let p = byUser.offsets[u]!; p < byUser.offsets[u + 1]!; p++) users[fill[byUser.items[p]!]!++] = u;
  return { offsets, items: users };
}

export function itemsOf(index: UserItemIndex, u: number): Int32Array {
  return index.items.subarray(index.offsets[u]!, index.offsets[u + 1]!);
}

/** `out (m×n) = A (m×d) · Bᵀ` with B given as `n×d` rows (both row-major). */
export function matmulABt(
  a: Float32Array,
  m: number,
  b: Float32Array,
  n: number,
  d: number,
  out = new Float32Array(m * n),
): Float32Array {
  for (let i = 0; i < m; i++) {
    const ai = i * d;
    const oi = i * n;
    for (let j = 0; j < n; j++) {
      const bj = j * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += a[ai + k]! * b[bj + k]!;
      out[oi + j] = s;
    }
  }
  return out;
}

/** Sets `scores[row, item] = −∞` for every item of `index` of the user in each row. */
export function maskKnown(
  scores: Float32Array,
  users: ArrayLike<number>,
  nItems: number,
  ...indexes: UserItemIndex[]
): void {
  for (let row = 0; row < users.length; row++) {
    const base = row * nItems;
    for (const index of indexes) {
      const u = users[row]!;
      for (let p = index.offsets[u]!; p < index.offsets[u + 1]!; p++)
        scores[base + index.items[p]!] = Number.NEGATIVE_INFINITY;
    }
  }
}

/**
 * Top-K column indices per row, best first, padded with −1 (−∞ and NaN entries are never returned). The heap is
 * `topKInto` (core/vectors.ts). `tieSalts` (one per row, e.g. `tieSalt(seed, user)`) breaks ties by a seeded random
 * permutation per row — the harness's rule; without it the lower item index wins.
 */
export function topKRows(
  scores: Float32Array,
  rows: number,
  cols: number,
  k: number,
  tieSalts?: ArrayLike<number>,
): Int32Array {
  const out = new Int32Array(rows * k).fill(-1);
  for (let row = 0; row < rows; row++) topKInto(scores, row * cols, cols, k, out, row * k, tieSalts?.[row]);
  return out;
}
