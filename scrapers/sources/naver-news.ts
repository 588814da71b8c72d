/**
 * 네이버 뉴스 section pages (news.naver.com/section/<sid>). Server-rendered: each headline is an
 * `li.sa_item` (`._SECTION_HEADLINE` in the headline clusters, `._LAZY_LOADING_WRAP` in the latest
 * list) holding `div.sa_item_inner > div.sa_item_flex` with `div.sa_thumb > div.sa_thumb_inner >
 * a.sa_thumb_link > img[data-src]` and `div.sa_text > a.sa_text_title > strong.sa_text_strong`,
 * `div.sa_text_lede`, `div.sa_text_info_left > div.sa_text_press` + `div.sa_text_datetime > b`
 * ("1시간전") and `a.sa_text_cmt` (comments). Thumbnails ask pstatic for the 647-px rendition.
 */
import type { Category } from '../../core/domain.js';
import { parseDateText } from '../dates.js';
import { parseCount } from '../parse-util.js';
import type { ItemCandidate, PluginOptions, SourcePlugin } from '../types.js';
import { baseUrlOf, clean, html, imgSrc } from './common.js';

export const NAVER_SECTIONS: Readonly<Record<string, { name: string; category: Category }>> = {
  '100': { name: '정치', category: 'news' },
  '101': { name: '경제', category: 'finance' },
  '102': { name: '사회', category: 'news' },
  '103': { name: '생활/문화', category: 'lifestyle' },
  '104': { name: '세계', category: 'news' },
  '105': { name: 'IT/과학', category: 'tech' },
};

export interface NaverNewsOptions extends PluginOptions {
  /** Section ids (default: all six). */
  sections?: string[];
}

export function naverNews(options: NaverNewsOptions = {}): SourcePlugin {
  const baseUrl = baseUrlOf(options, 'https://news.naver.com');
  const sections = options.sections?.length ? options.sections : Object.keys(NAVER_SECTIONS);
  const categoryMap = Object.fromEntries(Object.entries(NAVER_SECTIONS).map(([k, v]) => [k, v.category]));
  return {
    id: 'naver-news',
    displayName: '네이버 뉴스',
    mode: 'http',
    defaultCategory: 'news',
    categoryMap,
    defaultLang: 'ko',
    baseUrl,
    linkBaseUrl: 'https://news.naver.com',
    politeness: { delayMs: 1500, perDomain: 1, ...options.politeness },
    ...(options.intervalMinutes !== undefined && { intervalMinutes: options.intervalMinutes }),
    trackingParams: ['sid'],
    listPages: () => sections.map((sid) => ({ url: `${baseUrl}/section/${sid}`, section: sid, lang: 'ko' as const })),
    parse(page, ctx) {
      const $ = html(page.body);
      const items: ItemCandidate[] = [];
      $('li.sa_item').each((i, el) => {
        const li = $(el);
        const a = li.find('a.sa_text_title').first();
        const title = clean(a.find('.sa_text_strong').text() || a.text());
        const url = a.attr('href');
        if (!title || !url) return;
        const press = clean(li.find('.sa_text_press').first().text());
        const time = clean(li.find('.sa_text_datetime').first().text());
        const img = li.find('a.sa_thumb_link img, .sa_thumb img').first();
        const comments = parseCount(li.find('.sa_text_cmt').first().text());
        const c: ItemCandidate = {
          url,
          title,
          summary: clean(li.find('.sa_text_lede').first().text()),
          popularity: { rank: i + 1, ...(comments !== undefined && { comments }) },
          tags: [press, NAVER_SECTIONS[ctx.page.section ?? '']?.name ?? ''].filter(Boolean),
        };
        const thumb = img.length ? imgSrc(img) : undefined;
        if (thumb) c.thumbnail = largestPstatic(thumb);
        const published = parseDateText(time, ctx.fetchedAt, { assumeKst: true });
        if (published) c.publishedAt = published;
        items.push(c);
      });
      const candidates = $('a[href*="/article/"]').length;
      return { items, candidates };
    },
  };
}

/** Naver's image CDN serves a size per `type` (`nf106_72` in lists): ask for the large one. */
export function largestPstatic(url: string): string {
  try {
    const u = new URL(url);
    if (!/(^|\.)pstatic\.net$/.test(u.hostname) || !u.searchParams.has('type')) return url;
    u.searchParams.set('type', 'w647');
    return u.toString();
  } catch {
    return url;
  }
}
