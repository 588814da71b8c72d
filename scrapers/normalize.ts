/**
 * Normalisation: canonical URLs, stable ids, language detection, category mapping, title keys and
 * trigrams (the same-story rule itself lives in near-duplicates.ts).
 */
import { createHash } from 'node:crypto';
import { detect } from 'tinyld';
import type { Category, ContentItem, Lang } from '../core/domain.js';
import { CATEGORIES } from '../core/domain.js';
import type { ItemCandidate, ListPage, SourcePlugin } from './types.js';

// ---------------------------------------------------------------- URLs

/** Parameters that only track a click, everywhere. `utm_*` is matched by prefix. */
export const GLOBAL_TRACKING_PARAMS = [
  'fbclid',
  'gclid',
  'dclid',
  'gbraid',
  'wbraid',
  'msclkid',
  'yclid',
  'twclid',
  'igshid',
  'igsh',
  'mc_cid',
  'mc_eid',
  '_ga',
  '_gl',
  'ref_src',
  'ref_url',
  'spm',
  'si',
  'feature',
  'pp',
  'ab_channel',
] as const;

/** Per-host tracking / listing-context parameters (the host matches by suffix). */
export const SITE_TRACKING_PARAMS: Readonly<Record<string, readonly string[]>> = {
  'clien.net': ['od', 'po', 'category', 'groupCd'],
  'naver.com': ['sid', 'type', 'rc', 'mode', 'ntype'],
  'inven.co.kr': ['my', 'sort', 'p', 'iskin', 'vtype', 'stype', 'sterm'],
  'youtube.com': ['t', 'list', 'index', 'start_radio'],
  'twitch.tv': ['sr', 'tt_content', 'tt_medium'],
  'instagram.com': ['img_index', 'hl'],
  'tiktok.com': ['is_from_webapp', 'sender_device', 'lang', 'q', 't'],
};

/**
 * The URL used for deduplication: lower-case scheme and host, no default port, no fragment,
 * tracking parameters (utm_*, fbclid, gclid, per-site ones) removed, remaining query sorted.
 * Returns the input unchanged when it is not an absolute http(s) URL.
 * @example canonicalUrl('https://WWW.Ex.com:443/a?utm_source=x&b=2&a=1#top') // 'https://www.ex.com/a?a=1&b=2'
 */
export function canonicalUrl(raw: string, extraParams: readonly string[] = []): string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return raw.trim();
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return raw.trim();
  u.hash = '';
  u.username = '';
  u.password = '';
  const host = u.hostname.toLowerCase();
  const drop = new Set<string>([...GLOBAL_TRACKING_PARAMS, ...extraParams]);
  for (const [suffix, params] of Object.entries(SITE_TRACKING_PARAMS)) {
    if (host === suffix || host.endsWith(`.${suffix}`)) params.forEach((p) => drop.add(p));
  }
  const kept = [...u.searchParams.entries()]
    .filter(([k]) => !drop.has(k) && !k.toLowerCase().startsWith('utm_'))
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const search = new URLSearchParams(kept).toString();
  const port =
    u.port && !((u.protocol === 'http:' && u.port === '80') || (u.protocol === 'https:' && u.port === '443'))
      ? `:${u.port}`
      : '';
  return `${u.protocol}//${host}${port}${u.pathname}${search ? `?${search}` : ''}`;
}

/** Stable item id from a canonical URL: 20 hex chars of sha256 (80 bits; collisions are not a concern at catalog sizes). */
export function itemIdFor(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex').slice(0, 20);
}

/** Resolves `href` against `base`; undefined for empty, `javascript:` or unparsable links. */
export function absoluteUrl(href: string | undefined | null, base: string): string | undefined {
  if (!href) return undefined;
  const h = href.trim();
  if (!h || /^(javascript|data|mailto):/i.test(h)) return undefined;
  try {
    return new URL(h, base).toString();
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- language

const HANGUL = /[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7AF]/gu;
const LETTER = /\p{L}/gu;

/**
 * Korean or English. Hangul ratio shortcut first (≥ 20% of letters are Hangul → `ko`, none and
 * mostly Latin → `en`); otherwise tinyld restricted to ko/en; otherwise the fallback.
 */
export function detectLang(text: string, fallback: Lang): Lang {
  const letters = text.match(LETTER)?.length ?? 0;
  if (letters === 0) return fallback;
  const hangul = text.match(HANGUL)?.length ?? 0;
  const ratio = hangul / letters;
  if (ratio >= 0.2) return 'ko';
  if (hangul === 0 && letters >= 12) {
    const guess = detect(text, { only: ['en', 'ko'] });
    if (guess === 'en' || guess === 'ko') return guess;
    return fallback;
  }
  if (hangul > 0) return 'ko';
  return fallback;
}

// ---------------------------------------------------------------- titles

/** Bracketed tags Korean portals put in front of titles: [속보], [단독], (종합), 【포토】 … */
const TITLE_TAGS = /^\s*(?:[[(【<「『][^\])】>」』]{1,12}[\])】>」』]\s*)+/u;

/** A title as it is compared: NFKC, lower case, no bracketed prefix, no " - Publisher" suffix, letters and digits only. */
export function titleKey(title: string): string {
  return title
    .normalize('NFKC')
    .replace(TITLE_TAGS, '')
    .replace(/\s+[-|–—]\s+[^-|–—]{1,40}$/u, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Character trigrams of a title key (spaces removed, so word-boundary differences do not matter). */
export function trigrams(key: string): Set<string> {
  const s = key.replace(/\s+/g, '');
  const out = new Set<string>();
  if (s.length < 3) {
    if (s) out.add(s);
    return out;
  }
  for (let i = 0; i + 3 <= s.length; i++) out.add(s.slice(i, i + 3));
  return out;
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let inter = 0;
  for (const x of small) if (large.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

// ---------------------------------------------------------------- items

export function isCategory(x: unknown): x is Category {
  return typeof x === 'string' && (CATEGORIES as readonly string[]).includes(x);
}

/** The category of a candidate: its own, else the page's, else the plugin's map of the page section, else the plugin default. */
export function categoryFor(plugin: SourcePlugin, page: ListPage, candidate: ItemCandidate): Category {
  if (candidate.category) return candidate.category;
  if (page.category) return page.category;
  const mapped = page.section !== undefined ? plugin.categoryMap?.[page.section] : undefined;
  return mapped ?? plugin.defaultCategory;
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Problems that make a candidate unusable; empty when it is fine. */
export function candidateProblems(c: ItemCandidate): string[] {
  const problems: string[] = [];
  if (!c.title || !collapse(c.title)) problems.push('title missing');
  if (!c.url) problems.push('url missing');
  return problems;
}

/**
 * Turns a parsed candidate into a `ContentItem`: absolute canonical URL, id, language, category,
 * trimmed text, ISO times. Returns undefined (with the reason) when the candidate is unusable.
 */
export function toContentItem(
  plugin: SourcePlugin,
  page: ListPage,
  c: ItemCandidate,
  fetchedAt: Date,
  pageUrl: string,
): { item: ContentItem } | { problem: string } {
  const problems = candidateProblems(c);
  if (problems.length) return { problem: problems.join(', ') };
  const url = absoluteUrl(c.url, plugin.linkBaseUrl ?? pageUrl);
  if (!url || !/^https?:/i.test(url)) return { problem: `bad url ${JSON.stringify(c.url)}` };
  const canonical = canonicalUrl(url, plugin.trackingParams);
  const title = collapse(c.title).slice(0, 300);
  const summary = collapse(c.summary ?? '').slice(0, 1000);
  const fetched = fetchedAt.toISOString();
  // no (believable) date: stored as first seen now, flagged so ranking does not take it for brand new
  let published: string | undefined;
  if (c.publishedAt) {
    const ms = Date.parse(c.publishedAt);
    // a source clock a little ahead is tolerated; far-future dates are not believed
    if (Number.isFinite(ms) && ms <= fetchedAt.getTime() + 36e5)
      published = new Date(Math.min(ms, fetchedAt.getTime())).toISOString();
  }
  const item: ContentItem = {
    id: itemIdFor(canonical),
    url,
    canonicalUrl: canonical,
    title,
    summary,
    category: categoryFor(plugin, page, c),
    source: plugin.id,
    lang: c.lang ?? detectLang(`${title} ${summary}`, page.lang ?? plugin.defaultLang),
    publishedAt: published ?? fetched,
    fetchedAt: fetched,
    popularity: cleanPopularity(c.popularity),
  };
  if (!published) item.dateUnknown = true;
  const thumb = absoluteUrl(c.thumbnail, pageUrl);
  if (thumb && /^https?:/i.test(thumb)) item.thumbnail = thumb;
  const tags = [...new Set((c.tags ?? []).map(collapse).filter(Boolean))].slice(0, 12);
  if (tags.length) item.tags = tags;
  return { item };
}

function cleanPopularity(p: ItemCandidate['popularity']): ContentItem['popularity'] {
  const out: ContentItem['popularity'] = {};
  if (!p) return out;
  for (const k of ['views', 'likes', 'comments', 'viewers', 'rank'] as const) {
    const v = p[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k] = Math.round(v);
  }
  return out;
}
