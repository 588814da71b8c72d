/**
 * The one date extractor (scrapers/dates.ts): one test per form a real page or feed uses, the
 * `dateUnknown` flag when none is found, and that ranking then treats such an item as not fresh.
 */
import { describe, expect, it } from 'vitest';
import { buildIndex, itemText } from '../../core/catalog/catalog.js';
import { defaultConfig } from '../../core/config.js';
import { LexicalEncoder } from '../../core/lexical.js';
import { scoreCatalog } from '../../core/recommend.js';
import { emptyPersona } from '../../core/users/doc.js';
import { settingsFrom } from '../../app/settings.js';
import { extractPageDate, parseDateText, parseKstTime, parseRelativeTime } from '../../scrapers/dates.js';
import { toContentItem } from '../../scrapers/normalize.js';
import { openGraph } from '../../scrapers/sources/index.js';
import { NOW } from './helpers.js';

/** NOW is 2025-11-26 15:00 KST (06:00 UTC). */
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600e3).toISOString();
const page = (head: string, body = '') => `<!doctype html><html><head>${head}</head><body>${body}</body></html>`;

describe('relative dates, Korean and English', () => {
  it.each([
    ['3시간 전', hoursAgo(3)],
    ['3시간전', hoursAgo(3)],
    ['30분 전', hoursAgo(0.5)],
    ['2일 전', hoursAgo(48)],
    ['1주 전', hoursAgo(24 * 7)],
    ['방금 전', NOW.toISOString()],
    ['2 days ago', hoursAgo(48)],
    ['an hour ago', hoursAgo(1)],
    ['Streamed 5 hours ago', hoursAgo(5)],
    ['1 year ago', hoursAgo(24 * 365)],
    ['just now', NOW.toISOString()],
  ])('GIVEN "%s" THEN it is %s', (text, iso) => {
    expect(parseRelativeTime(text, NOW)).toBe(iso);
  });

  it('GIVEN day words THEN they give the start of that KST day, or its time when one follows', () => {
    expect(parseRelativeTime('어제', NOW)).toBe('2025-11-24T15:00:00.000Z'); // 2025-11-25 00:00 KST
    expect(parseRelativeTime('yesterday', NOW)).toBe('2025-11-24T15:00:00.000Z');
    expect(parseRelativeTime('어제 14:03', NOW)).toBe('2025-11-25T05:03:00.000Z');
    expect(parseRelativeTime('그저께', NOW)).toBe('2025-11-23T15:00:00.000Z');
    expect(parseRelativeTime('오늘 오전 9:30', NOW)).toBe('2025-11-26T00:30:00.000Z');
    expect(parseRelativeTime('yesterday-ish', NOW)).toBeUndefined();
    expect(parseRelativeTime('1.2K views', NOW)).toBeUndefined();
  });
});

describe('absolute dates', () => {
  it('GIVEN Korean local times THEN they are read as KST, and board shorthands as the latest past date', () => {
    expect(parseKstTime('2025-11-26 14:03:11', NOW)).toBe('2025-11-26T05:03:11.000Z');
    expect(parseKstTime('2025.11.25. 오전 12:05', NOW)).toBe('2025-11-24T15:05:00.000Z');
    expect(parseKstTime('2025.11.26. 오후 2:03', NOW)).toBe('2025-11-26T05:03:00.000Z');
    expect(parseKstTime('2025년 11월 26일 오후 2:03', NOW)).toBe('2025-11-26T05:03:00.000Z');
    expect(parseKstTime('14:03', NOW)).toBe('2025-11-26T05:03:00.000Z'); // today
    expect(parseKstTime('23:50', NOW)).toBe('2025-11-25T14:50:00.000Z'); // later than now: yesterday
    expect(parseKstTime('11-20', NOW)).toBe('2025-11-19T15:00:00.000Z');
    expect(parseKstTime('12-24', NOW)).toBe('2024-12-23T15:00:00.000Z'); // in the future: last year
  });

  it('GIVEN feed and meta formats THEN RFC 2822 with zones, ISO with offsets, epochs and English dates are read', () => {
    expect(parseDateText('Tue, 01 Oct 2019 14:30:00 PST', NOW)).toBe('2019-10-01T22:30:00.000Z');
    expect(parseDateText('Wed, 31 Jan 2018 07:26:05 GMT', NOW)).toBe('2018-01-31T07:26:05.000Z');
    expect(parseDateText('2019-07-18T21:04:06-07:00', NOW)).toBe('2019-07-19T04:04:06.000Z');
    expect(parseDateText('2018-01-31T07:26:05Z', NOW)).toBe('2018-01-31T07:26:05.000Z');
    expect(parseDateText('2024-01-11 09:56:31', NOW, { assumeKst: true })).toBe('2024-01-11T00:56:31.000Z');
    expect(parseDateText(1563483846, NOW)).toBe('2019-07-18T21:04:06.000Z');
    expect(parseDateText('1764100000', NOW)).toBe(new Date(1764100000 * 1000).toISOString());
    expect(parseDateText('Nov 26, 2025', NOW)).toBe('2025-11-26T00:00:00.000Z');
    expect(parseDateText('26 November 2025', NOW)).toBe('2025-11-26T00:00:00.000Z');
    expect(parseDateText('not a date', NOW)).toBeUndefined();
  });
});

describe('page dates, in order: site patterns, meta tags, JSON-LD, <time>', () => {
  const url = 'https://example.com/a';
  it.each([
    ['article:published_time', page('<meta property="article:published_time" content="2025-11-20T08:00:00+09:00">')],
    ['og:published_time', page('<meta property="og:published_time" content="2025-11-19T23:00:00Z">')],
    ['itemprop datePublished', page('<meta itemprop="datePublished" content="2025-11-19T23:00:00Z">')],
    ['Dublin Core', page('<meta name="DC.date.issued" content="2025-11-19T23:00:00Z">')],
    ['parsely', page('<meta name="parsely-pub-date" content="2025-11-19T23:00:00Z">')],
  ])('GIVEN a %s meta tag THEN it is the date', (_, html) => {
    expect(extractPageDate(html, url, NOW)?.iso).toBe('2025-11-19T23:00:00.000Z');
  });

  it('GIVEN JSON-LD THEN datePublished, a video uploadDate, and dates inside @graph are read', () => {
    const ld = (o: unknown) => page(`<script type="application/ld+json">${JSON.stringify(o)}</script>`);
    expect(extractPageDate(ld({ '@type': 'NewsArticle', datePublished: '2025-11-19T23:00:00Z' }), url, NOW)).toEqual({
      iso: '2025-11-19T23:00:00.000Z',
      source: 'json-ld',
      via: 'datePublished',
    });
    expect(extractPageDate(ld({ '@type': 'VideoObject', uploadDate: '2025-11-18' }), url, NOW)?.iso).toBe(
      '2025-11-18T00:00:00.000Z',
    );
    const graph = {
      '@context': 'https://schema.org',
      '@graph': [{ '@type': 'WebSite' }, { '@type': 'Article', datePublished: '2025-11-17T10:00:00+09:00' }],
    };
    expect(extractPageDate(ld(graph), url, NOW)?.iso).toBe('2025-11-17T01:00:00.000Z');
  });

  it('GIVEN only a <time datetime> THEN it is used, the publication one first', () => {
    const html = page(
      '',
      '<time datetime="2025-01-01T00:00:00Z">updated</time><time class="published" datetime="2025-11-18T12:00:00Z">Nov 18</time>',
    );
    expect(extractPageDate(html, url, NOW)).toMatchObject({ iso: '2025-11-18T12:00:00.000Z', source: 'time' });
  });

  it('GIVEN a Naver article THEN the data-date-time span (KST) is read before anything else', () => {
    // the markup of n.news.naver.com articles (see docs/SCRAPERS.md for where this structure is documented)
    const html = page(
      '<meta property="og:title" content="한은 기준금리 8연속 동결">',
      '<div class="media_end_head_info_datestamp"><div class="media_end_head_info_datestamp_bunch"><span class="media_end_head_info_datestamp_term">입력</span><span class="media_end_head_info_datestamp_time _ARTICLE_DATE_TIME" data-date-time="2024-01-11 09:56:31">2024.01.11. 오전 9:56</span></div></div>',
    );
    expect(extractPageDate(html, 'https://n.news.naver.com/mnews/article/011/0004285531', NOW)).toMatchObject({
      iso: '2024-01-11T00:56:31.000Z',
      source: 'site',
    });
    // the same markup elsewhere is not a Naver page: no site pattern
    expect(extractPageDate(html, 'https://example.com/x', NOW)).toBeUndefined();
  });

  it('GIVEN a Clien post page THEN its date span is read as KST', () => {
    const html = page(
      '',
      '<div class="post_view"><div class="post_author"><span class="view_count date">2025-11-26 14:03:11</span></div></div>',
    );
    expect(extractPageDate(html, 'https://www.clien.net/service/board/news/18912345', NOW)?.iso).toBe(
      '2025-11-26T05:03:11.000Z',
    );
  });
});

describe('no date found', () => {
  const plugin = openGraph({ url: 'https://example.com/a' });
  const listPage = plugin.listPages()[0]!;

  it('GIVEN a page with no date THEN the item is dateUnknown, first seen now (so the age limit counts from here)', () => {
    const parsed = plugin.parse(
      {
        url: listPage.url,
        finalUrl: listPage.url,
        status: 200,
        contentType: 'text/html',
        mode: 'http',
        body: page('<meta property="og:title" content="Undated">'),
      },
      { page: listPage, fetchedAt: NOW },
    );
    const r = toContentItem(plugin, listPage, parsed.items[0]!, NOW, listPage.url);
    expect('item' in r && r.item).toMatchObject({ dateUnknown: true, publishedAt: NOW.toISOString() });
    const dated = toContentItem(plugin, listPage, { ...parsed.items[0]!, publishedAt: hoursAgo(2) }, NOW, listPage.url);
    expect('item' in dated && dated.item.dateUnknown).toBeUndefined();
    // a date far in the future is not believed either
    const future = toContentItem(
      plugin,
      listPage,
      { ...parsed.items[0]!, publishedAt: '2030-01-01T00:00:00Z' },
      NOW,
      listPage.url,
    );
    expect('item' in future && future.item.dateUnknown).toBe(true);
  });

  it('GIVEN two identical items, one without a date THEN ranking scores the undated one as not fresh (below the dated one), not as brand new', () => {
    const base = {
      url: 'https://example.com/x',
      canonicalUrl: 'https://example.com/x',
      title: 'Same words',
      summary: 'Same words',
      category: 'news' as const,
      source: 'rss:x',
      lang: 'en' as const,
      publishedAt: NOW.toISOString(),
      fetchedAt: NOW.toISOString(),
      popularity: {},
    };
    const items = [
      { ...base, id: 'dated-yesterday', publishedAt: hoursAgo(24) },
      { ...base, id: 'undated', dateUnknown: true },
    ];
    const enc = new LexicalEncoder();
    const index = buildIndex({
      items,
      textEncoderId: enc.id,
      textDim: enc.dim,
      text: enc.encodeSync(items.map(itemText)),
    });
    const { score } = scoreCatalog({
      index,
      persona: emptyPersona('u', NOW.toISOString()),
      feedback: {},
      shown: {},
      explore: 0,
      count: 2,
      now: NOW,
      weights: settingsFrom(defaultConfig()).weights,
    });
    expect(score[1]!).toBeLessThan(score[0]!);
  });
});
