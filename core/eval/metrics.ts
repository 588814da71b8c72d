/**
 * Top-K recommendation metrics. Accuracy metrics follow RecBole's conventions (recbole/evaluator/metrics.py):
 * a recommendation list is the top K of a full ranking over all items with each user's known items masked;
 * per-user values are averaged over the users that have at least one relevant test item ("relevant" = a like).
 * Each function's doc gives the formula and where other libraries differ.
 *
 * Lists are `ArrayLike<number>` of item indices, best first; a `-1` entry is padding (fewer than K candidates)
 * and never counts as a hit. `rel` is the user's set of relevant test items.
 */

const hitsOf = (list: ArrayLike<number>, k: number, rel: ReadonlySet<number>): boolean[] => {
  const out: boolean[] = [];
  for (let i = 0; i < Math.min(k, list.length); i++) out.push(list[i]! >= 0 && rel.has(list[i]!));
  return out;
};

/**
 * Recall@K = |top-K ∩ rel| / |rel|. (RecBole, Microsoft Recommenders, Elliot.)
 * Differs: some papers and evaluators divide by min(|rel|, K) ("capped recall"), which makes a perfect score
 * reachable when |rel| > K. Empty `rel` → 0 (the harness skips such users).
 */
export function recallAtK(list: ArrayLike<number>, rel: ReadonlySet<number>, k: number): number {
  if (rel.size === 0) return 0;
  return hitsOf(list, k, rel).filter(Boolean).length / rel.size;
}

/**
 * Precision@K = |top-K ∩ rel| / K — always divided by K, even when the list is shorter (RecBole).
 * Differs: some libraries divide by min(K, |rel|) or by the list length. Empty list → 0.
 */
export function precisionAtK(list: ArrayLike<number>, rel: ReadonlySet<number>, k: number): number {
  if (k <= 0) return 0;
  return hitsOf(list, k, rel).filter(Boolean).length / k;
}

/**
 * NDCG@K with binary gain: DCG = Σ_{i=1..K} hit_i / log2(i + 1); IDCG = Σ_{i=1..min(|rel|,K)} 1 / log2(i + 1);
 * NDCG = DCG / IDCG (RecBole). Differs: graded-gain variants (2^rel − 1, e.g. scikit-learn `ndcg_score`
 * with ratings) and libraries whose ideal DCG runs over all |rel| items instead of min(|rel|, K).
 */
export function ndcgAtK(list: ArrayLike<number>, rel: ReadonlySet<number>, k: number): number {
  if (rel.size === 0) return 0;
  const hits = hitsOf(list, k, rel);
  let dcg = 0;
  hits.forEach((h, i) => h && (dcg += 1 / Math.log2(i + 2)));
  let idcg = 0;
  for (let i = 0; i < Math.min(rel.size, k); i++) idcg += 1 / Math.log2(i + 2);
  return dcg / idcg;
}

/**
 * MAP@K (per-user AP@K) = Σ_{i=1..K} P@i · hit_i / min(|rel|, K) (RecBole's MAP).
 * Differs: some libraries divide by |rel| (uncapped) or by the number of hits in the list.
 */
export function mapAtK(list: ArrayLike<number>, rel: ReadonlySet<number>, k: number): number {
  if (rel.size === 0) return 0;
  let hits = 0;
  let sum = 0;
  hitsOf(list, k, rel).forEach((h, i) => {
    if (h) {
      hits++;
      sum += hits / (i + 1);
    }
  });
  return sum / Math.min(rel.size, k);
}

/** MRR@K = 1 / rank of the first relevant item within the top K, 0 when none (RecBole). */
export function mrrAtK(list: ArrayLike<number>, rel: ReadonlySet<number>, k: number): number {
  const i = hitsOf(list, k, rel).indexOf(true);
  return i < 0 ? 0 : 1 / (i + 1);
}

/** HitRate@K (RecBole's Hit) = 1 when any relevant item is in the top K, else 0. */
export function hitAtK(list: ArrayLike<number>, rel: ReadonlySet<number>, k: number): number {
  return hitsOf(list, k, rel).some(Boolean) ? 1 : 0;
}

/** Rows of a `rows × width` list matrix, each cut to its first `k` entries. */
function* rowsOf(lists: Int32Array, width: number, k: number): Generator<Int32Array> {
  for (let r = 0; r * width < lists.length; r++) yield lists.subarray(r * width, r * width + Math.min(k, width));
}

/**
 * Item coverage@K = |⋃_u top-K(u)| / |I| (RecBole's ItemCoverage). Padding (−1) ignored.
 */
export function itemCoverage(lists: Int32Array, width: number, k: number, nItems: number): number {
  if (nItems === 0) return 0;
  const seen = new Uint8Array(nItems);
  let n = 0;
  for (const row of rowsOf(lists, width, k))
    for (const i of row) {
      if (i >= 0 && !seen[i]) {
        seen[i] = 1;
        n++;
      }
    }
  return n / nItems;
}

/**
 * Gini index@K of how often items are recommended (RecBole's GiniIndex): with c_(1) ≤ … ≤ c_(n) the counts of
 * all n catalog items (zeros included) in the users' top-K lists,
 * Gini = Σ_{j=1..n} (2j − n − 1) · c_(j) / (n · Σ_j c_(j)). 0 = every item equally often, → 1 = a few items get
 * all recommendations. Differs: some libraries only count items that were recommended at least once.
 */
export function giniIndex(lists: Int32Array, width: number, k: number, nItems: number): number {
  const counts = new Float64Array(nItems);
  let total = 0;
  for (const row of rowsOf(lists, width, k))
    for (const i of row) {
      if (i >= 0) {
        counts[i]!++;
        total++;
      }
    }
  if (total === 0 || nItems === 0) return 0;
  counts.sort();
  let s = 0;
  for (let j = 0; j < nItems; j++) s += (2 * (j + 1) - nItems - 1) * counts[j]!;
  return s / (nItems * total);
}

/**
 * Intra-list diversity@K = mean over pairs i<j of the list of (1 − cos(v_i, v_j)), from item vectors (`dim`
 * floats per item). Lists with fewer than two items are skipped by the mean (returns NaN here). RecBole has no
 * ILD; this is Ziegler et al. (2005)'s definition with cosine distance (Microsoft Recommenders' `diversity`
 * uses 1 − similarity of co-occurrence or feature vectors, the same form).
 */
export function intraListDiversity(list: ArrayLike<number>, k: number, vectors: Float32Array, dim: number): number {
  const items: number[] = [];
  for (let i = 0; i < Math.min(k, list.length); i++) if (list[i]! >= 0) items.push(list[i]!);
  if (items.length < 2) return Number.NaN;
  const norms = items.map((it) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += vectors[it * dim + d]! ** 2;
    return Math.sqrt(s);
  });
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < items.length; a++)
    for (let b = a + 1; b < items.length; b++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += vectors[items[a]! * dim + d]! * vectors[items[b]! * dim + d]!;
      const den = norms[a]! * norms[b]!;
      sum += 1 - (den > 0 ? dot / den : 0);
      pairs++;
    }
  return sum / pairs;
}

/**
 * Novelty@K = mean over the list of −log2(share of training users who have the item), share = users(i) / |U_train|
 * (Zhou et al. 2010, "self-information"; RecBole has no novelty, only AveragePopularity). Items no training user
 * has (no popularity) are counted as if one user had them: −log2(1 / |U_train|), the maximum — otherwise a single
 * unseen item makes the mean infinite. Empty list → NaN (skipped by the mean).
 */
export function novelty(
  list: ArrayLike<number>,
  k: number,
  itemUserCounts: ArrayLike<number>,
  nTrainUsers: number,
): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < Math.min(k, list.length); i++) {
    const it = list[i]!;
    if (it < 0) continue;
    sum += -Math.log2(Math.max(1, itemUserCounts[it] ?? 0) / Math.max(1, nTrainUsers));
    n++;
  }
  return n ? sum / n : Number.NaN;
}

/**
 * Serendipity@K = |{ i ∈ top-K : i ∈ rel ∧ i ∉ PM@K }| / K, where PM@K is the user's list from the most-popular
 * baseline (with the same known items masked): relevant AND unexpected (Murakami et al. 2008; Ge et al. 2010).
 * Divided by K like RecBole's Precision (RecBole itself has no serendipity metric). Differs: Microsoft Recommenders'
 * `serendipity` uses a graded unexpectedness 1 − mean cosine(i, user history) times relevance instead of a
 * baseline list; Kaminskas & Bridge (2016) survey both.
 */
export function serendipity(
  list: ArrayLike<number>,
  rel: ReadonlySet<number>,
  expected: ReadonlySet<number>,
  k: number,
): number {
  if (k <= 0) return 0;
  let n = 0;
  for (let i = 0; i < Math.min(k, list.length); i++) {
    const it = list[i]!;
    if (it >= 0 && rel.has(it) && !expected.has(it)) n++;
  }
  return n / k;
}

export const ACCURACY_METRICS = ['recall', 'precision', 'ndcg', 'map', 'mrr', 'hit'] as const;
export const BEYOND_METRICS = ['coverage', 'gini', 'ild', 'novelty', 'serendipity'] as const;
export type MetricName = (typeof ACCURACY_METRICS)[number] | (typeof BEYOND_METRICS)[number];

export interface MetricInputs {
  /** `rows × width` top lists (best first, −1 padding), one row per evaluated user. */
  lists: Int32Array;
  width: number;
  /** Relevant test items per row. */
  relevant: ReadonlySet<number>[];
  ks: readonly number[];
  nItems: number;
  /** Item vectors for ILD (`nItems × dim`). */
  itemVectors?: Float32Array;
  dim?: number;
  /** Number of training users who interacted with each item, and the number of training users (novelty). */
  itemUserCounts?: ArrayLike<number>;
  nTrainUsers?: number;
  /** The most-popular baseline's lists for the same rows (serendipity), same layout as `lists`. */
  popularLists?: Int32Array;
}

/**
 * Every metric at every K per row (user): `perUser['ndcg@10'][r]` (NaN where a value is undefined, e.g. ILD of a
 * one-item list) — what paired significance tests and per-user distributions read — and the catalog-level metrics
 * (coverage, Gini) that have no per-user value.
 */
export function userMetrics(input: MetricInputs): {
  perUser: Record<string, Float64Array>;
  global: Record<string, number>;
} {
  const perUser: Record<string, Float64Array> = {};
  const global: Record<string, number> = {};
  const rows = input.relevant.length;
  for (const k of input.ks) {
    const col = (name: string) => (perUser[`${name}@${k}`] = new Float64Array(rows));
    const [recall, precision, ndcg, map, mrr, hit] = ACCURACY_METRICS.map(col) as Float64Array[];
    const ild = input.itemVectors && input.dim ? col('ild') : undefined;
    const nov = input.itemUserCounts && input.nTrainUsers ? col('novelty') : undefined;
    const ser = input.popularLists ? col('serendipity') : undefined;
    for (let r = 0; r < rows; r++) {
      const list = input.lists.subarray(r * input.width, r * input.width + Math.min(k, input.width));
      const rel = input.relevant[r]!;
      recall![r] = recallAtK(list, rel, k);
      precision![r] = precisionAtK(list, rel, k);
      ndcg![r] = ndcgAtK(list, rel, k);
      map![r] = mapAtK(list, rel, k);
      mrr![r] = mrrAtK(list, rel, k);
      hit![r] = hitAtK(list, rel, k);
      if (ild) ild[r] = intraListDiversity(list, k, input.itemVectors!, input.dim!);
      if (nov) nov[r] = novelty(list, k, input.itemUserCounts!, input.nTrainUsers!);
      if (ser) {
        const pop = new Set(input.popularLists!.subarray(r * input.width, r * input.width + Math.min(k, input.width)));
        ser[r] = serendipity(list, rel, pop, k);
      }
    }
    global[`coverage@${k}`] = itemCoverage(input.lists, input.width, k, input.nItems);
    global[`gini@${k}`] = giniIndex(input.lists, input.width, k, input.nItems);
  }
  return { perUser, global };
}

/** Mean of the non-NaN values; undefined when there are none. */
export function meanDefined(values: ArrayLike<number>): number | undefined {
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  return n ? s / n : undefined;
}

/** All metrics at every K, averaged over rows (NaN per-user values are left out of a mean). Keys: `ndcg@10`. */
export function computeMetrics(input: MetricInputs): Record<string, number> {
  const { perUser, global } = userMetrics(input);
  const rows = input.relevant.length;
  const out: Record<string, number> = {};
  for (const k of input.ks) {
    for (const name of ACCURACY_METRICS) out[`${name}@${k}`] = rows ? meanDefined(perUser[`${name}@${k}`]!)! : 0;
    out[`coverage@${k}`] = global[`coverage@${k}`]!;
    out[`gini@${k}`] = global[`gini@${k}`]!;
    for (const name of ['ild', 'novelty', 'serendipity']) {
      const v = perUser[`${name}@${k}`];
      const m = v ? meanDefined(v) : undefined;
      if (m !== undefined) out[`${name}@${k}`] = m;
    }
  }
  return out;
}
