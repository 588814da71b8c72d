/**
 * The `Recommender` interface every model in the harness implements, and the baselines:
 * random, most-popular, item-KNN (cosine over interaction vectors) and a content scorer
 * (cosine between the user's mean liked-item text vector and the items).
 */
import type { InteractionDataset, Interactions } from './datasets.js';
import { createRng } from './random.js';
import { topKInto } from '../vectors.js';
import { indexByItem, indexByUser, itemsOf, matmulABt, type UserItemIndex } from './ranking.js';
import { normalizeRow } from './text.js';
import { CoreContentRecommender } from './core-content.js';

export interface FitContext {
  dataset: InteractionDataset;
  train: Interactions;
  /** Validation rows (for early stopping); may be empty. */
  valid: Interactions;
  /** Users with no training rows (the cold split's held-out users). */
  coldUsers: Int32Array;
  seed: number;
  /** The K the harness reports first (early stopping uses NDCG@k). */
  k: number;
  /** Wall-clock training budget in seconds (`--budget`): iterative models stop and keep their best epoch. */
  budgetSeconds?: number;
  log?: (message: string) => void;
}

export interface Recommender {
  readonly name: string;
  /** Model family for grouping (`baseline`, `cf-linear`, `mf`, `neural`, `graph`, `autoencoder`, `sequential`, …). */
  readonly family?: string;
  fit(ctx: FitContext): Promise<void> | void;
  /** Scores of every item for each user: a `users.length × items.length` row-major matrix (higher = better). */
  scoreUsers(users: Int32Array): Promise<Float32Array> | Float32Array;
  /** Hyperparameters as fitted (and what training chose: best epoch, stop reason) for the eval record. */
  describe?(): Record<string, unknown>;
  /** Frees native or tfjs memory after evaluation. */
  dispose?(): void;
}

/** A model that also predicts explicit ratings (SVD): evaluated by RMSE / MAE on a k-fold rating split. */
export interface RatingRecommender extends Recommender {
  /** Fits on the rated rows of `ctx.train` (ratings, not signals). */
  fitRatings(ctx: FitContext): Promise<void> | void;
  /** Predicted ratings of the (user, item) pairs, clipped to the rating scale. */
  predictRatings(users: Int32Array, items: Int32Array): Float32Array;
}

export const isRatingRecommender = (m: Recommender): m is RatingRecommender =>
  typeof (m as Partial<RatingRecommender>).fitRatings === 'function';

/** Likes per item in `train` (the training popularity). */
export function likeCounts(train: Interactions, nItems: number): Float64Array {
  const c = new Float64Array(nItems);
  for (let r = 0; r < train.length; r++) if (train.signal[r] === 1) c[train.item[r]!]!++;
  return c;
}

/** Uniform random scores (seeded: the same seed gives the same lists). */
export class RandomRecommender implements Recommender {
  readonly name = 'random';
  readonly family = 'baseline';
  private nItems = 0;
  private seed = 0;
  fit(ctx: FitContext): void {
    this.nItems = ctx.dataset.items.length;
    this.seed = ctx.seed;
  }
  scoreUsers(users: Int32Array): Float32Array {
    const out = new Float32Array(users.length * this.nItems);
    users.forEach((u, r) => {
      const rng = createRng(this.seed * 1_000_003 + u);
      for (let j = 0; j < this.nItems; j++) out[r * this.nItems + j] = rng.next();
    });
    return out;
  }
}

/** Items by the number of training likes; the same list for everyone (minus each user's known items). */
export class MostPopularRecommender implements Recommender {
  readonly name = 'pop';
  readonly family = 'baseline';
  private counts = new Float32Array(0);
  fit(ctx: FitContext): void {
    this.counts = Float32Array.from(likeCounts(ctx.train, ctx.dataset.items.length));
  }
  scoreUsers(users: Int32Array): Float32Array {
    const n = this.counts.length;
    const out = new Float32Array(users.length * n);
    for (let r = 0; r < users.length; r++) out.set(this.counts, r * n);
    return out;
  }
}

/**
 * Attribute-segment popularity, the cold-start baseline a learned model must beat: popularity within the segments
 * the user belongs to (age band, gender, occupation, …), combined naive-Bayes style —
 * score(u, i) = log p(i) + Σ_attributes [log p(i | attribute = u's value) − log p(i)], where
 * p(i | a = v) = (c_{a=v}(i) + α·p(i)) / (N_{a=v} + α) shrinks small segments towards global popularity
 * (α = `smoothing`, default 50 positives) and p(i) = (c(i) + 1) / (N + |I|). A user without attributes gets plain
 * popularity. (`mode: 'mean'` averages the segments' shares instead: the "blend" variant.)
 */
export class SegmentPopularityRecommender implements Recommender {
  readonly name = 'segpop';
  readonly family = 'baseline';
  private ds: InteractionDataset | undefined;
  private global = new Float64Array(0);
  private segments = new Map<string, { counts: Float64Array; total: number }>();
  constructor(
    private readonly smoothing = 50,
    private readonly mode: 'nb' | 'mean' = 'nb',
  ) {}
  fit(ctx: FitContext): void {
    const ds = (this.ds = ctx.dataset);
    const n = ds.items.length;
    const counts = likeCounts(ctx.train, n);
    let total = 0;
    for (const c of counts) total += c;
    this.global = Float64Array.from(counts, (c) => (c + 1) / (total + n));
    this.segments = new Map();
    const { user, item, signal } = ctx.train;
    for (let r = 0; r < ctx.train.length; r++) {
      if (signal[r] !== 1) continue;
      for (const [k, v] of Object.entries(ds.users[user[r]!]!.attributes)) {
        const key = `${k}=${v}`;
        let seg = this.segments.get(key);
        if (!seg) this.segments.set(key, (seg = { counts: new Float64Array(n), total: 0 }));
        seg.counts[item[r]!]!++;
        seg.total++;
      }
    }
  }
  scoreUsers(users: Int32Array): Float32Array {
    const n = this.global.length;
    const a = this.smoothing;
    const out = new Float32Array(users.length * n);
    users.forEach((u, r) => {
      const segs = Object.entries(this.ds!.users[u]!.attributes)
        .map(([k, v]) => this.segments.get(`${k}=${v}`))
        .filter((x): x is { counts: Float64Array; total: number } => x !== undefined);
      for (let i = 0; i < n; i++) {
        const p = this.global[i]!;
        let s = this.mode === 'nb' ? Math.log(p) : 0;
        for (const seg of segs) {
          const q = (seg.counts[i]! + a * p) / (seg.total + a);
          s += this.mode === 'nb' ? Math.log(q) - Math.log(p) : q / segs.length;
        }
        out[r * n + i] = segs.length || this.mode === 'nb' ? s : p;
      }
    });
    return out;
  }
  describe(): Record<string, unknown> {
    return { smoothing: this.smoothing, mode: this.mode };
  }
}

/**
 * Item-KNN, RecBole's `ItemKNN` (recbole/model/general_recommender/itemknn.py, after Aiolli 2013):
 * sim(j, c) = |U_j ∩ U_c| / (‖j‖·‖c‖ + shrink + 1e-6) over the binary training-positive vectors, self-similarity 0.
 * Each SCORED item c keeps its own `neighbours` most similar items j (zeros dropped), i.e. the columns of W are
 * pruned; score(u, c) = Σ_{j ∈ positives(u)} W[j, c]. (Pruning each liked item's row instead gives other, worse
 * lists: tests/eval/baselines.test.ts tells the two apart on a hand-computed case.) Users with no positives get
 * all zeros. Memory: items × neighbours, never a dense items × items matrix.
 */
export class ItemKnnRecommender implements Recommender {
  readonly name = 'itemknn';
  readonly family = 'cf-neighbourhood';
  private nItems = 0;
  private likes: UserItemIndex | undefined;
  /** W transposed by liked item j: the scored items c that keep j as a neighbour, and the weights W[j, c]. */
  private byLiked: { offsets: Int32Array; items: Int32Array; weights: Float32Array } | undefined;
  constructor(
    private readonly neighbours = 100,
    private readonly shrink = 0,
  ) {}
  fit(ctx: FitContext): void {
    const n = (this.nItems = ctx.dataset.items.length);
    const nUsers = ctx.dataset.users.length;
    this.likes = indexByUser(ctx.train, nUsers, (s) => s === 1);
    const byItem = indexByItem(this.likes, n);
    const norm = new Float64Array(n);
    for (let i = 0; i < n; i++) norm[i] = Math.sqrt(byItem.offsets[i + 1]! - byItem.offsets[i]!);
    const k = Math.min(this.neighbours, n);
    const co = new Float64Array(n);
    const touched = new Int32Array(n);
    const top = new Int32Array(k);
    const rows: number[] = []; // liked item j
    const cols: number[] = []; // scored item c
    const vals: number[] = [];
    for (let c = 0; c < n; c++) {
      let nTouched = 0;
      for (let p = byItem.offsets[c]!; p < byItem.offsets[c + 1]!; p++) {
        for (const j of itemsOf(this.likes, byItem.items[p]!)) {
          if (co[j] === 0) touched[nTouched++] = j;
          co[j]!++;
        }
      }
      co[c] = 0;
      // only co-occurring items can have a non-zero similarity: select among them
      const cand = new Float64Array(nTouched);
      for (let t = 0; t < nTouched; t++) {
        const j = touched[t]!;
        cand[t] = co[j]! / (norm[c]! * norm[j]! + this.shrink + 1e-6);
      }
      const m = topKInto(cand, 0, nTouched, k, top);
      for (let t = 0; t < m; t++) {
        const v = cand[top[t]!]!;
        if (v === 0) continue;
        rows.push(touched[top[t]!]!);
        cols.push(c);
        vals.push(v);
      }
      for (let t = 0; t < nTouched; t++) co[touched[t]!] = 0;
    }
    const offsets = new Int32Array(n + 1);
    for (const j of rows) offsets[j + 1]!++;
    for (let j = 0; j < n; j++) offsets[j + 1]! += offsets[j]!;
    const fill = offsets.slice(0, n);
    const items = new Int32Array(rows.length);
    const weights = new Float32Array(rows.length);
    rows.forEach((j, e) => {
      const at = fill[j]!++;
      items[at] = cols[e]!;
      weights[at] = vals[e]!;
    });
    this.byLiked = { offsets, items, weights };
  }
  scoreUsers(users: Int32Array): Float32Array {
    const n = this.nItems;
    const w = this.byLiked!;
    const out = new Float32Array(users.length * n);
    users.forEach((u, r) => {
      const base = r * n;
      for (const j of itemsOf(this.likes!, u))
        for (let p = w.offsets[j]!; p < w.offsets[j + 1]!; p++) out[base + w.items[p]!]! += w.weights[p]!;
    });
    return out;
  }
  describe(): Record<string, unknown> {
    return { neighbours: this.neighbours, shrink: this.shrink, pruning: 'per scored item (RecBole)' };
  }
}

/**
 * Content scorer: the user profile is the mean text vector of their liked training items, plus the persona text
 * vector when the dataset has one; score = cosine(profile, item text vector). A user with neither gets zeros.
 * A simple reference point; `content` (core-content.ts) is the bot's own scorer.
 */
export class ContentRecommender implements Recommender {
  readonly name = 'content-mean';
  readonly family = 'content';
  private ds: InteractionDataset | undefined;
  private likes: UserItemIndex | undefined;
  fit(ctx: FitContext): void {
    this.ds = ctx.dataset;
    this.likes = indexByUser(ctx.train, ctx.dataset.users.length, (s) => s === 1);
  }
  scoreUsers(users: Int32Array): Float32Array {
    const ds = this.ds!;
    const d = ds.textDim;
    const profiles = new Float32Array(users.length * d);
    users.forEach((u, r) => {
      const base = r * d;
      for (const j of itemsOf(this.likes!, u))
        for (let k = 0; k < d; k++) profiles[base + k]! += ds.itemText[j * d + k]!;
      if (ds.userPersona) for (let k = 0; k < d; k++) profiles[base + k]! += ds.userPersona[u * d + k]!;
      normalizeRow(profiles, base, d);
    });
    return matmulABt(profiles, users.length, ds.itemText, ds.items.length, d);
  }
}

export const BASELINES = {
  random: () => new RandomRecommender(),
  pop: () => new MostPopularRecommender(),
  segpop: () => new SegmentPopularityRecommender(),
  itemknn: () => new ItemKnnRecommender(),
  content: () => new CoreContentRecommender(),
  'content-mean': () => new ContentRecommender(),
} satisfies Record<string, () => Recommender>;
