/**
 * Instagram public profiles (`/<account>/`) and posts (`/p/<code>/`, `/reel/<code>/`). Logged out,
 * Instagram shows at most a first grid of posts, or only a login wall. The posts are read, in order:
 *
 * 1. the rendered grid (`a[href*="/p/"]`, `a[href*="/reel/"]`, caption in the image `alt`);
 * 2. embedded JSON: `window._sharedData` (`entry_data.ProfilePage[0].graphql.user
 *    .edge_owner_to_timeline_media.edges[].node`, `entry_data.PostPage[0].graphql.shortcode_media`),
 *    `window.__additionalDataLoaded(…)`, `application/json` script blobs of the newer pages
 *    (`xdt_api__v1__media__shortcode__web_info.items[]`, `…user_timeline_graphql_connection.edges[]`)
 *    and JSON-LD (`ImageObject`, `VideoObject`, `SocialMediaPosting`);
 * 3. nothing readable and a login page (`LandingPage` in `_sharedData`, a redirect to
 *    `/accounts/login`, a login form): a **login wall** in source health, with a hint, and the
 *    profile card from og: tags when the page has them. Never an empty success.
 *
 * It never logs in (Instagram's terms forbid automated collection with an account). See docs/SCRAPERS.md.
 */
import { jsonLdObjects, parseDateText } from '../dates.js';
import {
  at,
  extractJsonAfter,
  findKey,
  largestImage,
  num,
  parseCount,
  str,
  type ImageCandidate,
} from '../parse-util.js';
import type { ItemCandidate, ParseResult, PluginOptions, SourcePlugin } from '../types.js';
import { baseUrlOf, clean, html } from './common.js';
import type { Category } from '../../core/domain.js';

export interface InstagramOptions extends PluginOptions {
  /** Accounts (`natgeo`) or single posts (`p/B0EpBCrAAsx`, `reel/C1a2B3c4D5e`). */
  accounts?: string[];
  category?: Category;
}

export const INSTAGRAM_WALL_HINT =
  'Instagram shows posts only to logged-in users: follow the account through an RSS bridge ' +
  '(e.g. a self-hosted RSSHub /instagram/user/<name> with your own session) or the Instagram Graph API ' +
  'for an account you manage, and add it as rss:<url>';

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
    listPages: () =>
      accounts.map((a) => ({ url: `${baseUrl}/${a.replace(/\/+$/, '')}/`, section: a.replace(/^(p|reel)\//, '') })),
    parse(page, ctx) {
      return parseInstagram(page.body, page.finalUrl, ctx.page.section ?? '', ctx.fetchedAt);
    },
  };
}

/** One post, from whichever JSON shape carried it. */
function postFromNode(n: unknown, account: string): ItemCandidate | undefined {
  // graphql (`_sharedData`, `__additionalDataLoaded`): shortcode, display_resources, edge_media_to_caption …
  // xdt (2023– `application/json` blobs): code, caption.text, image_versions2.candidates, taken_at …
  const code = str(at(n, 'shortcode')) ?? str(at(n, 'code'));
  if (!code) return undefined;
  const caption = clean(
    str(at(n, 'edge_media_to_caption', 'edges', 0, 'node', 'text')) ?? str(at(n, 'caption', 'text')) ?? '',
  );
  const alt = clean(str(at(n, 'accessibility_caption')) ?? '');
  const owner = str(at(n, 'owner', 'username')) ?? str(at(n, 'user', 'username')) ?? account;
  const reel = str(at(n, 'product_type')) === 'clips';
  const firstLine = caption.split(/\n/)[0] ?? '';
  const c: ItemCandidate = {
    url: `https://www.instagram.com/${reel ? 'reel' : 'p'}/${code}/`,
    title: (firstLine || alt).slice(0, 140) || `@${owner} on Instagram`,
    summary: caption
      .slice(firstLine.length > 140 ? 140 : firstLine.length)
      .trim()
      .slice(0, 600),
    popularity: {},
    tags: [owner ? `@${owner}` : '', ...(caption.match(/#[\p{L}\p{N}_]+/gu) ?? [])].filter(Boolean),
  };
  const likes =
    num(at(n, 'edge_media_preview_like', 'count')) ?? num(at(n, 'edge_liked_by', 'count')) ?? num(at(n, 'like_count'));
  const comments =
    num(at(n, 'edge_media_to_parent_comment', 'count')) ??
    num(at(n, 'edge_media_to_comment', 'count')) ??
    num(at(n, 'edge_media_preview_comment', 'count')) ??
    num(at(n, 'comment_count'));
  const views = num(at(n, 'video_view_count')) ?? num(at(n, 'play_count')) ?? num(at(n, 'view_count'));
  c.popularity = {
    ...(likes !== undefined && { likes }),
    ...(comments !== undefined && { comments }),
    ...(views !== undefined && { views }),
  };
  const images: ImageCandidate[] = [];
  for (const list of [at(n, 'display_resources'), at(n, 'thumbnail_resources'), at(n, 'image_versions2', 'candidates')])
    for (const r of Array.isArray(list) ? list : []) {
      const url = str(at(r, 'src')) ?? str(at(r, 'url'));
      if (!url) continue;
      const w = num(at(r, 'config_width')) ?? num(at(r, 'width'));
      const h = num(at(r, 'config_height')) ?? num(at(r, 'height'));
      images.push({ url, ...(w && { width: w }), ...(h && { height: h }) });
    }
  const display = str(at(n, 'display_url')) ?? str(at(n, 'thumbnail_src'));
  const dw = num(at(n, 'dimensions', 'width'));
  const dh = num(at(n, 'dimensions', 'height'));
  if (display) images.push({ url: display, ...(dw && { width: dw }), ...(dh && { height: dh }) });
  const img = largestImage(images);
  if (img) c.thumbnail = img.url;
  const taken = parseDateText(num(at(n, 'taken_at_timestamp')) ?? num(at(n, 'taken_at')), new Date());
  if (taken) c.publishedAt = taken;
  return c;
}

/** Media nodes in every embedded JSON shape the page carries. */
function embeddedPosts(
  body: string,
  $: ReturnType<typeof html>,
  account: string,
): { posts: ItemCandidate[]; landing: boolean } {
  const roots: unknown[] = [];
  const shared = extractJsonAfter(body, /window\._sharedData\s*=\s*/);
  if (shared) roots.push(shared);
  for (const m of body.matchAll(/window\.__additionalDataLoaded\(\s*['"][^'"]*['"]\s*,\s*/g)) {
    const d = extractJsonAfter(body.slice(m.index), /window\.__additionalDataLoaded\(\s*['"][^'"]*['"]\s*,\s*/);
    if (d) roots.push(d);
  }
  $('script[type="application/json"]').each((_, el) => {
    const t = $(el).text();
    if (!/shortcode|xdt_api|"code":/.test(t)) return;
    try {
      roots.push(JSON.parse(t));
    } catch {
      // not JSON after all
    }
  });
  const nodes: unknown[] = [];
  for (const root of roots) {
    for (const m of findKey(root, 'shortcode_media')) nodes.push(m);
    for (const conn of findKey(root, 'edge_owner_to_timeline_media'))
      for (const e of (at(conn, 'edges') as unknown[] | undefined) ?? []) nodes.push(at(e, 'node'));
    for (const info of findKey(root, 'xdt_api__v1__media__shortcode__web_info'))
      for (const it of (at(info, 'items') as unknown[] | undefined) ?? []) nodes.push(it);
    for (const conn of findKey(root, 'xdt_api__v1__feed__user_timeline_graphql_connection'))
      for (const e of (at(conn, 'edges') as unknown[] | undefined) ?? []) nodes.push(at(e, 'node'));
  }
  const posts: ItemCandidate[] = [];
  for (const n of nodes) {
    const p = postFromNode(n, account);
    if (p) posts.push(p);
  }
  // JSON-LD of a post page: a media object with a caption and an upload date
  for (const o of jsonLdObjects($)) {
    const type = String(o['@type'] ?? '');
    if (!/ImageObject|VideoObject|SocialMediaPosting/.test(type)) continue;
    const url = str(o.url) ?? str(o.mainEntityOfPage as unknown) ?? str(at(o, 'mainEntityOfPage', '@id'));
    const code = url ? /\/(?:p|reel)\/([\w-]+)/.exec(url)?.[1] : undefined;
    if (!code) continue;
    const caption = clean(str(o.caption) ?? str(o.articleBody) ?? str(o.description) ?? '');
    const c: ItemCandidate = {
      url: `https://www.instagram.com/p/${code}/`,
      title: caption.slice(0, 140) || `@${account} on Instagram`,
      summary: caption.slice(140, 600),
      popularity: {},
      tags: [account ? `@${account}` : '', ...(caption.match(/#[\p{L}\p{N}_]+/gu) ?? [])].filter(Boolean),
    };
    const image = str(o.contentUrl) ?? str(o.thumbnailUrl) ?? str(at(o, 'image', 'url')) ?? str(o.image);
    if (image) c.thumbnail = image;
    const date = parseDateText(str(o.uploadDate) ?? str(o.dateCreated) ?? str(o.datePublished), new Date());
    if (date) c.publishedAt = date;
    posts.push(c);
  }
  const landing =
    !!shared &&
    (at(shared, 'entry_data', 'LandingPage') !== undefined ||
      at(shared, 'entry_data', 'LoginAndSignupPage') !== undefined);
  return { posts, landing };
}

export function parseInstagram(body: string, finalUrl: string, account: string, now: Date = new Date()): ParseResult {
  void now;
  const $ = html(body);
  const items: ItemCandidate[] = [];
  const seen = new Set<string>();
  const codeOf = (href: string) => /\/(?:p|reel)\/([\w-]+)/.exec(href)?.[1] ?? href;
  const anchors = $('a[href*="/p/"], a[href*="/reel/"]');
  anchors.each((_, el) => {
    const a = $(el);
    const href = a.attr('href');
    const img = a.find('img').first();
    if (!href || seen.has(codeOf(href))) return;
    const alt = clean(img.attr('alt'));
    const caption = alt
      .replace(/^(?:Photo|Video|Reel) (?:by|shared by) .+? on [A-Z][a-z]+ \d{1,2}, \d{4}\.?\s*/u, '')
      .replace(/^May be an image of .*$/u, '');
    seen.add(codeOf(href));
    const c: ItemCandidate = {
      url: href,
      title: clean(caption).slice(0, 140) || `@${account} on Instagram`,
      summary: clean(caption).slice(140, 600),
      popularity: { rank: items.length + 1 },
      tags: [`@${account}`, ...(caption.match(/#[\p{L}\p{N}_]+/gu) ?? [])],
    };
    const srcset = img.attr('srcset');
    const fromSet = srcset
      ? largestImage(
          srcset.split(',').map((part) => {
            const [url = '', w] = part.trim().split(/\s+/);
            const width = num(w?.replace(/w$/, ''));
            return { url, ...(width && { width }) };
          }),
        )?.url
      : undefined;
    const src = fromSet ?? img.attr('src');
    if (src) c.thumbnail = src;
    items.push(c);
  });
  const embedded = embeddedPosts(body, $, account);
  for (const p of embedded.posts) {
    const code = codeOf(p.url);
    if (seen.has(code)) {
      // the grid had it: keep the grid's order, take the JSON's date, counts and larger image
      const existing = items.find((i) => codeOf(i.url) === code);
      if (existing) Object.assign(existing, { ...p, popularity: { ...p.popularity, ...existing.popularity } });
      continue;
    }
    seen.add(code);
    items.push({ ...p, popularity: { ...p.popularity, rank: items.length + 1 } });
  }
  const loginForm = $('input[name="username"], form#loginForm, form[action*="login"]').length > 0;
  const walled = /\/accounts\/login/.test(finalUrl) || embedded.landing || (items.length === 0 && loginForm);
  const candidates = anchors.length + embedded.posts.length;
  if (items.length > 0)
    return { items, candidates, ...(loginForm && { notes: ['login prompt shown; first grid only'] }) };
  if (!walled) {
    if (/Sorry, this page isn't available|페이지를 사용할 수 없습니다/.test(body))
      return {
        items,
        candidates,
        notes: [`@${account}: Instagram says this page is not available (renamed or removed?)`],
      };
    return { items, candidates };
  }
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
    candidates,
    walled: true,
    wall: { kind: 'login', hint: INSTAGRAM_WALL_HINT },
    notes: [
      `login wall for @${account}: posts need a login; ${items.length ? 'profile card only' : 'nothing readable'}`,
    ],
  };
}
