/**
 * YouTube list pages (trending, search results, a channel's videos tab). The page HTML embeds the
 * whole list as `var ytInitialData = {...};`; we parse that JSON (as the site's own JS does) and
 * collect every `videoRenderer` / `gridVideoRenderer` and the newer `lockupViewModel` video cards.
 */
import type { Category } from '../../core/domain.js';
import { at, extractJsonAfter, findKey, parseCount, parseRelativeTime, str, ytText } from '../parse-util.js';
import type { ItemCandidate, ParseResult, PluginOptions, SourcePlugin } from '../types.js';
import { baseUrlOf } from './common.js';

export interface YoutubeOptions extends PluginOptions {
  /** Trending page (YouTube retired it in 2025 for most regions; kept for mirrors that still have it). */
  trending?: boolean;
  searches?: string[];
  /** Channel handles (`@name`) or ids (`UC…`). */
  channels?: string[];
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
  const trending = options.trending ?? (searches.length === 0 && channels.length === 0);
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

export function parseYoutube(body: string, finalUrl: string, linkBase: string, now: Date): ParseResult {
  if (/^https?:\/\/consent\./.test(finalUrl) || (/consent\.youtube\.com/.test(body) && !YT_MARKER.test(body))) {
    return { items: [], walled: true, notes: ['consent wall (cookie consent page instead of the list)'] };
  }
  const data = extractJsonAfter(body, YT_MARKER);
  if (!data) throw new Error('ytInitialData not found in the page (layout changed?)');
  const items: ItemCandidate[] = [];
  const seen = new Set<string>();
  const push = (c: ItemCandidate & { id: string }) => {
    if (seen.has(c.id)) return;
    seen.add(c.id);
    const { id: _id, ...rest } = c;
    items.push({ ...rest, popularity: { ...rest.popularity, rank: items.length + 1 } });
  };
  for (const key of ['videoRenderer', 'gridVideoRenderer']) {
    for (const r of findKey(data, key)) {
      const id = str(at(r, 'videoId'));
      const title = ytText(at(r, 'title'));
      if (!id || !title) continue;
      const thumbs = at(r, 'thumbnail', 'thumbnails');
      const thumb = Array.isArray(thumbs) ? str(at(thumbs[thumbs.length - 1], 'url')) : undefined;
      const summary =
        ytText(at(r, 'detailedMetadataSnippets', 0, 'snippetText')) ?? ytText(at(r, 'descriptionSnippet')) ?? '';
      const channel = ytText(at(r, 'ownerText')) ?? ytText(at(r, 'longBylineText')) ?? ytText(at(r, 'shortBylineText'));
      const views = parseCount(ytText(at(r, 'viewCountText')));
      const c: ItemCandidate & { id: string } = {
        id,
        url: `${linkBase}/watch?v=${id}`,
        title,
        summary,
        popularity: views !== undefined ? { views } : {},
        tags: channel ? [channel] : [],
      };
      if (thumb) c.thumbnail = thumb.startsWith('//') ? `https:${thumb}` : thumb;
      const published = parseRelativeTime(ytText(at(r, 'publishedTimeText')), now);
      if (published) c.publishedAt = published;
      push(c);
    }
  }
  for (const r of findKey(data, 'lockupViewModel')) {
    const type = str(at(r, 'contentType'));
    const id = str(at(r, 'contentId'));
    if (!id || (type && type !== 'LOCKUP_CONTENT_TYPE_VIDEO')) continue;
    const meta = at(r, 'metadata', 'lockupMetadataViewModel');
    const title = ytText(at(meta, 'title'));
    if (!title) continue;
    const parts: string[] = [];
    const rows = at(meta, 'metadata', 'contentMetadataViewModel', 'metadataRows');
    if (Array.isArray(rows))
      for (const row of rows)
        for (const p of (at(row, 'metadataParts') as unknown[] | undefined) ?? [])
          parts.push(ytText(at(p, 'text')) ?? '');
    const viewsText = parts.find((p) => /views?|조회수/i.test(p));
    const timeText = parts.find((p) => /ago|전$/.test(p));
    const channel = parts.find((p) => p && p !== viewsText && p !== timeText);
    const src = at(r, 'contentImage', 'thumbnailViewModel', 'image', 'sources');
    const c: ItemCandidate & { id: string } = {
      id,
      url: `${linkBase}/watch?v=${id}`,
      title,
      summary: '',
      popularity: {},
      tags: channel ? [channel] : [],
    };
    const views = parseCount(viewsText);
    if (views !== undefined) c.popularity = { views };
    const thumb = Array.isArray(src) ? str(at(src[src.length - 1], 'url')) : undefined;
    if (thumb) c.thumbnail = thumb;
    const published = parseRelativeTime(timeText, now);
    if (published) c.publishedAt = published;
    push(c);
  }
  return { items };
}
