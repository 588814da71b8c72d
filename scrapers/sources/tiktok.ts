/**
 * TikTok public profiles (`/@<account>`) and hashtag pages (`/tag/<name>`). The rendered page has
 * post cards `[data-e2e="user-post-item"]` / `[data-e2e="challenge-item"]` (a link to
 * `/@user/video/<id>`, the cover `img[alt]` with the caption, `strong[data-e2e="video-views"]`); the
 * HTML also embeds `<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">` JSON that may hold `itemList`
 * / `itemStruct` objects (read as a fallback). TikTok often answers logged-out automation with a
 * captcha or a login modal: the plugin then reports "walled" with a health note and returns nothing.
 */
import type { Category } from '../../core/domain.js';
import { at, findKey, num, parseCount, str } from '../parse-util.js';
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

export function parseTiktok(body: string, baseUrl: string, section: string): ParseResult {
  const $ = html(body);
  const items: ItemCandidate[] = [];
  const seen = new Set<string>();
  $('[data-e2e="user-post-item"], [data-e2e="challenge-item"]').each((_, el) => {
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
  if (items.length === 0) {
    // fallback: item structs in the embedded rehydration JSON
    const raw = $('script#__UNIVERSAL_DATA_FOR_REHYDRATION__').text() || $('script#SIGI_STATE').text();
    let data: unknown;
    try {
      data = raw ? JSON.parse(raw) : undefined;
    } catch {
      data = undefined;
    }
    const structs: unknown[] = [];
    for (const list of findKey(data, 'itemList')) if (Array.isArray(list)) structs.push(...list);
    for (const s of findKey(data, 'itemStruct')) structs.push(s);
    for (const s of structs) {
      const id = str(at(s, 'id'));
      const author = str(at(s, 'author', 'uniqueId')) ?? str(at(s, 'author'));
      if (!id || !author || seen.has(id)) continue;
      seen.add(id);
      const desc = clean(str(at(s, 'desc')));
      const created = num(at(s, 'createTime'));
      const c: ItemCandidate = {
        url: `${baseUrl}/@${author}/video/${id}`,
        title: desc.slice(0, 140) || `@${author} on TikTok`,
        summary: desc.slice(140, 600),
        popularity: {
          rank: items.length + 1,
          ...(num(at(s, 'stats', 'playCount')) !== undefined && { views: num(at(s, 'stats', 'playCount'))! }),
          ...(num(at(s, 'stats', 'diggCount')) !== undefined && { likes: num(at(s, 'stats', 'diggCount'))! }),
          ...(num(at(s, 'stats', 'commentCount')) !== undefined && { comments: num(at(s, 'stats', 'commentCount'))! }),
        },
        tags: [`@${author}`, ...(desc.match(/#[\p{L}\p{N}_]+/gu) ?? [])],
      };
      if (created) c.publishedAt = new Date(created * 1000).toISOString();
      const cover = str(at(s, 'video', 'cover')) ?? str(at(s, 'video', 'originCover'));
      if (cover) c.thumbnail = cover;
      items.push(c);
    }
  }
  if (items.length) return { items };
  const captcha = $('#captcha-verify-container, .captcha_verify_container, [class*="captcha"]').length > 0;
  const login =
    $('[data-e2e="login-modal"], #loginContainer').length > 0 || /Log in to TikTok|로그인/i.test($('title').text());
  if (captcha || login) {
    return {
      items: [],
      walled: true,
      notes: [
        `${captcha ? 'captcha' : 'login wall'} for ${section}: TikTok shows posts only to browsers it trusts; nothing read`,
      ],
    };
  }
  return { items };
}
