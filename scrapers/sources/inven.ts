/**
 * 인벤: game news (`/webzine/news/`, the `webzineNewsList` table: `span.title a`, `span.summary`,
 * `span.info` "[게임] 기자 | 2025-11-26 14:03", `span.thumb img`, `span.cmtnum`) and boards
 * (`/board/<game>/<id>`: `div.board-list table.thumbnail tbody tr:not(.notice)` rows with
 * `a.subject-link`, `td.user span.layerNickName`, `span.con-comment`, `td.date` ("14:03" today,
 * "11-26" earlier), `td.view`, `td.reco`).
 */
import { parseDateText } from '../dates.js';
import { parseCount } from '../parse-util.js';
import type { ItemCandidate, PluginOptions, SourcePlugin } from '../types.js';
import { baseUrlOf, clean, html, imgSrc } from './common.js';

export interface InvenOptions extends PluginOptions {
  /** Include the webzine news list (default true). */
  news?: boolean;
  /** Boards as `<game>/<id>`, e.g. `lostark/4811` (default: `webzine/2097`, the hot-issue board). */
  boards?: string[];
}

export function inven(options: InvenOptions = {}): SourcePlugin {
  const baseUrl = baseUrlOf(options, 'https://www.inven.co.kr');
  const boards = options.boards ?? ['webzine/2097'];
  return {
    id: 'inven',
    displayName: '인벤',
    mode: 'http',
    defaultCategory: 'games',
    defaultLang: 'ko',
    baseUrl,
    linkBaseUrl: 'https://www.inven.co.kr',
    politeness: { delayMs: 2000, perDomain: 1, ...options.politeness },
    ...(options.intervalMinutes !== undefined && { intervalMinutes: options.intervalMinutes }),
    trackingParams: ['my', 'sort', 'p', 'iskin', 'vtype'],
    listPages: () => [
      ...(options.news === false
        ? []
        : [{ url: `${baseUrl}/webzine/news/?hotnews=1`, section: 'news', lang: 'ko' as const }]),
      ...boards.map((b) => ({ url: `${baseUrl}/board/${b}`, section: `board:${b}`, lang: 'ko' as const })),
    ],
    parse(page, ctx) {
      const $ = html(page.body);
      const items: ItemCandidate[] = [];
      // webzine news list
      $('.webzineNewsList tr').each((i, el) => {
        const row = $(el);
        const a = row.find('span.title a, .title > a').first();
        const href = a.attr('href');
        const title = clean(a.clone().children('.cmtnum').remove().end().text());
        if (!href || !title) return;
        const info = clean(row.find('span.info').first().text());
        const game = /^\[([^\]]+)\]/.exec(info)?.[1];
        const comments = parseCount(row.find('.cmtnum').first().text());
        const c: ItemCandidate = {
          url: href,
          title,
          summary: clean(row.find('span.summary').first().text()),
          popularity: { rank: i + 1, ...(comments !== undefined && { comments }) },
          tags: [game ?? ''].filter(Boolean),
        };
        const img = row.find('span.thumb img, .thumb img').first();
        const thumb = img.length ? imgSrc(img) : undefined;
        if (thumb) c.thumbnail = thumb;
        const published = parseDateText(info.split('|').pop(), ctx.fetchedAt, { assumeKst: true });
        if (published) c.publishedAt = published;
        items.push(c);
      });
      // boards (a row matching both selectors is read once)
      const seenRows = new Set<unknown>();
      $('.board-list tbody tr, table.thumbnail tbody tr').each((_, el) => {
        const row = $(el);
        if (row.hasClass('notice') || row.find('td.num .notice, td.num img').length) return;
        if (seenRows.has(el)) return;
        seenRows.add(el);
        const a = row.find('a.subject-link').first();
        const href = a.attr('href');
        const cat = clean(a.find('.category').first().text()).replace(/^\[|\]$/g, '');
        const title = clean(a.clone().children('.category').remove().end().text());
        if (!href || !title) return;
        const views = parseCount(row.find('td.view').first().text());
        const likes = parseCount(row.find('td.reco').first().text());
        const comments = parseCount(row.find('.con-comment').first().text());
        const c: ItemCandidate = {
          url: href,
          title,
          summary: '',
          popularity: {
            ...(views !== undefined && { views }),
            ...(likes !== undefined && { likes }),
            ...(comments !== undefined && { comments }),
          },
          tags: [cat].filter(Boolean),
        };
        const published = parseDateText(row.find('td.date').first().text(), ctx.fetchedAt, { assumeKst: true });
        if (published) c.publishedAt = published;
        items.push(c);
      });
      const candidates = $('a[href]').filter(
        (_, a) =>
          /\/board\/[\w-]+\/\d+\/\d+|\/webzine\/news\/\?.*news=\d+/.test($(a).attr('href') ?? '') &&
          !$(a).closest('.notice').length,
      ).length;
      return { items, candidates };
    },
  };
}
