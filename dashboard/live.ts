/**
 * The live bot page: aggregates read from the bot's store (never written) and its model folder. Only counts and
 * rates leave this module unless `personal` is on (DASHBOARD_PERSONAL_DATA): then a per-user table with ids, still
 * without any message text.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { NS_ITEMS } from '../core/catalog/catalog.js';
import type { ContentItem, FeedbackEvent, Impression } from '../core/domain.js';
import type { KeyValueStore } from '../core/ports.js';
import { NS_IMPRESSIONS, NS_USERS } from '../core/store/namespaces.js';
import type { UserDoc } from '../core/users/doc.js';
import { latestModelDir } from '../models/twotower/artifacts.js';
import { SourceHealthStore, type SourceHealth } from '../scrapers/health.js';

const DAY = 86_400_000;
const dayOf = (iso: string) => iso.slice(0, 10);

export interface RateRow {
  key: string;
  likes: number;
  dislikes: number;
  /** likes / (likes + dislikes). */
  rate: number;
}

export interface ModelVersion {
  version: string;
  createdAt: string | undefined;
  active: boolean;
  epochs: number | undefined;
  bestEpoch: number | undefined;
  bestValidNdcg: number | null | undefined;
  /** Test metrics recorded at training time (`metrics.json` → test), with the most-popular reference. */
  test: Record<string, number>;
  popularTest: Record<string, number>;
  trainedOn: { name?: string; users?: number; items?: number; interactions?: number } | undefined;
  problem?: string;
}

export interface LiveStats {
  generatedAt: string;
  store: string;
  users: {
    total: number;
    withFeedback: number;
    active7d: number;
    active30d: number;
    byPlatform: Record<string, number>;
    byLang: Record<string, number>;
  };
  reactionsPerDay: { day: string; like: number; dislike: number; undo: number }[];
  likeRate: { bySource: RateRow[]; byCategory: RateRow[]; overall: RateRow };
  impressions: {
    lists: number;
    shown: number;
    reacted: number;
    rate: number;
    byKind: { kind: string; lists: number; shown: number; reacted: number; rate: number }[];
    perDay: { day: string; shown: number; reacted: number }[];
  };
  coverage: {
    catalog: number;
    shown: number;
    share: number;
    bySource: { source: string; catalog: number; shown: number; share: number }[];
  };
  models: ModelVersion[];
  sources: SourceHealth[];
  /** Only with DASHBOARD_PERSONAL_DATA=true. */
  perUser?: {
    id: string;
    platforms: string;
    lang: string;
    likes: number;
    dislikes: number;
    lists: number;
    lastActive: string;
  }[];
}

async function allOf<T>(store: KeyValueStore, ns: string): Promise<T[]> {
  const keys: string[] = [];
  for await (const k of store.keys(ns)) keys.push(k);
  const out: T[] = [];
  for (let i = 0; i < keys.length; i += 200) {
    const vals = await store.getMany<T>(ns, keys.slice(i, i + 200));
    for (const v of vals) if (v !== undefined) out.push(v);
  }
  return out;
}

const rate = (key: string, likes: number, dislikes: number): RateRow => ({
  key,
  likes,
  dislikes,
  rate: likes + dislikes > 0 ? likes / (likes + dislikes) : 0,
});

/** Every `v*` two-tower version under `dir`, newest first, with its validation and test metrics. */
export async function modelVersions(dir: string): Promise<ModelVersion[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /^v\d{8}-\d{6}-\d{3}/.test(n));
  } catch {
    return [];
  }
  const active = await latestModelDir(dir);
  const out: ModelVersion[] = [];
  for (const name of names.sort().reverse()) {
    const folder = path.join(dir, name);
    const v: ModelVersion = {
      version: name,
      createdAt: undefined,
      active: active !== undefined && path.resolve(active) === path.resolve(folder),
      epochs: undefined,
      bestEpoch: undefined,
      bestValidNdcg: undefined,
      test: {},
      popularTest: {},
      trainedOn: undefined,
    };
    try {
      const config = JSON.parse(await readFile(path.join(folder, 'config.json'), 'utf8')) as {
        createdAt?: string;
        dataset?: ModelVersion['trainedOn'];
      };
      v.createdAt = config.createdAt;
      v.trainedOn = config.dataset
        ? {
            ...(config.dataset.name !== undefined ? { name: config.dataset.name } : {}),
            ...(config.dataset.users !== undefined ? { users: config.dataset.users } : {}),
            ...(config.dataset.items !== undefined ? { items: config.dataset.items } : {}),
            ...(config.dataset.interactions !== undefined ? { interactions: config.dataset.interactions } : {}),
          }
        : undefined;
      const metrics = JSON.parse(await readFile(path.join(folder, 'metrics.json'), 'utf8')) as {
        history?: unknown[];
        bestEpoch?: number;
        bestValidNdcg?: number | null;
        test?: Record<string, number>;
        popularTest?: Record<string, number>;
      };
      v.epochs = metrics.history?.length;
      v.bestEpoch = metrics.bestEpoch;
      v.bestValidNdcg = metrics.bestValidNdcg;
      v.test = metrics.test ?? {};
      v.popularTest = metrics.popularTest ?? {};
    } catch (e) {
      v.problem = `unreadable: ${(e as Error).message}`;
    }
    out.push(v);
  }
  return out;
}

export interface LiveOptions {
  store: KeyValueStore;
  twoTowerDir: string;
  personal: boolean;
  now?: Date;
  /** Days of the per-day series. Default 60. */
  days?: number;
  /** The catalog items when the caller already holds them (the bot's index); else read from the store. */
  items?: readonly ContentItem[];
}

/** Reads the store once and aggregates. */
export async function liveStats(o: LiveOptions): Promise<LiveStats> {
  const now = o.now ?? new Date();
  const nowMs = now.getTime();
  const days = o.days ?? 60;
  const [docs, impressions, items, models, sources] = await Promise.all([
    allOf<UserDoc>(o.store, NS_USERS),
    allOf<Impression>(o.store, NS_IMPRESSIONS),
    o.items ? Promise.resolve([...o.items]) : allOf<ContentItem>(o.store, NS_ITEMS),
    modelVersions(o.twoTowerDir),
    new SourceHealthStore(o.store).all(),
  ]);
  const itemById = new Map(items.map((it) => [it.id, it]));

  // Users and reactions per day (from each user's event log).
  const byPlatform: Record<string, number> = {};
  const byLang: Record<string, number> = {};
  const perDay = new Map<string, { like: number; dislike: number; undo: number }>();
  const since = nowMs - days * DAY;
  let withFeedback = 0;
  let active7d = 0;
  let active30d = 0;
  /** userId → itemId → times of like/dislike events (impression → reaction). */
  const reactions = new Map<string, Map<string, number[]>>();
  const perUser: NonNullable<LiveStats['perUser']> = [];
  const source = new Map<string, { likes: number; dislikes: number }>();
  const category = new Map<string, { likes: number; dislikes: number }>();
  let likes = 0;
  let dislikes = 0;
  for (const doc of docs) {
    for (const p of new Set(doc.user.identities.map((i) => i.platform))) byPlatform[p] = (byPlatform[p] ?? 0) + 1;
    byLang[doc.user.lang] = (byLang[doc.user.lang] ?? 0) + 1;
    const states = Object.values(doc.feedback);
    if (states.length > 0) withFeedback++;
    const events: FeedbackEvent[] = doc.history;
    const last = events.reduce((m, e) => Math.max(m, Date.parse(e.at) || 0), Date.parse(doc.persona.updatedAt) || 0);
    if (nowMs - last <= 7 * DAY) active7d++;
    if (nowMs - last <= 30 * DAY) active30d++;
    const mine = new Map<string, number[]>();
    for (const e of events) {
      const t = Date.parse(e.at);
      if (e.signal !== 'none') (mine.get(e.itemId) ?? mine.set(e.itemId, []).get(e.itemId)!).push(t);
      if (!(t >= since)) continue;
      const d = perDay.get(dayOf(e.at)) ?? { like: 0, dislike: 0, undo: 0 };
      d[e.signal === 'none' ? 'undo' : e.signal]++;
      perDay.set(dayOf(e.at), d);
    }
    reactions.set(doc.user.id, mine);
    // Like rate from each user's current signal per item (the latest reaction wins, undone ones are gone).
    let l = 0;
    let dl = 0;
    for (const st of states) {
      const it = itemById.get(st.itemId);
      const like = st.signal === 'like';
      if (like) l++;
      else dl++;
      for (const [map, key] of [
        [source, it?.source ?? 'unknown (item expired)'],
        [category, it?.category ?? 'unknown (item expired)'],
      ] as const) {
        const r = map.get(key) ?? { likes: 0, dislikes: 0 };
        if (like) r.likes++;
        else r.dislikes++;
        map.set(key, r);
      }
    }
    likes += l;
    dislikes += dl;
    if (o.personal)
      perUser.push({
        id: doc.user.id,
        platforms: doc.user.identities.map((i) => i.platform).join(', '),
        lang: doc.user.lang,
        likes: l,
        dislikes: dl,
        lists: doc.impressionIds.length,
        lastActive: last > 0 ? new Date(last).toISOString() : '',
      });
  }

  // Impressions → reactions: a shown item counts as reacted when its user liked or disliked it after it was shown.
  const kinds = new Map<string, { lists: number; shown: number; reacted: number }>();
  const impDay = new Map<string, { shown: number; reacted: number }>();
  const shownIds = new Set<string>();
  let shown = 0;
  let reacted = 0;
  for (const imp of impressions) {
    const at = Date.parse(imp.at);
    const mine = reactions.get(imp.userId);
    const k = kinds.get(imp.kind) ?? { lists: 0, shown: 0, reacted: 0 };
    k.lists++;
    const d = impDay.get(dayOf(imp.at)) ?? { shown: 0, reacted: 0 };
    for (const id of imp.itemIds) {
      shownIds.add(id);
      const hit = (mine?.get(id) ?? []).some((t) => t >= at) ? 1 : 0;
      shown++;
      reacted += hit;
      k.shown++;
      k.reacted += hit;
      if (at >= since) {
        d.shown++;
        d.reacted += hit;
      }
    }
    kinds.set(imp.kind, k);
    if (at >= since) impDay.set(dayOf(imp.at), d);
  }

  // Coverage of the current catalog by what was ever shown.
  const bySource = new Map<string, { catalog: number; shown: number }>();
  let coveredShown = 0;
  for (const it of items) {
    const s = bySource.get(it.source) ?? { catalog: 0, shown: 0 };
    s.catalog++;
    if (shownIds.has(it.id)) {
      s.shown++;
      coveredShown++;
    }
    bySource.set(it.source, s);
  }

  const rows = (m: Map<string, { likes: number; dislikes: number }>) =>
    [...m]
      .map(([key, r]) => rate(key, r.likes, r.dislikes))
      .sort((a, b) => b.likes + b.dislikes - (a.likes + a.dislikes));
  const out: LiveStats = {
    generatedAt: now.toISOString(),
    store: o.store.description,
    users: { total: docs.length, withFeedback, active7d, active30d, byPlatform, byLang },
    reactionsPerDay: [...perDay].map(([day, c]) => ({ day, ...c })).sort((a, b) => a.day.localeCompare(b.day)),
    likeRate: { bySource: rows(source), byCategory: rows(category), overall: rate('all', likes, dislikes) },
    impressions: {
      lists: impressions.length,
      shown,
      reacted,
      rate: shown > 0 ? reacted / shown : 0,
      byKind: [...kinds].map(([kind, k]) => ({ kind, ...k, rate: k.shown > 0 ? k.reacted / k.shown : 0 })),
      perDay: [...impDay].map(([day, c]) => ({ day, ...c })).sort((a, b) => a.day.localeCompare(b.day)),
    },
    coverage: {
      catalog: items.length,
      shown: coveredShown,
      share: items.length > 0 ? coveredShown / items.length : 0,
      bySource: [...bySource]
        .map(([src, s]) => ({ source: src, ...s, share: s.catalog > 0 ? s.shown / s.catalog : 0 }))
        .sort((a, b) => b.catalog - a.catalog),
    },
    models,
    sources,
  };
  if (o.personal) out.perUser = perUser.sort((a, b) => b.lastActive.localeCompare(a.lastActive));
  return out;
}
