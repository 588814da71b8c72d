/**
 * Instagram public profiles (`/<account>/`). Logged out, Instagram shows at most a first grid of
 * posts (`a[href*="/p/"]`, `a[href*="/reel/"]` with the caption in the image `alt`) and often a login
 * wall instead (a redirect to `/accounts/login/` or a login form). When walled, this plugin degrades
 * to the profile card from the page's og: tags and reports "login wall" in the source health; it
 * never logs in (Instagram's terms forbid automated collection with an account). See docs/SCRAPERS.md.
 */
import { parseCount } from '../parse-util.js';
import type { ItemCandidate, ParseResult, PluginOptions, SourcePlugin } from '../types.js';
import { baseUrlOf, clean, html } from './common.js';
import type { Category } from '../../core/domain.js';

export interface InstagramOptions extends PluginOptions {
  accounts?: string[];
  category?: Category;
}

export function instagram(options: InstagramOptions = {}): SourcePlugin {
  const baseUrl = baseUrlOf(options, 'https://www.instagram.com');
  const accounts = (options.accounts ?? []).map((a) => a.replace(/^@/, ''));
  return {
    id: 'instagram',
    displayName: 'Instagram',
    mode: 'browser',
    defaultCategory: options.category ?? 'lifestyle',
    defaultLang: 'en',
    baseUrl,
    linkBaseUrl: 'https://www.instagram.com',
    politeness: { delayMs: 5000, perDomain: 1, ...options.politeness },
    intervalMinutes: options.intervalMinutes ?? 360,
    waitFor: 'a[href*="/p/"], a[href*="/reel/"], input[name="username"], form#loginForm',
    trackingParams: ['img_index', 'igsh', 'igshid'],
    listPages: () => accounts.map((a) => ({ url: `${baseUrl}/${a}/`, section: a })),
    parse(page, ctx) {
      return parseInstagram(page.body, page.finalUrl, ctx.page.section ?? '');
    },
  };
}

export function parseInstagram(body: string, finalUrl: string, account: string): ParseResult {
  const $ = html(body);
  const items: ItemCandidate[] = [];
  const seen = new Set<string>();
  $('a[href*="/p/"], a[href*="/reel/"]').each((_, el) => {
    const a = $(el);
    const href = a.attr('href');
    const img = a.find('img').first();
    if (!href || seen.has(href)) return;
    const alt = clean(img.attr('alt'));
    const caption = alt
      .replace(/^(?:Photo|Video|Reel) (?:by|shared by) .+? on [A-Z][a-z]+ \d{1,2}, \d{4}\.?\s*/u, '')
      .replace(/^May be an image of .*$/u, '');
    seen.add(href);
    const c: ItemCandidate = {
      url: href,
      title: clean(caption).slice(0, 140) || `@${account} on Instagram`,
      summary: clean(caption).slice(140, 600),
      popularity: { rank: items.length + 1 },
      tags: [`@${account}`, ...(caption.match(/#[\p{L}\p{N}_]+/gu) ?? [])],
    };
    const src = img.attr('src');
    if (src) c.thumbnail = src;
    items.push(c);
  });
  const loginForm = $('input[name="username"], form#loginForm, form[action*="login"]').length > 0;
  const walled = /\/accounts\/login/.test(finalUrl) || (items.length === 0 && loginForm);
  if (items.length > 0) return { items, ...(loginForm && { notes: ['login prompt shown; first grid only'] }) };
  if (!walled) return { items };
  // degrade: the profile card from og: tags, when the page has them
  const ogTitle = clean($('meta[property="og:title"]').attr('content'));
  const ogDesc = clean($('meta[property="og:description"]').attr('content'));
  const ogImage = $('meta[property="og:image"]').attr('content');
  const ogUrl = $('meta[property="og:url"]').attr('content');
  if (ogTitle && ogUrl) {
    const followers = parseCount(/([\d.,]+[KMB]?)\s+Followers/i.exec(ogDesc)?.[1]);
    const c: ItemCandidate = {
      url: ogUrl,
      title: ogTitle,
      summary: ogDesc,
      popularity: followers !== undefined ? { likes: followers } : {},
      tags: [`@${account}`],
    };
    if (ogImage) c.thumbnail = ogImage;
    items.push(c);
  }
  return {
    items,
    walled: true,
    notes: [
      `login wall for @${account}: posts need a login; ${items.length ? 'profile card only' : 'nothing readable'}`,
    ],
  };
}
