/**
 * Dense vector math on contiguous Float32Array matrices (row-major, `rows × dim`).
 * The hot path of scoring: one matrix–vector product over the whole catalog instead of per-item objects.
 */

/** L2-normalises `v` in place; returns it. A zero vector stays zero. */
export function normalizeInPlace(v: Float32Array, offset = 0, dim = v.length - offset): Float32Array {
  let s = 0;
  for (let i = offset; i < offset + dim; i++) s += v[i]! * v[i]!;
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = offset; i < offset + dim; i++) v[i]! *= inv;
  }
  return v;
}

/** Normalises each row of a row-major matrix in place. */
export function normalizeRows(m: Float32Array, dim: number): Float32Array {
  for (let off = 0; off < m.length; off += dim) normalizeInPlace(m, off, dim);
  return m;
}

export function dot(a: Float32Array, b: Float32Array, aOff = 0, bOff = 0, dim = a.length): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let i = 0;
  for (; i + 3 < dim; i += 4) {
    s0 += a[aOff + i]! * b[bOff + i]!;
    s1 += a[aOff + i + 1]! * b[bOff + i + 1]!;
    s2 += a[aOff + i + 2]! * b[bOff + i + 2]!;
    s3 += a[aOff + i + 3]! * b[bOff + i + 3]!;
  }
  for (; i < dim; i++) s0 += a[aOff + i]! * b[bOff + i]!;
  return s0 + s1 + s2 + s3;
}

/**
 * `out[r] = M[r,:] · v` for every row — the whole-catalog similarity in one pass.
 * With `accumulate`, adds into `out` instead of overwriting.
 */
export function matVec(
  m: Float32Array,
  dim: number,
  v: Float32Array,
  out?: Float32Array,
  accumulate = false,
): Float32Array {
  const rows = dim === 0 ? 0 : m.length / dim;
  const res = out ?? new Float32Array(rows);
  // One tight loop, four accumulators, no call per row: this is the hot path of scoring.
  for (let r = 0, off = 0; r < rows; r++) {
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      i = 0;
    for (; i + 3 < dim; i += 4) {
      s0 += m[off + i]! * v[i]!;
      s1 += m[off + i + 1]! * v[i + 1]!;
      s2 += m[off + i + 2]! * v[i + 2]!;
      s3 += m[off + i + 3]! * v[i + 3]!;
    }
    for (; i < dim; i++) s0 += m[off + i]! * v[i]!;
    off += dim;
    const d = s0 + s1 + s2 + s3;
    res[r] = accumulate ? res[r]! + d : d;
  }
  return res;
}

/** Mean of the given rows, normalised; undefined when `rows` is empty. */
export function centroid(
  m: Float32Array,
  dim: number,
  rows: readonly number[],
  weights?: readonly number[],
): Float32Array | undefined {
  if (rows.length === 0) return undefined;
  const c = new Float32Array(dim);
  rows.forEach((r, k) => {
    const w = weights?.[k] ?? 1;
    const off = r * dim;
    for (let i = 0; i < dim; i++) c[i]! += w * m[off + i]!;
  });
  return normalizeInPlace(c);
}

/** `a += w * b` in place. */
export function axpy(a: Float32Array, b: Float32Array, w: number): Float32Array {
  for (let i = 0; i < a.length; i++) a[i]! += w * b[i]!;
  return a;
}

/** A bijective 32-bit integer mix (murmur3's finaliser): distinct inputs give distinct outputs. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The tie-break salt of one ranked row (e.g. one user under one evaluation seed). Rows with different salts order
 * their ties independently.
 */
export const tieSalt = (seed: number, row: number): number => mix32(mix32(seed) ^ Math.imul(row + 1, 0x9e3779b9));

/**
 * Writes the indices of the `k` largest finite scores of `scores[from .. from + n)` (relative to `from`), best first,
 * into `out[at ..]` and returns how many it wrote (the rest of `out[at .. at + k)` is left as it was).
 * A bounded min-heap: O(n log k). Non-finite scores (−∞ marks excluded items, NaN) are never returned.
 *
 * Ties: without `salt` the lower index wins (deterministic, used by the bot's serving path); with a `salt` ties are
 * broken by the seeded random permutation `i ↦ mix32(i + salt·φ)` (a bijection, so every tie order is a permutation
 * and each salt gives another one). This is the harness's rule: a model that scores every item the same then ranks
 * like a random model instead of handing out the lowest item ids.
 */
export function topKInto(
  scores: ArrayLike<number>,
  from: number,
  n: number,
  k: number,
  out: Int32Array,
  at = 0,
  salt?: number,
): number {
  if (k <= 0) return 0;
  const hs = new Float64Array(k);
  const hi = new Int32Array(k);
  const hk = new Float64Array(k);
  const saltMix = salt === undefined ? 0 : Math.imul(salt >>> 0, 0x9e3779b9);
  const keyOf = salt === undefined ? (i: number) => i : (i: number) => mix32((i + saltMix) >>> 0);
  let size = 0;
  // min-heap on (score, then the larger tie key counts as worse): the root is the worst item kept so far
  const worse = (a: number, b: number) => hs[a]! < hs[b]! || (hs[a] === hs[b] && hk[a]! > hk[b]!);
  const swap = (a: number, b: number) => {
    const s = hs[a]!;
    hs[a] = hs[b]!;
    hs[b] = s;
    const t = hi[a]!;
    hi[a] = hi[b]!;
    hi[b] = t;
    const u = hk[a]!;
    hk[a] = hk[b]!;
    hk[b] = u;
  };
  const down = (i: number, m: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < m && worse(l, w)) w = l;
      if (r < m && worse(r, w)) w = r;
      if (w === i) return;
      swap(i, w);
      i = w;
    }
  };
  for (let j = 0; j < n; j++) {
    const s = scores[from + j]!;
    if (!Number.isFinite(s)) continue;
    if (size < k) {
      hs[size] = s;
      hi[size] = j;
      hk[size] = keyOf(j);
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(c, p)) break;
        swap(c, p);
        c = p;
      }
    } else if (s > hs[0]! || (s === hs[0] && keyOf(j) < hk[0]!)) {
      hs[0] = s;
      hi[0] = j;
      hk[0] = keyOf(j);
      down(0, size);
    }
  }
  // pop worst-first into the back of the list
  for (let m = size; m > 0; m--) {
    out[at + m - 1] = hi[0]!;
    swap(0, m - 1);
    down(0, m - 1);
  }
  return size;
}

/**
 * Indices of the `k` largest finite scores, best first (see {@link topKInto}; ties: lower index, or the seeded
 * permutation of `salt`). `-Infinity` marks excluded rows.
 */
export function topK(scores: Float32Array, k: number, salt?: number): number[] {
  if (k <= 0) return [];
  const out = new Int32Array(k);
  const n = topKInto(scores, 0, scores.length, k, out, 0, salt);
  return Array.from(out.subarray(0, n));
}

/** Float32 vector ↔ bytes, for compact storage. */
export function vectorToBytes(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}
export function bytesToVector(b: Uint8Array): Float32Array {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}
