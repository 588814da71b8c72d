/**
 * 클리앙 boards (`/service/board/<board>`). Server-rendered: each post is a
 * `div.list_item.symph_row[data-role="list-row"][data-board-sn][data-comment-count]` (notices have
 * `.notice`; skipped) with `a.list_subject` (href with `?od=…&po=…` listing context),
 * `span.subject_fixed[data-role="list-title-text"][title]`, the board category `span.category.fixed`
 * (older layout: `.category_fixed` / `.shortname`), `a.list_reply span.rSymph05` comment count,
 * `.list_symph span` likes, `.list_hit .hit` views ("3.1 k") and `.list_time .timestamp`
 * ("2025-11-26 14:03:11", KST). Evidence for the current markup: docs/SCRAPERS.md (fixtures).
 */
import type { Category } from '../../core/domain.js';
import { parseDateText } from '../dates.js';
import { parseCount } from '../parse-util.js';
import type { ItemCandidate, PluginOptions, SourcePlugin } from '../types.js';
import { baseUrlOf, clean, html } from './common.js';

export const CLIEN_BOARDS: Readonly<Record<string, { name: string; category: Category }>> = {
  news: { name: '새로운소식', category: 'tech' },
  park: { name: '모두의공원', category: 'lifestyle' },
  lecture: { name: '팁과강좌', category: 'tech' },
  use: { name: '사용기', category: 'tech' },
  jirum: { name: '알뜰구매', category: 'lifestyle' },
  cm_game: { name: '게임하는사람', category: 'games' },
};

export interface ClienOptions extends PluginOptions {
  /** Board ids (default: news, park). */
  boards?: string[];
}

export function clien(options: ClienOptions = {}): SourcePlugin {
  const baseUrl = baseUrlOf(options, 'https://www.clien.net');
  const boards = options.boards?.length ? options.boards : ['news', 'park'];
  return {
    id: 'clien',
    displayName: '클리앙',
    mode: 'http',
    defaultCategory: 'tech',
    categoryMap: Object.fromEntries(Object.entries(CLIEN_BOARDS).map(([k, v]) => [k, v.category])),
    defaultLang: 'ko',
    baseUrl,
    linkBaseUrl: 'https://www.clien.net',
    politeness: { delayMs: 2000, perDomain: 1, ...options.politeness },
    ...(options.intervalMinutes !== undefined && { intervalMinutes: options.intervalMinutes }),
    trackingParams: ['od', 'po', 'category', 'groupCd'],
    listPages: () => boards.map((b) => ({ url: `${baseUrl}/service/board/${b}`, section: b, lang: 'ko' as const })),
    parse(page, ctx) {
      const $ = html(page.body);
      const items: ItemCandidate[] = [];
      $('div.list_item.symph_row, div.list_item[data-role="list-row"]').each((_, el) => {
        const row = $(el);
        if (row.hasClass('notice') || row.hasClass('blocked')) return;
        const a = row.find('a.list_subject').first();
        const href = a.attr('href');
        const subject = row.find('span.subject_fixed, [data-role="list-title-text"]').first();
        const title = clean(subject.attr('title') ?? subject.text());
        if (!href || !title) return;
        const board = CLIEN_BOARDS[ctx.page.section ?? '']?.name;
        const views = parseCount(row.find('.list_hit .hit, .hit').first().text());
        const likes = parseCount(row.find('.list_symph span').first().text());
        const comments = parseCount(row.attr('data-comment-count') ?? row.find('.rSymph05').first().text());
        const category = clean(row.find('span.category.fixed, .category_fixed, .shortname').first().text());
        const c: ItemCandidate = {
          url: href,
          title,
          summary: '',
          popularity: {
            ...(views !== undefined && { views }),
            ...(likes !== undefined && { likes }),
            ...(comments !== undefined && { comments }),
          },
          tags: [board ?? '', category].filter(Boolean),
        };
        const published = parseDateText(
          row.find('.list_time .timestamp').first().text() || row.find('.list_time').first().text(),
          ctx.fetchedAt,
          { assumeKst: true },
        );
        if (published) c.publishedAt = published;
        items.push(c);
      });
      // looser: links to posts of any board outside notices (a changed row markup still links to its posts)
      const candidates = $('a[href*="/service/board/"]').filter(
        (_, a) => /\/service\/board\/[\w-]+\/\d+/.test($(a).attr('href') ?? '') && !$(a).closest('.notice').length,
      ).length;
      return { items, candidates };
    },
  };
}
