/**
 * Feature encoding for the two towers: vocabularies and hashing fixed at training time (stored in the model's
 * config.json) and the same code for training, evaluation and serving, so the towers see identical inputs.
 *
 * User tower inputs (n users):      item tower inputs (n items):
 *   lang      int [n]  → embedding    source    int [n]  → embedding
 *   platform  int [n]  → embedding    lang      int [n]  → embedding
 *   attrs     f32 [n, attrBuckets]    categories f32 [n, |categories|] (mean-pooled multi-hot)
 *   interests f32 [n, interestBuckets] dense   f32 [n, textDim + imageDim + 2]
 *   categories f32 [n, |categories|]           (text ‖ image ‖ freshness ‖ popularity)
 *   dense     f32 [n, userDense]  (persona ‖ has-persona ‖ liked text mean ‖ liked category mean ‖ log-count ‖
 *                                  disliked text mean ‖ disliked category mean ‖ log-count)
 *   user_id   int [n]  → embedding    item_id   int [n]  → embedding (0 = unknown: a new item, or dropped out)
 *   history   f32 [n, idDim]  (mean of the liked items' id embeddings — the item tower's `item.id` table)
 * Bags are weights summing to 1 (mean pooling of the embeddings, an EmbeddingBag), or all zero when empty.
 * The id inputs exist when the spec has `idDim > 0` (models trained before ids were added have none); their
 * vocabularies are the training set's user and item ids, row 0 meaning "unknown".
 */
import { fnv1a } from '../../core/eval/random.js';

export const UNKNOWN = '<unk>';

export interface FeatureSpec {
  version: 1;
  textDim: number;
  imageDim: number;
  /** Index 0 of each vocabulary is `<unk>`. */
  langs: string[];
  platforms: string[];
  categories: string[];
  sources: string[];
  attrBuckets: number;
  interestBuckets: number;
  /** popularity feature = min(1, log1p(pop) / log1p(popScale)). */
  popScale: number;
  /** Width of the user-id and item-id embeddings; 0 or absent = no id inputs. */
  idDim?: number;
  /** Item id vocabulary: item `itemIds[k]` is row k + 1 of the `item.id` table (row 0 = unknown). */
  itemIds?: string[];
  /** User id vocabulary, as `itemIds` for the `user.id` table. */
  userIds?: string[];
}

export const idDimOf = (s: FeatureSpec): number => s.idDim ?? 0;

export interface UserInput {
  /** The user's id (looked up in the spec's user vocabulary). */
  id?: string | undefined;
  lang?: string | undefined;
  platform?: string | undefined;
  attributes?: Record<string, string> | undefined;
  interests?: readonly string[] | undefined;
  categories?: readonly string[] | undefined;
  /** Persona text vector (`textDim` floats) or undefined. */
  persona?: ArrayLike<number> | undefined;
}

export interface ItemInput {
  /** The item's id (looked up in the spec's item vocabulary). */
  id?: string | undefined;
  categories: readonly string[];
  source?: string | undefined;
  lang?: string | undefined;
  freshness?: number | undefined;
  popularity?: number | undefined;
}

export interface UserBatch {
  n: number;
  lang: Int32Array;
  platform: Int32Array;
  attrs: Float32Array;
  interests: Float32Array;
  categories: Float32Array;
  dense: Float32Array;
  /** Row of each user in the `user.id` table (0 = unknown); all 0 without id inputs. */
  userId: Int32Array;
  /** `n × idDim` pooled id embeddings of the liked items (empty without id inputs). */
  history: Float32Array;
}

export interface ItemBatch {
  n: number;
  source: Int32Array;
  lang: Int32Array;
  categories: Float32Array;
  dense: Float32Array;
  /** Row of each item in the `item.id` table (0 = unknown). */
  itemId: Int32Array;
}

export const userDenseDim = (s: FeatureSpec): number => 3 * s.textDim + 2 * s.categories.length + 3;
export const itemDenseDim = (s: FeatureSpec): number => s.textDim + s.imageDim + 2;

export function buildSpec(init: {
  textDim: number;
  imageDim: number;
  langs: Iterable<string | undefined>;
  platforms: Iterable<string | undefined>;
  categories: Iterable<string | undefined>;
  sources: Iterable<string | undefined>;
  popScale: number;
  attrBuckets?: number;
  interestBuckets?: number;
  idDim?: number;
  itemIds?: readonly string[];
  userIds?: readonly string[];
}): FeatureSpec {
  const vocab = (xs: Iterable<string | undefined>) => [
    UNKNOWN,
    ...[...new Set([...xs].filter((x): x is string => !!x))].sort(),
  ];
  return {
    version: 1,
    textDim: init.textDim,
    imageDim: init.imageDim,
    langs: vocab(init.langs),
    platforms: vocab(init.platforms),
    categories: vocab(init.categories),
    sources: vocab(init.sources),
    attrBuckets: init.attrBuckets ?? 64,
    interestBuckets: init.interestBuckets ?? 128,
    popScale: Math.max(1, init.popScale),
    ...(init.idDim
      ? { idDim: init.idDim, itemIds: [...(init.itemIds ?? [])], userIds: [...(init.userIds ?? [])] }
      : {}),
  };
}

/** Lookup tables for a spec (cached per spec object). */
const lookups = new WeakMap<
  FeatureSpec,
  {
    lang: Map<string, number>;
    platform: Map<string, number>;
    category: Map<string, number>;
    source: Map<string, number>;
    item: Map<string, number>;
    user: Map<string, number>;
  }
>();
function lookup(spec: FeatureSpec) {
  let l = lookups.get(spec);
  if (!l) {
    const m = (v: string[]) => new Map(v.map((x, i) => [x, i]));
    const ids = (v: readonly string[] | undefined) => new Map((v ?? []).map((x, i) => [x, i + 1]));
    l = {
      lang: m(spec.langs),
      platform: m(spec.platforms),
      category: m(spec.categories),
      source: m(spec.sources),
      item: ids(spec.itemIds),
      user: ids(spec.userIds),
    };
    lookups.set(spec, l);
  }
  return l;
}

/** The `item.id` row of an item id (0 = unknown or no id inputs). */
export const itemRow = (spec: FeatureSpec, id: string | undefined): number =>
  id === undefined || !idDimOf(spec) ? 0 : (lookup(spec).item.get(id) ?? 0);
/** The `user.id` row of a user id (0 = unknown or no id inputs). */
export const userRow = (spec: FeatureSpec, id: string | undefined): number =>
  id === undefined || !idDimOf(spec) ? 0 : (lookup(spec).user.get(id) ?? 0);

/**
 * Mean of the `table` rows (`idDim` wide) of the known items among `rows` (row 0 = unknown is skipped, and row
 * `skip` — a training example's own target), added into `out[at ..]`: the user tower's `history` input. Zero when
 * none is known.
 */
export function poolIdRows(
  table: Float32Array,
  idDim: number,
  rows: ArrayLike<number>,
  out: Float32Array,
  at: number,
  skip = 0,
): number {
  let n = 0;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (r <= 0 || r === skip) continue;
    const o = r * idDim;
    for (let j = 0; j < idDim; j++) out[at + j]! += table[o + j]!;
    n++;
  }
  if (n > 1) for (let j = 0; j < idDim; j++) out[at + j]! /= n;
  return n;
}

/** Adds a mean-pooled bag of bucket indices into `out[base ..]`. */
function bag(out: Float32Array, base: number, indices: readonly number[]): void {
  if (!indices.length) return;
  const w = 1 / indices.length;
  for (const i of indices) out[base + i]! += w;
}

export function categoryIndices(spec: FeatureSpec, categories: readonly string[] | undefined): number[] {
  const l = lookup(spec).category;
  return (categories ?? []).map((c) => l.get(c) ?? 0);
}

/** The pooled-history part of a user (mean text vector, mean category bag, count) — see {@link encodeUsers}. */
export interface History {
  /** Sum of the items' text vectors (`textDim`). */
  textSum: Float32Array;
  /** Sum of the items' category bags (`|categories|`). */
  catSum: Float32Array;
  count: number;
}

export const emptyHistory = (spec: FeatureSpec): History => ({
  textSum: new Float32Array(spec.textDim),
  catSum: new Float32Array(spec.categories.length),
  count: 0,
});

/** Pools items (rows of `itemText`, category bags of `itemCats`) into a history. */
export function poolHistory(
  spec: FeatureSpec,
  items: ArrayLike<number>,
  itemText: Float32Array,
  itemCats: Float32Array,
): History {
  const h = emptyHistory(spec);
  const d = spec.textDim;
  const c = spec.categories.length;
  for (let k = 0; k < items.length; k++) {
    const i = items[k]!;
    for (let j = 0; j < d; j++) h.textSum[j]! += itemText[i * d + j]!;
    for (let j = 0; j < c; j++) h.catSum[j]! += itemCats[i * c + j]!;
  }
  h.count = items.length;
  return h;
}

function writeHistory(out: Float32Array, base: number, spec: FeatureSpec, h: History | undefined): number {
  const d = spec.textDim;
  const c = spec.categories.length;
  if (h && h.count > 0) {
    const w = 1 / h.count;
    for (let j = 0; j < d; j++) out[base + j] = h.textSum[j]! * w;
    for (let j = 0; j < c; j++) out[base + d + j] = h.catSum[j]! * w;
    out[base + d + c] = Math.log1p(h.count) / 4;
  }
  return base + d + c + 1;
}

/**
 * Encodes users with their liked / disliked histories (undefined = none: the cold-start input). With id inputs,
 * `idHistory` holds the pooled id embeddings (`n × idDim`, from {@link poolIdRows}); absent = zeros.
 */
export function encodeUsers(
  spec: FeatureSpec,
  users: readonly UserInput[],
  liked: readonly (History | undefined)[],
  disliked: readonly (History | undefined)[],
  idHistory?: Float32Array,
): UserBatch {
  const n = users.length;
  const l = lookup(spec);
  const nc = spec.categories.length;
  const dd = userDenseDim(spec);
  const b: UserBatch = {
    n,
    lang: new Int32Array(n),
    platform: new Int32Array(n),
    attrs: new Float32Array(n * spec.attrBuckets),
    interests: new Float32Array(n * spec.interestBuckets),
    categories: new Float32Array(n * nc),
    dense: new Float32Array(n * dd),
    userId: new Int32Array(n),
    history: idHistory ?? new Float32Array(n * idDimOf(spec)),
  };
  users.forEach((u, r) => {
    b.userId[r] = userRow(spec, u.id);
    b.lang[r] = l.lang.get(u.lang ?? '') ?? 0;
    b.platform[r] = l.platform.get(u.platform ?? '') ?? 0;
    bag(
      b.attrs,
      r * spec.attrBuckets,
      Object.entries(u.attributes ?? {}).map(
        ([k, v]) => fnv1a(`${k.toLowerCase()}=${v.toLowerCase()}`) % spec.attrBuckets,
      ),
    );
    bag(
      b.interests,
      r * spec.interestBuckets,
      (u.interests ?? []).map((t) => fnv1a(t.toLowerCase()) % spec.interestBuckets),
    );
    bag(b.categories, r * nc, categoryIndices(spec, u.categories));
    let o = r * dd;
    const p = u.persona;
    if (p && p.length === spec.textDim) {
      for (let j = 0; j < spec.textDim; j++) b.dense[o + j] = p[j]!;
      b.dense[o + spec.textDim] = 1;
    }
    o += spec.textDim + 1;
    o = writeHistory(b.dense, o, spec, liked[r]);
    writeHistory(b.dense, o, spec, disliked[r]);
  });
  return b;
}

/** Rows `rows` of an encoded batch, as a new batch (training gathers its users from one batch of all users). */
export function gatherUsers(spec: FeatureSpec, all: UserBatch, rows: ArrayLike<number>): UserBatch {
  const n = rows.length;
  const nc = spec.categories.length;
  const dd = userDenseDim(spec);
  const id = idDimOf(spec);
  const b: UserBatch = {
    n,
    lang: new Int32Array(n),
    platform: new Int32Array(n),
    attrs: new Float32Array(n * spec.attrBuckets),
    interests: new Float32Array(n * spec.interestBuckets),
    categories: new Float32Array(n * nc),
    dense: new Float32Array(n * dd),
    userId: new Int32Array(n),
    history: new Float32Array(n * id),
  };
  const copy = (to: Float32Array, from: Float32Array, w: number, r: number, s: number) =>
    to.set(from.subarray(s * w, (s + 1) * w), r * w);
  for (let r = 0; r < n; r++) {
    const s = rows[r]!;
    b.lang[r] = all.lang[s]!;
    b.platform[r] = all.platform[s]!;
    b.userId[r] = all.userId[s]!;
    copy(b.attrs, all.attrs, spec.attrBuckets, r, s);
    copy(b.interests, all.interests, spec.interestBuckets, r, s);
    copy(b.categories, all.categories, nc, r, s);
    copy(b.dense, all.dense, dd, r, s);
    if (id) copy(b.history, all.history, id, r, s);
  }
  return b;
}

/** Writes the liked / disliked content pools of row `r` into an encoded batch (as `encodeUsers` does). */
export function setUserHistory(
  spec: FeatureSpec,
  b: UserBatch,
  r: number,
  liked: History | undefined,
  disliked: History | undefined,
): void {
  const o = writeHistory(b.dense, r * userDenseDim(spec) + spec.textDim + 1, spec, liked);
  writeHistory(b.dense, o, spec, disliked);
}

/** Category bags of items (`n × |categories|`), the pooled-history building block. */
export function itemCategoryBags(spec: FeatureSpec, items: readonly ItemInput[]): Float32Array {
  const nc = spec.categories.length;
  const out = new Float32Array(items.length * nc);
  items.forEach((it, r) => bag(out, r * nc, categoryIndices(spec, it.categories)));
  return out;
}

/** Encodes items; `text`/`image` are `n × textDim` / `n × imageDim` matrices in the same order (image optional). */
export function encodeItems(
  spec: FeatureSpec,
  items: readonly ItemInput[],
  text: Float32Array,
  image?: Float32Array,
): ItemBatch {
  const n = items.length;
  const l = lookup(spec);
  const dd = itemDenseDim(spec);
  const { textDim, imageDim } = spec;
  const b: ItemBatch = {
    n,
    source: new Int32Array(n),
    lang: new Int32Array(n),
    categories: itemCategoryBags(spec, items),
    dense: new Float32Array(n * dd),
    itemId: new Int32Array(n),
  };
  const logScale = Math.log1p(spec.popScale);
  items.forEach((it, r) => {
    b.itemId[r] = itemRow(spec, it.id);
    b.source[r] = l.source.get(it.source ?? '') ?? 0;
    b.lang[r] = l.lang.get(it.lang ?? '') ?? 0;
    const o = r * dd;
    b.dense.set(text.subarray(r * textDim, (r + 1) * textDim), o);
    if (image && imageDim) b.dense.set(image.subarray(r * imageDim, (r + 1) * imageDim), o + textDim);
    b.dense[o + textDim + imageDim] = Math.min(1, Math.max(0, it.freshness ?? 0));
    b.dense[o + textDim + imageDim + 1] = Math.min(1, Math.log1p(Math.max(0, it.popularity ?? 0)) / logScale);
  });
  return b;
}
