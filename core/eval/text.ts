/**
 * A tiny deterministic text vectoriser (signed feature hashing of word tokens, L2-normalised) for datasets
 * that come without encoder vectors (MovieLens titles, synthetic items). The bot passes its real encoder
 * vectors instead; this keeps the harness self-contained and reproducible.
 */
import { fnv1a } from './random.js';

const TOKEN = /[\p{L}\p{N}]+/gu;

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

/** One row of `dim` floats per text, row-major; rows of texts without tokens are all zeros. */
export function hashedTextVectors(texts: readonly string[], dim = 128): Float32Array {
  const out = new Float32Array(texts.length * dim);
  texts.forEach((text, row) => {
    const base = row * dim;
    for (const token of tokenize(text)) {
      const h = fnv1a(token);
      out[base + (h % dim)]! += (h & 0x80000000) === 0 ? 1 : -1;
    }
    normalizeRow(out, base, dim);
  });
  return out;
}

/** L2-normalises `m[base .. base+dim)` in place (zero rows stay zero). */
export function normalizeRow(m: Float32Array, base: number, dim: number): void {
  let s = 0;
  for (let j = 0; j < dim; j++) s += m[base + j]! * m[base + j]!;
  if (s <= 0) return;
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < dim; j++) m[base + j]! *= inv;
}
