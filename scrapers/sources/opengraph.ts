/**
 * Generic OpenGraph page: one item per configured page from its `og:` tags (title, description,
 * image, url, type), `article:published_time`, and `<title>` / meta description / canonical link as
 * fallbacks. Configured from SCRAPE_SOURCES (`og:https://example.com/page|news`).
 */
import { parseAnyTime } from '../parse-util.js';
import type { ItemCandidate, ParseResult, SourcePlugin } from '../types.js';
import { clean, html, singlePageSource, type SinglePageOptions } from './common.js';

export function parseOpenGraph(body: string, pageUrl: string, now: Date): ParseResult {
  const $ = html(body);
  const meta = (...names: string[]): string | undefined => {
    for (const n of names) {
      const v = $(`meta[property="${n}"], meta[name="${n}"]`).first().attr('content');
      if (v && v.trim()) return v.trim();
    }
    return undefined;
  };
  const title = clean(meta('og:title', 'twitter:title') ?? $('title').first().text());
  if (!title) return { items: [] };
  const c: ItemCandidate = {
    url: meta('og:url') ?? $('link[rel="canonical"]').attr('href') ?? pageUrl,
    title,
    summary: clean(meta('og:description', 'twitter:description', 'description')),
    tags: [meta('og:site_name') ?? '', ...(meta('article:tag', 'keywords')?.split(',') ?? [])]
      .map(clean)
      .filter(Boolean),
  };
  const image = meta('og:image:secure_url', 'og:image', 'og:image:url', 'twitter:image');
  if (image) c.thumbnail = image;
  const published = parseAnyTime(meta('article:published_time', 'og:updated_time', 'article:modified_time'), now);
  if (published) c.publishedAt = published;
  const locale = meta('og:locale') ?? $('html').attr('lang');
  if (locale && /^ko/i.test(locale)) c.lang = 'ko';
  else if (locale && /^en/i.test(locale)) c.lang = 'en';
  return { items: [c] };
}

export type OpenGraphOptions = SinglePageOptions;

export function openGraph(options: OpenGraphOptions): SourcePlugin {
  const u = new URL(options.url);
  const name =
    options.name ?? `${u.hostname.replace(/^www\./, '')}${u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '')}`;
  return singlePageSource({ prefix: 'og', label: 'Page' }, options, name, (page, ctx) =>
    parseOpenGraph(page.body, page.finalUrl, ctx.fetchedAt),
  );
}
