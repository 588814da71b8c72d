/**
 * The `select` step of a search by picture: among items with an image vector and a finite score, the best by
 * z(image similarity) + PICTURE_REST_WEIGHT · z(score) — the picture decides first, the rest of the score (the
 * caption's text match, the persona, freshness, what was already shown) re-ranks. Standardised over the
 * candidates, so the weight means the same under any encoder.
 */
import type { CatalogIndex } from '../catalog/catalog.js';
import type { RankInput } from '../recommend.js';
import { topK } from '../vectors.js';

/** Weight of the rest of the score against the picture's similarity (both standardised). */
export const PICTURE_REST_WEIGHT = 0.5;

function zscores(values: Float64Array): Float64Array {
  const n = values.length;
  let sum = 0,
    sq = 0;
  for (const v of values) {
    sum += v;
    sq += v * v;
  }
  const mean = n ? sum / n : 0;
  const std = Math.sqrt(Math.max(0, n ? sq / n - mean * mean : 0));
  return values.map((v) => (std > 1e-9 ? (v - mean) / std : 0));
}

export function pictureSelect(
  index: CatalogIndex,
  sims: Float32Array,
  count: number,
): NonNullable<RankInput['select']> {
  return (score) => {
    const rows: number[] = [];
    for (let r = 0; r < index.items.length; r++) if (index.hasImage[r] && Number.isFinite(score[r]!)) rows.push(r);
    if (rows.length === 0) return { rows: [], exploration: new Set() };
    const img = zscores(Float64Array.from(rows, (r) => sims[r]!));
    const rest = zscores(Float64Array.from(rows, (r) => score[r]!));
    const combined = Float32Array.from(rows, (_, k) => img[k]! + PICTURE_REST_WEIGHT * rest[k]!);
    return { rows: topK(combined, count).map((k) => rows[k]!), exploration: new Set() };
  };
}
