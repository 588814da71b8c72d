/**
 * Every source plugin against its fixture site, fetched with the real fetcher: `http` plugins
 * through fetch, `browser` plugins through Playwright and the system Chromium (one browser for the
 * whole file). Parse results are asserted field by field; broken variants fail the way they should.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, requireService } from '../helpers/services.js';
import { startSiteServer, type SiteServer } from '../helpers/site-server.js';
import { reasonOf, type Fetcher } from '../../scrapers/browser.js';
import {
  clien,
  googleNews,
  instagram,
  inven,
  naverNews,
  openGraph,
  rssFeed,
  tiktok,
  twitch,
  youtube,
} from '../../scrapers/sources/index.js';
import { at, CHROMIUM, NOW, scrape, testFetcher } from './helpers.js';

const run = requireService('chromium', hasBinary(CHROMIUM));

describe.runIf(run)('source plugins against fixture sites', () => {
  let site: SiteServer;
  let fetcher: Fetcher;
  const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600e3).toISOString();

  beforeAll(async () => {
    site = await startSiteServer();
    fetcher = testFetcher();
  });
  afterAll(async () => {
    await fetcher?.close();
    await site?.close();
  });

  it('naver-news: section headlines with lede, press, relative time, lazy thumbnail, comments', async () => {
    const plugin = naverNews({ ...at(site.origin, 'naver-news'), sections: ['105', '101'] });
    expect(plugin.mode).toBe('http');
    const s = await scrape(fetcher, plugin);
    expect(s.results.every((r) => !r.error)).toBe(true);
    expect(s.items).toHaveLength(4);
    const [hbm, clova, nuri, kospi] = s.items;
    expect(hbm).toMatchObject({
      url: 'https://n.news.naver.com/mnews/article/001/0014999001?sid=105',
      canonicalUrl: 'https://n.news.naver.com/mnews/article/001/0014999001',
      title: '[속보] 삼성전자, 차세대 HBM4 양산 돌입',
      summary:
        '삼성전자가 차세대 고대역폭메모리 HBM4의 양산을 시작했다고 26일 밝혔다. 업계 최초로 12단 적층 제품을 공급한다.',
      category: 'tech',
      source: 'naver-news',
      lang: 'ko',
      thumbnail: `${site.tlsOrigin}/img/naver-1.jpg`,
      publishedAt: hoursAgo(1),
      fetchedAt: NOW.toISOString(),
      popularity: { rank: 1, comments: 128 },
      tags: ['연합뉴스', 'IT/과학'],
    });
    expect(hbm!.id).toMatch(/^[0-9a-f]{20}$/);
    expect(clova).toMatchObject({
      title: "네이버, 초거대 AI '하이퍼클로바X' 새 버전 공개",
      thumbnail: `${site.tlsOrigin}/img/naver-2.png`,
      publishedAt: hoursAgo(3),
      popularity: { rank: 2 },
    });
    expect(nuri!.thumbnail).toBeUndefined();
    expect(nuri!.publishedAt).toBe('2025-11-25T06:12:00.000Z'); // 2025.11.25. 오후 3:12 KST
    expect(kospi).toMatchObject({
      category: 'finance',
      tags: ['한국경제', '경제'],
      publishedAt: new Date(NOW.getTime() - 30 * 60e3).toISOString(),
    });
  });

  it('naver-news: a changed layout finds nothing; missing fields drop single items', async () => {
    const broken = await scrape(fetcher, naverNews({ ...at(site.origin, 'naver-news/broken'), sections: ['105'] }));
    expect(broken.candidates).toEqual([]);
    const partial = await scrape(fetcher, naverNews({ ...at(site.origin, 'naver-news/partial'), sections: ['105'] }));
    expect(partial.items.map((i) => i.title)).toEqual(['제목만 있는 기사']);
    expect(partial.items[0]).toMatchObject({ summary: '', publishedAt: NOW.toISOString(), popularity: { rank: 1 } });
    expect(partial.problems).toEqual(['bad url "javascript:void(0)"']);
  });

  it('google-news: topic feeds per locale; publisher split from the title', async () => {
    const plugin = googleNews({
      ...at(site.origin, 'google-news'),
      topics: ['TECHNOLOGY'],
      locales: ['ko-KR', 'en-US'],
    });
    expect(plugin.listPages().map((p) => p.url)).toEqual([
      `${site.origin}/google-news/rss/headlines/section/topic/TECHNOLOGY?hl=ko&gl=KR&ceid=KR%3Ako`,
      `${site.origin}/google-news/rss/headlines/section/topic/TECHNOLOGY?hl=en-US&gl=US&ceid=US%3Aen`,
    ]);
    const s = await scrape(fetcher, plugin);
    expect(s.items).toHaveLength(3);
    expect(s.items[0]).toMatchObject({
      url: 'https://news.google.com/rss/articles/CBMiWkFVX3lxTE1ocWZ0a2VhbXBsZTE?oc=5',
      title: '삼성전자 차세대 HBM4 양산 돌입',
      summary: '',
      category: 'tech',
      lang: 'ko',
      publishedAt: '2025-11-26T05:02:00.000Z',
      tags: ['연합뉴스', 'TECHNOLOGY'],
      popularity: { rank: 1 },
    });
    expect(s.items[2]).toMatchObject({
      title: 'Apple unveils new M5 MacBook Pro with faster neural engine',
      lang: 'en',
      tags: ['The Verge', 'TECHNOLOGY'],
    });
  });

  it('youtube: trending, search (videoRenderer + lockupViewModel) and a channel tab, from ytInitialData', async () => {
    const plugin = youtube({
      ...at(site.origin, 'youtube'),
      trending: true,
      searches: ['lofi jazz'],
      channels: ['@newjeans_official'],
    });
    const s = await scrape(fetcher, plugin);
    expect(s.results.every((r) => !r.error)).toBe(true);
    const byTitle = new Map(s.items.map((i) => [i.title, i]));
    const mv = s.items[0]!;
    expect(mv).toMatchObject({
      url: `https://www.youtube.com/watch?v=aBcDeFgHiJ1`,
      title: "NewJeans (뉴진스) 'Supernatural' Official MV",
      summary: "NewJeans 'Supernatural' 공식 뮤직비디오",
      category: 'entertainment',
      lang: 'ko', // the Korean description decides
      thumbnail: `${site.tlsOrigin}/img/yt-1.jpg`,
      publishedAt: hoursAgo(48),
      popularity: { views: 1234567, rank: 1 },
      tags: ['HYBE LABELS'],
    });
    expect(byTitle.get('How the James Webb telescope sees the first galaxies')).toMatchObject({
      popularity: { views: 845000, rank: 2 },
      publishedAt: hoursAgo(5),
      lang: 'en',
    });
    expect(byTitle.get('lofi jazz 🎷 chill beats to study')).toMatchObject({
      popularity: { views: 3_400_000, rank: 1 },
      tags: ['Lofi Girl'],
    });
    expect(byTitle.get('Rainy night lofi jazz cafe ambience')).toMatchObject({
      url: `https://www.youtube.com/watch?v=lofiJazz002`,
      thumbnail: `${site.tlsOrigin}/img/yt-4.jpg`,
      popularity: { views: 120000, rank: 2 },
      publishedAt: hoursAgo(21 * 24),
      tags: ['Cafe Music BGM'],
    });
    expect(byTitle.has('A playlist, not a video')).toBe(false);
    expect(byTitle.get("NewJeans (뉴진스) 'How Sweet' Dance Practice")).toMatchObject({
      popularity: { views: 81000, rank: 1 },
    });
    // the channel tab repeats the MV: same canonical URL as the trending one
    expect(s.items.filter((i) => i.canonicalUrl === mv.canonicalUrl)).toHaveLength(2);
  });

  it('youtube: a page without ytInitialData says what is missing (a layout change), not an empty success', async () => {
    const s = await scrape(fetcher, youtube({ ...at(site.origin, 'youtube/broken'), trending: true }));
    expect(s.results[0]!.result).toMatchObject({ items: [], missing: 'ytInitialData' });
  });

  it('twitch: the JS-rendered directory read through Chromium (plain HTTP sees no streams)', async () => {
    const plugin = twitch(at(site.origin, 'twitch'));
    expect(plugin.mode).toBe('browser');
    const s = await scrape(fetcher, plugin);
    expect(s.results[0]!.error).toBeUndefined();
    expect(s.items).toHaveLength(3);
    expect(s.items[0]).toMatchObject({
      url: 'https://www.twitch.tv/hanryang1125',
      title: '풍월량: 오늘은 신작 RPG 정주행 🎮',
      summary: '풍월량 streaming Elden Ring',
      category: 'games',
      lang: 'ko',
      thumbnail: `${site.tlsOrigin}/img/twitch-1.jpg`,
      publishedAt: NOW.toISOString(),
      popularity: { rank: 1, viewers: 12300 },
      tags: ['풍월량', 'Elden Ring', '한국어', 'RPG'],
    });
    expect(s.items[1]).toMatchObject({
      title: 'shroud: ranked grind then chill',
      lang: 'en',
      popularity: { rank: 2, viewers: 1200 },
    });
    expect(s.items[2]).toMatchObject({ category: 'food', popularity: { viewers: 532 } });
    // the same page over plain HTTP has no cards
    const plain = await fetcher.fetchPage({ url: plugin.listPages()[0]!.url, mode: 'http' });
    expect(plugin.parse(plain, { page: plugin.listPages()[0]!, fetchedAt: NOW }).items).toEqual([]);
    expect(fetcher.stats.browserLaunches).toBe(1);
  });

  it('twitch: a directory that never renders returns no items within the bounded wait', async () => {
    const s = await scrape(fetcher, twitch({ ...at(site.origin, 'twitch'), categories: ['never-renders'] }));
    expect(s.results[0]!.error).toBeUndefined();
    expect(s.candidates).toEqual([]);
  }, 30_000);

  it('clien: board rows (notices and blocked rows skipped), KST timestamps, counts, listing params stripped', async () => {
    const s = await scrape(fetcher, clien(at(site.origin, 'clien')));
    expect(s.items.map((i) => i.title)).toEqual([
      '애플, iOS 26.2 업데이트 배포… 배터리 개선',
      '삼성, 갤럭시 S26 공개 일정 확정',
      '주말에 다녀온 제주 올레길 7코스 후기',
    ]);
    expect(s.items[0]).toMatchObject({
      url: 'https://www.clien.net/service/board/news/18912345?od=T31&po=0&category=0&groupCd=',
      canonicalUrl: 'https://www.clien.net/service/board/news/18912345',
      summary: '',
      category: 'tech',
      lang: 'ko',
      publishedAt: '2025-11-26T05:03:11.000Z',
      popularity: { views: 3100, likes: 17, comments: 42 },
      tags: ['새로운소식'],
    });
    expect(s.items[0]!.thumbnail).toBeUndefined();
    expect(s.items[2]).toMatchObject({
      category: 'lifestyle',
      popularity: { views: 5402, likes: 31, comments: 55 },
      tags: ['모두의공원'],
    });
  });

  it('clien: canonical URLs drop the listing parameters on the real host', () => {
    const plugin = clien();
    const page = plugin.listPages()[0]!;
    const fetched = {
      url: page.url,
      finalUrl: page.url,
      status: 200,
      contentType: 'text/html',
      mode: 'http' as const,
      body: '<div class="list_item symph_row"><a class="list_subject" href="/service/board/news/1?od=T31&po=0&category=0&groupCd="><span class="subject_fixed" title="t">t</span></a></div>',
    };
    const c = plugin.parse(fetched, { page, fetchedAt: NOW }).items[0]!;
    expect(c.url).toBe('/service/board/news/1?od=T31&po=0&category=0&groupCd=');
  });

  it('inven: webzine news and a board', async () => {
    const s = await scrape(fetcher, inven(at(site.origin, 'inven')));
    expect(s.items).toHaveLength(3);
    expect(s.items[0]).toMatchObject({
      url: 'https://www.inven.co.kr/webzine/news/?news=312345&site=lostark&hotnews=1',
      canonicalUrl: 'https://www.inven.co.kr/webzine/news/?hotnews=1&news=312345&site=lostark',
      title: "[프리뷰] 로스트아크, 겨울 업데이트 '카제로스' 레이드 공개",
      summary: '스마일게이트 RPG가 로스트아크 겨울 업데이트의 핵심 콘텐츠를 공개했다.',
      category: 'games',
      lang: 'ko',
      thumbnail: `${site.tlsOrigin}/img/inven-1.jpg`,
      publishedAt: '2025-11-26T01:30:00.000Z',
      popularity: { rank: 1, comments: 87 },
      tags: ['로스트아크'],
    });
    expect(s.items[1]).toMatchObject({
      title: 'T1, 월즈 3연패 달성… 페이커 통산 6회 우승',
      popularity: { comments: 1203 },
      tags: ['리그 오브 레전드'],
    });
    expect(s.items[2]).toMatchObject({
      title: '스팀 겨울 세일 추천작 정리했습니다',
      canonicalUrl: 'https://www.inven.co.kr/board/webzine/2097/1589001',
      publishedAt: '2025-11-25T15:00:00.000Z', // "11-26": midnight KST
      popularity: { views: 4812, likes: 56, comments: 34 },
      tags: ['잡담'],
    });
  });

  it('instagram: the public grid when shown; a login wall degrades to the profile card with a note', async () => {
    const s = await scrape(
      fetcher,
      instagram({ ...at(site.origin, 'instagram'), accounts: ['natgeo', 'private_acct'] }),
    );
    const [open, walled] = s.results;
    expect(open!.result!.walled).toBeUndefined();
    expect(open!.result!.items).toHaveLength(2);
    expect(s.items[0]).toMatchObject({
      url: 'https://www.instagram.com/natgeo/p/DCaBcDeFgHi/',
      title: 'A snow leopard crosses a ridge in the Himalaya at dawn. #wildlife #snowleopard',
      category: 'lifestyle',
      lang: 'en',
      thumbnail: `${site.tlsOrigin}/img/ig-1.jpg`,
      tags: ['@natgeo', '#wildlife', '#snowleopard'],
    });
    expect(s.items[1]!.url).toBe('https://www.instagram.com/natgeo/reel/DCzYxWvUtSr/');
    expect(walled!.result).toMatchObject({
      walled: true,
      notes: ['login wall for @private_acct: posts need a login; profile card only'],
    });
    expect(s.items[2]).toMatchObject({
      url: 'https://www.instagram.com/private_acct/',
      title: 'Some Account (@private_acct) • Instagram photos and videos',
      popularity: { likes: 1024 },
    });
  });

  it('tiktok: rendered profile grid, the rehydration JSON fallback, and a captcha wall', async () => {
    const s = await scrape(
      fetcher,
      tiktok({ ...at(site.origin, 'tiktok'), accounts: ['nasa', 'walled'], tags: ['space'] }),
    );
    const [nasa, walled, tag] = s.results;
    expect(nasa!.result!.items).toHaveLength(2);
    expect(s.items[0]).toMatchObject({
      url: 'https://www.tiktok.com/@nasa/video/7440000000000000001',
      title: 'Artemis II crew walks out for a launch rehearsal 🚀 #artemis #space',
      category: 'entertainment',
      lang: 'en',
      thumbnail: `${site.tlsOrigin}/img/tt-1.jpg`,
      popularity: { rank: 1, views: 1_200_000 },
      tags: ['@nasa', '#artemis', '#space'],
    });
    expect(s.items[1]!.popularity).toEqual({ rank: 2, views: 842500 });
    expect(walled!.result).toMatchObject({ items: [], walled: true });
    expect(walled!.result!.notes![0]).toMatch(/^captcha for @walled/);
    expect(tag!.result!.items[0]).toMatchObject({
      url: 'https://www.tiktok.com/@astro_kim/video/7440000000000000101',
      publishedAt: new Date(1764100000 * 1000).toISOString(),
      popularity: { rank: 1, views: 53000, likes: 4100, comments: 210 },
      tags: ['@astro_kim', '#space', '#astronomy'],
    });
  });

  it('rss and atom feeds: entries, HTML descriptions as text, thumbnails from media/enclosure/img', async () => {
    const rss = await scrape(
      fetcher,
      rssFeed({
        url: `${site.origin}/rss/feed.xml`,
        name: 'example-blog',
        category: 'tech',
        politeness: { delayMs: 0 },
      }),
    );
    expect(rss.items).toHaveLength(2);
    expect(rss.problems).toEqual(['title missing, url missing']);
    expect(rss.items[0]).toMatchObject({
      url: 'https://blog.example.com/posts/webgpu-compute?utm_source=rss&utm_medium=feed',
      canonicalUrl: 'https://blog.example.com/posts/webgpu-compute',
      title: 'Understanding WebGPU compute shaders',
      summary: 'A practical introduction to compute shaders in the browser.',
      category: 'tech',
      source: 'rss:example-blog',
      lang: 'en',
      thumbnail: `${site.tlsOrigin}/img/rss-1.jpg`,
      publishedAt: '2025-11-25T09:00:00.000Z',
      tags: ['graphics', 'webgpu'],
    });
    expect(rss.items[1]).toMatchObject({
      thumbnail: `${site.tlsOrigin}/img/huge.png`,
      publishedAt: '2025-11-24T12:30:00.000Z',
    });
    const atom = await scrape(
      fetcher,
      rssFeed({ url: `${site.origin}/rss/atom.xml`, category: 'food', lang: 'ko', politeness: { delayMs: 0 } }),
    );
    expect(atom.items[0]).toMatchObject({
      url: 'https://food.example.kr/2025/11/naengmyeon',
      title: '을지로 노포 평양냉면 집 다녀왔어요',
      summary: '육수가 깔끔한 을지로 평양냉면 맛집 후기입니다.',
      category: 'food',
      source: 'rss:127.0.0.1',
      lang: 'ko',
      publishedAt: '2025-11-25T03:00:00.000Z',
      tags: ['냉면'],
    });
  });

  it('opengraph: one item from og: tags, tracking stripped', async () => {
    const s = await scrape(
      fetcher,
      openGraph({ url: `${site.origin}/og/article.html`, category: 'travel', politeness: { delayMs: 0 } }),
    );
    expect(s.items).toHaveLength(1);
    expect(s.items[0]).toMatchObject({
      url: 'https://travel.example.com/korea/quiet-islands?fbclid=IwAR123&ref=home',
      canonicalUrl: 'https://travel.example.com/korea/quiet-islands?ref=home',
      title: 'Ten quiet islands to visit in Korea this winter',
      summary: 'From Ulleungdo to Geomundo: ferries, where to stay, what to eat.',
      category: 'travel',
      lang: 'en',
      source: 'og:127.0.0.1/og/article.html',
      thumbnail: `${site.tlsOrigin}/img/redirect-ok`,
      publishedAt: '2025-11-19T23:00:00.000Z',
      tags: ['Example Travel', 'korea', 'islands'],
    });
  });

  it('404 and 500 pages fail with their reason (browser and http); 4xx is not retried, 5xx is', async () => {
    const before = site.hits('/_status/500/');
    const e500 = (await scrape(fetcher, clien(at(site.origin, '_status/500/clien')))).results[0]!.error;
    expect(reasonOf(e500)).toBe('HTTP_5XX');
    expect(site.hits('/_status/500/') - before).toBe(4); // two boards × (1 + 1 retry)
    const e404 = (await scrape(fetcher, clien({ ...at(site.origin, '_status/404/clien'), boards: ['news'] })))
      .results[0]!.error;
    expect(reasonOf(e404)).toBe('HTTP_4XX');
    expect(site.hits('/_status/404/')).toBe(1);
    const b404 = (await scrape(fetcher, twitch(at(site.origin, '_status/404/twitch')))).results[0]!.error;
    expect(reasonOf(b404)).toBe('HTTP_4XX');
  });
});
