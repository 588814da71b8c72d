/**
 * The per-row prior terms of a score: popularity (source percentile blended with a Bayesian rating of the bot's
 * own reactions), freshness, stated preferences (source, format, language) and subscribed sources.
 */
import { LANGS, type Persona } from '../../domain.js';
import type { CatalogIndex } from '../../catalog/catalog.js';
import type { ItemStats } from './types.js';

/**
 * The popularity prior of each row: 0.5 · the source's percentile + 0.5 · a Bayesian rating of the bot's own
 * reactions (m = 5 votes of the catalog mean C). With `rows` (ANN candidates) only those entries are computed,
 * into `into` when given (a reused buffer: the other entries are stale and never read).
 */
export function popularityPrior(
  index: CatalogIndex,
  stats: ItemStats | undefined,
  rows?: ArrayLike<number>,
  into?: Float32Array,
): Float32Array {
  const n = index.items.length;
  const out = rows && into?.length === n ? into : new Float32Array(n);
  const sp = index.sourcePopularity;
  const m = 5;
  const count = rows ? rows.length : n;
  if (!stats) {
    // No reactions yet: the Bayesian term is the prior C = 0.5 everywhere.
    for (let k = 0; k < count; k++) {
      const i = rows ? rows[k]! : k;
      out[i] = 0.5 * sp[i]! + 0.25;
    }
    return out;
  }
  const { likes: L, dislikes: D } = stats;
  let likes = 0,
    votes = 0;
  for (let i = 0; i < n; i++) {
    likes += L[i]!;
    votes += L[i]! + D[i]!;
  }
  const C = votes > 0 ? likes / votes : 0.5;
  for (let k = 0; k < count; k++) {
    const i = rows ? rows[k]! : k;
    const l = L[i] ?? 0;
    const v = l + (D[i] ?? 0);
    const R = v > 0 ? l / v : C;
    out[i] = 0.5 * sp[i]! + 0.5 * ((v / (v + m)) * R + (m / (v + m)) * C);
  }
  return out;
}

/**
 * Freshness 2^(−age/half-life) as `min(1, c · f[i])` with `f[i] = 2^((published[i] − t0)/half-life)` computed once
 * per index version and half-life, and `c = 2^(−(now − t0)/half-life)` once per request: no `Math.pow` per row.
 * (`min(1, …)` is the clamp of a future publication time to age 0.)
 */
const freshMemo = new WeakMap<CatalogIndex, { halfLifeMs: number; t0: number; f: Float32Array }>();
export function freshnessOf(index: CatalogIndex, halfLifeMs: number, nowMs: number): { c: number; f: Float32Array } {
  let memo = freshMemo.get(index);
  if (!memo || memo.halfLifeMs !== halfLifeMs) {
    const pm = index.publishedMs;
    const unknown = (i: number) => index.items[i]!.dateUnknown === true; // no date found: never fresh
    let t0 = 0;
    for (let i = 0; i < pm.length; i++) if (pm[i]! > t0 && !unknown(i)) t0 = pm[i]!;
    const f = new Float32Array(pm.length);
    for (let i = 0; i < pm.length; i++) f[i] = unknown(i) ? 0 : Math.pow(2, (pm[i]! - t0) / halfLifeMs);
    memo = { halfLifeMs, t0, f };
    freshMemo.set(index, memo);
  }
  return { c: Math.pow(2, -(nowMs - memo.t0) / halfLifeMs), f: memo.f };
}

/** What kind of content each source carries, for stated format preferences ("I mostly watch videos"). */
export const SOURCE_FORMATS: Record<string, readonly string[]> = {
  youtube: ['video'],
  tiktok: ['video', 'short'],
  instagram: ['photo', 'short'],
  twitch: ['stream', 'live', 'video'],
  'naver-news': ['news', 'article'],
  'google-news': ['news', 'article'],
  clien: ['forum', 'community', 'post'],
  inven: ['forum', 'community', 'post', 'news'],
};

/** Bonus for a match with stated preferences. */
export const PREFERENCE_BONUS = 0.05;

/**
 * Small bonuses for items that match the preferences a user stated (read by the LLM from conversation):
 * preferred sources, formats (through `SOURCE_FORMATS`; RSS/OpenGraph sources count as articles) and
 * languages. Undefined when the persona states none.
 */
export function preferenceBonus(index: CatalogIndex, persona: Persona): Float32Array | undefined {
  const table = preferenceTable(index, persona);
  if (!table) return undefined;
  const n = index.items.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = table.bySource[index.sourceCode[i]!]! + table.byLang[index.langCode[i]!]!;
  return out;
}

/** The preference bonus per source code and per language code (sources are few: one pass over them, not the items). */
export function preferenceTable(
  index: CatalogIndex,
  persona: Persona,
): { bySource: Float32Array; byLang: Float32Array } | undefined {
  const p = persona.preferences;
  if (!p || p.sources.length + p.formats.length + p.languages.length === 0) return undefined;
  const sources = p.sources.map((x) => x.toLowerCase());
  const formats = new Set(p.formats.map((x) => x.toLowerCase().replace(/s$/, '')));
  const langs = new Set(p.languages);
  const bySource = new Float32Array(index.sources.length);
  index.sources.forEach((source, code) => {
    let b = 0;
    const src = source.toLowerCase();
    if (sources.some((x) => src.includes(x) || x.includes(src))) b += PREFERENCE_BONUS;
    const kinds = SOURCE_FORMATS[src] ?? (src.startsWith('rss:') || src.startsWith('og:') ? ['article'] : []);
    if (kinds.some((k) => formats.has(k))) b += PREFERENCE_BONUS;
    bySource[code] = b;
  });
  const byLang = Float32Array.from(LANGS, (l) => (langs.size > 0 && langs.has(l) ? PREFERENCE_BONUS : 0));
  return { bySource, byLang };
}

/** The boost of an item from a source the subject subscribed to: about one σ of content similarity. */
export const SUBSCRIBED_SOURCE_BONUS = 0.1;

/** The subscription bonus per source code (exact source ids); undefined when none of them is in the catalog. */
export function subscribedTable(index: CatalogIndex, sources: readonly string[] | undefined): Float32Array | undefined {
  if (!sources?.length) return undefined;
  const wanted = new Set(sources);
  const table = new Float32Array(index.sources.length);
  let any = false;
  index.sources.forEach((s, code) => {
    if (wanted.has(s)) {
      table[code] = SUBSCRIBED_SOURCE_BONUS;
      any = true;
    }
  });
  return any ? table : undefined;
}
