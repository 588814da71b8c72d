/**
 * The two-tower `LearnedScorer` on onnxruntime-node.
 *
 * - Item tower: runs over the catalog when it arrives (`setCatalog`) or after a swap; the vectors are cached as one
 *   `items × dim` Float32Array keyed by the catalog version.
 * - User tower: runs per request on the user's persona features and pooled liked / disliked items (cold start: a
 *   user with no history gets persona features only). score = item matrix · user vector (cosine, in [−1, 1]).
 * - Hot swap: `swap(dir)` loads the new model and embeds the current catalog completely, then replaces one reference.
 *   A request reads that reference once at its start, so requests in flight finish on the old model; the old sessions
 *   are released when the last of them finishes.
 * - No model: `scoreAll` returns undefined and `describe()` says "no trained model yet".
 */
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ContentItem } from '../../core/domain.js';
import { datasetItemsFromContent, type DatasetItem } from '../../core/eval/datasets.js';
import { matmulABt } from '../../core/eval/ranking.js';
import { RecoError } from '../../core/errors.js';
import { silentLogger, type LearnedScorer, type Logger, type MatrixOps, type UserFeatures } from '../../core/ports.js';
import { latestModelDir, loadParams, readModelConfig, type ModelConfig } from './artifacts.js';
import { OUTPUT_NAME } from './export-onnx.js';
import { vectorDim } from './model.js';
import {
  encodeItems,
  encodeUsers,
  idDimOf,
  itemCategoryBags,
  poolHistory,
  poolIdRows,
  type FeatureSpec,
  type ItemBatch,
  type ItemInput,
  type UserBatch,
  type UserInput,
} from './features.js';

export interface CatalogSnapshot {
  version: string;
  items: readonly DatasetItem[];
  /** `items.length × textDim` text vectors (the encoder the model was trained with). */
  text: Float32Array;
  image?: Float32Array | undefined;
}

interface LoadedModel {
  dir: string;
  config: ModelConfig;
  spec: FeatureSpec;
  user: ort.InferenceSession;
  item: ort.InferenceSession;
  /** The `item.id` table (the user tower's `history` input is the mean of the liked items' rows), if any. */
  itemTable: Float32Array | undefined;
  /** Requests running on this model right now. */
  inflight: number;
  /** No longer active (swapped out): released when `inflight` drops to 0. */
  retired: boolean;
}

export interface EmbeddedCatalog {
  version: string;
  n: number;
  index: Map<string, number>;
  /** `n × outputDim` item vectors. */
  matrix: Float32Array;
  text: Float32Array;
  categoryBags: Float32Array;
  /** `item.id` row of each catalog item (0 = not in the model's vocabulary: a new item). */
  idRows: Int32Array;
}

/** What one request reads, once, at its start: the model and the catalog embedded with it. */
interface State {
  model: LoadedModel;
  catalog: EmbeddedCatalog | undefined;
  /** Why the catalog could not be embedded (encoder dimension mismatch), for describe(). */
  problem?: string;
}

export interface TwoTowerScorerOptions {
  /** Where versioned models live (`TWO_TOWER_DIR`), for `loadLatest()`. */
  modelsDir?: string;
  logger?: Logger;
  /** onnxruntime intra-op threads (0 = its default). */
  intraOpThreads?: number;
  /** Items per item-tower run. Default 4096. */
  itemBatch?: number;
  /** Faster catalog × user-vector product (the app passes its onnxruntime MatMul); the JS loop otherwise. */
  matrixOps?: MatrixOps;
}

function release(model: LoadedModel): void {
  void Promise.allSettled([model.user.release(), model.item.release()]);
}

const toBig = (a: Int32Array) => BigInt64Array.from(a, (x) => BigInt(x));

export async function loadOnnxModel(dir: string, intraOpThreads = 0): Promise<LoadedModel> {
  const config = await readModelConfig(dir);
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    ...(intraOpThreads > 0 ? { intraOpNumThreads: intraOpThreads } : {}),
  };
  try {
    const [user, item] = await Promise.all([
      ort.InferenceSession.create(path.join(dir, config.onnx.user), opts),
      ort.InferenceSession.create(path.join(dir, config.onnx.item), opts),
    ]);
    const itemTable = idDimOf(config.spec) ? (await loadParams(dir, config))['item.id']?.data : undefined;
    return { dir, config, spec: config.spec, user, item, itemTable, inflight: 0, retired: false };
  } catch (e) {
    throw new RecoError('MODEL_FILE_INVALID', `Two-tower model ${dir}: onnxruntime cannot load the towers`, {
      cause: e,
      details: { dir },
    });
  }
}

/** Runs a tower session on an encoded batch. */
export async function runUserTower(model: LoadedModel, b: UserBatch): Promise<Float32Array> {
  const s = model.spec;
  const feeds: Record<string, ort.Tensor> = {
    lang: new ort.Tensor('int64', toBig(b.lang), [b.n]),
    platform: new ort.Tensor('int64', toBig(b.platform), [b.n]),
    attrs: new ort.Tensor('float32', b.attrs, [b.n, s.attrBuckets]),
    interests: new ort.Tensor('float32', b.interests, [b.n, s.interestBuckets]),
    categories: new ort.Tensor('float32', b.categories, [b.n, s.categories.length]),
    dense: new ort.Tensor('float32', b.dense, [b.n, b.dense.length / b.n]),
  };
  const idDim = idDimOf(s);
  if (idDim) {
    feeds.user_id = new ort.Tensor('int64', toBig(b.userId), [b.n]);
    feeds.history = new ort.Tensor('float32', b.history, [b.n, idDim]);
  }
  const out = await model.user.run(feeds);
  return out[OUTPUT_NAME]!.data as Float32Array;
}

export async function runItemTower(model: LoadedModel, b: ItemBatch, batch = 4096): Promise<Float32Array> {
  const s = model.spec;
  const d = vectorDim(model.config.sizes);
  const nc = s.categories.length;
  const dd = b.dense.length / Math.max(1, b.n);
  const out = new Float32Array(b.n * d);
  for (let start = 0; start < b.n; start += batch) {
    const end = Math.min(b.n, start + batch);
    const n = end - start;
    const r = await model.item.run({
      source: new ort.Tensor('int64', toBig(b.source.subarray(start, end)), [n]),
      lang: new ort.Tensor('int64', toBig(b.lang.subarray(start, end)), [n]),
      categories: new ort.Tensor('float32', b.categories.slice(start * nc, end * nc), [n, nc]),
      dense: new ort.Tensor('float32', b.dense.slice(start * dd, end * dd), [n, dd]),
      ...(idDimOf(s) ? { item_id: new ort.Tensor('int64', toBig(b.itemId.subarray(start, end)), [n]) } : {}),
    });
    out.set(r[OUTPUT_NAME]!.data as Float32Array, start * d);
  }
  return out;
}

export function itemInputsOf(items: readonly DatasetItem[]): ItemInput[] {
  return items.map((it) => ({
    id: it.id,
    categories: it.categories,
    source: it.source,
    lang: it.lang,
    freshness: it.freshness,
    popularity: it.popularity,
  }));
}

/** The user tower's input for one person (persona vectors of the wrong size are ignored). */
export function userInputOf(user: UserFeatures): UserInput {
  return {
    id: user.userId,
    lang: user.lang,
    platform: user.platform,
    attributes: user.attributes,
    interests: user.interests,
    categories: user.categories,
    persona: user.personaVector && user.personaVector.length > 0 ? user.personaVector : undefined,
  };
}

/**
 * The user tower's input for one request: the person's features (core/model-features.ts), the content pools of
 * their liked / disliked catalog items and, for models with ids, the mean `item.id` row of the liked items the model
 * knows. The same `encodeUsers` the training side runs (tests/twotower/features.test.ts compares the two).
 */
export function encodeServingUser(
  spec: FeatureSpec,
  catalog: Pick<EmbeddedCatalog, 'index' | 'text' | 'categoryBags' | 'idRows'>,
  itemTable: Float32Array | undefined,
  user: UserFeatures,
): UserBatch {
  const rows = (ids: readonly string[]) =>
    ids.map((id) => catalog.index.get(id)).filter((i): i is number => i !== undefined);
  const liked = rows(user.likedItemIds);
  const disliked = rows(user.dislikedItemIds);
  const pool = (r: number[]) => (r.length ? poolHistory(spec, r, catalog.text, catalog.categoryBags) : undefined);
  const idDim = idDimOf(spec);
  let hist: Float32Array | undefined;
  if (idDim && itemTable) {
    hist = new Float32Array(idDim);
    poolIdRows(
      itemTable,
      idDim,
      Int32Array.from(liked, (i) => catalog.idRows[i]!),
      hist,
      0,
    );
  }
  return encodeUsers(spec, [userInputOf(user)], [pool(liked)], [pool(disliked)], hist);
}

export class TwoTowerScorer implements LearnedScorer {
  readonly id = 'two-tower';
  private state: State | undefined;
  private catalog: CatalogSnapshot | undefined;
  /** Serialises swaps and catalog updates (each builds a complete new state, then assigns it). */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly options: TwoTowerScorerOptions = {}) {
    this.log = (options.logger ?? silentLogger).child({ component: 'two-tower' });
  }

  /** The active model directory, if any. */
  get modelDir(): string | undefined {
    return this.state?.model.dir;
  }

  describe(): string {
    const st = this.state;
    if (!st) return 'two-tower: no trained model yet (content scoring only)';
    const c = st.model.config;
    const cat = st.catalog
      ? `, catalog ${st.catalog.version}: ${st.catalog.n} items`
      : (st.problem ?? ', no catalog embedded yet');
    return `two-tower ${c.name} (trained ${c.createdAt.slice(0, 10)}, ${c.sizes.outputDim}-d${cat})`;
  }

  /** Loads the newest complete model under `modelsDir`; false when there is none. */
  async loadLatest(): Promise<boolean> {
    if (!this.options.modelsDir) return false;
    const dir = await latestModelDir(this.options.modelsDir);
    if (!dir) {
      this.log.info({ dir: this.options.modelsDir }, 'no two-tower model yet');
      return false;
    }
    await this.swap(dir);
    return true;
  }

  /** Loads `dir` completely (sessions + catalog embedding), then makes it active in one assignment. */
  swap(dir: string): Promise<void> {
    return this.serial(async () => {
      const model = await loadOnnxModel(dir, this.options.intraOpThreads);
      let next: State;
      try {
        next = this.catalog ? await this.embedState(model, this.catalog) : { model, catalog: undefined };
      } catch (e) {
        await Promise.allSettled([model.user.release(), model.item.release()]);
        throw e;
      }
      const old = this.state?.model;
      this.state = next;
      const catalog = next.catalog;
      if (old && old !== model) {
        old.retired = true;
        if (old.inflight === 0) release(old);
      }
      this.log.info({ dir, catalog: catalog?.version }, 'two-tower model active');
    });
  }

  /** Embeds a catalog with the active model (and remembers it for later swaps). */
  setCatalog(snapshot: CatalogSnapshot): Promise<void> {
    return this.serial(async () => {
      this.catalog = snapshot;
      const st = this.state;
      if (!st) return;
      this.state = await this.embedState(st.model, snapshot);
    });
  }

  /** The bot's catalog items (`ContentItem`) with their encoder vectors. */
  setContentCatalog(
    version: string,
    items: readonly ContentItem[],
    text: Float32Array,
    image?: Float32Array,
    now = new Date(),
    halfLifeHours = 72,
  ): Promise<void> {
    return this.setCatalog({ version, items: datasetItemsFromContent(items, now, halfLifeHours), text, image });
  }

  async scoreAll(user: UserFeatures, catalogVersion: string): Promise<Float32Array | undefined> {
    const st = this.state;
    if (!st || !st.catalog || st.catalog.version !== catalogVersion) return undefined;
    const model = st.model;
    model.inflight++;
    try {
      const catalog = st.catalog;
      const batch = encodeServingUser(model.spec, catalog, model.itemTable, user);
      const u = await runUserTower(model, batch);
      const dim = vectorDim(model.config.sizes);
      const ops = this.options.matrixOps;
      return ops
        ? ops.matVec(catalog.matrix, dim, u.subarray(0, dim))
        : matmulABt(catalog.matrix, catalog.n, u, 1, dim);
    } finally {
      model.inflight--;
      if (model.retired && model.inflight === 0) release(model);
    }
  }

  /** Releases the sessions (after the requests in flight). */
  async close(): Promise<void> {
    await this.chain.catch(() => {});
    const model = this.state?.model;
    this.state = undefined;
    if (model) {
      model.retired = true;
      if (model.inflight === 0) release(model);
    }
  }

  /**
   * The model with the catalog embedded — or, when the catalog's text vectors have another size than the model was
   * trained with (the encoder changed), with no catalog and the reason: scoreAll then returns undefined (content
   * scoring serves alone) until a model trained on the new encoder is swapped in.
   */
  private async embedState(model: LoadedModel, snapshot: CatalogSnapshot): Promise<State> {
    const dim = snapshot.text.length / Math.max(1, snapshot.items.length);
    if (snapshot.items.length && dim !== model.spec.textDim) {
      const problem = `, off: catalog ${snapshot.version} has ${dim}-d text vectors, the model expects ${model.spec.textDim}-d (retrain after an encoder change)`;
      this.log.warn(
        { dir: model.dir, catalog: snapshot.version, dim, expected: model.spec.textDim },
        'two-tower: text vector size mismatch; retrain',
      );
      return { model, catalog: undefined, problem };
    }
    return { model, catalog: await this.embed(model, snapshot) };
  }

  private async embed(model: LoadedModel, snapshot: CatalogSnapshot): Promise<EmbeddedCatalog> {
    const spec = model.spec;
    const inputs = itemInputsOf(snapshot.items);
    const image =
      spec.imageDim && snapshot.image && snapshot.image.length === snapshot.items.length * spec.imageDim
        ? snapshot.image
        : undefined;
    const batch = encodeItems(spec, inputs, snapshot.text, image);
    const matrix = await runItemTower(model, batch, this.options.itemBatch);
    return {
      version: snapshot.version,
      n: snapshot.items.length,
      index: new Map(snapshot.items.map((it, i) => [it.id, i])),
      matrix,
      text: snapshot.text,
      categoryBags: itemCategoryBags(spec, inputs),
      idRows: batch.itemId,
    };
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.chain.then(f, f);
    this.chain = run.catch(() => {});
    return run;
  }
}
