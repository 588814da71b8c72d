/** `npm run scrape:record`: the page saved as fetched, marked as a recording, with metadata a person can confirm. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSiteServer, type SiteServer } from '../helpers/site-server.js';
import { recordFixture, sectionFor } from '../../scrapers/record.js';
import { testFetcher } from './helpers.js';

describe('scrape:record', () => {
  let site: SiteServer;
  let root: string;
  beforeAll(async () => {
    site = await startSiteServer();
    root = await mkdtemp(join('tests/.tmp', 'record-'));
  });
  afterAll(async () => {
    await site?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('GIVEN a feed URL THEN the body is saved as .xml with a RECORDED header and metadata that asks for review', async () => {
    const f = testFetcher();
    const now = new Date('2025-11-26T06:00:00Z');
    const r = await recordFixture({
      source: 'rss',
      url: `${site.origin}/rss/feed.xml`,
      fetcher: f,
      root,
      name: 'blog',
      now,
    });
    await f.close();
    expect(r.pagePath).toBe(join(root, 'rss', '2025-11-26-blog.xml'));
    const body = await readFile(r.pagePath, 'utf8');
    expect(body).toMatch(
      /^<\?xml[^>]*\?>\n<!-- RECORDED by npm run scrape:record on 2025-11-26T06:00:00.000Z from http:\/\/127\.0\.0\.1:\d+\/rss\/feed\.xml: the HTTP response body -->/,
    );
    expect(body).toContain('Understanding WebGPU compute shaders');
    const meta = JSON.parse(await readFile(r.metaPath, 'utf8'));
    expect(meta).toMatchObject({
      source: 'rss',
      kind: 'recorded',
      checkedBy: null,
      needsReview: expect.stringMatching(/compare them with the live page/),
      expected: { count: 3, titles: ['Understanding WebGPU compute shaders', 'Rust 2024 edition: what changed', ''] },
    });
    expect(r.mismatches).toEqual([]);
  });

  it('GIVEN what the person saw THEN it is what the metadata records, and a disagreeing parser is reported', async () => {
    const f = testFetcher();
    const r = await recordFixture({
      source: 'naver-news',
      url: `${site.origin}/naver-news/section/105`,
      fetcher: f,
      root,
      expectCount: 4,
      expectTitles: ['[속보] 삼성전자, 차세대 HBM4 양산 돌입'],
      now: new Date('2025-11-26T06:00:00Z'),
    });
    await f.close();
    const meta = JSON.parse(await readFile(r.metaPath, 'utf8'));
    expect(meta).toMatchObject({ section: '105', checkedBy: expect.stringMatching(/person/), expected: { count: 4 } });
    expect(meta.needsReview).toBeUndefined();
    expect(r.mismatches).toEqual(['the page shows 4 items, the parser read 3']);
    expect(await readFile(r.pagePath, 'utf8')).toMatch(/<head[^>]*><!-- RECORDED by npm run scrape:record/);
  });

  it('GIVEN source URLs THEN the section is guessed the way each plugin names its pages', () => {
    expect(sectionFor('naver-news', 'https://news.naver.com/section/105')).toBe('105');
    expect(sectionFor('clien', 'https://www.clien.net/service/board/park')).toBe('park');
    expect(sectionFor('inven', 'https://www.inven.co.kr/board/lostark/4811')).toBe('board:lostark/4811');
    expect(sectionFor('youtube', 'https://www.youtube.com/watch?v=OAIqCpqszVw')).toBe('watch:OAIqCpqszVw');
    expect(sectionFor('youtube', 'https://www.youtube.com/results?search_query=lofi')).toBe('search:lofi');
    expect(sectionFor('tiktok', 'https://www.tiktok.com/@nasa')).toBe('@nasa');
    expect(sectionFor('twitch', 'https://www.twitch.tv/directory/category/just-chatting')).toBe('just-chatting');
    expect(sectionFor('instagram', 'https://www.instagram.com/natgeo/')).toBe('natgeo');
  });
});
