/**
 * The built-in plugins and the SCRAPE_SOURCES syntax (documented in docs/SCRAPERS.md):
 *
 *   SCRAPE_SOURCES := entry ( ',' | newline ) entry …        (empty: the default set)
 *   entry   := 'defaults'
 *            | builtin-id [ ':' param ( '+' param )* ] [ '|' category ]
 *            | ( 'rss' | 'og' ) ':' [ name '=' ] url [ '|' category [ '|' lang ] ]
 *   param   := value | key '=' value                       (values are percent-decoded)
 *
 * Every entry also takes `base=<url>` (another origin, for mirrors and tests) and `every=<minutes>`.
 * @example naver-news:105+101, youtube:search=lofi%20jazz+channel=@NewJeans_official|music, rss:https://hnrss.org/frontpage|tech|en
 */
import { RecoError } from '../../core/errors.js';
import type { Category, Lang } from '../../core/domain.js';
import { isCategory } from '../normalize.js';
import type { PluginOptions, SourcePlugin } from '../types.js';
import { clien } from './clien.js';
import { googleNews } from './google-news.js';
import { instagram } from './instagram.js';
import { inven } from './inven.js';
import { naverNews } from './naver-news.js';
import { openGraph } from './opengraph.js';
import { rssFeed } from './rss.js';
import { tiktok } from './tiktok.js';
import { twitch } from './twitch.js';
import { youtube } from './youtube.js';

export { clien, googleNews, instagram, inven, naverNews, openGraph, rssFeed, tiktok, twitch, youtube };

export const BUILTIN_IDS = [
  'naver-news',
  'google-news',
  'youtube',
  'twitch',
  'clien',
  'inven',
  'instagram',
  'tiktok',
] as const;
export type BuiltinId = (typeof BUILTIN_IDS)[number];
/** What an empty SCRAPE_SOURCES (or `defaults`) means. Instagram and TikTok need accounts, so they are opt-in. */
export const DEFAULT_SOURCES = ['naver-news', 'google-news', 'youtube', 'twitch', 'clien', 'inven'] as const;

export interface SourceParam {
  key?: string;
  value: string;
}

export interface SourceSpec {
  kind: BuiltinId | 'rss' | 'og';
  params: SourceParam[];
  url?: string;
  name?: string;
  category?: Category;
  lang?: Lang;
  raw: string;
}

/** Parses SCRAPE_SOURCES into specs; problems name the bad entries. */
export function parseSourceSpecs(text: string): { specs: SourceSpec[]; problems: string[] } {
  const entries = text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
  const specs: SourceSpec[] = [];
  const problems: string[] = [];
  if (entries.length === 0) entries.push('defaults');
  for (const raw of entries) {
    if (raw === 'defaults') {
      for (const id of DEFAULT_SOURCES) specs.push({ kind: id, params: [], raw: id });
      continue;
    }
    const feed = /^(rss|og):(.+)$/.exec(raw);
    if (feed) {
      const [urlPart, cat, lang] = feed[2]!.split('|').map((s) => s.trim());
      const named = /^([a-z0-9][a-z0-9._-]*)=(https?:\/\/.+)$/i.exec(urlPart ?? '');
      const url = named ? named[2]! : (urlPart ?? '');
      try {
        const u = new URL(url);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
      } catch {
        problems.push(`${raw}: not an http(s) URL`);
        continue;
      }
      const spec: SourceSpec = { kind: feed[1] as 'rss' | 'og', params: [], url, raw };
      if (named) spec.name = named[1]!;
      if (cat) {
        if (!isCategory(cat)) {
          problems.push(`${raw}: unknown category "${cat}"`);
          continue;
        }
        spec.category = cat;
      }
      if (lang) {
        if (lang !== 'ko' && lang !== 'en') {
          problems.push(`${raw}: language must be ko or en`);
          continue;
        }
        spec.lang = lang;
      }
      specs.push(spec);
      continue;
    }
    const m = /^([a-z-]+)(?::([^|]*))?(?:\|(.*))?$/.exec(raw);
    if (!m || !(BUILTIN_IDS as readonly string[]).includes(m[1]!)) {
      problems.push(`${raw}: unknown source (built-in ids: ${BUILTIN_IDS.join(', ')}; or rss:<url>, og:<url>)`);
      continue;
    }
    const params = (m[2] ?? '')
      .split('+')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p): SourceParam => {
        const eq = p.indexOf('=');
        return eq > 0 ? { key: p.slice(0, eq), value: safeDecode(p.slice(eq + 1)) } : { value: safeDecode(p) };
      });
    const spec: SourceSpec = { kind: m[1] as BuiltinId, params, raw };
    const cat = m[3]?.trim();
    if (cat) {
      if (!isCategory(cat)) {
        problems.push(`${raw}: unknown category "${cat}"`);
        continue;
      }
      spec.category = cat;
    }
    specs.push(spec);
  }
  return { specs, problems };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export interface BuildSourcesOptions {
  /** Replace every plugin's origin (all sites served by one mirror / the test server), keeping a per-source path prefix `/<id>`. */
  baseUrlFor?: (id: string) => string | undefined;
}

/** Builds plugins from specs. Unknown keys are reported as problems. */
export function buildPlugins(
  specs: readonly SourceSpec[],
  options: BuildSourcesOptions = {},
): { plugins: SourcePlugin[]; problems: string[] } {
  const plugins: SourcePlugin[] = [];
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const spec of specs) {
    const bare = spec.params.filter((p) => !p.key).map((p) => p.value);
    const keyed = (k: string) => spec.params.filter((p) => p.key === k).map((p) => p.value);
    const common: PluginOptions = {};
    const base = keyed('base')[0] ?? options.baseUrlFor?.(spec.kind);
    if (base) common.baseUrl = base;
    const every = keyed('every')[0];
    if (every !== undefined) {
      const n = Number(every);
      if (!Number.isFinite(n) || n <= 0) problems.push(`${spec.raw}: every= must be a positive number of minutes`);
      else common.intervalMinutes = n;
    }
    const known = new Set(['base', 'every']);
    let plugin: SourcePlugin;
    switch (spec.kind) {
      case 'naver-news':
        plugin = naverNews({ ...common, sections: bare });
        break;
      case 'google-news':
        known.add('locale');
        plugin = googleNews({ ...common, topics: bare, locales: keyed('locale') });
        break;
      case 'youtube': {
        ['search', 'channel', 'watch', 'trending', 'region', 'hl'].forEach((k) => known.add(k));
        const region = keyed('region')[0];
        const hl = keyed('hl')[0];
        plugin = youtube({
          ...common,
          searches: [...keyed('search'), ...bare.filter((b) => !b.startsWith('@') && b !== 'trending')],
          channels: [...keyed('channel'), ...bare.filter((b) => b.startsWith('@'))],
          watches: keyed('watch'),
          ...((bare.includes('trending') || keyed('trending').length > 0) && { trending: true }),
          ...(region && { region }),
          ...(hl && { hl }),
          ...(spec.category && { category: spec.category }),
        });
        break;
      }
      case 'twitch': {
        known.add('lang');
        const language = keyed('lang')[0];
        plugin = twitch({ ...common, categories: bare, ...(language && { language }) });
        break;
      }
      case 'clien':
        plugin = clien({ ...common, boards: bare });
        break;
      case 'inven': {
        known.add('news');
        const boards = bare.filter((b) => b.includes('/'));
        plugin = inven({
          ...common,
          ...(boards.length && { boards }),
          news: keyed('news')[0] !== 'false' && !bare.includes('nonews'),
        });
        break;
      }
      case 'instagram':
        plugin = instagram({ ...common, accounts: bare, ...(spec.category && { category: spec.category }) });
        if (bare.length === 0) problems.push(`${spec.raw}: instagram needs accounts, e.g. instagram:natgeo+nasa`);
        break;
      case 'tiktok':
        known.add('tag');
        plugin = tiktok({
          ...common,
          accounts: bare.filter((b) => !b.startsWith('#')),
          tags: [...keyed('tag'), ...bare.filter((b) => b.startsWith('#'))],
          ...(spec.category && { category: spec.category }),
        });
        if (bare.length === 0 && keyed('tag').length === 0)
          problems.push(`${spec.raw}: tiktok needs accounts or #tags`);
        break;
      case 'rss':
      case 'og': {
        const page = {
          ...common,
          url: spec.url!,
          ...(spec.name && { name: spec.name }),
          ...(spec.category && { category: spec.category }),
          ...(spec.lang && { lang: spec.lang }),
        };
        plugin = spec.kind === 'rss' ? rssFeed(page) : openGraph(page);
        break;
      }
    }
    for (const p of spec.params)
      if (p.key && !known.has(p.key)) problems.push(`${spec.raw}: unknown option "${p.key}"`);
    // a `|category` on a built-in without its own category option overrides the default category
    if (
      spec.category &&
      spec.kind !== 'rss' &&
      spec.kind !== 'og' &&
      !['youtube', 'instagram', 'tiktok'].includes(spec.kind)
    ) {
      plugin = { ...plugin, defaultCategory: spec.category, categoryMap: {} };
    }
    if (ids.has(plugin.id)) {
      problems.push(`${spec.raw}: source "${plugin.id}" is listed twice (merge the options into one entry)`);
      continue;
    }
    ids.add(plugin.id);
    plugins.push(plugin);
  }
  return { plugins, problems };
}

/**
 * SCRAPE_SOURCES → plugins.
 * @throws RecoError CONFIG_INVALID naming every bad entry.
 */
export function sourcesFromConfig(text: string, options: BuildSourcesOptions = {}): SourcePlugin[] {
  const parsed = parseSourceSpecs(text);
  const built = buildPlugins(parsed.specs, options);
  const problems = [...parsed.problems, ...built.problems];
  if (problems.length) {
    throw new RecoError('CONFIG_INVALID', `Invalid configuration — SCRAPE_SOURCES: ${problems.join('; ')}`, {
      details: { variables: ['SCRAPE_SOURCES'], problems },
    });
  }
  return built.plugins;
}
