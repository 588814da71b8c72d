/**
 * Twitch live directory (`/directory/all`, `/directory/category/<slug>`). The directory is a React
 * app: the HTML has no streams until JavaScript renders them, so this plugin uses the browser and
 * reads the rendered `article` cards: `a[data-a-target="preview-card-image-link"]` (channel link +
 * preview image + `.tw-media-card-stat` viewers, "1.2K viewers", "시청자 1.2만명"), the title either
 * in `[data-a-target="preview-card-title-link"] h3` (2021–23 cards) or in the
 * `a[data-a-target="preview-card-channel-link"][data-test-selector="TitleAndChannel"]` link that
 * holds both `h3[title]` and `p[data-a-target="preview-card-channel-link"]` (2024– cards), the
 * game link (category directory pages omit it) and `button.tw-tag` tags.
 */
import type { Category } from '../../core/domain.js';
import { parseCount } from '../parse-util.js';
import type { ItemCandidate, PluginOptions, SourcePlugin } from '../types.js';
import { baseUrlOf, clean, html, imgSrc } from './common.js';

export interface TwitchOptions extends PluginOptions {
  /** Category slugs (`just-chatting`, `league-of-legends`); `all` for the whole directory (default). */
  categories?: string[];
  /** Stream language filter, e.g. `ko`. */
  language?: string;
}

/** Twitch categories that are not games. */
const NON_GAME: Readonly<Record<string, Category>> = {
  'just-chatting': 'entertainment',
  music: 'music',
  'food-drink': 'food',
  'travel-outdoors': 'travel',
  'science-technology': 'tech',
  'software-and-game-development': 'tech',
  sports: 'sports',
  art: 'entertainment',
  'talk-shows-podcasts': 'entertainment',
};
const NON_GAME_NAMES: Readonly<Record<string, Category>> = {
  'Just Chatting': 'entertainment',
  Music: 'music',
  'Food & Drink': 'food',
  'Travel & Outdoors': 'travel',
  'Science & Technology': 'tech',
  'Software and Game Development': 'tech',
  Sports: 'sports',
  'Talk Shows & Podcasts': 'entertainment',
};

const TITLE_LINK = '[data-a-target="preview-card-title-link"], a[data-test-selector="TitleAndChannel"]';

export function twitch(options: TwitchOptions = {}): SourcePlugin {
  const baseUrl = baseUrlOf(options, 'https://www.twitch.tv');
  const cats = options.categories?.length ? options.categories : ['all'];
  const lang = options.language ? `?filter=language&language=${encodeURIComponent(options.language)}` : '';
  return {
    id: 'twitch',
    displayName: 'Twitch',
    mode: 'browser',
    defaultCategory: 'games',
    categoryMap: NON_GAME,
    defaultLang: options.language === 'ko' ? 'ko' : 'en',
    baseUrl,
    linkBaseUrl: 'https://www.twitch.tv',
    politeness: { delayMs: 3000, perDomain: 1, ...options.politeness },
    ...(options.intervalMinutes !== undefined && { intervalMinutes: options.intervalMinutes }),
    waitFor: '[data-a-target="preview-card-image-link"]',
    trackingParams: ['sr'],
    listPages: () =>
      cats.map((c) => ({
        url: c === 'all' ? `${baseUrl}/directory/all${lang}` : `${baseUrl}/directory/category/${c}${lang}`,
        section: c,
      })),
    parse(page) {
      const $ = html(page.body);
      const items: ItemCandidate[] = [];
      const seen = new Set<string>();
      $('a[data-a-target="preview-card-image-link"]').each((_, el) => {
        const link = $(el);
        const href = link.attr('href');
        if (!href || seen.has(href)) return;
        // the card is the nearest ancestor that also holds the title link
        let card = link.closest('article');
        if (!card.length) {
          card = link.parent();
          for (let up = 0; up < 8 && card.length && !card.find(TITLE_LINK).length; up++) card = card.parent();
        }
        const titleEl = card
          .find('[data-a-target="preview-card-title-link"], a[data-test-selector="TitleAndChannel"]')
          .first();
        const h = titleEl.find('h3, h4').first();
        const title = clean(h.attr('title') ?? h.text()) || clean(titleEl.text());
        if (!title) return;
        seen.add(href);
        const channelEl = card
          .find(
            'p[data-a-target="preview-card-channel-link"], a[data-a-target="preview-card-channel-link"]:not([data-test-selector="TitleAndChannel"])',
          )
          .first();
        const channel = clean(channelEl.attr('title') ?? channelEl.text()) || clean(href.replace(/^\/|\/.*$/g, ''));
        const game = clean(card.find('[data-a-target="preview-card-game-link"]').first().text());
        const viewers = parseCount(
          link.find('.tw-media-card-stat').first().text() || card.find('.tw-media-card-stat').first().text(),
        );
        const img = link.find('img').first();
        const c: ItemCandidate = {
          url: href,
          title: channel ? `${channel}: ${title}` : title,
          summary: game ? `${channel || 'Live'} streaming ${game}` : '',
          popularity: { rank: items.length + 1, ...(viewers !== undefined && { viewers }) },
          tags: [
            channel,
            game,
            ...card
              .find('.tw-tag, [data-a-target="tag-button"], button.tw-tag')
              .map((_, t) => clean($(t).text()))
              .get(),
          ].filter(Boolean),
        };
        const cat = NON_GAME_NAMES[game];
        if (cat) c.category = cat;
        const thumb = img.length ? imgSrc(img) : undefined;
        if (thumb) c.thumbnail = thumb;
        items.push(c);
      });
      const candidates = $('a[data-a-target="preview-card-image-link"], article').length;
      return { items, candidates };
    },
  };
}
