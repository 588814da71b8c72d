/**
 * The user simulator: each simulated person meets a fresh bot (the real app on an in-memory store, the real
 * console adapter), asks `/recommend` round after round and reacts to what it is shown, as its hidden taste says.
 * Per round it records how many shown items the person truly likes, against the catalog's base rate (the liked
 * share a random list would get) and the liked items not shown yet (the pool a perfect recommender still has).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kmeans } from 'ml-kmeans';
import { createApp, type App } from '../../app/compose.js';
import { defaultConfig } from '../../core/config.js';
import type { ContentItem } from '../../core/domain.js';
import { silentLogger } from '../../core/ports.js';
import { rng } from '../bench/catalog-gen.js';
import type { SimCatalog } from './catalogs.js';
import { ConsoleChat, printedItems } from './console-chat.js';
import {
  factsOf,
  isConsistent,
  likedKeys,
  likedKeysOf,
  opinionOf,
  reactionOf,
  type ItemFacts,
  type SimUserSpec,
} from './tastes.js';

export interface SimOptions {
  rounds: number;
  /** Items per list. */
  count: number;
  seed: number;
  /** Embedding clusters (k-means over the catalog's text vectors) for cluster tastes. */
  clusters: number;
  /** `lexical` (default: reproducible anywhere) or `auto` (the configured models when present). */
  encoder: 'lexical' | 'auto';
  /** The people pick their interests in the first-contact picker before the first list. */
  onboard: boolean;
  /** The recommender's list policy (`RECO_ELICITATION`): the bandit, or the MMR re-rank alone (the baseline). */
  policy: 'bandit' | 'off';
  now: Date;
}

export const DEFAULT_SIM_OPTIONS: SimOptions = {
  rounds: 10,
  count: 5,
  seed: 1,
  clusters: 12,
  encoder: 'lexical',
  onboard: false,
  policy: 'bandit',
  now: new Date('2026-12-01T09:00:00Z'),
};

export interface UserCurve {
  user: string;
  catalog: string;
  consistent: boolean;
  onboarded: boolean;
  /** Items of each round's list the person truly likes. */
  liked: number[];
  /** Items of each round's list the person dislikes. */
  disliked: number[];
  /** Length of each round's list. */
  shown: number[];
  /** Liked share of the whole catalog at each round (what a random list gets). */
  baseRate: number[];
  /** Liked items not shown yet, before each round. */
  poolLeft: number[];
  /** The categories of each round's list, in order. */
  categories: string[][];
  /** Share of the person's liked categories / terms / clusters met in a shown item so far, after each round. */
  interestsFound: number[];
}

/** One simulated person on one catalog, through the console adapter of a fresh app. */
export async function simulateUser(
  catalog: SimCatalog,
  facts: ReadonlyMap<string, ItemFacts>,
  user: SimUserSpec,
  o: SimOptions,
): Promise<UserCurve> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'deep-reco-sim-'));
  let clockMs = o.now.getTime();
  const app = await createApp({
    config: defaultConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, ENCODER: o.encoder, RECO_ELICITATION: o.policy }),
    logger: silentLogger,
    memory: true,
    seedItems: catalog.items,
    // One simulated minute per command: reactions and lists keep their order in time.
    now: () => new Date(clockMs),
  });
  const random = rng(o.seed * 7919 + hash(user.name));
  const chat = new ConsoleChat(app, `sim${o.seed}-${user.name.replace(/[^A-Za-z0-9+_-]/g, '_')}`);
  const curve: UserCurve = {
    user: user.name,
    catalog: catalog.name,
    consistent: isConsistent(user),
    onboarded: o.onboard && (user.picks?.length ?? 0) > 0,
    liked: [],
    disliked: [],
    shown: [],
    baseRate: [],
    poolLeft: [],
    categories: [],
    interestsFound: [],
  };
  const found = new Set<string>();
  const seen = new Set<string>();
  const send = async (line: string) => {
    clockMs += 60_000;
    return chat.send(line);
  };
  try {
    let pending: string | undefined;
    if (curve.onboarded) pending = await onboard(send, user);
    for (let round = 1; round <= o.rounds; round++) {
      const all = [...facts.values()];
      const likedAll = all.filter((f) => opinionOf(user, f, round) === 'like');
      curve.baseRate.push(likedAll.length / Math.max(1, all.length));
      curve.poolLeft.push(likedAll.filter((f) => !seen.has(f.item.id)).length);
      const out = pending ?? (await send(`/recommend ${o.count}`));
      pending = undefined;
      const shown = printedItems(out).map((p) => ({ p, f: facts.get(p.url) }));
      const opinions = shown.map(({ f }) => (f ? opinionOf(user, f, round) : 'neutral'));
      curve.shown.push(shown.length);
      curve.categories.push(shown.map(({ f }) => f?.item.category ?? '?'));
      for (const { f } of shown)
        if (f)
          for (const k of likedKeysOf(user, f, round))
            found.add(`${round >= (user.drift?.atRound ?? Infinity) ? 'd' : ''}${k}`);
      const keys = likedKeys(user, round);
      const prefix = round >= (user.drift?.atRound ?? Infinity) ? 'd' : '';
      curve.interestsFound.push(keys.length ? keys.filter((k) => found.has(prefix + k)).length / keys.length : 1);
      curve.liked.push(opinions.filter((x) => x === 'like').length);
      curve.disliked.push(opinions.filter((x) => x === 'dislike').length);
      for (const { p, f } of shown) {
        if (!f) continue;
        seen.add(f.item.id);
        const r = reactionOf(user, f, round, random);
        if (r) await send(`${r === 'like' ? '👍' : '👎'} ${p.position}`);
      }
    }
  } finally {
    await chat.close();
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return curve;
}

/** First contact: `/start` shows the numbered interest picker; the person answers with the numbers of its picks. */
async function onboard(send: (line: string) => Promise<string>, user: SimUserSpec): Promise<string | undefined> {
  const picker = await send('/start');
  const options = [...picker.matchAll(/^\s*(\d+)\. (.+)$/gm)].map((m) => ({ n: Number(m[1]), label: m[2]!.trim() }));
  const wanted = (user.picks ?? []).map((p) => p.toLowerCase());
  const chosen = options.filter((o) => wanted.some((w) => o.label.toLowerCase().includes(w))).map((o) => o.n);
  if (chosen.length === 0) return undefined;
  const out = await send(chosen.join(' '));
  return printedItems(out).length > 0 ? out : undefined;
}

/** What the simulator knows of each item, by URL: its terms and its embedding cluster in the app's text space. */
export async function catalogFacts(
  catalog: SimCatalog,
  o: Pick<SimOptions, 'clusters' | 'seed' | 'encoder' | 'now'>,
): Promise<Map<string, ItemFacts>> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'deep-reco-sim-'));
  let app: App | undefined;
  try {
    app = await createApp({
      config: defaultConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, ENCODER: o.encoder }),
      logger: silentLogger,
      memory: true,
      seedItems: catalog.items,
      now: () => o.now,
    });
    const index = app.catalog.index;
    const dim = index.textDim;
    const row = (r: number) => Array.from(index.text.subarray(r * dim, (r + 1) * dim));
    // k-means on an even sample of at most 2,000 rows, then every row to its nearest centroid.
    const n = index.items.length;
    const sample = Array.from({ length: Math.min(n, 2000) }, (_, i) => Math.floor((i * n) / Math.min(n, 2000)));
    const k = Math.max(1, Math.min(o.clusters, sample.length));
    const { centroids } = kmeans(sample.map(row), k, { seed: o.seed, initialization: 'kmeans++', maxIterations: 50 });
    const clusters = index.items.map((_, r) => {
      let best = 0,
        bestD = Infinity;
      centroids.forEach((c, j) => {
        let d = 0;
        for (let i = 0; i < dim; i++) d += (index.text[r * dim + i]! - c[i]!) ** 2;
        if (d < bestD) [best, bestD] = [j, d];
      });
      return best;
    });
    const out = new Map<string, ItemFacts>();
    index.items.forEach((item: ContentItem, r) => out.set(item.url, factsOf(item, clusters[r]!)));
    return out;
  } finally {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function hash(s: string): number {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}
