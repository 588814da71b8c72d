/**
 * Generic feeds: RSS 2.0, RSS 1.0 (RDF) and Atom, via fast-xml-parser. Configured from
 * SCRAPE_SOURCES (`rss:https://example.com/feed.xml|tech|en`); Google News uses the parser too.
 *
 * Thumbnails: the largest image (by width × height, else `fileSize`) among `media:group`,
 * `media:content` (images only: `medium="image"`, an `image/*` type, or no type at all) and
 * `media:thumbnail`, image `enclosure`s and RSS 1.0 `enc:enclosure` (`rdf:resource`/`resource`);
 * then the item's `itunes:image`; then the first real image inside `content:encoded` /
 * `description` HTML (1×1 tracking pixels skipped); then the podcast's channel `itunes:image`.
 * Dates: `pubDate`, `dc:date` (RSS 1.0), Atom `published`/`updated`, through the one date extractor.
 */
import { XMLParser } from 'fast-xml-parser';
import { parseDateText } from '../dates.js';
import { largestImage, type ImageCandidate } from '../parse-util.js';
import type { ItemCandidate, ParseResult, SourcePlugin } from '../types.js';
import { clean, html, singlePageSource, type SinglePageOptions } from './common.js';

const ALWAYS_ARRAY = new Set([
  'item',
  'entry',
  'link',
  'category',
  'media:content',
  'media:thumbnail',
  'media:group',
  'enclosure',
  'enc:enclosure',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  trimValues: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => ALWAYS_ARRAY.has(name),
});

type Node = Record<string, unknown>;
const asArray = (x: unknown): unknown[] => (Array.isArray(x) ? x : x === undefined || x === null ? [] : [x]);
const text = (x: unknown): string => {
  if (typeof x === 'string' || typeof x === 'number') return String(x);
  if (x && typeof x === 'object') {
    const t = (x as Node)['#text'];
    if (typeof t === 'string' || typeof t === 'number') return String(t);
  }
  return '';
};
const attr = (x: unknown, name: string): string | undefined => {
  if (!x || typeof x !== 'object') return undefined;
  const v = (x as Node)[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
};
/** Feed descriptions are often HTML: text only, first 600 chars. */
const plain = (s: string): string => {
  if (!/[<&]/.test(s)) return clean(s);
  return clean(html(`<div>${s}</div>`)('div').first().text()).slice(0, 600);
};
/** Tracking pixels and counters that feeds put in their HTML (not a picture of the story). */
const TRACKER =
  /feeds\.feedburner\.com\/~r|feedsportal|stats\.wordpress\.com|medium\.com\/_\/stat|\/pixel\.|doubleclick/i;

/** The first real image inside feed HTML (`content:encoded`, `description`, Atom `content`). */
const firstImageInHtml = (s: string): string | undefined => {
  if (!/<img/i.test(s)) return undefined;
  const $ = html(`<div>${s}</div>`);
  for (const el of $('img').toArray()) {
    const img = $(el);
    const src = img.attr('src') ?? img.attr('data-src');
    if (!src || src.startsWith('data:') || TRACKER.test(src)) continue;
    const w = Number(img.attr('width'));
    const h = Number(img.attr('height'));
    if ((w > 0 && w <= 2) || (h > 0 && h <= 2)) continue;
    return src;
  }
  return undefined;
};

const IMAGE_EXT = /\.(?:jpe?g|png|gif|webp|avif)(?:$|[?#])/i;
const num = (x: string | undefined): number | undefined => {
  const n = Number(x);
  return x !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
};

/** A media:content / media:thumbnail / enclosure as an image candidate, or undefined when it is audio, video … */
function mediaImage(m: unknown, kind: 'content' | 'thumbnail' | 'enclosure'): ImageCandidate | undefined {
  const url = attr(m, 'url') ?? attr(m, 'rdf:resource') ?? attr(m, 'resource') ?? attr(m, 'href');
  if (!url) return undefined;
  const type = (attr(m, 'type') ?? attr(m, 'enc:type') ?? '').toLowerCase();
  const medium = (attr(m, 'medium') ?? '').toLowerCase();
  if (kind !== 'thumbnail') {
    const image =
      medium === 'image' ||
      type.startsWith('image/') ||
      (!type && !medium && (kind === 'content' || IMAGE_EXT.test(url)));
    if (!image) return undefined;
  }
  const c: ImageCandidate = { url };
  const width = num(attr(m, 'width'));
  const height = num(attr(m, 'height'));
  const bytes = num(attr(m, 'fileSize') ?? attr(m, 'length') ?? attr(m, 'enc:length'));
  if (width) c.width = width;
  if (height) c.height = height;
  if (bytes && kind !== 'thumbnail') c.bytes = bytes;
  return c;
}

/** Every image candidate of an item or entry: media:group, media:content, media:thumbnail, enclosures. */
function mediaImages(it: Node): ImageCandidate[] {
  const out: (ImageCandidate | undefined)[] = [];
  const scopes: Node[] = [it, ...(asArray(it['media:group']) as Node[])];
  for (const scope of scopes) {
    for (const m of asArray(scope['media:content'])) {
      out.push(mediaImage(m, 'content'));
      // a media:content may nest its own thumbnail (the preview of a video)
      for (const t of asArray((m as Node)['media:thumbnail'])) out.push(mediaImage(t, 'thumbnail'));
    }
    for (const t of asArray(scope['media:thumbnail'])) out.push(mediaImage(t, 'thumbnail'));
  }
  for (const e of asArray(it.enclosure)) out.push(mediaImage(e, 'enclosure'));
  for (const e of asArray(it['enc:enclosure'])) out.push(mediaImage(e, 'enclosure'));
  for (const l of asArray(it.link)) if (attr(l, 'rel') === 'enclosure') out.push(mediaImage(l, 'enclosure'));
  return out.filter((c): c is ImageCandidate => c !== undefined);
}

/** The item's picture: the largest media image, the item's itunes:image, an image in its HTML, the podcast cover. */
function itemThumbnail(it: Node, htmlBodies: string[], channelImage: string | undefined): string | undefined {
  const media = mediaImages(it);
  const sized = media.filter((c) => c.width || c.height || c.bytes);
  // prefer a size we know; among unsized, a full image (media:content) over a thumbnail
  const pick = largestImage(sized.length ? sized : media);
  if (pick) return pick.url;
  const itunes = attr(it['itunes:image'], 'href') ?? text(it['itunes:image']);
  if (itunes) return itunes;
  for (const body of htmlBodies) {
    const img = firstImageInHtml(body);
    if (img) return img;
  }
  return channelImage;
}

export interface FeedEntry extends ItemCandidate {
  /** RSS `<source>` (Google News: the publisher). */
  publisher?: string;
}

/** Parses a feed document. Throws when the body is not a feed at all. */
export function parseFeed(xml: string, now: Date): { title: string; entries: FeedEntry[] } {
  const doc = parser.parse(xml) as Node;
  const rss = doc.rss as Node | undefined;
  const rdf = doc['rdf:RDF'] as Node | undefined;
  const feed = doc.feed as Node | undefined;
  const entries: FeedEntry[] = [];
  if (rss || rdf) {
    const channel = (rss?.channel ?? rdf?.channel ?? {}) as Node;
    const items = asArray(rss ? channel.item : rdf?.item) as Node[];
    const podcastCover = attr(channel['itunes:image'], 'href');
    items.forEach((it, i) => {
      const link =
        text(asArray(it.link)[0]) ||
        (attr(it.guid, 'isPermaLink') !== 'false' ? text(it.guid) : '') ||
        (attr(it, 'rdf:about') ?? '');
      const encoded = text(it['content:encoded']);
      const description = text(it.description) || encoded || text(it['itunes:summary']);
      const e: FeedEntry = {
        url: link,
        title: plain(text(it.title) || text(it['dc:title'])),
        summary: plain(description),
        popularity: { rank: i + 1 },
        tags: [...asArray(it.category), ...asArray(it['dc:subject'])].map(text).filter(Boolean),
      };
      const published = parseDateText(text(it.pubDate) || text(it['dc:date']) || text(it['dcterms:issued']), now);
      if (published) e.publishedAt = published;
      const thumb = itemThumbnail(it, [encoded, text(it.description)], podcastCover);
      if (thumb) e.thumbnail = thumb;
      const publisher = text(it.source);
      if (publisher) e.publisher = clean(publisher);
      entries.push(e);
    });
    return { title: plain(text(channel.title)), entries };
  }
  if (feed) {
    (asArray(feed.entry) as Node[]).forEach((it, i) => {
      const links = asArray(it.link) as Node[];
      const alt = links.find((l) => (attr(l, 'rel') ?? 'alternate') === 'alternate') ?? links[0];
      const group = (asArray(it['media:group'])[0] ?? {}) as Node;
      const summary = text(it.summary) || text(it.content) || text(group['media:description']);
      const e: FeedEntry = {
        url: attr(alt, 'href') ?? '',
        title: plain(text(it.title)),
        summary: plain(summary),
        popularity: { rank: i + 1 },
        tags: (asArray(it.category) as Node[]).map((c) => attr(c, 'term') ?? text(c)).filter(Boolean),
      };
      const views = attr(at(group, 'media:community', 'media:statistics'), 'views');
      if (views !== undefined && Number.isFinite(Number(views)))
        e.popularity = { ...e.popularity, views: Number(views) };
      const published = parseDateText(text(it.published) || text(it.updated) || text(it['dc:date']), now);
      if (published) e.publishedAt = published;
      const thumb = itemThumbnail(it, [text(it.content), text(it.summary)], undefined);
      if (thumb) e.thumbnail = thumb;
      entries.push(e);
    });
    return { title: plain(text(feed.title)), entries };
  }
  throw new Error('not an RSS or Atom document');
}

function at(x: unknown, ...path: string[]): unknown {
  let cur = x;
  for (const p of path) cur = cur && typeof cur === 'object' ? (cur as Node)[p] : undefined;
  return cur;
}

export function feedResult(body: string, now: Date): ParseResult {
  const { entries } = parseFeed(body, now);
  return {
    items: entries.map(({ publisher, ...e }) => (publisher ? { ...e, tags: [...(e.tags ?? []), publisher] } : e)),
  };
}

export type RssOptions = SinglePageOptions;

export function rssFeed(options: RssOptions): SourcePlugin {
  const name = options.name ?? new URL(options.url).hostname.replace(/^www\./, '');
  return singlePageSource({ prefix: 'rss', label: 'RSS' }, options, name, (page, ctx) =>
    feedResult(page.body, ctx.fetchedAt),
  );
}
