/**
 * The `Recommender` interface every model in the harness implements, and the baselines:
 * random, most-popular, item-KNN (cosine over interaction vectors) and a content scorer
 * (cosine between the user's mean liked-item text vector and the items).
 */
import type { InteractionDataset, Interactions } from './datasets.js';
import { createRng } from './random.js';
import { indexByUser, itemsOf, matmulABt, type UserItemIndex } from './ranking.js';
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
  log?: (message: string) => void;
}

export interface Recommender {
  readonly name: string;
  fit(ctx: FitContext): Promise<void> | void;
  /** Scores of every item for each user: a `users.length × items.length` row-major matrix (higher = better). */
  scoreUsers(users: Int32Array): Promise<Float32Array> | Float32Array;
  /** Settings for the eval JSON. */
  describe?(): Record<string, unknown>;
}

/** Likes per item in `train` (the training popularity). */
export function likeCounts(train: Interactions, nItems: number): Float64Array {
  const c = new Float64Array(nItems);
  for (let r = 0; r < train.length; r++) if (train.signal[r] === 1) c[train.item[r]!]!++;
  return c;
}

/** Uniform random scores (seeded: the same seed gives the same lists). */
export class RandomRecommender implements Recommender {
  readonly name = 'random';
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
 * Item-KNN: sim(i, j) = cos of the items' binary like vectors over training users, keeping each item's `neighbours`
 * most similar items; score(u, i) = Σ_{j ∈ likes(u)} sim(i, j). Users with no likes get all zeros.
 */
export class ItemKnnRecommender implements Recommender {
  readonly name = 'itemknn';
  private sim = new Float32Array(0);
  private nItems = 0;
  private likes: UserItemIndex | undefined;
  constructor(private readonly neighbours = 100) {}
  fit(ctx: FitContext): void {
    const n = (this.nItems = ctx.dataset.items.length);
    this.likes = indexByUser(ctx.train, ctx.dataset.users.length, (s) => s === 1);
    const co = new Float32Array(n * n);
    const deg = new Float64Array(n);
    for (let u = 0; u < ctx.dataset.users.length; u++) {
      const its = itemsOf(this.likes, u);
      for (let a = 0; a < its.length; a++) {
        deg[its[a]!]!++;
        for (let b = a + 1; b < its.length; b++) {
          co[its[a]! * n + its[b]!]!++;
          co[its[b]! * n + its[a]!]!++;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const row = co.subarray(i * n, (i + 1) * n);
      for (let j = 0; j < n; j++) row[j] = deg[i] && deg[j] ? row[j]! / Math.sqrt(deg[i]! * deg[j]!) : 0;
      if (this.neighbours < n) {
        const cut = Float32Array.from(row).sort()[n - this.neighbours]!;
        for (let j = 0; j < n; j++) if (row[j]! < cut) row[j] = 0;
      }
    }
    this.sim = co;
  }
  scoreUsers(users: Int32Array): Float32Array {
    const n = this.nItems;
    const out = new Float32Array(users.length * n);
    users.forEach((u, r) => {
      const o = out.subarray(r * n, (r + 1) * n);
      for (const j of itemsOf(this.likes!, u)) {
        const row = this.sim.subarray(j * n, (j + 1) * n);
        for (let i = 0; i < n; i++) o[i]! += row[i]!;
      }
    });
    return out;
  }
  describe(): Record<string, unknown> {
    return { neighbours: this.neighbours };
  }
}

/**
 * Content scorer: the user profile is the mean text vector of their liked training items, plus the persona text
 * vector when the dataset has one; score = cosine(profile, item text vector). A user with neither gets zeros.
 * A simple reference point; `content` (core-content.ts) is the bot's own scorer.
 */
export class ContentRecommender implements Recommender {
  readonly name = 'content-mean';
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
  itemknn: () => new ItemKnnRecommender(),
  content: () => new CoreContentRecommender(),
  'content-mean': () => new ContentRecommender(),
} satisfies Record<string, () => Recommender>;
