/**
 * Training the two towers with TensorFlow.js (wasm backend, cpu fallback).
 *
 * Loss (default) — in-batch sampled softmax (InfoNCE) with logQ correction: for a batch of (user, liked item)
 * pairs, logits_ij = ⟨u_i, v_j⟩ / τ − log q_j over the batch's items j (q_j = the item's share of training likes,
 * the in-batch sampling probability; Yi et al. 2019), plus explicit hard negatives (the user's dislikes, optionally
 * mined top-scored non-liked items) as extra columns without correction; other in-batch items the user also liked are
 * masked out (not negatives). loss = mean_i [ logsumexp_j logits_ij − logits_ii ].
 * Triplet (selectable): mean_i max(0, margin − ⟨u_i, v_i⟩ + ⟨u_i, v_neg(i)⟩), neg = hard negative or a batch item.
 *
 * The liked-item pool of a training example never contains its own target, and with probability `historyDropout`
 * the whole history is hidden, so the user tower also learns to score from persona features alone (cold start).
 * Early stopping on validation NDCG@K keeps the best epoch's weights. Everything random comes from one seeded RNG.
 */
import type { FitContext } from '../../core/eval/baselines.js';
import { likeCounts } from '../../core/eval/baselines.js';
import type { InteractionDataset, Interactions } from '../../core/eval/datasets.js';
import { evaluateRecommender } from '../../core/eval/harness.js';
import { createRng, type Rng } from '../../core/eval/random.js';
import { indexByUser, itemsOf, matmulABt, maskKnown, topKRows, type UserItemIndex } from '../../core/eval/ranking.js';
import { RecoError } from '../../core/errors.js';
import type * as tfc from '@tensorflow/tfjs-core';
import { initTf, type TfBackendName } from './backend.js';
import {
  buildSpec,
  encodeItems,
  encodeUsers,
  itemDenseDim,
  poolHistory,
  type FeatureSpec,
  type History,
  type ItemBatch,
  type ItemInput,
  type UserInput,
} from './features.js';
import { DEFAULT_SIZES, initParams, TfTowers, type ParamMap, type TowerSizes } from './model.js';

export interface TrainOptions {
  sizes?: Partial<TowerSizes>;
  loss?: 'infonce' | 'triplet';
  /** Softmax temperature τ. Default 0.1. */
  temperature?: number;
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
  /** Probability of hiding a training example's whole history. Default 0.3. */
  historyDropout?: number;
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
  seconds: number;
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
}

export function resolveOptions(o: TrainOptions, seed: number, evalK: number): ResolvedTrainOptions {
  return {
    sizes: { ...DEFAULT_SIZES, ...(o.sizes ?? {}) },
    loss: o.loss ?? 'infonce',
    temperature: o.temperature ?? 0.1,
    logQ: o.logQ ?? true,
    margin: o.margin ?? 0.2,
    dislikeNegatives: o.dislikeNegatives ?? true,
    mineHardNegatives: o.mineHardNegatives ?? false,
    miningPool: o.miningPool ?? 20,
    historyDropout: o.historyDropout ?? 0.3,
    epochs: o.epochs ?? 20,
    batchSize: o.batchSize ?? 256,
    learningRate: o.learningRate ?? 0.003,
    patience: o.patience ?? 3,
    attrBuckets: o.attrBuckets ?? 64,
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

  constructor(
    readonly ds: InteractionDataset,
    train: Interactions,
    buckets: { attrBuckets: number; interestBuckets: number },
    spec?: FeatureSpec,
  ) {
    const counts = likeCounts(train, ds.items.length);
    this.itemInputs = ds.items.map((it, i) => ({
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
        ...buckets,
      });
    this.items = encodeItems(this.spec, this.itemInputs, ds.itemText, ds.itemImage);
    const d = ds.textDim;
    this.userInputs = ds.users.map((u, i) => {
      const persona = ds.userPersona?.subarray(i * d, (i + 1) * d);
      return {
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
  }

  history(items: ArrayLike<number>): History | undefined {
    return items.length ? poolHistory(this.spec, items, this.ds.itemText, this.items.categories) : undefined;
  }

  /** Users with their full training history (evaluation / serving view). */
  encodeUsers(users: ArrayLike<number>) {
    const ids = Array.from(users);
    return encodeUsers(
      this.spec,
      ids.map((u) => this.userInputs[u]!),
      ids.map((u) => this.history(itemsOf(this.likes, u))),
      ids.map((u) => this.history(itemsOf(this.dislikes, u))),
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

const contains = (sorted: Int32Array, x: number): boolean => {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m] === x) return true;
    if (sorted[m]! < x) lo = m + 1;
    else hi = m - 1;
  }
  return false;
};

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
  const u = towers.userVectors(feats.encodeUsers(users));
  return matmulABt(u, users.length, items, feats.items.n, towers.sizes.outputDim);
}

/** Trains on `ctx.train`, early-stopping on `ctx.valid`; returns the best weights. */
export async function trainTwoTower(ctx: FitContext, options: TrainOptions = {}): Promise<TrainedTwoTower> {
  const opts = resolveOptions(options, ctx.seed, ctx.k);
  const { tf, note } = await initTf(options.backend);
  const log = ctx.log ?? (() => {});
  log(note);
  const ds = ctx.dataset;
  const feats = new DatasetFeatures(ds, ctx.train, opts);
  const spec = feats.spec;
  const rng = createRng(opts.seed);
  const towers = new TfTowers(tf, spec, opts.sizes, initParams(spec, opts.sizes, rng));
  const optimizer = tf.train.adam(opts.learningRate);

  const examples: number[] = [];
  for (let r = 0; r < ctx.train.length; r++) if (ctx.train.signal[r] === 1) examples.push(r);
  if (examples.length < 2) {
    towers.dispose();
    throw new RecoError('DATASET_INVALID', `Too few likes to train on (${examples.length}); need at least 2`, {
      details: { likes: examples.length },
    });
  }
  const counts = likeCounts(ctx.train, ds.items.length);
  const logQ = Float32Array.from(counts, (c) => Math.log(Math.max(c, 0.5) / examples.length));
  const validHasTargets = ctx.valid.signal.some((s) => s === 1);
  const validSplit = {
    kind: 'random' as const,
    options: {},
    train: ctx.train,
    valid: ctx.valid,
    test: ctx.valid,
    coldUsers: ctx.coldUsers,
  };

  let mined: UserItemIndex | undefined;
  const history: EpochInfo[] = [];
  let best: { ndcg: number; epoch: number; params: ParamMap } | undefined;
  let sinceBest = 0;
  const B = opts.batchSize;
  const steps = Math.ceil(examples.length / B);
  let totalSeconds = 0;

  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const t0 = performance.now();
    if (opts.mineHardNegatives && epoch > 1) mined = mine(towers, feats, opts.miningPool);
    rng.shuffle(examples);
    let lossSum = 0;
    for (let step = 0; step < steps; step++) {
      const rows = examples.slice(step * B, (step + 1) * B);
      const n = rows.length;
      const users = rows.map((r) => ctx.train.user[r]!);
      const pos = rows.map((r) => ctx.train.item[r]!);
      const liked: (History | undefined)[] = [];
      const disliked: (History | undefined)[] = [];
      const negs: number[] = [];
      const negOf = new Int32Array(n).fill(-1);
      rows.forEach((_, k) => {
        const u = users[k]!;
        const hide = rng.next() < opts.historyDropout;
        const likes = itemsOf(feats.likes, u);
        const dis = itemsOf(feats.dislikes, u);
        liked.push(hide ? undefined : feats.history(likes.filter((i) => i !== pos[k])));
        disliked.push(hide ? undefined : feats.history(dis));
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
      const cols = [...pos, ...negs];
      const m = cols.length;
      // additive mask: −1e9 on columns that are a liked item of the row's user (other than its own target)
      const mask = new Float32Array(n * m);
      const diag = new Float32Array(n * m);
      const negSel = new Float32Array(n * m);
      for (let k = 0; k < n; k++) {
        const likes = itemsOf(feats.likes, users[k]!);
        for (let j = 0; j < m; j++)
          if (j !== k && (cols[j] === pos[k] || contains(likes, cols[j]!))) mask[k * m + j] = -1e9;
        diag[k * m + k] = 1;
        negSel[k * m + (negOf[k]! >= 0 ? negOf[k]! : (k + 1) % n)] = 1;
      }
      const q = new Float32Array(m);
      if (opts.logQ) for (let j = 0; j < n; j++) q[j] = logQ[cols[j]!]!;
      const shift = 1 / opts.temperature - Math.min(0, ...q);
      const userBatch = encodeUsers(
        spec,
        users.map((u) => feats.userInputs[u]!),
        liked,
        disliked,
      );
      const userMasks = dropoutMasks(rng, n, opts.sizes);
      const itemMasks = dropoutMasks(rng, m, opts.sizes);
      const itemInputs = feats.sliceItems(cols);
      const lossFn = () => {
        const u = towers.forward(
          'user',
          userBatch as unknown as Record<string, Int32Array | Float32Array>,
          n,
          userMasks,
        );
        const v = towers.forward('item', itemInputs, m, itemMasks);
        const sim = towers.matMul(u, tf.transpose(v));
        const diagT = tf.tensor2d(diag, [n, m]);
        if (opts.loss === 'triplet') {
          const sPos = tf.sum(tf.mul(sim, diagT), 1);
          const sNeg = tf.sum(tf.mul(sim, tf.tensor2d(negSel, [n, m])), 1);
          return tf.mean(tf.relu(tf.add(tf.sub(sNeg, sPos), opts.margin))) as tfc.Scalar;
        }
        // logits ≤ shift always (|cos| ≤ 1, q ≥ its minimum), so exp(logits − shift) cannot overflow; a constant
        // shift instead of tf.logSumExp's max keeps the slow broadcast Equal of Max's gradient off the wasm backend.
        const logits = tf.add(tf.sub(tf.div(sim, opts.temperature), tf.tensor2d(q, [1, m])), tf.tensor2d(mask, [n, m]));
        const target = tf.sum(tf.mul(logits, diagT), 1);
        const lse = tf.add(tf.log(tf.sum(tf.exp(tf.sub(logits, shift)), 1)), shift);
        return tf.mean(tf.sub(lse, target)) as tfc.Scalar;
      };
      const lossT = optimizer.minimize(lossFn, true, Object.values(towers.vars));
      const loss = lossT ? (lossT.dataSync()[0] ?? Number.NaN) : Number.NaN;
      lossT?.dispose();
      if (!Number.isFinite(loss)) {
        towers.dispose();
        throw new RecoError(
          'INTERNAL',
          `Training diverged at epoch ${epoch} step ${step + 1} (loss ${loss}); lower the learning rate`,
        );
      }
      lossSum += loss * n;
      options.onBatch?.({ epoch, epochs: opts.epochs, step: step + 1, steps, loss });
      if (opts.yieldBetweenBatches) await new Promise<void>((r) => setImmediate(r));
    }
    let validNdcg: number | null = null;
    if (validHasTargets) {
      const itemMatrix = towers.itemVectors(feats.items);
      const r = await evaluateRecommender(
        { name: 'two-tower', fit() {}, scoreUsers: (us) => scoreUsersWith(towers, feats, us, itemMatrix) },
        ds,
        validSplit,
        { ks: [opts.evalK], part: 'valid', accuracyOnly: true },
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
    const info: EpochInfo = { epoch, loss: lossSum / examples.length, validNdcg, seconds, best: isBest };
    history.push(info);
    options.onEpoch?.(info);
    log(
      `epoch ${epoch}: loss ${info.loss.toFixed(4)}${validNdcg === null ? '' : ` valid ndcg@${opts.evalK} ${validNdcg.toFixed(4)}`} (${seconds.toFixed(1)} s)${isBest ? ' *' : ''}`,
    );
    if (validHasTargets && sinceBest >= opts.patience) {
      log(`early stop: no better validation NDCG for ${opts.patience} epochs; best epoch ${best!.epoch}`);
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
  };
}

/** Each user's top `pool` items they did not like in training (current weights) — mined hard negatives. */
function mine(towers: TfTowers, feats: DatasetFeatures, pool: number): UserItemIndex {
  const nUsers = feats.ds.users.length;
  const nItems = feats.items.n;
  const itemMatrix = towers.itemVectors(feats.items);
  const offsets = new Int32Array(nUsers + 1);
  const chunks: Int32Array[] = [];
  for (let s = 0; s < nUsers; s += 256) {
    const ids = Int32Array.from({ length: Math.min(256, nUsers - s) }, (_, k) => s + k);
    const scores = scoreUsersWith(towers, feats, ids, itemMatrix);
    maskKnown(scores, ids, nItems, feats.likes);
    const top = topKRows(scores, ids.length, nItems, pool);
    chunks.push(top);
  }
  const all = new Int32Array(nUsers * pool);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  const items: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    for (let k = 0; k < pool; k++) if (all[u * pool + k]! >= 0) items.push(all[u * pool + k]!);
    offsets[u + 1] = items.length;
  }
  return { offsets, items: Int32Array.from(items) };
}
