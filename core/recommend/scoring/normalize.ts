/** Standardising a similarity by the catalog's spread, estimated from an evenly spread sample of rows. */

/** At most this many rows estimate a similarity spread (every row when the catalog is smaller). */
export const SPREAD_SAMPLE = 2048;

/** A deterministic, evenly spread sample of row indices. */
export function sampleRows(n: number): Int32Array {
  if (n <= SPREAD_SAMPLE) return Int32Array.from({ length: n }, (_, i) => i);
  const step = n / SPREAD_SAMPLE;
  return Int32Array.from({ length: SPREAD_SAMPLE }, (_, i) => Math.floor(i * step));
}

/** Score units per standard deviation of content similarity. */
export const CONTENT_SCALE = 0.1;

/** In place: x ← scale·(x − mean)/std over the finite entries; all-equal input becomes 0. */
export function standardize(x: Float32Array, scale: number): Float32Array {
  let n = 0,
    sum = 0,
    sq = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) continue;
    n++;
    sum += v;
    sq += v * v;
  }
  if (n === 0) return x;
  const mean = sum / n;
  const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
  const k = std > 1e-9 ? scale / std : 0;
  for (let i = 0; i < x.length; i++) x[i] = (x[i]! - mean) * k;
  return x;
}
