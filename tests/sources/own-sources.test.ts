/**
 * People's own sources end to end on the real scraper machinery (the app's probe and runtime, the guarded
 * fetcher, the RSS/OpenGraph plugins, the ingest pipeline into the live catalog) against the fixture site on
 * 127.0.0.1: subscribe → the feed's items appear in the catalog and are boosted for the subscriber only; feed
 * discovery from a blog page; a page read by its OpenGraph tags; health after failures; private addresses
 * refused before anything is sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import { SUBSCRIBED_SOURCE_BONUS } from '../../core/recommend.js';
import type { Actor } from '../../core/users/doc.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { startSiteServer, type SiteServer } from '../helpers/site-server.js';
import { TestClock, fixtureItems, makeApp } from '../helpers/telegram-app.js';

const mina: Actor = { platform: 'telegram', externalId: '11', displayName: 'mina' };
const joon: Actor = { platform: 'telegram', externalId: '12', displayName: 'joon' };
/** No DNS in tests: names fail at once (thumbnails on remote hosts), literal 127.0.0.1 needs none. */
const noDns = async (host: string) => {
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

describe('own sources on the scraper pipeline (fixture site on 127.0.0.1)', () => {
  let site: SiteServer;
  let app: App;
  const clock = new TestClock(new Date('2026-03-10T00:00:00Z'));

  beforeAll(async () => {
    site = await startSiteServer();
    app = await makeApp({
      store: new MemoryStore(),
      clock,
      env: { SCRAPE_ALLOW_PRIVATE: 'true', SCRAPE_DELAY_MS: '0', SOURCES_FETCH_MINUTES: '60' },
      items: fixtureItems(clock.now()).slice(0, 6),
      sources: { resolve: noDns, retries: 0 },
    });
  });
  afterAll(async () => {
    await app?.close();
    await site?.close();
  });

  it('GIVEN /subscribe to a feed THEN its items enter the catalog and are boosted for the subscriber only', async () => {
    const url = `${site.origin}/own/feed.xml`;
    const r = await app.sources.subscribe(mina, url);
    expect(r.status).toBe('subscribed');
    expect(r.record).toMatchObject({ kind: 'feed', title: 'Bouldering Notebook', url });
    const id = r.record!.id;
    await app.sources.fetchNow(id);
    const fromFeed = app.catalog.index.items.filter((i) => i.source === id);
    expect(fromFeed.map((i) => i.title).sort()).toEqual([
      'Bouldering gyms in Seoul, ranked',
      'Choosing your first climbing shoes',
      'Finger injuries: when to rest',
      'Heel hooks on overhangs: a practice plan',
    ]);

    // Both people see the shared catalog; only the subscriber's list lifts the feed's items.
    const count = app.catalog.size;
    expect(count).toBeLessThanOrEqual(10);
    const listOf = async (a: Actor) =>
      new Map(
        (await app.core.recommend.recommend(a, { count }, { chatId: a.externalId })).items.map((x) => [
          x.item.id,
          x.evidence.score,
        ]),
      );
    const mine = await listOf(mina);
    const theirs = await listOf(joon);
    expect(mine.size).toBe(count);
    expect(theirs.size).toBe(count);
    for (const item of app.catalog.index.items) {
      const lift = mine.get(item.id)! - theirs.get(item.id)!;
      if (item.source === id) expect(lift).toBeCloseTo(SUBSCRIBED_SOURCE_BONUS, 4);
      else expect(lift).toBeCloseTo(0, 6);
    }

    const listed = (await app.sources.list(mina)).message;
    expect(listed).toMatch(/1\. Bouldering Notebook — http:\/\/127\.0\.0\.1:\d+\/own\/feed\.xml/);
    expect(listed).toMatch(/✓ last fetched .* · 4 new/);
  });

  it('GIVEN a blog page that announces its feed THEN the feed is found (same source as the feed itself)', async () => {
    const r = await app.sources.subscribe(joon, `${site.origin}/own/blog.html`);
    expect(r.status).toBe('subscribed');
    expect(r.record).toMatchObject({ kind: 'feed', url: `${site.origin}/own/feed.xml` });
    expect(r.record!.subscribers).toHaveLength(2);
    expect((await app.sources.subscribe(mina, `${site.origin}/own/blog.html`)).status).toBe('already');
  });

  it('GIVEN a page with OpenGraph tags and no feed THEN it is followed as a page', async () => {
    const r = await app.sources.subscribe(mina, `${site.origin}/og/article.html`);
    expect(r.record).toMatchObject({ kind: 'page', title: 'Ten quiet islands to visit in Korea this winter' });
    await app.sources.fetchNow(r.record!.id);
    expect(app.catalog.index.items.some((i) => i.source === r.record!.id)).toBe(true);
  });

  it('GIVEN a YouTube channel feed THEN its videos come with their view counts', async () => {
    const r = await app.sources.subscribe(joon, `${site.origin}/own/yt-videos.xml`);
    expect(r.record).toMatchObject({ kind: 'feed', title: 'Climbing Daily' });
    await app.sources.fetchNow(r.record!.id);
    const video = app.catalog.index.items.find((i) => i.source === r.record!.id)!;
    expect(video.title).toBe('Crimp strength in 10 minutes a day');
    expect(video.popularity.views).toBe(20511);
  });

  it('GIVEN no address, a stranger scheme or a page without feed or preview THEN a clear answer', async () => {
    expect((await app.sources.subscribe(mina, 'ftp://example.com/feed')).message).toMatch(/not a web address/);
    expect((await app.sources.subscribe(mina, `${site.origin}/own/missing.xml`)).message).toMatch(
      /could not read .* \(HTTP 404\)/,
    );
  });

  describe('health', () => {
    let server: Server;
    let mode: 'feed' | 'down' | 'html' = 'feed';
    let origin = '';
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/robots.txt') return res.writeHead(404).end();
        if (mode === 'down') return res.writeHead(500).end('oops');
        if (mode === 'html')
          return res
            .writeHead(200, { 'content-type': 'text/html' })
            .end('<html><body><div class="post"><a href="/p/1">A post</a></div></body></html>');
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        res.end(
          '<?xml version="1.0"?><rss version="2.0"><channel><title>Flaky</title><item><title>One</title><link>https://flaky.example/1</link></item></channel></rss>',
        );
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });

    it('GIVEN a source that starts failing THEN /sources says since when; GIVEN its layout changes THEN it says so', async () => {
      const actor: Actor = { platform: 'console', externalId: 'health' };
      const r = await app.sources.subscribe(actor, `${origin}/feed`);
      const id = r.record!.id;
      await app.sources.fetchNow(id);
      expect((await app.sources.list(actor)).message).toMatch(/✓ last fetched/);
      mode = 'down';
      clock.advance(2 * 3_600_000);
      await app.sources.fetchNow(id);
      clock.advance(3 * 3_600_000);
      await app.sources.fetchNow(id);
      expect((await app.sources.list(actor)).message).toMatch(/✗ failing since 3 h ago · HTTP 5XX/);
      mode = 'html';
      await app.sources.fetchNow(id);
      expect((await app.sources.list(actor)).message).toMatch(/⚠ layout changed/);
    });
  });
});

describe('own sources: the outbound address guard (SCRAPE_ALLOW_PRIVATE=false)', () => {
  let site: SiteServer;
  let app: App;
  const clock = new TestClock(new Date('2026-03-10T00:00:00Z'));

  beforeAll(async () => {
    site = await startSiteServer();
    app = await makeApp({
      store: new MemoryStore(),
      clock,
      env: { SCRAPE_ALLOW_PRIVATE: 'false' },
      sources: { resolve: noDns },
    });
  });
  afterAll(async () => {
    await app?.close();
    await site?.close();
  });

  it.each([
    ['the loopback fixture site', () => `${site.origin}/own/feed.xml`, /127\.0\.0\.1 is a loopback address/],
    [
      'the cloud metadata address',
      () => 'http://169.254.169.254/latest/meta-data/',
      /169\.254\.169\.254 is a linkLocal address/,
    ],
    ['a private LAN address', () => 'http://192.168.0.10/feed', /192\.168\.0\.10 is a private address/],
    ['an IPv4-mapped IPv6 loopback', () => 'http://[::ffff:127.0.0.1]/feed', /is a loopback address/],
  ])('GIVEN /subscribe to %s THEN it is refused with the reason and nothing is fetched', async (_what, url, reason) => {
    const before = site.log.length;
    const r = await app.sources.subscribe(mina, url());
    expect(r.status).toBe('refused');
    expect(r.message).toMatch(reason);
    expect(r.message).toMatch(/only follow public internet addresses/);
    expect(site.log.length).toBe(before);
    expect((await app.sources.list(mina)).message).toMatch(/No sources yet/);
  });
});

describe('own sources: a redirect to a private address', () => {
  let site: SiteServer;
  let app: App;
  const clock = new TestClock(new Date('2026-03-10T00:00:00Z'));

  beforeAll(async () => {
    site = await startSiteServer();
    // Loopback stands in for "the public internet" here; everything else private stays refused.
    app = await makeApp({ store: new MemoryStore(), clock, sources: { allowPrivate: ['loopback'], resolve: noDns } });
  });
  afterAll(async () => {
    await app?.close();
    await site?.close();
  });

  it('GIVEN a public URL that redirects to a private one THEN the hop is refused', async () => {
    const url = `${site.origin}/_redirect/${encodeURIComponent('http://10.0.0.8/feed.xml')}`;
    const r = await app.sources.subscribe(mina, url);
    expect(r.status).toBe('refused');
    expect(r.message).toMatch(/10\.0\.0\.8 is a private address/);
  });
});
