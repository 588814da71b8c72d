/**
 * Generic feeds: RSS 2.0, RSS 1.0 (RDF) and Atom, via fast-xml-parser. Configured from
 * SCRAPE_SOURCES (`rss:https://example.com/feed.xml|tech|en`); Google News uses the parser too.
 */
import { XMLParser } from 'fast-xml-parser';
import { parseAnyTime } from '../parse-util.js';
import type { ItemCandidate, ParseResult, SourcePlugin } from '../types.js';
import { clean, html, singlePageSource, type SinglePageOptions } from './common.js';

const ALWAYS_ARRAY = new Set(['item', 'entry', 'link', 'category', 'media:content', 'media:thumbnail', 'enclosure']);

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
const firstImageInHtml = (s: string): string | undefined => {
  if (!s.includes('<img')) return undefined;
  return html(s)('img').first().attr('src');
};

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
    items.forEach((it, i) => {
      const link =
        text(asArray(it.link)[0]) ||
        (attr(it.guid, 'isPermaLink') !== 'false' ? text(it.guid) : '') ||
        (attr(it, 'rdf:about') ?? '');
      const description = text(it.description) || text(it['content:encoded']);
      const e: FeedEntry = {
        url: link,
        title: plain(text(it.title)),
        summary: plain(description),
        popularity: { rank: i + 1 },
        tags: asArray(it.category).map(text).filter(Boolean),
      };
      const published = parseAnyTime(text(it.pubDate) || text(it['dc:date']), now);
      if (published) e.publishedAt = published;
      const thumb =
        attr(asArray(it['media:thumbnail'])[0], 'url') ??
        (asArray(it['media:content']) as Node[])
          .map((m) =>
            attr(m, 'medium') === 'image' || /^image\//.test(attr(m, 'type') ?? '') || !attr(m, 'type')
              ? attr(m, 'url')
              : undefined,
          )
          .find(Boolean) ??
        (asArray(it.enclosure) as Node[])
          .map((m) => (/^image\//.test(attr(m, 'type') ?? '') ? attr(m, 'url') : undefined))
          .find(Boolean) ??
        firstImageInHtml(description);
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
      const group = (it['media:group'] ?? {}) as Node;
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
      const published = parseAnyTime(text(it.published) || text(it.updated), now);
      if (published) e.publishedAt = published;
      const thumb =
        attr(asArray(group['media:thumbnail'])[0], 'url') ??
        attr(asArray(it['media:thumbnail'])[0], 'url') ??
        firstImageInHtml(text(it.content));
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
