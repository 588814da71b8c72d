/**
 * TikTok public profiles (`/@<account>`) and hashtag pages (`/tag/<name>`). The rendered page has
 * post cards `[data-e2e="user-post-item"]` / `[data-e2e="challenge-item"]` (a link to
 * `/@user/video/<id>`, the cover `img[alt]` with the caption, `strong[data-e2e="video-views"]`); the
 * HTML also embeds rehydration JSON — `<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">`
 * (`__DEFAULT_SCOPE__["webapp.user-detail" | "webapp.video-detail"]`, `itemList`, `itemStruct`) or
 * the older `SIGI_STATE` (`ItemModule` keyed by video id) — read as well. TikTok often answers
 * logged-out automation with a captcha, a login modal, or a profile without its post list: the
 * plugin then reports the wall ("blocked" / "login wall") with a hint in source health, never an
 * empty success.
 */
import type { Category } from '../../core/domain.js';
import { parseDateText } from '../dates.js';
import { at, findKey, largestImage, num, parseCount, str } from '../parse-util.js';
import type { ItemCandidate, ParseResult, PluginOptions, SourcePlugin } from '../types.js';
import { baseUrlOf, clean, html } from './common.js';

export interface TiktokOptions extends PluginOptions {
  accounts?: string[];
  tags?: string[];
  category?: Category;
}

export function tiktok(options: TiktokOptions = {}): SourcePlugin {
  const baseUrl = baseUrlOf(options, 'https://www.tiktok.com');
  const accounts = (options.accounts ?? []).map((a) => a.replace(/^@/, ''));
  const tags = (options.tags ?? []).map((t) => t.replace(/^#/, ''));
  return {
    id: 'tiktok',
    displayName: 'TikTok',
    mode: 'browser',
    defaultCategory: options.category ?? 'entertainment',
    defaultLang: 'en',
    baseUrl,
    linkBaseUrl: 'https://www.tiktok.com',
    politeness: { delayMs: 5000, perDomain: 1, ...options.politeness },
    intervalMinutes: options.intervalMinutes ?? 360,
    waitFor:
      '[data-e2e="user-post-item"], [data-e2e="challenge-item"], #captcha-verify-container, [data-e2e="login-modal"]',
    trackingParams: ['is_from_webapp', 'sender_device', 'lang'],
    listPages: () => [
      ...accounts.map((a) => ({ url: `${baseUrl}/@${a}`, section: `@${a}` })),
      ...tags.map((t) => ({ url: `${baseUrl}/tag/${encodeURIComponent(t)}`, section: `#${t}` })),
    ],
    parse: (page, ctx) => parseTiktok(page.body, 'https://www.tiktok.com', ctx.page.section ?? ''),
  };
}

export const TIKTOK_WALL_HINT =
  'TikTok does not show post lists to logged-out automated browsers: follow the account through an RSS bridge ' +
  '(e.g. a self-hosted RSSHub /tiktok/user/<name>) or the TikTok Display/Research API, and add it as rss:<url>';

/** One video from an `itemStruct`, an `itemList` entry or a SIGI_STATE `ItemModule` value. */
function videoFromStruct(s: unknown, baseUrl: string, section: string): (ItemCandidate & { id: string }) | undefined {
  const id = str(at(s, 'id'));
  const author = str(at(s, 'author', 'uniqueId')) ?? str(at(s, 'author'));
  if (!id || !author) return undefined;
  const desc = clean(str(at(s, 'desc')));
  const stat = (k: string) => num(at(s, 'stats', k)) ?? num(at(s, 'statsV2', k));
  const views = stat('playCount');
  const likes = stat('diggCount');
  const comments = stat('commentCount');
  const c: ItemCandidate & { id: string } = {
    id,
    url: `${baseUrl}/@${author}/video/${id}`,
    title: desc.slice(0, 140) || `@${author} on TikTok`,
    summary: desc.slice(140, 600),
    popularity: {
      ...(views !== undefined && { views }),
      ...(likes !== undefined && { likes }),
      ...(comments !== undefined && { comments }),
    },
    tags: [...new Set([`@${author}`, ...(desc.match(/#[\p{L}\p{N}_]+/gu) ?? []), section].filter(Boolean))],
  };
  const created = parseDateText(num(at(s, 'createTime')), new Date());
  if (created) c.publishedAt = created;
  const w = num(at(s, 'video', 'width'));
  const h = num(at(s, 'video', 'height'));
  const cover = largestImage([
    ...['cover', 'originCover', 'dynamicCover'].map((k) => {
      const url = str(at(s, 'video', k));
      return url ? { url, ...(w && { width: w }), ...(h && { height: h }) } : undefined;
    }),
  ]);
  const best = str(at(s, 'video', 'originCover')) ?? cover?.url;
  if (best) c.thumbnail = best;
  return c;
}

/** The rehydration JSON: `__UNIVERSAL_DATA_FOR_REHYDRATION__` (2023–) or `SIGI_STATE` (2021–23). */
function rehydration($: ReturnType<typeof html>): unknown {
  const raw =
    $('script#__UNIVERSAL_DATA_FOR_REHYDRATION__').text() ||
    $('script#SIGI_STATE').text() ||
    $('script#sigi-persisted-data').text();
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export function parseTiktok(body: string, baseUrl: string, section: string): ParseResult {
  const $ = html(body);
  const items: ItemCandidate[] = [];
  const seen = new Set<string>();
  const cards = $('[data-e2e="user-post-item"], [data-e2e="challenge-item"], [data-e2e="search_top-item"]');
  cards.each((_, el) => {
    const card = $(el);
    const href = card.find('a[href*="/video/"]').first().attr('href');
    const id = href ? /\/video\/(\d+)/.exec(href)?.[1] : undefined;
    if (!href || !id || seen.has(id)) return;
    seen.add(id);
    const img = card.find('img').first();
    const caption = clean(
      img.attr('alt') ?? card.find('[data-e2e="user-post-item-desc"], [data-e2e="challenge-item-desc"]').text(),
    );
    const views = parseCount(card.find('[data-e2e="video-views"]').first().text());
    const c: ItemCandidate = {
      url: href,
      title: caption.slice(0, 140) || `TikTok ${section}`,
      summary: caption.slice(140, 600),
      popularity: { rank: items.length + 1, ...(views !== undefined && { views }) },
      tags: [section, ...(caption.match(/#[\p{L}\p{N}_]+/gu) ?? [])].filter(Boolean),
    };
    const src = img.attr('src');
    if (src) c.thumbnail = src;
    items.push(c);
  });
  const data = rehydration($);
  const structs: unknown[] = [];
  for (const list of findKey(data, 'itemList')) if (Array.isArray(list)) structs.push(...list);
  for (const s of findKey(data, 'itemStruct')) structs.push(s);
  // SIGI_STATE keeps videos in a map keyed by id
  for (const mod of findKey(data, 'ItemModule'))
    if (mod && typeof mod === 'object') structs.push(...Object.values(mod as Record<string, unknown>));
  for (const s of structs) {
    const v = videoFromStruct(s, baseUrl, section);
    if (!v || seen.has(v.id)) continue;
    seen.add(v.id);
    const { id: _id, ...c } = v;
    items.push({ ...c, popularity: { rank: items.length + 1, ...c.popularity } });
  }
  const candidates = cards.length + structs.length + $('a[href*="/video/"]').length;
  if (items.length) return { items, candidates };
  const captcha = $('#captcha-verify-container, .captcha_verify_container, [class*="captcha"]').length > 0;
  const login =
    $('[data-e2e="login-modal"], #loginContainer').length > 0 || /Log in to TikTok|로그인/i.test($('title').text());
  const user = [...findKey(data, 'webapp.user-detail')][0];
  const status = num(at(user, 'statusCode'));
  if (status !== undefined && status !== 0 && !captcha)
    return {
      items,
      candidates,
      notes: [`${section}: TikTok says this account does not exist or is private (status ${status})`],
    };
  if (captcha || login) {
    return {
      items: [],
      candidates,
      walled: true,
      wall: { kind: captcha ? 'blocked' : 'login', hint: TIKTOK_WALL_HINT },
      notes: [
        `${captcha ? 'captcha' : 'login wall'} for ${section}: TikTok shows posts only to browsers it trusts; nothing read`,
      ],
    };
  }
  const userName = str(at(user, 'userInfo', 'user', 'uniqueId'));
  if (userName) {
    // the profile rendered, its post list did not: TikTok loads it by signed XHR it refuses to automation
    const videos =
      num(at(user, 'userInfo', 'stats', 'videoCount')) ?? num(at(user, 'userInfo', 'statsV2', 'videoCount'));
    return {
      items: [],
      candidates,
      walled: true,
      wall: { kind: 'blocked', hint: TIKTOK_WALL_HINT },
      notes: [
        `blocked for ${section}: TikTok served the profile of @${userName}${videos !== undefined ? ` (${videos} videos)` : ''} but not its post list`,
      ],
    };
  }
  return { items, candidates };
}
