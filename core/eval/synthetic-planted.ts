/**
 * The planted-attributes synthetic dataset (`generateSynthetic`): attribute-driven tastes, category vocabularies
 * and Zipf popularity, for tests and the model zoo's structure checks. Re-exported by `datasets.ts`.
 */
import { CATEGORIES } from '../domain.js';
import {
  buildInteractions,
  type DatasetItem,
  type DatasetUser,
  type InteractionDataset,
  type RawInteraction,
  type SignalValue,
} from './interactions.js';
import { createRng } from './random.js';
import { hashedTextVectors } from './text.js';

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
