/**
 * The two towers as plain parameters plus a TensorFlow.js forward pass (training / evaluation).
 * Each tower: embeddings (looked up by one-hot × table in tfjs — the wasm backend has no Gather gradient — and by
 * Gather in the ONNX export; bags are weighted sums, i.e. mean-pooled EmbeddingBags) concatenated with the dense
 * features → [Dense → LayerNorm → ReLU → Dropout] × hidden → Dense → L2 normalise.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Rng } from '../../core/eval/random.js';
import { idDimOf, itemDenseDim, userDenseDim, type FeatureSpec, type ItemBatch, type UserBatch } from './features.js';
import type { Tf } from './backend.js';

export interface TowerSizes {
  /** Width of each categorical embedding. Default 16. */
  embeddingDim: number;
  /** Hidden layer widths. Default [128]. */
  hidden: number[];
  /** The shared space. Default 64. */
  outputDim: number;
  /** Dropout after each hidden layer (training only). Default 0.1. */
  dropout: number;
  layerNormEpsilon: number;
  /**
   * Item bias: when > 0 the item tower also outputs a learned scalar b_i (a linear read-out of its last hidden layer)
   * and the served vectors are [v, biasScale·b_i] (items) and [u, 1] (users), so u'·v' = cos(u, v) + biasScale·b_i —
   * τ × the training logit when biasScale = τ. Gives popularity its own channel instead of a direction of the unit
   * sphere. 0 / absent = plain cosine (models trained before it existed).
   */
  biasScale?: number;
}

/** Width of the served vectors: the output dimension, plus the bias column when there is one. */
export const vectorDim = (s: TowerSizes): number => s.outputDim + (s.biasScale ? 1 : 0);

export const DEFAULT_SIZES: TowerSizes = {
  embeddingDim: 16,
  hidden: [128],
  outputDim: 64,
  dropout: 0.1,
  layerNormEpsilon: 1e-5,
};

export interface Param {
  shape: number[];
  data: Float32Array;
}
export type ParamMap = Record<string, Param>;
export type TowerName = 'user' | 'item';

/** Embedding tables of a tower, in concatenation order: [param name, vocabulary size, input key]. */
export function embeddingTables(spec: FeatureSpec, tower: TowerName): [string, number, string][] {
  return tower === 'user'
    ? [
        ['user.emb.lang', spec.langs.length, 'lang'],
        ['user.emb.platform', spec.platforms.length, 'platform'],
        ['user.emb.attrs', spec.attrBuckets, 'attrs'],
        ['user.emb.interests', spec.interestBuckets, 'interests'],
        ['user.emb.categories', spec.categories.length, 'categories'],
      ]
    : [
        ['item.emb.source', spec.sources.length, 'source'],
        ['item.emb.lang', spec.langs.length, 'lang'],
        ['item.emb.categories', spec.categories.length, 'categories'],
      ];
}

function oneHot(idx: Int32Array, depth: number): Float32Array {
  const out = new Float32Array(idx.length * depth);
  idx.forEach((i, r) => {
    if (i >= 0 && i < depth) out[r * depth + i] = 1;
  });
  return out;
}

/** Inputs that are indices (one per row) rather than bags. */
export const INDEX_INPUTS = new Set(['lang', 'platform', 'source']);

/** The id parts of a tower's input, after the dense features: user → [user id embedding, history], item → [item id]. */
export const ID_INPUTS: Record<TowerName, readonly string[]> = { user: ['userEmb', 'history'], item: ['itemEmb'] };

export function towerInputDim(spec: FeatureSpec, sizes: TowerSizes, tower: TowerName): number {
  return (
    embeddingTables(spec, tower).length * sizes.embeddingDim +
    (tower === 'user' ? userDenseDim(spec) : itemDenseDim(spec)) +
    ID_INPUTS[tower].length * idDimOf(spec)
  );
}

/** The id embedding tables (`user.id`, `item.id`): trained outside tfjs with sparse row updates. */
export const ID_TABLES = ['user.id', 'item.id'] as const;

/** Seeded initial parameters: embeddings U(±0.05), dense weights Glorot-uniform, biases 0, LayerNorm γ=1 β=0. */
export function initParams(spec: FeatureSpec, sizes: TowerSizes, rng: Rng): ParamMap {
  const p: ParamMap = {};
  const uniform = (shape: number[], limit: number): Param => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (rng.next() * 2 - 1) * limit;
    return { shape, data };
  };
  const fill = (n: number, v: number): Param => ({ shape: [n], data: new Float32Array(n).fill(v) });
  const idDim = idDimOf(spec);
  if (idDim) {
    p['user.id'] = uniform([(spec.userIds?.length ?? 0) + 1, idDim], 0.05);
    p['item.id'] = uniform([(spec.itemIds?.length ?? 0) + 1, idDim], 0.05);
  }
  for (const tower of ['user', 'item'] as const) {
    for (const [name, vocab] of embeddingTables(spec, tower)) p[name] = uniform([vocab, sizes.embeddingDim], 0.05);
    let width = towerInputDim(spec, sizes, tower);
    sizes.hidden.forEach((h, k) => {
      p[`${tower}.dense${k}.W`] = uniform([width, h], Math.sqrt(6 / (width + h)));
      p[`${tower}.dense${k}.b`] = fill(h, 0);
      p[`${tower}.ln${k}.gamma`] = fill(h, 1);
      p[`${tower}.ln${k}.beta`] = fill(h, 0);
      width = h;
    });
    p[`${tower}.out.W`] = uniform([width, sizes.outputDim], Math.sqrt(6 / (width + sizes.outputDim)));
    p[`${tower}.out.b`] = fill(sizes.outputDim, 0);
    if (tower === 'item' && sizes.biasScale) {
      p['item.bias.W'] = { shape: [width, 1], data: new Float32Array(width) };
      p['item.bias.b'] = fill(1, 0);
    }
  }
  return p;
}

/**
 * `a · b` whose gradient uses explicit transposes: the wasm backend's BatchMatMul is ~10× slower with its transpose
 * flags set (what tfjs-core's MatMul gradient uses) than a Transpose followed by a plain product.
 */
export function fastMatMul(tf: Tf): (a: tfc.Tensor2D, b: tfc.Tensor2D) => tfc.Tensor2D {
  const f = tf.customGrad((...args: (tfc.Tensor | tfc.GradSaveFunc)[]) => {
    const [a, b, save] = args as [tfc.Tensor, tfc.Tensor, tfc.GradSaveFunc];
    save([a, b]);
    return {
      value: tf.matMul(a as tfc.Tensor2D, b as tfc.Tensor2D),
      gradFunc: (dy: tfc.Tensor, saved: tfc.Tensor[]) => [
        tf.matMul(dy as tfc.Tensor2D, tf.transpose(saved[1] as tfc.Tensor2D)),
        tf.matMul(tf.transpose(saved[0] as tfc.Tensor2D), dy as tfc.Tensor2D),
      ],
    };
  });
  return (a, b) => f(a, b) as tfc.Tensor2D;
}

/** The parameters as tfjs variables, with the tower forward passes. */
export class TfTowers {
  /** The dense parameters as tfjs variables (what the optimizer updates). */
  readonly vars: Record<string, tfc.Variable>;
  /** The id embedding tables (`user.id`, `item.id`) as plain arrays: gathered in JS, updated row by row. */
  readonly ids: Record<string, Param> = {};
  readonly matMul: (a: tfc.Tensor2D, b: tfc.Tensor2D) => tfc.Tensor2D;
  constructor(
    private readonly tf: Tf,
    readonly spec: FeatureSpec,
    readonly sizes: TowerSizes,
    params: ParamMap,
  ) {
    this.matMul = fastMatMul(tf);
    this.vars = {};
    for (const [name, p] of Object.entries(params)) {
      if ((ID_TABLES as readonly string[]).includes(name))
        this.ids[name] = { shape: [...p.shape], data: p.data.slice() };
      else this.vars[name] = tf.variable(tf.tensor(p.data, p.shape, 'float32'), true);
    }
  }

  get idDim(): number {
    return idDimOf(this.spec);
  }

  /** Rows of an id table, `rows.length × idDim`. */
  gatherIds(table: 'user.id' | 'item.id', rows: ArrayLike<number>): Float32Array {
    const d = this.idDim;
    const t = this.ids[table]!.data;
    const out = new Float32Array(rows.length * d);
    for (let r = 0; r < rows.length; r++) out.set(t.subarray(rows[r]! * d, (rows[r]! + 1) * d), r * d);
    return out;
  }

  /** Copies the current values out (for early-stopping snapshots, saving, export). */
  snapshot(): ParamMap {
    const out: ParamMap = {};
    for (const [name, v] of Object.entries(this.vars))
      out[name] = { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) };
    for (const [name, p] of Object.entries(this.ids)) out[name] = { shape: [...p.shape], data: p.data.slice() };
    return out;
  }

  load(params: ParamMap): void {
    for (const [name, p] of Object.entries(params)) {
      if (this.ids[name]) this.ids[name].data.set(p.data);
      else this.vars[name]!.assign(this.tf.tensor(p.data, p.shape, 'float32'));
    }
  }

  dispose(): void {
    for (const v of Object.values(this.vars)) v.dispose();
  }

  /**
   * One tower's forward pass. `inputs` holds the batch arrays by key; `dropoutMasks` (one `n × hidden[k]` mask per
   * hidden layer, values 0 or 1/(1−p)) switches training mode on — masks come from the seeded RNG, so runs repeat.
   */
  forward(
    tower: TowerName,
    inputs: Record<string, Int32Array | Float32Array | tfc.Tensor>,
    n: number,
    dropoutMasks?: Float32Array[],
  ): tfc.Tensor2D {
    return this.head(tower, this.hidden(tower, inputs, n, dropoutMasks));
  }

  /** The item bias b_i (`n × 1`) from the item tower's last hidden layer. */
  itemBias(h: tfc.Tensor2D): tfc.Tensor2D {
    const v = this.vars;
    return this.tf.add(this.matMul(h, v['item.bias.W'] as unknown as tfc.Tensor2D), v['item.bias.b']!) as tfc.Tensor2D;
  }

  /** The output layer and L2 normalisation. */
  head(tower: TowerName, h: tfc.Tensor2D): tfc.Tensor2D {
    const tf = this.tf;
    const v = this.vars;
    const out = tf.add(
      this.matMul(h, v[`${tower}.out.W`] as unknown as tfc.Tensor2D),
      v[`${tower}.out.b`]!,
    ) as tfc.Tensor2D;
    return tf.mul(out, tf.rsqrt(tf.maximum(tf.sum(tf.square(out), 1, true), 1e-12))) as tfc.Tensor2D;
  }

  /** The served vector: [u, 1] / [v, biasScale·b] with an item bias, the unit vector otherwise. */
  served(tower: TowerName, h: tfc.Tensor2D): tfc.Tensor2D {
    const tf = this.tf;
    const unit = this.head(tower, h);
    const scale = this.sizes.biasScale;
    if (!scale) return unit;
    const extra = tower === 'item' ? tf.mul(this.itemBias(h), scale) : tf.ones([h.shape[0], 1]);
    return tf.concat2d([unit, extra as tfc.Tensor2D], 1);
  }

  /** Embeddings, dense and id inputs → the last hidden layer (`n × hidden`). */
  hidden(
    tower: TowerName,
    inputs: Record<string, Int32Array | Float32Array | tfc.Tensor>,
    n: number,
    dropoutMasks?: Float32Array[],
  ): tfc.Tensor2D {
    const tf = this.tf;
    const v = this.vars;
    const parts: tfc.Tensor2D[] = [];
    for (const [name, vocab, key] of embeddingTables(this.spec, tower)) {
      const x = inputs[key]!;
      // one-hot rows built here: tf.oneHot(…, 'float32') returns zeros on the wasm backend (tfjs 4.22)
      const weights = tf.tensor2d(INDEX_INPUTS.has(key) ? oneHot(x as Int32Array, vocab) : (x as Float32Array), [
        n,
        vocab,
      ]);
      parts.push(this.matMul(weights as tfc.Tensor2D, v[name] as unknown as tfc.Tensor2D));
    }
    const denseDim = tower === 'user' ? userDenseDim(this.spec) : itemDenseDim(this.spec);
    parts.push(tf.tensor2d(inputs.dense as Float32Array, [n, denseDim]));
    if (this.idDim)
      for (const key of ID_INPUTS[tower]) {
        const x = inputs[key]!;
        parts.push(x instanceof Float32Array ? tf.tensor2d(x, [n, this.idDim]) : (x as tfc.Tensor2D));
      }
    let h: tfc.Tensor2D = tf.concat2d(parts, 1);
    this.sizes.hidden.forEach((width, k) => {
      h = tf.add(this.matMul(h, v[`${tower}.dense${k}.W`] as unknown as tfc.Tensor2D), v[`${tower}.dense${k}.b`]!);
      const mean = tf.mean(h, 1, true);
      const centred = tf.sub(h, mean);
      const variance = tf.mean(tf.square(centred), 1, true);
      h = tf.add(
        tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, this.sizes.layerNormEpsilon))), v[`${tower}.ln${k}.gamma`]!),
        v[`${tower}.ln${k}.beta`]!,
      );
      h = tf.relu(h);
      const mask = dropoutMasks?.[k];
      if (mask) h = tf.mul(h, tf.tensor2d(mask, [n, width]));
    });
    return h;
  }

  /** Inference: the served vectors (`n × vectorDim(sizes)`: unit vector, and the bias column if any), in batches. */
  userVectors(b: UserBatch, batch = 1024): Float32Array {
    const d = this.idDim;
    return this.run('user', b.n, batch, (s, e) => ({
      ...(d
        ? { userEmb: this.gatherIds('user.id', b.userId.subarray(s, e)), history: b.history.subarray(s * d, e * d) }
        : {}),
      lang: b.lang.subarray(s, e),
      platform: b.platform.subarray(s, e),
      attrs: b.attrs.subarray(s * this.spec.attrBuckets, e * this.spec.attrBuckets),
      interests: b.interests.subarray(s * this.spec.interestBuckets, e * this.spec.interestBuckets),
      categories: b.categories.subarray(s * this.spec.categories.length, e * this.spec.categories.length),
      dense: b.dense.subarray(s * userDenseDim(this.spec), e * userDenseDim(this.spec)),
    }));
  }

  itemVectors(b: ItemBatch, batch = 1024): Float32Array {
    return this.run('item', b.n, batch, (s, e) => ({
      ...(this.idDim ? { itemEmb: this.gatherIds('item.id', b.itemId.subarray(s, e)) } : {}),
      source: b.source.subarray(s, e),
      lang: b.lang.subarray(s, e),
      categories: b.categories.subarray(s * this.spec.categories.length, e * this.spec.categories.length),
      dense: b.dense.subarray(s * itemDenseDim(this.spec), e * itemDenseDim(this.spec)),
    }));
  }

  private run(
    tower: TowerName,
    n: number,
    batch: number,
    slice: (s: number, e: number) => Record<string, Int32Array | Float32Array>,
  ): Float32Array {
    const d = vectorDim(this.sizes);
    const out = new Float32Array(n * d);
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      const y = this.tf.tidy(() => this.served(tower, this.hidden(tower, slice(s, e), e - s)));
      out.set(y.dataSync() as Float32Array, s * d);
      y.dispose();
    }
    return out;
  }
}
