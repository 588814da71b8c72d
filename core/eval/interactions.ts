/**
 * The columnar interaction type every dataset source produces (users, items, one row per (user, item) pair), and
 * the two builders over it. Re-exported by `datasets.ts`, the module the rest of the evaluation imports.
 */
export interface DatasetUser {
  id: string;
  /** Persona attributes (age band, gender, occupation, …). */
  attributes: Record<string, string>;
  lang?: string;
  platform?: string;
  /** Declared interest terms. */
  interests?: string[];
  /** Declared / preferred categories. */
  categories?: string[];
}

export interface DatasetItem {
  id: string;
  /** One or more categories (MovieLens genres). */
  categories: string[];
  /** Text the item vector is made from (title, summary). */
  text: string;
  source?: string;
  lang?: string;
  /** Source-reported popularity (views, likes), when known. Otherwise models use training counts. */
  popularity?: number;
  /** Freshness in [0, 1] (1 = brand new), when known. */
  freshness?: number;
}

/** Signals: 1 = like (relevant), -1 = dislike, 0 = neutral (seen, neither). */
export type SignalValue = 1 | -1 | 0;

/** Columnar interactions, one row per (user, item) pair (the latest event wins). */
export interface Interactions {
  readonly length: number;
  /** User index into `dataset.users`. */
  readonly user: Int32Array;
  /** Item index into `dataset.items`. */
  readonly item: Int32Array;
  /** Epoch milliseconds. */
  readonly time: Float64Array;
  /** Explicit rating when the source has one (MovieLens 1..5), NaN otherwise. */
  readonly rating: Float32Array;
  readonly signal: Int8Array;
}

export interface InteractionDataset {
  name: string;
  users: DatasetUser[];
  items: DatasetItem[];
  interactions: Interactions;
  /** Item text vectors, `items.length × textDim`, row-major, L2-normalised. */
  itemText: Float32Array;
  textDim: number;
  /** Item image vectors (`items.length × imageDim`), when there are any. */
  itemImage?: Float32Array;
  imageDim: number;
  /** Persona text vectors, `users.length × textDim` (zero rows = none), when there are any. */
  userPersona?: Float32Array;
  /** How the source was read, for the eval JSON. */
  meta: Record<string, unknown>;
}

export interface RawInteraction {
  user: number;
  item: number;
  time: number;
  rating?: number;
  signal: SignalValue;
}

/** Builds columnar interactions, keeping the latest event per (user, item) pair (ties: the later row). */
export function buildInteractions(rows: readonly RawInteraction[], nItems: number): Interactions {
  const latest = new Map<number, number>();
  rows.forEach((r, i) => {
    const key = r.user * nItems + r.item;
    const prev = latest.get(key);
    if (prev === undefined || rows[prev]!.time <= r.time) latest.set(key, i);
  });
  const keep = [...latest.values()].sort((a, b) => a - b);
  const n = keep.length;
  const out = {
    length: n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    time: new Float64Array(n),
    rating: new Float32Array(n),
    signal: new Int8Array(n),
  };
  keep.forEach((src, i) => {
    const r = rows[src]!;
    out.user[i] = r.user;
    out.item[i] = r.item;
    out.time[i] = r.time;
    out.rating[i] = r.rating ?? Number.NaN;
    out.signal[i] = r.signal;
  });
  return out;
}

/** The rows at `idx` of `all`, as a new columnar set. */
export function selectRows(all: Interactions, idx: ArrayLike<number>): Interactions {
  const n = idx.length;
  const out = {
    length: n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    time: new Float64Array(n),
    rating: new Float32Array(n),
    signal: new Int8Array(n),
  };
  for (let i = 0; i < n; i++) {
    const j = idx[i]!;
    out.user[i] = all.user[j]!;
    out.item[i] = all.item[j]!;
    out.time[i] = all.time[j]!;
    out.rating[i] = all.rating[j]!;
    out.signal[i] = all.signal[j]!;
  }
  return out;
}
