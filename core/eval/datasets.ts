/**
 * Interaction datasets for training and evaluation: one columnar type, and its sources — MovieLens folders
 * (`movielens.ts`), synthetic generators with planted structure (here and `synthetic.ts`) and the bot's own
 * feedback log.
 */
import { createHash } from 'node:crypto';
import { CATEGORIES, type ContentItem } from '../domain.js';
import { RecoError } from '../errors.js';
import { createRng } from './random.js';
import { hashedTextVectors } from './text.js';

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

// ---------------------------------------------------------------- MovieLens-100K

export const MOVIELENS_GENRES = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
] as const;

/** MovieLens-1M style age bands, applied to the exact ages of ML-100K. */
export function ageBand(age: number): string {
  if (age < 18) return 'under-18';
  if (age < 25) return '18-24';
  if (age < 35) return '25-34';
  if (age < 45) return '35-44';
  if (age < 50) return '45-49';
  if (age < 56) return '50-55';
  return '56+';
}

// ---------------------------------------------------------------- synthetic

export interface SyntheticOptions {
  users?: number;
  items?: number;
  /** Mean interactions per user. */
  perUser?: number;
  /** How strongly tastes follow attributes (vs. individual noise). Default 1. */
  attributeStrength?: number;
  /** Zipf exponent of item popularity. Default 0.8. */
  popularitySkew?: number;
  textDim?: number;
  seed?: number;
}

const SYN_ATTRIBUTES: Record<string, readonly string[]> = {
  age: ['18-24', '25-34', '35-44', '45-54', '55+'],
  gender: ['f', 'm', 'x'],
  occupation: ['student', 'engineer', 'artist', 'doctor', 'teacher', 'sales', 'chef', 'athlete'],
  region: ['north', 'south', 'east', 'west'],
};
const SOURCES = ['naver-news', 'youtube', 'clien', 'reddit', 'rss:blog'];
const PLATFORMS = ['console', 'discord', 'telegram'];

/**
 * A dataset with planted structure: every attribute value carries a preference over categories, a user's taste
 * is the sum of their attributes' preferences (+ noise), items belong to a category and their text uses that
 * category's vocabulary. Users pick items by taste and a Zipf popularity; a like when the taste is high, a dislike
 * otherwise. So a model that reads attributes can serve cold-start users, and one that reads text can generalise.
 */
export function generateSynthetic(options: SyntheticOptions = {}): InteractionDataset {
  const nUsers = options.users ?? 600;
  const nItems = options.items ?? 800;
  const perUser = options.perUser ?? 20;
  const strength = options.attributeStrength ?? 1;
  const skew = options.popularitySkew ?? 0.8;
  const textDim = options.textDim ?? 128;
  const seed = options.seed ?? 7;
  const rng = createRng(seed);
  const cats = CATEGORIES.slice(0, 10);
  const nC = cats.length;

  // Each attribute value strongly prefers one or two categories.
  const pref = new Map<string, Float32Array>();
  for (const [key, values] of Object.entries(SYN_ATTRIBUTES)) {
    for (const v of values) {
      const p = new Float32Array(nC);
      for (let c = 0; c < nC; c++) p[c] = 0.3 * rng.normal();
      p[rng.int(nC)]! += 2;
      if (rng.next() < 0.5) p[rng.int(nC)]! += 1.2;
      pref.set(`${key}=${v}`, p);
    }
  }
  const vocab = cats.map((c) =>
    Array.from({ length: 15 }, (_, j) => `${c}${String.fromCharCode(97 + j)}${'xyz'[j % 3]}`),
  );
  const noise = Array.from({ length: 60 }, (_, j) => `w${j}`);

  const items: DatasetItem[] = [];
  const itemCat = new Int32Array(nItems);
  const popWeight = new Float64Array(nItems);
  const order = rng.shuffle(Array.from({ length: nItems }, (_, i) => i));
  for (let i = 0; i < nItems; i++) {
    const c = rng.int(nC);
    itemCat[i] = c;
    popWeight[i] = 1 / Math.pow(order[i]! + 1, skew);
    const words = Array.from({ length: 5 }, () => vocab[c]![rng.int(15)]!);
    words.push(noise[rng.int(noise.length)]!, noise[rng.int(noise.length)]!);
    items.push({
      id: `syn-i${i}`,
      categories: [cats[c]!],
      text: words.join(' '),
      source: SOURCES[rng.int(SOURCES.length)]!,
      lang: rng.next() < 0.5 ? 'en' : 'ko',
      freshness: rng.next(),
    });
  }
  const logPop = Float64Array.from(popWeight, (w) => Math.log(w));

  const users: DatasetUser[] = [];
  const rows: RawInteraction[] = [];
  const weights = new Float64Array(nItems);
  const t0 = Date.UTC(2026, 0, 1);
  for (let u = 0; u < nUsers; u++) {
    const attributes: Record<string, string> = {};
    const taste = new Float32Array(nC);
    for (const [key, values] of Object.entries(SYN_ATTRIBUTES)) {
      const v = values[rng.int(values.length)]!;
      attributes[key] = v;
      const p = pref.get(`${key}=${v}`)!;
      for (let c = 0; c < nC; c++) taste[c]! += strength * p[c]!;
    }
    for (let c = 0; c < nC; c++) taste[c]! += 0.5 * rng.normal();
    users.push({
      id: `syn-u${u}`,
      attributes,
      lang: rng.next() < 0.5 ? 'en' : 'ko',
      platform: PLATFORMS[rng.int(PLATFORMS.length)]!,
    });
    // Sampling weights ∝ exp(1.2·taste[c] + log pop).
    let total = 0;
    for (let i = 0; i < nItems; i++) {
      weights[i] = Math.exp(1.2 * taste[itemCat[i]!]! + logPop[i]!);
      total += weights[i]!;
    }
    const n = Math.max(4, Math.round(perUser * (0.5 + rng.next())));
    const seen = new Set<number>();
    for (let k = 0; k < n * 3 && seen.size < n; k++) {
      let r = rng.next() * total;
      let i = 0;
      while (i < nItems - 1 && (r -= weights[i]!) > 0) i++;
      if (seen.has(i)) continue;
      seen.add(i);
      const affinity = taste[itemCat[i]!]! + 0.5 * rng.normal();
      const signal: SignalValue = affinity > 2 ? 1 : affinity < 0.5 ? -1 : 0;
      rows.push({
        user: u,
        item: i,
        time: t0 + (u * 7919 + k * 3_600_000),
        signal,
        ...(signal === 1 ? { rating: 5 } : {}),
      });
    }
  }
  return {
    name: 'synthetic',
    users,
    items,
    interactions: buildInteractions(rows, nItems),
    itemText: hashedTextVectors(
      items.map((x) => x.text),
      textDim,
    ),
    textDim,
    imageDim: 0,
    meta: {
      generator: 'planted-attributes-v1',
      users: nUsers,
      items: nItems,
      perUser,
      attributeStrength: strength,
      popularitySkew: skew,
      seed,
      textVectors: `hashed-bow:${textDim}`,
    },
  };
}

// ---------------------------------------------------------------- the bot's feedback log

/** One user document of the bot, as the lead's store hands it over (layout-independent). */
export interface FeedbackUserDoc {
  userId: string;
  feedback: { itemId: string; signal: 'like' | 'dislike' | 'none'; at: string }[];
  /** Persona attributes (age band, occupation, …). */
  attributes?: Record<string, string>;
  lang?: string;
  platform?: string;
  interests?: string[];
  categories?: string[];
  /** Persona text vector (same encoder as the item text vectors), when the user wrote anything. */
  personaVector?: ArrayLike<number>;
}

export interface FeedbackLogOptions {
  /** Item text vectors in `items` order (`items.length × textDim`). Default: hashed bag of words of `text`. */
  itemText?: Float32Array;
  textDim?: number;
  itemImage?: Float32Array;
  imageDim?: number;
  name?: string;
}

/**
 * Reads the bot's feedback log into a dataset. The latest signal per (user, item) wins; `none` (a removed reaction)
 * deletes the pair. Feedback on items missing from `items` is skipped (counted in `meta.skippedUnknownItems`).
 */
export async function readFeedbackLog(
  docs: AsyncIterable<FeedbackUserDoc>,
  items: readonly DatasetItem[],
  options: FeedbackLogOptions = {},
): Promise<InteractionDataset> {
  const textDim = options.textDim ?? (options.itemText ? options.itemText.length / Math.max(1, items.length) : 128);
  if (!Number.isInteger(textDim))
    throw new RecoError('DATASET_INVALID', 'itemText length is not a multiple of items.length');
  const itemIndex = new Map(items.map((it, i) => [it.id, i]));
  const users: DatasetUser[] = [];
  const rows: RawInteraction[] = [];
  const personas: (ArrayLike<number> | undefined)[] = [];
  let skipped = 0;
  let docNo = 0;
  for await (const doc of docs) {
    docNo++;
    if (typeof doc.userId !== 'string' || !Array.isArray(doc.feedback)) {
      throw new RecoError('DATASET_INVALID', `feedback log user document ${docNo}: needs userId and feedback[]`, {
        details: { file: 'feedback-log', row: docNo },
      });
    }
    const u = users.length;
    const state = new Map<number, { signal: SignalValue; time: number }>();
    const events = doc.feedback.map((f, k) => ({ f, k, t: Date.parse(f.at) })).sort((a, b) => a.t - b.t || a.k - b.k);
    for (const { f, t } of events) {
      const it = itemIndex.get(f.itemId);
      if (it === undefined) {
        skipped++;
        continue;
      }
      if (f.signal === 'none') state.delete(it);
      else state.set(it, { signal: f.signal === 'like' ? 1 : -1, time: Number.isNaN(t) ? 0 : t });
    }
    for (const [item, s] of state) rows.push({ user: u, item, time: s.time, signal: s.signal });
    users.push({
      id: doc.userId,
      attributes: { ...(doc.attributes ?? {}) },
      ...(doc.lang ? { lang: doc.lang } : {}),
      ...(doc.platform ? { platform: doc.platform } : {}),
      ...(doc.interests ? { interests: [...doc.interests] } : {}),
      ...(doc.categories ? { categories: [...doc.categories] } : {}),
    });
    personas.push(doc.personaVector && doc.personaVector.length === textDim ? doc.personaVector : undefined);
  }
  let userPersona: Float32Array | undefined;
  if (personas.some(Boolean)) {
    userPersona = new Float32Array(users.length * textDim);
    personas.forEach((p, u) => p && userPersona!.set(Array.from(p), u * textDim));
  }
  return {
    name: options.name ?? 'bot-feedback',
    users,
    items: [...items],
    interactions: buildInteractions(rows, items.length),
    itemText:
      options.itemText ??
      hashedTextVectors(
        items.map((x) => x.text),
        textDim,
      ),
    textDim,
    ...(options.itemImage && options.imageDim
      ? { itemImage: options.itemImage, imageDim: options.imageDim }
      : { imageDim: 0 }),
    ...(userPersona ? { userPersona } : {}),
    meta: { source: 'feedback-log', skippedUnknownItems: skipped },
  };
}

/** Freshness in [0, 1]: 2^(−age / halfLife). */
export function freshnessOf(publishedAt: string, now: Date, halfLifeHours = 72): number {
  const t = Date.parse(publishedAt);
  if (Number.isNaN(t)) return 0;
  const ageH = Math.max(0, (now.getTime() - t) / 3_600_000);
  return Math.pow(2, -ageH / halfLifeHours);
}

/** The bot's catalog items as dataset items (popularity: views, else likes, else live viewers). */
export function datasetItemsFromContent(items: readonly ContentItem[], now: Date, halfLifeHours = 72): DatasetItem[] {
  return items.map((it) => {
    const pop = it.popularity.views ?? it.popularity.likes ?? it.popularity.viewers;
    return {
      id: it.id,
      categories: [it.category],
      text: `${it.title} ${it.summary}`,
      source: it.source,
      lang: it.lang,
      freshness: freshnessOf(it.publishedAt, now, halfLifeHours),
      ...(pop !== undefined ? { popularity: pop } : {}),
    };
  });
}

// ---------------------------------------------------------------- relevance and identity

/** Which rated rows are positives: every rating (`all`) or ratings ≥ a threshold. */
export type Positive = 'all' | number;

/**
 * Relabels the rows that carry a rating: `all` makes every rating a positive (the implicit-feedback convention of
 * RecBole's MovieLens benchmarks, where a rating is a view); a threshold `t` makes ratings ≥ t positives, ratings
 * ≤ `dislikeAtMost` (default 2) below t dislikes and the rest neutral (seen, never a target). Rows without a rating
 * (the bot's reactions, the planted generator's non-likes) keep their signal.
 */
export function withPositive(ds: InteractionDataset, positive: Positive, dislikeAtMost = 2): InteractionDataset {
  const inter = ds.interactions;
  const signal = new Int8Array(inter.length);
  for (let r = 0; r < inter.length; r++) {
    const rating = inter.rating[r]!;
    if (Number.isNaN(rating)) signal[r] = inter.signal[r]!;
    else if (positive === 'all' || rating >= positive) signal[r] = 1;
    else signal[r] = rating <= dislikeAtMost ? -1 : 0;
  }
  return { ...ds, interactions: { ...inter, signal }, meta: { ...ds.meta, positive } };
}

/**
 * sha256 (hex) over the canonical rows — `userId⇥itemId⇥rating⇥time` (signal instead of the rating where there is
 * none), sorted — and the item ids in order: equal fingerprints mean the same data whatever the file order.
 */
export function datasetFingerprint(ds: InteractionDataset): string {
  const inter = ds.interactions;
  const lines: string[] = [];
  for (let r = 0; r < inter.length; r++) {
    const rating = inter.rating[r]!;
    lines.push(
      `${ds.users[inter.user[r]!]!.id}\t${ds.items[inter.item[r]!]!.id}\t${Number.isNaN(rating) ? `s${inter.signal[r]}` : rating}\t${inter.time[r]}`,
    );
  }
  lines.sort();
  const h = createHash('sha256');
  for (const l of lines) h.update(`${l}\n`);
  h.update('items\n');
  for (const it of ds.items) h.update(`${it.id}\n`);
  return h.digest('hex');
}
