/**
 * YouTube list pages (trending, search results, a channel's videos tab, a watch page's related
 * videos and end screen). The page HTML embeds the whole list as `var ytInitialData = {...};`;
 * we parse that JSON (as the site's own JS does) and walk it once, collecting every known video
 * renderer kind ({@link VIDEO_RENDERERS}: `videoRenderer`, `gridVideoRenderer`,
 * `compactVideoRenderer`, `endScreenVideoRenderer`, `lockupViewModel`, `reelItemRenderer`,
 * `shortsLockupViewModel`, playlist and mobile kinds) wherever shelves nest them. A page without
 * `ytInitialData`, or with video ids but no card we can read, is reported as a layout change.
 */
import type { Category } from '../../core/domain.js';
import { parseDateText } from '../dates.js';
import {
  at,
  extractJsonAfter,
  largestImage,
  num,
  parseCount,
  str,
  ytText,
  type ImageCandidate,
} from '../parse-util.js';
import type { ItemCandidate, ParseResult, PluginOptions, SourcePlugin } from '../types.js';
import { baseUrlOf } from './common.js';

export interface YoutubeOptions extends PluginOptions {
  /** Trending page (YouTube retired it in 2025 for most regions; kept for mirrors that still have it). */
  trending?: boolean;
  searches?: string[];
  /** Channel handles (`@name`) or ids (`UC…`). */
  channels?: string[];
  /** Video ids whose watch pages are read for their related videos ("more like this one"). */
  watches?: string[];
  /** Region and UI language (gl/hl). Default KR/ko. */
  region?: string;
  hl?: string;
  category?: Category;
}

const YT_MARKER = /(?:var\s+ytInitialData|window\s*\[\s*["']ytInitialData["']\s*\])\s*=\s*/;

export function youtube(options: YoutubeOptions = {}): SourcePlugin {
  const baseUrl = baseUrlOf(options, 'https://www.youtube.com');
  const gl = options.region ?? 'KR';
  const hl = options.hl ?? 'ko';
  const searches = options.searches ?? [];
  const channels = options.channels ?? [];
  const watches = options.watches ?? [];
  const trending = options.trending ?? (searches.length === 0 && channels.length === 0 && watches.length === 0);
  return {
    id: 'youtube',
    displayName: 'YouTube',
    mode: 'http',
    defaultCategory: options.category ?? 'entertainment',
    defaultLang: hl.startsWith('ko') ? 'ko' : 'en',
    baseUrl,
    linkBaseUrl: 'https://www.youtube.com',
    politeness: { delayMs: 2000, perDomain: 1, ...options.politeness },
    ...(options.intervalMinutes !== undefined && { intervalMinutes: options.intervalMinutes }),
    trackingParams: ['pp', 'si', 'feature'],
    listPages: () => [
      ...(trending ? [{ url: `${baseUrl}/feed/trending?gl=${gl}&hl=${hl}`, section: 'trending' }] : []),
      ...watches.map((v) => ({
        url: `${baseUrl}/watch?v=${encodeURIComponent(v)}&gl=${gl}&hl=${hl}`,
        section: `watch:${v}`,
      })),
      ...searches.map((q) => ({
        url: `${baseUrl}/results?search_query=${encodeURIComponent(q)}&gl=${gl}&hl=${hl}`,
        section: `search:${q}`,
      })),
      ...channels.map((c) => ({
        url: c.startsWith('UC')
          ? `${baseUrl}/channel/${c}/videos`
          : `${baseUrl}/${c.startsWith('@') ? c : `@${c}`}/videos`,
        section: `channel:${c}`,
      })),
    ],
    parse: (page, ctx) => parseYoutube(page.body, page.finalUrl, 'https://www.youtube.com', ctx.fetchedAt),
  };
}

/** A video card as every renderer kind is read into. */
interface VideoCard {
  id: string;
  title?: string;
  channel?: string;
  summary?: string;
  viewsText?: string;
  publishedText?: string;
  thumbnails: ImageCandidate[];
  short: boolean;
}

const thumbs = (x: unknown): ImageCandidate[] => {
  const list = Array.isArray(x) ? x : [];
  const out: ImageCandidate[] = [];
  for (const t of list) {
    const url = str(at(t, 'url'));
    if (!url) continue;
    const c: ImageCandidate = { url: url.startsWith('//') ? `https:${url}` : url };
    const w = num(at(t, 'width'));
    const h = num(at(t, 'height'));
    if (w) c.width = w;
    if (h) c.height = h;
    out.push(c);
  }
  return out;
};

const firstText = (r: unknown, ...keys: string[]): string | undefined => {
  for (const k of keys) {
    const t = ytText(at(r, k));
    if (t && t.trim()) return t.trim();
  }
  return undefined;
};

/** `videoRenderer`-shaped objects: search results, channel grids, watch-page sidebars, end screens, playlists. */
function classicCard(r: unknown): VideoCard | undefined {
  const id = str(at(r, 'videoId'));
  if (!id) return undefined;
  const videoInfo = ytText(at(r, 'videoInfo')) ?? '';
  const card: VideoCard = {
    id,
    thumbnails: thumbs(at(r, 'thumbnail', 'thumbnails')),
    short: false,
  };
  const title = firstText(r, 'title', 'headline');
  if (title) card.title = title;
  const channel = firstText(r, 'ownerText', 'longBylineText', 'shortBylineText');
  if (channel) card.channel = channel;
  const summary =
    ytText(at(r, 'detailedMetadataSnippets', 0, 'snippetText')) ?? firstText(r, 'descriptionSnippet', 'description');
  if (summary) card.summary = summary;
  const views =
    firstText(r, 'viewCountText', 'shortViewCountText') ?? /[\d.,]+\S*\s*(?:views?|회)/u.exec(videoInfo)?.[0];
  if (views) card.viewsText = views;
  const published = firstText(r, 'publishedTimeText') ?? /\S.*(?:ago|전)$/u.exec(videoInfo.split('•').pop() ?? '')?.[0];
  if (published) card.publishedText = published;
  return card;
}

/** `reelItemRenderer` (Shorts shelves). */
function reelCard(r: unknown): VideoCard | undefined {
  const card = classicCard(r);
  if (card) card.short = true;
  return card;
}

/** `shortsLockupViewModel` (2024– Shorts shelves). */
function shortsLockupCard(r: unknown): VideoCard | undefined {
  const id =
    str(at(r, 'onTap', 'innertubeCommand', 'reelWatchEndpoint', 'videoId')) ??
    str(at(r, 'entityId'))?.replace(/^shorts-shelf-item-/, '');
  if (!id) return undefined;
  const card: VideoCard = {
    id,
    thumbnails: [
      ...thumbs(at(r, 'thumbnail', 'sources')),
      ...thumbs(at(r, 'thumbnailViewModel', 'thumbnailViewModel', 'image', 'sources')),
    ],
    short: true,
  };
  const title = ytText(at(r, 'overlayMetadata', 'primaryText'));
  if (title) card.title = title;
  const views = ytText(at(r, 'overlayMetadata', 'secondaryText'));
  if (views) card.viewsText = views;
  return card;
}

/** `lockupViewModel` (2024– watch-page sidebars, search, channel tabs); only video lockups. */
function lockupCard(r: unknown): VideoCard | undefined {
  const type = str(at(r, 'contentType'));
  if (type && type !== 'LOCKUP_CONTENT_TYPE_VIDEO') return undefined;
  const id =
    str(at(r, 'contentId')) ??
    str(at(r, 'rendererContext', 'commandContext', 'onTap', 'innertubeCommand', 'watchEndpoint', 'videoId'));
  if (!id) return undefined;
  const meta = at(r, 'metadata', 'lockupMetadataViewModel');
  const parts: string[] = [];
  const rows = at(meta, 'metadata', 'contentMetadataViewModel', 'metadataRows');
  if (Array.isArray(rows))
    for (const row of rows)
      for (const p of (at(row, 'metadataParts') as unknown[] | undefined) ?? []) {
        const t = ytText(at(p, 'text'));
        if (t) parts.push(t.trim());
      }
  const viewsText = parts.find((p) => /views?|조회수|watching|시청/i.test(p));
  const publishedText = parts.find((p) => /ago|전$|streamed|스트리밍/i.test(p));
  const channel = parts.find((p) => p && p !== viewsText && p !== publishedText);
  const card: VideoCard = {
    id,
    thumbnails: thumbs(at(r, 'contentImage', 'thumbnailViewModel', 'image', 'sources')),
    short: false,
  };
  const title = ytText(at(meta, 'title'));
  if (title) card.title = title;
  if (channel) card.channel = channel;
  if (viewsText) card.viewsText = viewsText;
  if (publishedText) card.publishedText = publishedText;
  return card;
}

/**
 * Every renderer kind that shows one video, and how to read it. Containers (shelves,
 * `richItemRenderer`, `itemSectionRenderer`, `compactAutoplayRenderer`, `watchNextEndScreenRenderer`,
 * `reelShelfRenderer`, `horizontalListRenderer` …) need no entry: the walk goes through them.
 */
export const VIDEO_RENDERERS: Readonly<Record<string, (r: unknown) => VideoCard | undefined>> = {
  videoRenderer: classicCard,
  gridVideoRenderer: classicCard,
  compactVideoRenderer: classicCard,
  endScreenVideoRenderer: classicCard,
  playlistVideoRenderer: classicCard,
  playlistPanelVideoRenderer: classicCard,
  videoWithContextRenderer: classicCard,
  channelVideoPlayerRenderer: classicCard,
  movieRenderer: classicCard,
  reelItemRenderer: reelCard,
  shortsLockupViewModel: shortsLockupCard,
  lockupViewModel: lockupCard,
};

/**
 * One walk over the whole `ytInitialData` tree (bounded), collecting every video card of any
 * known renderer kind in document order, and counting candidate nodes (objects with a `videoId`
 * or a lockup) for the "layout changed" diagnosis.
 */
export function findVideoCards(
  root: unknown,
  maxNodes = 400_000,
): { cards: VideoCard[]; candidates: number; kinds: Record<string, number> } {
  const cards: VideoCard[] = [];
  const kinds: Record<string, number> = {};
  let candidates = 0;
  const stack: unknown[] = [root];
  let seen = 0;
  while (stack.length && seen++ < maxNodes) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
      continue;
    }
    if (!node || typeof node !== 'object') continue;
    const rec = node as Record<string, unknown>;
    if (typeof rec.videoId === 'string' || typeof rec.contentId === 'string') candidates++;
    for (const [key, read] of Object.entries(VIDEO_RENDERERS)) {
      const r = rec[key];
      if (!r || typeof r !== 'object') continue;
      const card = read(r);
      if (card) {
        cards.push(card);
        kinds[key] = (kinds[key] ?? 0) + 1;
      }
    }
    const vals = Object.values(rec);
    for (let i = vals.length - 1; i >= 0; i--) if (vals[i] && typeof vals[i] === 'object') stack.push(vals[i]);
  }
  return { cards, candidates, kinds };
}

export function parseYoutube(body: string, finalUrl: string, linkBase: string, now: Date): ParseResult {
  if (/^https?:\/\/consent\./.test(finalUrl) || (/consent\.youtube\.com/.test(body) && !YT_MARKER.test(body))) {
    return {
      items: [],
      walled: true,
      wall: { kind: 'consent', hint: 'YouTube showed its cookie-consent page; the YouTube Data API needs no consent' },
      notes: ['consent wall (cookie consent page instead of the list)'],
    };
  }
  const data = extractJsonAfter(body, YT_MARKER);
  if (!data) {
    const ids = new Set(body.match(/\/watch\?v=[\w-]{11}|"videoId":"[\w-]{11}"/g) ?? []);
    return { items: [], missing: 'ytInitialData', candidates: ids.size };
  }
  const { cards, candidates } = findVideoCards(data);
  const items: ItemCandidate[] = [];
  const seen = new Set<string>();
  for (const card of cards) {
    if (seen.has(card.id) || !card.title) continue;
    seen.add(card.id);
    const c: ItemCandidate = {
      url: card.short ? `${linkBase}/shorts/${card.id}` : `${linkBase}/watch?v=${card.id}`,
      title: card.title,
      summary: card.summary ?? '',
      popularity: { rank: items.length + 1 },
      tags: [card.channel, card.short ? 'Shorts' : undefined].filter((t): t is string => !!t),
    };
    const views = parseCount(card.viewsText);
    if (views !== undefined) c.popularity = { ...c.popularity, views };
    const thumb = largestImage(card.thumbnails);
    if (thumb) c.thumbnail = thumb.url;
    const published = parseDateText(card.publishedText, now);
    if (published) c.publishedAt = published;
    items.push(c);
  }
  return { items, candidates };
}
