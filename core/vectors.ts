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

/**
 * Indices of the `k` largest finite scores, best first (a bounded min-heap: O(n log k)).
 * `-Infinity` marks excluded rows.
 */
export function topK(scores: Float32Array, k: number): number[] {
  if (k <= 0) return [];
  const heapIdx = new Int32Array(k);
  const heapVal = new Float64Array(k);
  let size = 0;
  // Min-heap order; on equal scores the later index counts as smaller, so earlier items win ties.
  const less = (a: number, b: number) =>
    heapVal[a]! < heapVal[b]! || (heapVal[a] === heapVal[b] && heapIdx[a]! > heapIdx[b]!);
  const swap = (a: number, b: number) => {
    const v = heapVal[a]!;
    heapVal[a] = heapVal[b]!;
    heapVal[b] = v;
    const i = heapIdx[a]!;
    heapIdx[a] = heapIdx[b]!;
    heapIdx[b] = i;
  };
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!Number.isFinite(s)) continue;
    if (size < k) {
      let j = size++;
      heapVal[j] = s;
      heapIdx[j] = i;
      while (j > 0) {
        const p = (j - 1) >> 1;
        if (!less(j, p)) break;
        swap(j, p);
        j = p;
      }
    } else if (s > heapVal[0]!) {
      heapVal[0] = s;
      heapIdx[0] = i;
      for (let j = 0; ;) {
        const l = 2 * j + 1,
          r = l + 1;
        let m = j;
        if (l < size && less(l, m)) m = l;
        if (r < size && less(r, m)) m = r;
        if (m === j) break;
        swap(j, m);
        j = m;
      }
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort(
    (a, b) => heapVal[b]! - heapVal[a]! || heapIdx[a]! - heapIdx[b]!,
  );
  return order.map((i) => heapIdx[i]!);
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
