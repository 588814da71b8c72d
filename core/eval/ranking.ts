/**
 * Full ranking over all items: batch matrix products on Float32Array matrices, masking of known items,
 * and top-K by partial selection (a bounded heap, O(n log K) per row).
 */
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
 * Top-K column indices per row, best first. Ties go to the lower item index (deterministic; RecBole's
 * `torch.topk` leaves tie order unspecified). −∞ and NaN entries are never returned; short rows are padded with −1.
 */
export function topKRows(scores: Float32Array, rows: number, cols: number, k: number): Int32Array {
  const out = new Int32Array(rows * k).fill(-1);
  const hs = new Float64Array(k);
  const hi = new Int32Array(k);
  // min-heap of the current best k: root = worst (lowest score, highest index on ties)
  const worse = (a: number, b: number) => hs[a]! < hs[b]! || (hs[a] === hs[b] && hi[a]! > hi[b]!);
  const swap = (a: number, b: number) => {
    const s = hs[a]!;
    hs[a] = hs[b]!;
    hs[b] = s;
    const t = hi[a]!;
    hi[a] = hi[b]!;
    hi[b] = t;
  };
  const down = (i: number, n: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && worse(l, m)) m = l;
      if (r < n && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  for (let row = 0; row < rows; row++) {
    const base = row * cols;
    let n = 0;
    for (let j = 0; j < cols; j++) {
      const s = scores[base + j]!;
      if (!(s > Number.NEGATIVE_INFINITY)) continue; // −∞ or NaN
      if (n < k) {
        hs[n] = s;
        hi[n] = j;
        let c = n++;
        while (c > 0) {
          const p = (c - 1) >> 1;
          if (!worse(c, p)) break;
          swap(c, p);
          c = p;
        }
      } else if (s > hs[0]!) {
        // equal score never displaces: the heap holds lower indices (scanned first)
        hs[0] = s;
        hi[0] = j;
        down(0, n);
      }
    }
    // pop worst-first into the back of the row
    for (let m = n; m > 0; m--) {
      out[row * k + m - 1] = hi[0]!;
      swap(0, m - 1);
      down(0, m - 1);
    }
  }
  return out;
}
