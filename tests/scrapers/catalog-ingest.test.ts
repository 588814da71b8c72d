/**
 * Scraped items flow into the live catalog the bot recommends from: the app's CatalogIngestSink
 * behind the real pipeline (RSS/Atom fixtures over HTTP), with the app's own encoder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import { CatalogIngestSink } from '../../app/catalog-sink.js';
import { CountingStore } from '../../core/store/counting.js';
import { SourceHealthStore } from '../../scrapers/health.js';
import { IngestPipeline } from '../../scrapers/pipeline.js';
import { rssFeed } from '../../scrapers/sources/index.js';
import type { Fetcher } from '../../scrapers/browser.js';
import { testApp } from '../helpers/app.js';
import { item } from '../helpers/items.js';
import { startSiteServer, type SiteServer } from '../helpers/site-server.js';
import { NOW, testFetcher } from './helpers.js';

describe('scraped content into the live catalog', () => {
  let site: SiteServer;
  let fetcher: Fetcher;
  let app: App;
  let pipeline: IngestPipeline;
  const builtin = [
    item('builtin-yt-0001', 'Built-in jazz session', 'music', { now: NOW }),
    item('builtin-yt-0002', 'Built-in ramen guide', 'food', { now: NOW }),
  ];

  beforeAll(async () => {
    site = await startSiteServer();
    fetcher = testFetcher();
    app = await testApp({ items: builtin, now: () => NOW });
    pipeline = new IngestPipeline({
      plugins: [
        rssFeed({ url: `${site.origin}/rss/feed.xml`, name: 'blog', category: 'tech', politeness: { delayMs: 0 } }),
        rssFeed({
          url: `${site.origin}/rss/atom.xml`,
          name: 'food',
          category: 'food',
          lang: 'ko',
          politeness: { delayMs: 0 },
        }),
      ],
      fetcher,
      sink: new CatalogIngestSink(app.catalog, app.store, app.logger),
      health: new SourceHealthStore(app.store),
      textEncoder: app.catalog.textEncoder,
      clock: { now: () => NOW },
    });
  });
  afterAll(async () => {
    await fetcher?.close();
    await site?.close();
    await app?.close();
  });

  it('GIVEN a scrape THEN new items are recommendable, the built-in bridge retires, and a re-run adds nothing', async () => {
    expect(app.catalog.size).toBe(2);
    const report = await pipeline.run();
    expect(report.stored.length).toBeGreaterThanOrEqual(2);
    const ids = new Set(app.catalog.index.items.map((i) => i.id));
    for (const s of report.stored) expect(ids.has(s.id)).toBe(true);
    // Scraped items now outnumber the built-in ones, so those are retired.
    expect([...ids].some((id) => id.startsWith('builtin-'))).toBe(false);
    // The new items are embedded and found by topic.
    const target = report.stored[0]!;
    const res = await app.reco.recommend(
      { platform: 'console', externalId: 't' },
      { topic: target.title, count: 3 },
      { chatId: 'c' },
    );
    expect(res.items.map((i) => i.item.id)).toContain(target.id);
    const again = await pipeline.run();
    expect(again.stored).toEqual([]);
  });

  it('GIVEN scraped items THEN recent titles carry summaries and known dates, and their vectors are stored in one round trip', async () => {
    const counting = new CountingStore(app.store);
    const sink = new CatalogIngestSink(app.catalog, counting, app.logger);
    const enc = app.catalog.textEncoder;
    const fresh = [
      { ...item('scr-a', 'Seoul derby ends level', 'sports', { now: NOW }), summary: 'A late equaliser.' },
      {
        ...item('scr-b', 'Undated forum post', 'games', { now: NOW }),
        summary: 'No date on the page.',
        dateUnknown: true,
      },
    ];
    const data = await enc.encode(fresh.map((i) => `${i.title} ${i.summary}`));
    await sink.upsert(fresh, { text: { encoderId: enc.id, dim: enc.dim, data } });
    expect(counting.count('writeBatch')).toBe(1);
    expect(counting.count('set')).toBe(0);
    const recent = await sink.recent(50);
    const a = recent.find((r) => r.id === 'scr-a');
    const b = recent.find((r) => r.id === 'scr-b');
    expect(a).toMatchObject({ summary: 'A late equaliser.', publishedAt: fresh[0]!.publishedAt });
    expect(b?.summary).toBe('No date on the page.');
    expect(b && 'publishedAt' in b).toBe(false);
  });

  it('GIVEN the expiry policy THEN scraped items older than the cutoff leave the catalog', async () => {
    const sink = new CatalogIngestSink(app.catalog, app.store, app.logger);
    const before = app.catalog.size;
    const removed = await sink.expire(new Date(NOW.getTime() + 365 * 86_400_000));
    expect(removed).toBe(before);
    expect(app.catalog.size).toBe(0);
  });
});
