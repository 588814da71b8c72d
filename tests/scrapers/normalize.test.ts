/** Pure parts: canonical URLs, language, near-duplicates, parsing helpers, the SCRAPE_SOURCES syntax. */
import { describe, expect, it } from 'vitest';
import { canonicalUrl, detectLang, itemIdFor, jaccard, titleKey, trigrams } from '../../scrapers/normalize.js';
import { extractJsonAfter, largestImage, parseCount } from '../../scrapers/parse-util.js';
import { findSameStories } from '../../scrapers/near-duplicates.js';
import { parseKstTime, parseRelativeTime } from '../../scrapers/dates.js';
import { buildPlugins, parseSourceSpecs, sourcesFromConfig } from '../../scrapers/sources/index.js';
import { isRecoError } from '../../core/errors.js';
import { NOW } from './helpers.js';

describe('canonical URLs', () => {
  it('strips tracking, sorts the query, drops fragments, default ports and host case', () => {
    expect(
      canonicalUrl('https://WWW.Example.com:443/a/b?utm_source=x&b=2&fbclid=1&a=1&gclid=2&utm_campaign=y#frag'),
    ).toBe('https://www.example.com/a/b?a=1&b=2');
    expect(canonicalUrl('http://example.com:80/?')).toBe('http://example.com/');
    expect(canonicalUrl('http://example.com:8080/x')).toBe('http://example.com:8080/x');
  });
  it('drops per-site listing parameters', () => {
    expect(canonicalUrl('https://www.clien.net/service/board/news/18912345?od=T31&po=0&category=0&groupCd=')).toBe(
      'https://www.clien.net/service/board/news/18912345',
    );
    expect(canonicalUrl('https://n.news.naver.com/mnews/article/001/0014999001?sid=105')).toBe(
      'https://n.news.naver.com/mnews/article/001/0014999001',
    );
    expect(canonicalUrl('https://www.youtube.com/watch?v=abc&pp=ygU&si=x&t=30')).toBe(
      'https://www.youtube.com/watch?v=abc',
    );
    // the same parameter name elsewhere is kept
    expect(canonicalUrl('https://shop.example.com/list?category=3&sid=9')).toBe(
      'https://shop.example.com/list?category=3&sid=9',
    );
    expect(canonicalUrl('https://example.com/x?ref=1', ['ref'])).toBe('https://example.com/x');
  });
  it('ids are stable per canonical URL', () => {
    expect(itemIdFor('https://a.example/x')).toBe(itemIdFor('https://a.example/x'));
    expect(itemIdFor('https://a.example/x')).not.toBe(itemIdFor('https://a.example/y'));
  });
});

describe('language', () => {
  it('uses the Hangul ratio, then tinyld, then the fallback', () => {
    expect(detectLang('삼성전자, 차세대 HBM4 양산 돌입', 'en')).toBe('ko');
    expect(detectLang('Apple unveils the new MacBook Pro with a faster neural engine', 'ko')).toBe('en');
    expect(detectLang('1,234 / 5,678', 'ko')).toBe('ko');
    expect(detectLang('NewJeans MV', 'ko')).toBe('ko'); // too short to trust a detector: fallback
  });
});

describe('near-duplicates', () => {
  it('title keys drop bracket tags and publisher suffixes', () => {
    expect(titleKey('[속보] 삼성전자, 차세대 HBM4 양산 돌입')).toBe('삼성전자 차세대 hbm4 양산 돌입');
    expect(titleKey('삼성전자 차세대 HBM4 양산 돌입 - 연합뉴스')).toBe('삼성전자 차세대 hbm4 양산 돌입');
    expect(jaccard(trigrams('abcd'), trigrams('abcd'))).toBe(1);
  });
  it('GIVEN one run THEN the same story across portals is found by title, the first kept', async () => {
    const titles = [
      '[속보] 삼성전자, 차세대 HBM4 양산 돌입',
      'Apple unveils M5 MacBook Pro',
      '삼성전자 차세대 HBM4 양산 돌입 - 연합뉴스',
      '삼성전자, 차세대 HBM4 본격 양산 돌입',
      '카카오, 새 AI 비서 출시',
    ];
    const r = await findSameStories(titles.map((title) => ({ title })));
    expect(r.keep).toEqual([0, 1, 4]);
    expect(r.duplicateOf.get(2)).toBe(0);
    expect(r.duplicateOf.get(3)).toBe(0);
  });
  it('GIVEN stored stories THEN a new item repeating one is a duplicate of it', async () => {
    const r = await findSameStories(
      [{ title: 'Apple unveils M5 MacBook Pro - The Verge' }, { title: 'Other' }],
      [{ title: 'Apple unveils M5 MacBook Pro' }],
    );
    expect(r.keep).toEqual([1]);
    expect(r.duplicateOf.get(0)).toBe(-1);
  });
  it('GIVEN different wording of one event THEN the summary embedding and shared names catch it; a different event the same day does not merge', async () => {
    const at = '2022-10-15T08:00:00Z';
    const r = await findSameStories([
      {
        title: "판교 SK 데이터 센터 화재로 카톡·뉴스·페이 등 카카오 '먹통'",
        summary: '15일 오후 3시 33분 경기 성남시 분당구 삼평동 SK 판교 캠퍼스 A동 지하 3층에서 불이 났다.',
        publishedAt: at,
      },
      {
        title: '[속보] 판교 SK C&C 데이터센터 화재…카카오 전 서비스 먹통 원인',
        summary:
          '판교 SK C&C 데이터센터에서 화재가 발생해 카카오가 운영하는 주요 서비스가 원활하게 이뤄지지 않은 것으로 나타났다.',
        publishedAt: at,
      },
      {
        title: '카카오, 새 AI 비서 출시',
        summary: '카카오가 15일 대화형 AI 비서를 공개했다.',
        publishedAt: at,
      },
    ]);
    expect(r.keep).toEqual([0, 2]);
    expect(r.duplicateOf.get(1)).toBe(0);
  });
});

describe('parsing helpers', () => {
  it('counts', () => {
    expect(parseCount('조회수 1,234,567회')).toBe(1234567);
    expect(parseCount('1.2만회')).toBe(12000);
    expect(parseCount('12.3K viewers')).toBe(12300);
    expect(parseCount('3.4M views')).toBe(3400000);
    expect(parseCount('No views')).toBeUndefined();
  });
  it('GIVEN several sizes THEN the largest image wins: by pixels, else bytes, else the last listed', () => {
    expect(
      largestImage([
        { url: 'a', width: 140 },
        { url: 'b', width: 460 },
      ])?.url,
    ).toBe('b');
    expect(
      largestImage([
        { url: 'a', width: 640, height: 800 },
        { url: 'b', width: 336, height: 188 },
      ])?.url,
    ).toBe('a');
    expect(
      largestImage([
        { url: 'a', bytes: 10 },
        { url: 'b', bytes: 5 },
      ])?.url,
    ).toBe('a');
    expect(largestImage([{ url: 'a' }, { url: 'b' }])?.url).toBe('b');
    expect(largestImage([])).toBeUndefined();
  });
  it('times', () => {
    expect(parseRelativeTime('3시간전', NOW)).toBe('2025-11-26T03:00:00.000Z');
    expect(parseRelativeTime('Streamed 2 days ago', NOW)).toBe('2025-11-24T06:00:00.000Z');
    expect(parseRelativeTime('yesterday-ish', NOW)).toBeUndefined();
    expect(parseKstTime('2025-11-26 14:03:11', NOW)).toBe('2025-11-26T05:03:11.000Z');
    expect(parseKstTime('2025.11.25. 오전 12:05', NOW)).toBe('2025-11-24T15:05:00.000Z');
    expect(parseKstTime('14:03', NOW)).toBe('2025-11-26T05:03:00.000Z');
  });
  it('extracts assigned JSON with braces inside strings', () => {
    expect(extractJsonAfter('var ytInitialData = {"a":"}{\\"","b":[1,{"c":2}]};var x=1;', 'ytInitialData')).toEqual({
      a: '}{"',
      b: [1, { c: 2 }],
    });
    expect(extractJsonAfter('var ytInitialData = {"a":', 'ytInitialData')).toBeUndefined();
  });
});

describe('SCRAPE_SOURCES', () => {
  it('empty means the default set', () => {
    const plugins = sourcesFromConfig('');
    expect(plugins.map((p) => p.id)).toEqual(['naver-news', 'google-news', 'youtube', 'twitch', 'clien', 'inven']);
  });
  it('parses built-ins with params, feeds with name/category/lang, base and every', () => {
    const plugins = sourcesFromConfig(
      'naver-news:105+101, youtube:search=lofi%20jazz+channel=@NewJeans_official|music, clien:news+base=http://mirror.test/clien+every=15\n' +
        'rss:hn=https://hnrss.org/frontpage|tech|en, og:https://example.com/page|travel, instagram:natgeo, tiktok:nasa+#space',
    );
    const byId = new Map(plugins.map((p) => [p.id, p]));
    expect(
      byId
        .get('naver-news')!
        .listPages()
        .map((p) => p.section),
    ).toEqual(['105', '101']);
    const yt = byId.get('youtube')!;
    expect(yt.defaultCategory).toBe('music');
    expect(yt.listPages().map((p) => p.url)).toEqual([
      'https://www.youtube.com/results?search_query=lofi%20jazz&gl=KR&hl=ko',
      'https://www.youtube.com/@NewJeans_official/videos',
    ]);
    const c = byId.get('clien')!;
    expect(c.listPages()[0]!.url).toBe('http://mirror.test/clien/service/board/news');
    expect(c.intervalMinutes).toBe(15);
    expect(byId.get('rss:hn')).toMatchObject({ defaultCategory: 'tech', defaultLang: 'en', mode: 'http' });
    expect(byId.get('og:example.com/page')!.defaultCategory).toBe('travel');
    expect(byId.get('instagram')!.listPages()[0]!.url).toBe('https://www.instagram.com/natgeo/');
    expect(
      byId
        .get('tiktok')!
        .listPages()
        .map((p) => p.url),
    ).toEqual(['https://www.tiktok.com/@nasa', 'https://www.tiktok.com/tag/space']);
  });
  it('reports every bad entry at once', () => {
    const { specs, problems } = parseSourceSpecs(
      'bogus, rss:not-a-url, naver-news|nonsense, rss:https://x.example/feed|tech|fr',
    );
    expect(specs).toEqual([]);
    expect(problems).toHaveLength(4);
    const built = buildPlugins(parseSourceSpecs('clien:wat=1, clien').specs);
    expect(built.problems).toEqual([
      'clien:wat=1: unknown option "wat"',
      'clien: source "clien" is listed twice (merge the options into one entry)',
    ]);
    try {
      sourcesFromConfig('instagram');
      expect.unreachable();
    } catch (e) {
      expect(isRecoError(e, 'CONFIG_INVALID')).toBe(true);
      expect((e as Error).message).toMatch(/instagram needs accounts/);
    }
  });
});
