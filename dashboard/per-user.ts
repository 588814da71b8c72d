/**
 * Per-user metric values (users.json) from a `rows × width` list matrix, with the same per-user functions that
 * `computeMetrics` averages (core/eval/metrics.ts), so a distribution's mean is the table's number.
 */
import {
  hitAtK,
  intraListDiversity,
  mapAtK,
  mrrAtK,
  ndcgAtK,
  novelty,
  precisionAtK,
  recallAtK,
  serendipity,
} from '../core/eval/metrics.js';

export interface PerUserInputs {
  lists: Int32Array;
  width: number;
  relevant: readonly ReadonlySet<number>[];
  ks: readonly number[];
  itemVectors?: Float32Array | undefined;
  dim?: number | undefined;
  itemUserCounts?: ArrayLike<number> | undefined;
  nTrainUsers?: number | undefined;
  popularLists?: Int32Array | undefined;
}

/**
 * metric key → one value per row. A series with an undefined value for some user (ILD of a one-item list, novelty of
 * an empty one) is left out whole: JSON has no NaN, and the contract keeps one value per user.
 */
export function perUserMetrics(o: PerUserInputs): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const push = (key: string, v: number) => (out[key] ??= []).push(v);
  for (let r = 0; r < o.relevant.length; r++) {
    const row = o.lists.subarray(r * o.width, (r + 1) * o.width);
    const rel = o.relevant[r]!;
    for (const k of o.ks) {
      push(`recall@${k}`, recallAtK(row, rel, k));
      push(`precision@${k}`, precisionAtK(row, rel, k));
      push(`ndcg@${k}`, ndcgAtK(row, rel, k));
      push(`map@${k}`, mapAtK(row, rel, k));
      push(`mrr@${k}`, mrrAtK(row, rel, k));
      push(`hit@${k}`, hitAtK(row, rel, k));
      if (o.itemVectors && o.dim) push(`ild@${k}`, intraListDiversity(row, k, o.itemVectors, o.dim));
      if (o.itemUserCounts && o.nTrainUsers) push(`novelty@${k}`, novelty(row, k, o.itemUserCounts, o.nTrainUsers));
      if (o.popularLists)
        push(
          `serendipity@${k}`,
          serendipity(row, rel, new Set(o.popularLists.subarray(r * o.width, r * o.width + Math.min(k, o.width))), k),
        );
    }
  }
  for (const [key, vals] of Object.entries(out)) if (vals.some((v) => !Number.isFinite(v))) delete out[key];
  return out;
}
