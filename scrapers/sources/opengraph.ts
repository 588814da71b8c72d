/**
 * Generic OpenGraph page: one item per configured page from its `og:` tags (title, description,
 * image, url), with `<title>` / meta description / canonical link and then JSON-LD (`headline`,
 * `name`, `description`, `image`) as fallbacks. The date comes from the one date extractor
 * (site patterns such as Naver's `data-date-time`, meta tags, JSON-LD, `<time>`). Instagram post
 * pages carry neither og:title nor a date tag: they are read by the Instagram parser (embedded JSON).
 * Configured from SCRAPE_SOURCES (`og:https://example.com/page|news`).
 */
import { extractPageDate, jsonLdObjects } from '../dates.js';
import { largestImage, num, str, type ImageCandidate } from '../parse-util.js';
import type { ItemCandidate, ParseResult, SourcePlugin } from '../types.js';
import { clean, html, singlePageSource, type SinglePageOptions } from './common.js';
import { parseInstagram } from './instagram.js';

const ARTICLE_TYPES = /Article|Posting|Report|VideoObject|ImageObject|WebPage|CreativeWork|Blog/;

export function parseOpenGraph(body: string, pageUrl: string, now: Date): ParseResult {
  let host = '';
  try {
    host = new URL(pageUrl).hostname;
  } catch {
    // a relative or odd URL: no site-specific reading
  }
  if (/(^|\.)instagram\.com$/.test(host)) return parseInstagram(body, pageUrl, '', now);
  const $ = html(body);
  const meta = (...names: string[]): string | undefined => {
    for (const n of names) {
      const v = $(`meta[property="${n}"], meta[name="${n}"]`).first().attr('content');
      if (v && v.trim()) return v.trim();
    }
    return undefined;
  };
  const ld = jsonLdObjects($).find((o) => typeof o['@type'] === 'string' && ARTICLE_TYPES.test(o['@type']));
  const ldText = (k: string) => (ld ? str(ld[k]) : undefined);
  const title = clean(
    meta('og:title', 'twitter:title') ?? ldText('headline') ?? ldText('name') ?? $('title').first().text(),
  );
  if (!title) return { items: [], missing: 'og:title, JSON-LD headline and <title>', candidates: 0 };
  const c: ItemCandidate = {
    url: meta('og:url') ?? $('link[rel="canonical"]').attr('href') ?? pageUrl,
    title,
    summary: clean(meta('og:description', 'twitter:description', 'description') ?? ldText('description')),
    tags: [meta('og:site_name') ?? '', ...(meta('article:tag', 'keywords')?.split(',') ?? [])]
      .map(clean)
      .filter(Boolean),
  };
  const images: ImageCandidate[] = [];
  const ogImage = meta('og:image:secure_url', 'og:image', 'og:image:url');
  if (ogImage) {
    const img: ImageCandidate = { url: ogImage };
    const w = num(meta('og:image:width'));
    const h = num(meta('og:image:height'));
    if (w) img.width = w;
    if (h) img.height = h;
    images.push(img);
  }
  const tw = meta('twitter:image');
  if (tw) images.push({ url: tw });
  const ldImage = ld?.image;
  for (const i of Array.isArray(ldImage) ? ldImage : [ldImage]) {
    const url = typeof i === 'string' ? i : str((i as Record<string, unknown> | undefined)?.url);
    if (url) {
      const img: ImageCandidate = { url };
      const w = num((i as Record<string, unknown> | undefined)?.width);
      const h = num((i as Record<string, unknown> | undefined)?.height);
      if (w) img.width = w;
      if (h) img.height = h;
      images.push(img);
    }
  }
  // og:image first unless another candidate is known to be larger
  const sized = images.filter((i) => i.width);
  const image = sized.length > 1 ? largestImage(sized) : images[0];
  if (image) c.thumbnail = image.url;
  const date = extractPageDate($, pageUrl, now);
  if (date) c.publishedAt = date.iso;
  const locale = meta('og:locale') ?? $('html').attr('lang');
  if (locale && /^ko/i.test(locale)) c.lang = 'ko';
  else if (locale && /^en/i.test(locale)) c.lang = 'en';
  return { items: [c], candidates: 1 };
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
