/**
 * Google News topic headlines per locale, read from its public RSS endpoint
 * (`/rss/headlines/section/topic/<TOPIC>?hl=..&gl=..&ceid=..`), which needs no JavaScript.
 * Titles come as "Headline - Publisher"; the publisher becomes a tag.
 */
import type { Category, Lang } from '../../core/domain.js';
import type { PluginOptions, SourcePlugin } from '../types.js';
import { baseUrlOf } from './common.js';
import { parseFeed } from './rss.js';

export const GOOGLE_NEWS_TOPICS: Readonly<Record<string, Category>> = {
  WORLD: 'news',
  NATION: 'news',
  BUSINESS: 'finance',
  TECHNOLOGY: 'tech',
  ENTERTAINMENT: 'entertainment',
  SPORTS: 'sports',
  SCIENCE: 'science',
  HEALTH: 'lifestyle',
};

interface Locale {
  hl: string;
  gl: string;
  ceid: string;
  lang: Lang;
}
export const GOOGLE_NEWS_LOCALES: Readonly<Record<string, Locale>> = {
  'ko-KR': { hl: 'ko', gl: 'KR', ceid: 'KR:ko', lang: 'ko' },
  'en-US': { hl: 'en-US', gl: 'US', ceid: 'US:en', lang: 'en' },
  'en-GB': { hl: 'en-GB', gl: 'GB', ceid: 'GB:en', lang: 'en' },
};

export interface GoogleNewsOptions extends PluginOptions {
  /** Topic ids (default: TECHNOLOGY, BUSINESS, ENTERTAINMENT, SPORTS, SCIENCE). */
  topics?: string[];
  /** Locales (default: ko-KR and en-US). */
  locales?: string[];
}

export function googleNews(options: GoogleNewsOptions = {}): SourcePlugin {
  const baseUrl = baseUrlOf(options, 'https://news.google.com');
  const topics = options.topics?.length
    ? options.topics.map((t) => t.toUpperCase())
    : ['TECHNOLOGY', 'BUSINESS', 'ENTERTAINMENT', 'SPORTS', 'SCIENCE'];
  const locales = options.locales?.length ? options.locales : ['ko-KR', 'en-US'];
  return {
    id: 'google-news',
    displayName: 'Google News',
    mode: 'http',
    defaultCategory: 'news',
    categoryMap: GOOGLE_NEWS_TOPICS,
    defaultLang: 'en',
    baseUrl,
    linkBaseUrl: 'https://news.google.com',
    politeness: { delayMs: 1000, perDomain: 1, ...options.politeness },
    ...(options.intervalMinutes !== undefined && { intervalMinutes: options.intervalMinutes }),
    listPages: () =>
      locales.flatMap((loc) => {
        const l = GOOGLE_NEWS_LOCALES[loc] ?? GOOGLE_NEWS_LOCALES['en-US']!;
        const q = `hl=${encodeURIComponent(l.hl)}&gl=${l.gl}&ceid=${encodeURIComponent(l.ceid)}`;
        return topics.map((t) => ({
          url: `${baseUrl}/rss/headlines/section/topic/${t}?${q}`,
          section: t,
          lang: l.lang,
        }));
      }),
    parse(page, ctx) {
      const { entries } = parseFeed(page.body, ctx.fetchedAt);
      return {
        items: entries.map(({ publisher, ...e }) => {
          let title = e.title;
          const pub = publisher ?? /\s[-–]\s([^-–]{1,40})$/u.exec(title)?.[1];
          if (pub && title.endsWith(` - ${pub}`)) title = title.slice(0, -(pub.length + 3));
          // Google News descriptions repeat the title and publisher as HTML links: no value as a summary.
          return {
            ...e,
            title,
            summary: '',
            tags: [...(e.tags ?? []), ...(pub ? [pub] : []), ctx.page.section ?? ''].filter(Boolean),
          };
        }),
      };
    },
  };
}
