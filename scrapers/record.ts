/**
 * Recording a fixture from the live site (`npm run scrape:record -- <source> <url>`): the page as
 * the source's fetcher sees it (for Chromium sources: the rendered DOM), saved under
 * `tests/fixtures/scrapers/<source>/<date>-<name>.html|.xml`, with a `.meta.json` beside it that
 * says where and when it came from and what a person sees on it (the item count, the first titles).
 * tests/scrapers/recorded-fixtures.test.ts then keeps every parser honest against it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Fetcher } from './browser.js';
import { sourcesFromConfig } from './sources/index.js';
import type { ListPage, ParseResult, SourcePlugin } from './types.js';

export interface RecordOptions {
  /** A built-in source id (`youtube`, `naver-news` …), `rss` or `og`. */
  source: string;
  url: string;
  fetcher: Fetcher;
  /** Where fixtures live (default tests/fixtures/scrapers). */
  root: string;
  /** File name part after the date (default: from the URL). */
  name?: string;
  /** The plugin's section for this page (default: guessed from the URL). */
  section?: string;
  /** What the person recording sees on the live page; the metadata records these, not the parser's output. */
  expectCount?: number;
  expectTitles?: string[];
  now?: Date;
}

export interface RecordResult {
  pagePath: string;
  metaPath: string;
  parsed: ParseResult;
  /** Differences between what the person saw and what the parser read (empty when they agree or nothing was given). */
  mismatches: string[];
}

/** The section a plugin expects for a page URL (how its list pages name them). */
export function sectionFor(source: string, url: string): string | undefined {
  const u = new URL(url);
  const path = u.pathname;
  switch (source) {
    case 'naver-news':
      return /\/section\/(\d+)/.exec(path)?.[1];
    case 'clien':
      return /\/service\/board\/([\w-]+)/.exec(path)?.[1];
    case 'inven':
      return (
        /^\/board\/(.+?)\/?$/.exec(path)?.[1]?.replace(/^/, 'board:') ??
        (path.includes('/webzine/news') ? 'news' : undefined)
      );
    case 'youtube':
      if (u.searchParams.get('v')) return `watch:${u.searchParams.get('v')}`;
      if (u.searchParams.get('search_query')) return `search:${u.searchParams.get('search_query')}`;
      return /^\/(@[^/]+|channel\/[^/]+)/
        .exec(path)?.[1]
        ?.replace(/^channel\//, '')
        .replace(/^/, 'channel:');
    case 'instagram':
      return /^\/(?:(p|reel)\/)?([^/]+)/.exec(path)?.[2];
    case 'tiktok':
      return (
        /^\/(@[^/]+)/.exec(path)?.[1] ??
        (/^\/tag\/([^/]+)/.exec(path)?.[1] ? `#${/^\/tag\/([^/]+)/.exec(path)![1]}` : undefined)
      );
    case 'twitch':
      return /\/directory\/category\/([^/?]+)/.exec(path)?.[1] ?? 'all';
    case 'google-news':
      return /\/topic\/([A-Z_]+)/.exec(path)?.[1];
    default:
      return undefined;
  }
}

function pluginFor(source: string, url: string): SourcePlugin {
  const spec = source === 'rss' || source === 'og' ? `${source}:${url}` : source;
  return sourcesFromConfig(spec)[0]!;
}

function slug(url: string): string {
  const u = new URL(url);
  return (
    `${u.pathname}${u.search}`
      .toLowerCase()
      .replace(/[^a-z0-9가-힣]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || u.hostname.replace(/\./g, '-')
  );
}

/** The body with a first comment saying it is a recording, from where and when. */
function withHeader(body: string, note: string, xml: boolean): string {
  const comment = `<!-- ${note.replace(/--/g, '- -')} -->`;
  if (xml) {
    const decl = /^\s*<\?xml[^>]*\?>/.exec(body);
    return decl ? `${decl[0]}\n${comment}${body.slice(decl[0].length)}` : `${comment}\n${body}`;
  }
  const head = /<head[^>]*>/i.exec(body);
  return head
    ? body.slice(0, head.index + head[0].length) + comment + body.slice(head.index + head[0].length)
    : `${comment}\n${body}`;
}

export async function recordFixture(o: RecordOptions): Promise<RecordResult> {
  const now = o.now ?? new Date();
  const plugin = pluginFor(o.source, o.url);
  const section = o.section ?? sectionFor(o.source, o.url);
  const page: ListPage = { url: o.url, ...(section !== undefined && { section }) };
  const fetched = await o.fetcher.fetchPage({
    url: o.url,
    mode: plugin.mode,
    ...(plugin.waitFor && { waitFor: plugin.waitFor }),
    lang: plugin.defaultLang,
  });
  const parsed = plugin.parse(fetched, { page, fetchedAt: now });
  const xml = /xml|rss|atom/i.test(fetched.contentType) && !/html/i.test(fetched.contentType);
  const date = now.toISOString().slice(0, 10);
  const base = `${date}-${o.name ?? slug(o.url)}`;
  const dir = join(o.root, o.source);
  await mkdir(dir, { recursive: true });
  const pagePath = join(dir, `${base}.${xml ? 'xml' : 'html'}`);
  const metaPath = join(dir, `${base}.meta.json`);
  const how = plugin.mode === 'browser' ? 'the rendered DOM (Chromium)' : 'the HTTP response body';
  await writeFile(
    pagePath,
    withHeader(
      fetched.body,
      `RECORDED by npm run scrape:record on ${now.toISOString()} from ${fetched.finalUrl}: ${how}`,
      xml,
    ),
  );
  const mismatches: string[] = [];
  if (o.expectCount !== undefined && o.expectCount !== parsed.items.length)
    mismatches.push(`the page shows ${o.expectCount} items, the parser read ${parsed.items.length}`);
  for (const [k, t] of (o.expectTitles ?? []).entries())
    if (parsed.items[k]?.title !== t)
      mismatches.push(
        `item ${k + 1}: the page shows "${t}", the parser read "${parsed.items[k]?.title ?? '(nothing)'}"`,
      );
  const personSaw = o.expectCount !== undefined || (o.expectTitles?.length ?? 0) > 0;
  const meta = {
    source: o.source,
    spec: o.source === 'rss' || o.source === 'og' ? `${o.source}:${o.url}` : o.source,
    url: o.url,
    ...(section !== undefined && { section }),
    fetchedAt: now.toISOString(),
    kind: 'recorded',
    provenance: `recorded from ${fetched.finalUrl} on ${now.toISOString()} (${how}, HTTP ${fetched.status}) by npm run scrape:record`,
    licence: "the site's own content, kept for testing the parser only; reduce it before committing (docs/SCRAPERS.md)",
    checkedBy: personSaw ? 'the person who recorded it: count and titles given on the command line' : null,
    ...(!personSaw && {
      needsReview: 'the expectations below are what the parser read; compare them with the live page and correct them',
    }),
    expected: {
      count: o.expectCount ?? parsed.items.length,
      titles: o.expectTitles?.length ? o.expectTitles.slice(0, 3) : parsed.items.slice(0, 3).map((i) => i.title),
      items: [],
      ...(parsed.wall && { wall: parsed.wall.kind }),
    },
  };
  await writeFile(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
  return { pagePath, metaPath, parsed, mismatches };
}
