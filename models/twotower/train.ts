/**
 * Training the two towers: the dense layers in TensorFlow.js (wasm backend, cpu fallback), the id embedding tables
 * (`user.id`, `item.id`) as plain arrays updated row by row (lazy Adam) — a catalog of 100k items costs nothing per
 * step beyond the rows a batch touches.
 *
 * Towers (features.ts, model.ts): the item tower reads the item's id embedding beside its content (source, language,
 * categories, text / image vectors, freshness, popularity); the user tower reads the user's id embedding and the mean
 * of the liked items' id embeddings (`history`) beside the persona features (attributes, interests, categories,
 * persona text) and the liked / disliked content pools.
 *
 * Loss (default) — sampled softmax (InfoNCE) with logQ correction: for a batch of (user, liked item) pairs,
 * logits_ij = ⟨u_i, v_j⟩ / τ − log q_j over the batch's items j, plus the users' dislikes as hard negatives and
 * `uniformNegatives` items drawn uniformly (q_j is the mixture of the in-batch popularity and the uniform draw;
 * Yi et al. 2019, Yang et al. 2020); other columns the row's user also liked are masked out. Triplet (selectable):
 * mean_i max(0, margin − ⟨u_i, v_i⟩ + ⟨u_i, v_neg(i)⟩).
 *
 * Three regularisers make the model serve what the bot meets:
 * - **item-id dropout** (`idDropout`): a column's id embedding is replaced by the "unknown" row, so the content part
 *   alone must place the item — a freshly scraped item with no id history still gets a good vector;
 * - **the cold-start path** (`coldWeight`, `coldShare`): a share of every batch's examples is scored a second time
 *   from the user's attribute-only input (no id, no history) and that loss is added with weight `coldWeight` — over
 *   an epoch that is `coldShare` × the positives in attribute-only examples, so a new user is served from persona
 *   features alone;
 * - history dropout and user-id dropout, and a target never appears in its own history pool.
 * Early stopping on validation NDCG@K keeps the best epoch; `budgetSeconds` caps the wall time. One seeded RNG.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { FitContext } from '../../core/eval/baselines.js';
import { likeCounts } from '../../core/eval/baselines.js';
import type { InteractionDataset, Interactions } from '../../core/eval/datasets.js';
import { evaluateRecommender } from '../../core/eval/harness.js';
import { createRng, type Rng } from '../../core/eval/random.js';
import { indexByUser, itemsOf, matmulABt, maskKnown, topKRows, type UserItemIndex } from '../../core/eval/ranking.js';
import { RecoError } from '../../core/errors.js';
import { initTf, type Tf, type TfBackendName } from './backend.js';
import {
  buildSpec,
  encodeItems,
  encodeUsers,
  gatherUsers,
  idDimOf,
  itemDenseDim,
  poolHistory,
  poolIdRows,
  setUserHistory,
  type FeatureSpec,
  type History,
  type ItemBatch,
  type ItemInput,
  type UserInput,
} from './features.js';
import { DEFAULT_SIZES, initParams, TfTowers, vectorDim, type ParamMap, type TowerSizes } from './model.js';

export interface TrainOptions {
  sizes?: Partial<TowerSizes>;
  loss?: 'infonce' | 'triplet';
  /** Softmax temperature τ. Default 0.1. */
  temperature?: number;
  /** A learned item bias beside the cosine (model.ts `biasScale`). Default true. */
  itemBias?: boolean;
  /** logQ popularity correction (InfoNCE). Default true. */
  logQ?: boolean;
  /** Triplet margin (cosine). Default 0.2. */
  margin?: number;
  /** Use each user's dislikes as explicit hard negatives. Default true. */
  dislikeNegatives?: boolean;
  /** Mine hard negatives each epoch (top-scored items the user did not like). Default false. */
  mineHardNegatives?: boolean;
  /** Mine from each user's top this many. Default 20. */
  miningPool?: number;
  /** Extra negatives per batch drawn uniformly from the catalog (shared by the batch). Default 128. */
  uniformNegatives?: number;
  /** Probability of hiding a training example's whole history (and user id). Default 0.1. */
  historyDropout?: number;
  /** Width of the user-id / item-id embeddings; 0 = no id features (content and persona only). Default 32. */
  idDim?: number;
  /** Probability that an item column's id is replaced by "unknown" (feature dropout). Default 0.3. */
  idDropout?: number;
  /** Probability that a user's id is replaced by "unknown". Default 0.2. */
  userIdDropout?: number;
  /** Weight of the attribute-only (cold-start) loss; 0 = off. Default 1. */
  coldWeight?: number;
  /** Share of each batch's examples also trained attribute-only. Default 0.5. */
  coldShare?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** Early-stopping patience in epochs without a better validation NDCG. Default 3. */
  patience?: number;
  /** Feature hashing sizes. */
  attrBuckets?: number;
  interestBuckets?: number;
  backend?: TfBackendName;
  /** Give the event loop a turn between batches (for training inside the bot). Default true. */
  yieldBetweenBatches?: boolean;
  onBatch?: (p: { epoch: number; epochs: number; step: number; steps: number; loss: number }) => void;
  onEpoch?: (e: EpochInfo) => void;
}

export type ResolvedTrainOptions = Required<Omit<TrainOptions, 'sizes' | 'onBatch' | 'onEpoch' | 'backend'>> & {
  sizes: TowerSizes;
  seed: number;
  evalK: number;
};

export interface EpochInfo {
  epoch: number;
  loss: number;
  validNdcg: number | null;
  /** Wall seconds of the epoch, validation included. */
  seconds: number;
  /** Wall seconds of the training steps alone. */
  trainSeconds: number;
  /** Training examples seen this epoch. */
  examples: number;
  best: boolean;
}

export interface TrainedTwoTower {
  spec: FeatureSpec;
  sizes: TowerSizes;
  options: ResolvedTrainOptions;
  params: ParamMap;
  history: EpochInfo[];
  bestEpoch: number;
  bestValidNdcg: number | null;
  backend: string;
  secondsPerEpoch: number;
  /** Why training ended. */
  stoppedBy: 'patience' | 'budget' | 'epochs';
}

export function resolveOptions(o: TrainOptions, seed: number, evalK: number): ResolvedTrainOptions {
  const temperature = o.temperature ?? 0.1;
  return {
    sizes: {
      ...DEFAULT_SIZES,
      ...(o.sizes ?? {}),
      biasScale: o.sizes?.biasScale ?? (o.itemBias === false ? 0 : temperature),
    },
    itemBias: o.itemBias ?? true,
    loss: o.loss ?? 'infonce',
    temperature,
    logQ: o.logQ ?? true,
    margin: o.margin ?? 0.2,
    dislikeNegatives: o.dislikeNegatives ?? true,
    mineHardNegatives: o.mineHardNegatives ?? false,
    miningPool: o.miningPool ?? 20,
    uniformNegatives: o.uniformNegatives ?? 128,
    historyDropout: o.historyDropout ?? 0.1,
    idDim: o.idDim ?? 32,
    idDropout: o.idDropout ?? 0.3,
    userIdDropout: o.userIdDropout ?? 0.2,
    coldWeight: o.coldWeight ?? 1,
    coldShare: o.coldShare ?? 0.5,
    epochs: o.epochs ?? 30,
    batchSize: o.batchSize ?? 1024,
    learningRate: o.learningRate ?? 0.003,
    patience: o.patience ?? 3,
    attrBuckets: o.attrBuckets ?? 256,
    interestBuckets: o.interestBuckets ?? 128,
    yieldBetweenBatches: o.yieldBetweenBatches ?? true,
    seed,
    evalK,
  };
}

/** Everything the towers read about a dataset, given its training rows. */
export class DatasetFeatures {
  readonly spec: FeatureSpec;
  readonly itemInputs: ItemInput[];
  readonly items: ItemBatch;
  readonly userInputs: UserInput[];
  readonly likes: UserItemIndex;
  readonly dislikes: UserItemIndex;
  /** Per user, the pooled content of all liked / disliked training items (sums; a training example subtracts its target). */
  private readonly likedPool: (History | undefined)[];
  private readonly dislikedPool: (History | undefined)[];

  constructor(
    readonly ds: InteractionDataset,
    train: Interactions,
    buckets: { attrBuckets: number; interestBuckets: number; idDim?: number },
    spec?: FeatureSpec,
  ) {
    const counts = likeCounts(train, ds.items.length);
    this.itemInputs = ds.items.map((it, i) => ({
      id: it.id,
      categories: it.categories,
      source: it.source,
      lang: it.lang,
      freshness: it.freshness,
      popularity: it.popularity ?? counts[i]!,
    }));
    this.spec =
      spec ??
      buildSpec({
        textDim: ds.textDim,
        imageDim: ds.imageDim,
        langs: [...ds.users.map((u) => u.lang), ...ds.items.map((i) => i.lang)],
        platforms: ds.users.map((u) => u.platform),
        categories: [...ds.items.flatMap((i) => i.categories), ...ds.users.flatMap((u) => u.categories ?? [])],
        sources: ds.items.map((i) => i.source),
        popScale: this.itemInputs.reduce((m, i) => Math.max(m, i.popularity ?? 0), 1),
        attrBuckets: buckets.attrBuckets,
        interestBuckets: buckets.interestBuckets,
        ...(buckets.idDim
          ? { idDim: buckets.idDim, itemIds: ds.items.map((i) => i.id), userIds: ds.users.map((u) => u.id) }
          : {}),
      });
    this.items = encodeItems(this.spec, this.itemInputs, ds.itemText, ds.itemImage);
    const d = ds.textDim;
    this.userInputs = ds.users.map((u, i) => {
      const persona = ds.userPersona?.subarray(i * d, (i + 1) * d);
      return {
        id: u.id,
        lang: u.lang,
        platform: u.platform,
        attributes: u.attributes,
        interests: u.interests,
        categories: u.categories,
        persona: persona && persona.some((x) => x !== 0) ? persona : undefined,
      };
    });
    this.likes = indexByUser(train, ds.users.length, (s) => s === 1);
    this.dislikes = indexByUser(train, ds.users.length, (s) => s === -1);
    this.likedPool = ds.users.map((_, u) => this.history(itemsOf(this.likes, u)));
    this.dislikedPool = ds.users.map((_, u) => this.history(itemsOf(this.dislikes, u)));
  }

  history(items: ArrayLike<number>): History | undefined {
    return items.length ? poolHistory(this.spec, items, this.ds.itemText, this.items.categories) : undefined;
  }

  /** The user's disliked pool (shared, read-only). */
  dislikedOf(u: number): History | undefined {
    return this.dislikedPool[u];
  }

  /** The user's liked pool without item `target` (a training example must not see its own target). */
  likedWithout(u: number, target: number): History | undefined {
    const all = this.likedPool[u];
    if (!all || all.count <= 1) return undefined;
    const d = this.spec.textDim;
    const c = this.spec.categories.length;
    const textSum = all.textSum.slice();
    const catSum = all.catSum.slice();
    for (let j = 0; j < d; j++) textSum[j]! -= this.ds.itemText[target * d + j]!;
    for (let j = 0; j < c; j++) catSum[j]! -= this.items.categories[target * c + j]!;
    return { textSum, catSum, count: all.count - 1 };
  }

  /** Users with their full training history (evaluation / serving view); `idTable` = the current `item.id` table. */
  encodeUsers(users: ArrayLike<number>, idTable?: Float32Array) {
    const ids = Array.from(users);
    const idDim = idDimOf(this.spec);
    let hist: Float32Array | undefined;
    if (idDim && idTable) {
      hist = new Float32Array(ids.length * idDim);
      ids.forEach((u, r) => poolIdRows(idTable, idDim, itemRows(this.items, itemsOf(this.likes, u)), hist!, r * idDim));
    }
    return encodeUsers(
      this.spec,
      ids.map((u) => this.userInputs[u]!),
      ids.map((u) => this.likedPool[u]),
      ids.map((u) => this.dislikedPool[u]),
      hist,
    );
  }

  sliceItems(idx: ArrayLike<number>): Record<string, Int32Array | Float32Array> {
    const n = idx.length;
    const nc = this.spec.categories.length;
    const dd = itemDenseDim(this.spec);
    const out = {
      source: new Int32Array(n),
      lang: new Int32Array(n),
      categories: new Float32Array(n * nc),
      dense: new Float32Array(n * dd),
    };
    for (let r = 0; r < n; r++) {
      const i = idx[r]!;
      out.source[r] = this.items.source[i]!;
      out.lang[r] = this.items.lang[i]!;
      out.categories.set(this.items.categories.subarray(i * nc, (i + 1) * nc), r * nc);
      out.dense.set(this.items.dense.subarray(i * dd, (i + 1) * dd), r * dd);
    }
    return out;
  }
}

/** `item.id` rows of dataset item indices. */
const itemRows = (items: ItemBatch, idx: ArrayLike<number>): Int32Array =>
  Int32Array.from({ length: idx.length }, (_, k) => items.itemId[idx[k]!]!);

function dropoutMasks(rng: Rng, n: number, sizes: TowerSizes): Float32Array[] | undefined {
  if (sizes.dropout <= 0) return undefined;
  const keep = 1 - sizes.dropout;
  return sizes.hidden.map((h) => {
    const m = new Float32Array(n * h);
    for (let i = 0; i < m.length; i++) m[i] = rng.next() < keep ? 1 / keep : 0;
    return m;
  });
}

/** Scores users × all items with the current weights (history = training rows). */
export function scoreUsersWith(
  towers: TfTowers,
  feats: DatasetFeatures,
  users: ArrayLike<number>,
  itemMatrix?: Float32Array,
): Float32Array {
  const items = itemMatrix ?? towers.itemVectors(feats.items);
  const u = towers.userVectors(feats.encodeUsers(users, towers.ids['item.id']?.data));
  return matmulABt(u, users.length, items, feats.items.n, vectorDim(towers.sizes));
}

/**
 * Adam on the rows of an embedding table that a step touched ("lazy" Adam: untouched rows keep their moments;
 * bias correction uses the global step). Gradients are accumulated with `add`, applied with `step`.
 */
export class SparseRowAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private readonly acc: Float32Array;
  private readonly mark: Uint8Array;
  private touched: number[] = [];
  private t = 0;
  constructor(
    private readonly table: Float32Array,
    private readonly dim: number,
    private readonly lr: number,
  ) {
    this.m = new Float32Array(table.length);
    this.v = new Float32Array(table.length);
    this.acc = new Float32Array(table.length);
    this.mark = new Uint8Array(table.length / dim);
  }
  /** Adds `scale · g[at .. at+dim)` to row `row`'s gradient. */
  add(row: number, g: ArrayLike<number>, at: number, scale = 1): void {
    if (!this.mark[row]) {
      this.mark[row] = 1;
      this.touched.push(row);
    }
    const o = row * this.dim;
    for (let j = 0; j < this.dim; j++) this.acc[o + j]! += scale * g[at + j]!;
  }
  step(): void {
    this.t++;
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    for (const row of this.touched) {
      const o = row * this.dim;
      for (let j = o; j < o + this.dim; j++) {
        const g = this.acc[j]!;
        this.m[j] = b1 * this.m[j]! + (1 - b1) * g;
        this.v[j] = b2 * this.v[j]! + (1 - b2) * g * g;
        this.table[j]! -= (this.lr * (this.m[j]! / c1)) / (Math.sqrt(this.v[j]! / c2) + 1e-8);
        this.acc[j] = 0;
      }
      this.mark[row] = 0;
    }
    this.touched = [];
  }
}

/**
 * Row sums `r × 1` of an `r × m` matrix as a product with a ones column, with the gradient written as one broadcast
 * (dy · 1ᵀ): tfjs's own gradients would build an r × m ones array in JS (Sum) or transpose the r × m input (MatMul).
 */
function makeRowSum(tf: Tf): (x: tfc.Tensor2D) => tfc.Tensor2D {
  const f = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => {
    const x = args[0] as tfc.Tensor2D;
    const m = x.shape[1];
    return {
      value: tf.matMul(x, tf.ones([m, 1])),
      gradFunc: (dy: tfc.Tensor) => [tf.mul(dy, tf.ones([1, m]))],
    };
  });
  return (x) => f(x) as tfc.Tensor2D;
}

/** The item bias is clipped to ±this in the training logits (so the shifted softmax cannot overflow). */
const BIAS_CAP = 20;

/** Trains on `ctx.train`, early-stopping on `ctx.valid`; returns the best weights. */
export async function trainTwoTower(ctx: FitContext, options: TrainOptions = {}): Promise<TrainedTwoTower> {
  const opts = resolveOptions(options, ctx.seed, ctx.k);
  const { tf, note } = await initTf(options.backend);
  const log = ctx.log ?? (() => {});
  log(note);
  const started = performance.now();
  const deadline = ctx.budgetSeconds !== undefined ? started + ctx.budgetSeconds * 1000 : Number.POSITIVE_INFINITY;
  const ds = ctx.dataset;
  const feats = new DatasetFeatures(ds, ctx.train, opts);
  const spec = feats.spec;
  const rng = createRng(opts.seed);
  const towers = new TfTowers(tf, spec, opts.sizes, initParams(spec, opts.sizes, rng));
  const optimizer = tf.train.adam(opts.learningRate);
  const idDim = idDimOf(spec);
  const itemTable = towers.ids['item.id']?.data;
  const userTable = towers.ids['user.id']?.data;
  const itemAdam = itemTable ? new SparseRowAdam(itemTable, idDim, opts.learningRate) : undefined;
  const userAdam = userTable ? new SparseRowAdam(userTable, idDim, opts.learningRate) : undefined;
  const nItems = ds.items.length;

  const examples: number[] = [];
  for (let r = 0; r < ctx.train.length; r++) if (ctx.train.signal[r] === 1) examples.push(r);
  if (examples.length < 2) {
    towers.dispose();
    throw new RecoError('DATASET_INVALID', `Too few likes to train on (${examples.length}); need at least 2`, {
      details: { likes: examples.length },
    });
  }
  const counts = likeCounts(ctx.train, nItems);
  const validHasTargets = ctx.valid.signal.some((s) => s === 1);
  const validSplit = { train: ctx.train, valid: ctx.valid, test: ctx.valid, coldUsers: ctx.coldUsers };

  let mined: UserItemIndex | undefined;
  const history: EpochInfo[] = [];
  let best: { ndcg: number; epoch: number; params: ParamMap } | undefined;
  let sinceBest = 0;
  let stoppedBy: TrainedTwoTower['stoppedBy'] = 'epochs';
  const B = opts.batchSize;
  const steps = Math.ceil(examples.length / B);
  const M = opts.uniformNegatives;
  const cold = opts.coldWeight > 0;
  let totalSeconds = 0;
  // every user's static inputs (attributes, interests, persona…) encoded once; a step copies rows and adds histories
  const staticUsers = encodeUsers(
    spec,
    feats.userInputs,
    feats.userInputs.map(() => undefined),
    feats.userInputs.map(() => undefined),
  );
  const colFirst = new Int32Array(nItems).fill(-1);
  const rowSum = makeRowSum(tf);
  // each user's liked items as `item.id` rows (a step pools them, skipping the example's own target)
  const likedRows = ds.users.map((_, u) => itemRows(feats.items, itemsOf(feats.likes, u)));
  const EMPTY = new Int32Array(0);

  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const t0 = performance.now();
    if (opts.mineHardNegatives && epoch > 1) mined = mine(towers, feats, opts.miningPool);
    rng.shuffle(examples);
    let lossSum = 0;
    let seen = 0;
    for (let step = 0; step < steps; step++) {
      if (performance.now() > deadline) break;
      const rows = examples.slice(step * B, (step + 1) * B);
      const n = rows.length;
      const users = rows.map((r) => ctx.train.user[r]!);
      const pos = rows.map((r) => ctx.train.item[r]!);
      const liked: (History | undefined)[] = [];
      const disliked: (History | undefined)[] = [];
      const histRows: Int32Array[] = [];
      const histSkip = new Int32Array(n);
      const negs: number[] = [];
      const negOf = new Int32Array(n).fill(-1);
      const userRows = new Int32Array(n);
      rows.forEach((_, k) => {
        const u = users[k]!;
        const hide = rng.next() < opts.historyDropout;
        const dis = itemsOf(feats.dislikes, u);
        liked.push(hide ? undefined : feats.likedWithout(u, pos[k]!));
        disliked.push(hide ? undefined : feats.dislikedOf(u));
        histRows.push(hide ? EMPTY : likedRows[u]!);
        histSkip[k] = hide ? 0 : feats.items.itemId[pos[k]!]!;
        userRows[k] = !idDim || hide || rng.next() < opts.userIdDropout ? 0 : u + 1;
        let neg = -1;
        if (opts.dislikeNegatives && dis.length) neg = dis[rng.int(dis.length)]!;
        else if (mined) {
          const m = itemsOf(mined, u);
          if (m.length) neg = m[rng.int(m.length)]!;
        }
        if (neg >= 0) {
          negOf[k] = n + negs.length;
          negs.push(neg);
        }
      });
      const uniform = opts.loss === 'infonce' ? Array.from({ length: Math.min(M, nItems) }, () => rng.int(nItems)) : [];
      const cols = [...pos, ...negs, ...uniform];
      const m = cols.length;
      // additive mask: −1e9 on a row's columns that hold another positive of its user (or its target elsewhere);
      // columns of an item as linked lists (colFirst[item] → colNext[column]) over the batch's columns
      const colNext = new Int32Array(m).fill(-1);
      for (let j = m - 1; j >= 0; j--) {
        colNext[j] = colFirst[cols[j]!]!;
        colFirst[cols[j]!] = j;
      }
      // (k, j) pairs to mask, built as a dense tensor by ScatterNd in the backend (no n × m array in JS)
      const masked: number[] = [];
      for (let k = 0; k < n; k++) {
        const likes = itemsOf(feats.likes, users[k]!);
        for (let t = -1; t < likes.length; t++)
          for (let j = colFirst[t < 0 ? pos[k]! : likes[t]!]!; j >= 0; j = colNext[j]!) if (j !== k) masked.push(k, j);
      }
      for (const it of cols) colFirst[it] = -1;
      let negSel: Float32Array | undefined;
      if (opts.loss === 'triplet') {
        negSel = new Float32Array(n * m);
        for (let k = 0; k < n; k++) negSel[k * m + (negOf[k]! >= 0 ? negOf[k]! : (k + 1) % n)] = 1;
      }
      // log q: the in-batch columns are drawn by popularity, the uniform ones uniformly: their mixture
      const q = new Float32Array(m);
      if (opts.logQ) {
        const wPop = n / (n + uniform.length);
        for (let j = 0; j < m; j++)
          q[j] = Math.log(wPop * (Math.max(counts[cols[j]!]!, 0.5) / examples.length) + (1 - wPop) / nItems);
      }
      const shift = 1 / opts.temperature - Math.min(0, ...q) + (opts.sizes.biasScale ? BIAS_CAP : 0);
      const offsRow = tf.tensor2d(
        Float32Array.from(q, (x) => -x - shift),
        [1, m],
      );
      const itemIdRows = Int32Array.from(cols, (it) => (rng.next() < opts.idDropout ? 0 : feats.items.itemId[it]!));
      // the first nc rows (a random subset: the examples are shuffled) are also scored attribute-only
      const nc = cold ? Math.max(1, Math.round(opts.coldShare * n)) : 0;
      const nu = n + nc;
      const userBatch = gatherUsers(spec, staticUsers, [...users, ...users.slice(0, nc)]);
      const hist = userBatch.history;
      if (itemTable) histRows.forEach((h, k) => poolIdRows(itemTable, idDim, h, hist, k * idDim, histSkip[k]));
      const allUserRows = cold ? Int32Array.from([...userRows, ...new Int32Array(nc)]) : userRows;
      for (let k = 0; k < n; k++) setUserHistory(spec, userBatch, k, liked[k], disliked[k]);
      const userMasks = dropoutMasks(rng, nu, opts.sizes);
      const itemMasks = dropoutMasks(rng, m, opts.sizes);
      const itemInputs: Record<string, Int32Array | Float32Array | tfc.Tensor> = feats.sliceItems(cols);
      const userInputT: Record<string, Int32Array | Float32Array | tfc.Tensor> = {
        lang: userBatch.lang,
        platform: userBatch.platform,
        attrs: userBatch.attrs,
        interests: userBatch.interests,
        categories: userBatch.categories,
        dense: userBatch.dense,
      };
      const idVars: tfc.Variable[] = [];
      if (idDim) {
        const itemEmb = tf.variable(tf.tensor2d(towers.gatherIds('item.id', itemIdRows), [m, idDim]));
        const userEmb = tf.variable(tf.tensor2d(towers.gatherIds('user.id', allUserRows), [nu, idDim]));
        const histV = tf.variable(tf.tensor2d(hist, [nu, idDim]));
        itemInputs.itemEmb = itemEmb;
        userInputT.userEmb = userEmb;
        userInputT.history = histV;
        idVars.push(itemEmb, userEmb, histV);
      }
      let biasRow: tfc.Tensor | undefined;
      /** How many masked pairs fall in the first `r` rows (pairs are in row order). */
      const maskedBelow = (r: number): number => {
        let c = 0;
        while (c < masked.length / 2 && masked[2 * c]! < r) c++;
        return c;
      };
      /** The loss of the first `r` rows of the batch, scored by user vectors `u` (`r × d`). */
      const lossOf = (u: tfc.Tensor2D, v: tfc.Tensor2D, r: number): tfc.Scalar => {
        // the target of row k is column k: a row-wise dot with the first r item vectors (no r × m selector)
        const sPos = tf.sum(tf.mul(u, tf.slice(v, [0, 0], [r, -1])), 1);
        if (opts.loss === 'triplet') {
          const sim = towers.matMul(u, tf.transpose(v));
          const sNeg = tf.sum(tf.mul(sim, tf.tensor2d(negSel!.subarray(0, r * m), [r, m])), 1);
          return tf.mean(tf.relu(tf.add(tf.sub(sNeg, sPos), opts.margin))) as tfc.Scalar;
        }
        // z = logits − shift with logits = cos/τ − log q + b (b clipped to ±BIAS_CAP): z ≤ 0 always, so exp(z)
        // cannot overflow — a constant shift instead of tf.logSumExp's max keeps the slow broadcast Equal of Max's
        // gradient off the wasm backend; 1/τ is applied to the d-wide user vectors and the −log q − shift + b terms
        // to one row (fewer r × m operations); the row sum is a product with a ones column (Sum's gradient would
        // build an r × m ones array in JS).
        const simT = towers.matMul(tf.div(u, opts.temperature) as tfc.Tensor2D, tf.transpose(v));
        const offs = biasRow ? tf.add(biasRow, offsRow) : offsRow;
        let z = tf.add(simT, offs);
        const inRows = r === n ? masked.length / 2 : maskedBelow(r);
        if (inRows > 0)
          z = tf.add(
            z,
            tf.scatterND(
              tf.tensor2d(Int32Array.from(masked.slice(0, 2 * inRows)), [inRows, 2], 'int32'),
              tf.fill([inRows], -1e9),
              [r, m],
            ),
          );
        const lse = tf.log(rowSum(tf.exp(z) as tfc.Tensor2D));
        const target = tf.add(tf.div(sPos, opts.temperature), tf.reshape(tf.slice(offs, [0, 0], [1, r]), [r]));
        return tf.mean(tf.sub(tf.reshape(lse, [r]), target)) as tfc.Scalar;
      };
      const lossFn = () => {
        const hItem = towers.hidden('item', itemInputs, m, itemMasks);
        const v = towers.head('item', hItem);
        biasRow = opts.sizes.biasScale
          ? tf.clipByValue(tf.reshape(towers.itemBias(hItem), [1, m]), -BIAS_CAP, BIAS_CAP)
          : undefined;
        const u = towers.forward('user', userInputT, nu, userMasks);
        if (!cold) return lossOf(u, v, n);
        const warm = tf.slice(u, [0, 0], [n, -1]) as tfc.Tensor2D;
        const coldU = tf.slice(u, [n, 0], [nc, -1]) as tfc.Tensor2D;
        return tf.add(lossOf(warm, v, n), tf.mul(lossOf(coldU, v, nc), opts.coldWeight)) as tfc.Scalar;
      };
      const towerVars = Object.values(towers.vars);
      const { value, grads } = tf.variableGrads(lossFn, [...towerVars, ...idVars]);
      const loss = value.dataSync()[0] ?? Number.NaN;
      optimizer.applyGradients(towerVars.map((v) => ({ name: v.name, tensor: grads[v.name]! })));
      if (idDim && itemAdam && userAdam) {
        const gi = grads[idVars[0]!.name]!.dataSync();
        const gu = grads[idVars[1]!.name]!.dataSync();
        const gh = grads[idVars[2]!.name]!.dataSync();
        itemIdRows.forEach((row, j) => itemAdam.add(row, gi, j * idDim));
        allUserRows.forEach((row, k) => userAdam.add(row, gu, k * idDim));
        histRows.forEach((h, k) => {
          let known = 0;
          for (const r of h) if (r > 0 && r !== histSkip[k]) known++;
          for (const r of h) if (r > 0 && r !== histSkip[k]) itemAdam.add(r, gh, k * idDim, 1 / known);
        });
        itemAdam.step();
        userAdam.step();
      }
      value.dispose();
      offsRow.dispose();
      for (const g of Object.values(grads)) g.dispose();
      for (const v of idVars) v.dispose();
      if (!Number.isFinite(loss)) {
        towers.dispose();
        throw new RecoError(
          'INTERNAL',
          `Training diverged at epoch ${epoch} step ${step + 1} (loss ${loss}); lower the learning rate`,
        );
      }
      lossSum += loss * n;
      seen += n;
      options.onBatch?.({ epoch, epochs: opts.epochs, step: step + 1, steps, loss });
      if (opts.yieldBetweenBatches) await new Promise<void>((r) => setImmediate(r));
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    let validNdcg: number | null = null;
    if (validHasTargets) {
      const itemMatrix = towers.itemVectors(feats.items);
      const r = await evaluateRecommender(
        { name: 'two-tower', scoreUsers: (us) => scoreUsersWith(towers, feats, us, itemMatrix) },
        ds,
        validSplit,
        { ks: [opts.evalK], part: 'valid', accuracyOnly: true, tieSeed: opts.seed, maxUsers: 3000 },
      );
      validNdcg = r.metrics[`ndcg@${opts.evalK}`] ?? 0;
    }
    const seconds = (performance.now() - t0) / 1000;
    totalSeconds += seconds;
    const isBest = validNdcg === null || !best || validNdcg > best.ndcg;
    if (isBest) {
      best = { ndcg: validNdcg ?? 0, epoch, params: towers.snapshot() };
      sinceBest = 0;
    } else sinceBest++;
    const info: EpochInfo = {
      epoch,
      loss: lossSum / Math.max(1, seen),
      validNdcg,
      seconds,
      trainSeconds,
      examples: seen,
      best: isBest,
    };
    history.push(info);
    options.onEpoch?.(info);
    log(
      `epoch ${epoch}: loss ${info.loss.toFixed(4)}${validNdcg === null ? '' : ` valid ndcg@${opts.evalK} ${validNdcg.toFixed(4)}`} (${seconds.toFixed(1)} s)${isBest ? ' *' : ''}`,
    );
    if (validHasTargets && sinceBest >= opts.patience) {
      stoppedBy = 'patience';
      log(`early stop: no better validation NDCG for ${opts.patience} epochs; best epoch ${best!.epoch}`);
      break;
    }
    if (performance.now() > deadline) {
      stoppedBy = 'budget';
      log(`two-tower: budget of ${ctx.budgetSeconds} s used after epoch ${epoch}; best epoch ${best!.epoch}`);
      break;
    }
  }
  towers.dispose();
  optimizer.dispose();
  return {
    spec,
    sizes: opts.sizes,
    options: opts,
    params: best!.params,
    history,
    bestEpoch: best!.epoch,
    bestValidNdcg: validHasTargets ? best!.ndcg : null,
    backend: note,
    secondsPerEpoch: totalSeconds / history.length,
    stoppedBy,
  };
}

/** Each user's top `pool` items they did not like in training (current weights) — mined hard negatives. */
function mine(towers: TfTowers, feats: DatasetFeatures, pool: number): UserItemIndex {
  const nUsers = feats.ds.users.length;
  const nItems = feats.items.n;
  const itemMatrix = towers.itemVectors(feats.items);
  const offsets = new Int32Array(nUsers + 1);
  const items: number[] = [];
  for (let s = 0; s < nUsers; s += 256) {
    const ids = Int32Array.from({ length: Math.min(256, nUsers - s) }, (_, k) => s + k);
    const scores = scoreUsersWith(towers, feats, ids, itemMatrix);
    maskKnown(scores, ids, nItems, feats.likes);
    const top = topKRows(scores, ids.length, nItems, pool);
    ids.forEach((u, r) => {
      for (let k = 0; k < pool; k++) if (top[r * pool + k]! >= 0) items.push(top[r * pool + k]!);
      offsets[u + 1] = items.length;
    });
  }
  return { offsets, items: Int32Array.from(items) };
}
