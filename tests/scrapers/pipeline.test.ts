/**
 * The ingestion pipeline end to end against the fixture sites (real Chromium for Twitch and
 * Instagram): scrape → normalise → dedupe → thumbnails → vectors → store, with failing sources
 * isolated, health persisted, incremental re-runs, expiry and the background scheduler.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentItem } from '../../core/domain.js';
import type { ImageEncoder } from '../../core/ports.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { hasBinary, requireService } from '../helpers/services.js';
import { FIXTURE_CA, startSiteServer, type SiteServer } from '../helpers/site-server.js';
import type { Fetcher } from '../../scrapers/browser.js';
import { formatHealth, SourceHealthStore } from '../../scrapers/health.js';
import { KeyValueIngestSink, NS_ITEMS } from '../../scrapers/kv-sink.js';
import { IngestPipeline, type IngestVectors, type RunReport } from '../../scrapers/pipeline.js';
import { ScrapeScheduler } from '../../scrapers/scheduler.js';
import {
  clien,
  googleNews,
  instagram,
  inven,
  naverNews,
  rssFeed,
  twitch,
  youtube,
} from '../../scrapers/sources/index.js';
import { ThumbnailCache } from '../../scrapers/thumbnails.js';
import { sniffImage } from '../../scrapers/thumbnails.js';
import { at, CHROMIUM, clock, fakeTextEncoder, NOW, testFetcher } from './helpers.js';

const run = requireService('chromium', hasBinary(CHROMIUM));

/** A fake image encoder that checks it gets WebP bytes and returns a vector from the byte length. */
function fakeImageEncoder(): ImageEncoder & { seen: number } {
  const enc = {
    id: 'fake-image:4',
    dim: 4,
    label: 'fake image',
    seen: 0,
    async encode(images: readonly Uint8Array[]) {
      const out = new Float32Array(images.length * 4);
      images.forEach((b, i) => {
        if (sniffImage(b) !== 'webp') throw new Error('expected WebP bytes');
        enc.seen++;
        out.set([1, (b.length % 97) / 97, 0, 0], i * 4);
      });
      return out;
    },
  };
  return enc;
}

describe.runIf(run)('ingestion pipeline', () => {
  let site: SiteServer;
  let fetcher: Fetcher;
  let dir: string;
  let store: MemoryStore;
  let pipeline: IngestPipeline;
  let health: SourceHealthStore;
  const captured: { items: readonly ContentItem[]; vectors: IngestVectors }[] = [];
  const text = fakeTextEncoder(64);
  const image = fakeImageEncoder();
  let first: RunReport;

  beforeAll(async () => {
    site = await startSiteServer();
    fetcher = testFetcher();
    dir = await mkdtemp(join('tests/.tmp', 'pipeline-'));
    store = new MemoryStore();
    health = new SourceHealthStore(store);
    const o = site.origin;
    pipeline = new IngestPipeline({
      plugins: [
        naverNews({ ...at(o, 'naver-news'), sections: ['105'] }),
        googleNews({ ...at(o, 'google-news'), topics: ['TECHNOLOGY'], locales: ['ko-KR'] }),
        twitch(at(o, 'twitch')),
        clien(at(o, '_status/500/clien')),
        youtube({ ...at(o, 'youtube/broken'), trending: true }),
        instagram({ ...at(o, 'instagram'), accounts: ['private_acct'] }),
        inven({ ...at(o, 'inven'), boards: [] }),
        rssFeed({ url: `${o}/rss/feed.xml`, name: 'blog', category: 'tech', politeness: { delayMs: 0 } }),
        rssFeed({ url: `${o}/rss/atom.xml`, name: 'food', category: 'food', lang: 'ko', politeness: { delayMs: 0 } }),
      ],
      fetcher,
      sink: new KeyValueIngestSink(store, {
        onVectors: async (items, vectors) => void captured.push({ items, vectors }),
      }),
      health,
      textEncoder: text,
      imageEncoder: image,
      thumbnails: new ThumbnailCache({
        dataDir: dir,
        maxBytes: 1_000_000,
        maxPixels: 1_000_000,
        timeoutMs: 3000,
        allowPrivate: ['loopback'],
        ca: FIXTURE_CA,
        store,
      }),
      clock,
    });
    first = await pipeline.run();
  });
  afterAll(async () => {
    await fetcher?.close();
    await site?.close();
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('one failing source never stops the others; each failure has its reason', () => {
    const status = Object.fromEntries(first.sources.map((s) => [s.source, [s.status, s.error?.reason]]));
    expect(status).toEqual({
      'naver-news': ['ok', undefined],
      'google-news': ['ok', undefined],
      twitch: ['ok', undefined],
      clien: ['failing', 'HTTP_5XX'],
      youtube: ['failing', 'LAYOUT_CHANGED'],
      instagram: ['degraded', 'LOGIN_WALL'],
      inven: ['ok', undefined],
      'rss:blog': ['ok', undefined],
      'rss:food': ['ok', undefined],
    });
  });

  it('drops the same story from a second portal (near-duplicate title)', () => {
    expect(first.duplicates.map((d) => [d.dropped.source, d.dropped.title, d.of.source, d.of.title])).toEqual([
      ['google-news', '삼성전자 차세대 HBM4 양산 돌입', 'naver-news', '[속보] 삼성전자, 차세대 HBM4 양산 돌입'],
    ]);
    expect(first.sources.find((s) => s.source === 'google-news')).toMatchObject({
      found: 2,
      duplicateStory: 1,
      stored: 1,
    });
  });

  it('accounts for every item found: new + already stored + same URL + same story + invalid + over the cap', () => {
    for (const r of first.sources)
      expect(r.stored + r.known + r.duplicateUrl + r.duplicateStory + r.invalid + r.capped, r.source).toBe(r.found);
    // the feed's entry without title or link is counted as invalid, not lost
    expect(first.sources.find((s) => s.source === 'rss:blog')).toMatchObject({ found: 3, invalid: 1, stored: 2 });
  });

  it('names the condition of a source that delivered nothing: a layout change, a login wall', () => {
    const bySource = Object.fromEntries(first.sources.map((s) => [s.source, s]));
    expect(bySource.youtube).toMatchObject({ condition: 'layout-changed' });
    expect(bySource.youtube!.error!.message).toMatch(/layout changed: ytInitialData not found/);
    expect(bySource.instagram).toMatchObject({ condition: 'login-wall' });
    expect(bySource.instagram!.hint).toMatch(/RSS bridge/);
    expect(bySource.clien!.condition).toBeUndefined(); // a 500 is a failure, not one of the named conditions
  });

  it('stores every new item in the store with its content hash', async () => {
    const ids: string[] = [];
    for await (const k of store.keys(NS_ITEMS)) ids.push(k);
    expect(ids.sort()).toEqual(first.stored.map((i) => i.id).sort());
    // naver 3 + google 1 + twitch 3 + instagram card 1 + inven 2 + blog 2 + food 1
    expect(first.stored).toHaveLength(13);
    const stored = await store.get<ContentItem>(NS_ITEMS, first.stored[0]!.id);
    expect(stored).toMatchObject({
      source: 'naver-news',
      title: '[속보] 삼성전자, 차세대 HBM4 양산 돌입',
      fetchedAt: NOW.toISOString(),
    });
    expect(stored!.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hands over text and image vectors, row-aligned with the items', () => {
    expect(captured).toHaveLength(1);
    const { items, vectors } = captured[0]!;
    expect(vectors.text).toMatchObject({ encoderId: 'fake-bigram:64', dim: 64 });
    expect(vectors.text!.data.length).toBe(items.length * 64);
    const norms = items.map((_, r) => Math.hypot(...vectors.text!.data.subarray(r * 64, (r + 1) * 64)));
    norms.forEach((n) => expect(n).toBeCloseTo(1, 4));
    const img = vectors.image!;
    expect(img.encoderId).toBe('fake-image:4');
    const withImage = Array.from(img.rows, (r) => items[r]!.source);
    expect(withImage.sort()).toEqual(
      ['instagram', 'inven', 'naver-news', 'naver-news', 'rss:blog', 'twitch', 'twitch', 'twitch'].sort(),
    );
    expect(image.seen).toBe(8);
    expect(first.vectors).toEqual({ text: 13, image: 8 });
  });

  it('thumbnails: refused ones (too many pixels, fake image, redirect to a private address) are dropped from the items', () => {
    expect(first.thumbnails).toEqual({ ok: 8, failed: 0, refused: 3 });
    const bySource = (s: string) => first.stored.filter((i) => i.source === s);
    expect(bySource('rss:blog').find((i) => i.title.startsWith('Rust'))!.thumbnail).toBeUndefined(); // huge.png
    expect(bySource('rss:food')[0]!.thumbnail).toBeUndefined(); // redirect → 10.0.0.1
    expect(bySource('inven').find((i) => i.title.startsWith('T1'))!.thumbnail).toBeUndefined(); // fake.jpg
    expect(bySource('naver-news')[0]!.thumbnail).toBe(`${site.tlsOrigin}/img/naver-1.jpg`);
  });

  it('persists source health and formats it for /status', async () => {
    const all = await health.all();
    expect(all.map((h) => h.source)).toEqual([
      'clien',
      'google-news',
      'instagram',
      'inven',
      'naver-news',
      'rss:blog',
      'rss:food',
      'twitch',
      'youtube',
    ]);
    const clienHealth = all.find((h) => h.source === 'clien')!;
    expect(clienHealth).toMatchObject({
      status: 'failing',
      itemsFound: 0,
      pagesOk: 0,
      pagesFailed: 2,
      consecutiveFailures: 1,
      lastError: { code: 'SCRAPE_FAILED', reason: 'HTTP_5XX' },
    });
    expect(clienHealth.lastSuccessAt).toBeUndefined();
    const naver = all.find((h) => h.source === 'naver-news')!;
    expect(naver).toMatchObject({
      status: 'ok',
      itemsFound: 3,
      itemsNew: 3,
      lastSuccessAt: NOW.toISOString(),
      lastRunAt: NOW.toISOString(),
    });
    expect(naver.lastError).toBeUndefined();
    expect(all.find((h) => h.source === 'instagram')!.notes).toEqual([
      'login wall for @private_acct: posts need a login; profile card only',
    ]);
    const lines = formatHealth(all, NOW);
    expect(lines.find((l) => l.includes('clien'))).toMatch(
      /^✗ clien · failing · last success never · 0 found: 0 new · 0\/2 pages · .* · error HTTP_5XX: HTTP 500/,
    );
    expect(lines.find((l) => l.includes('naver-news'))).toMatch(
      /^✓ naver-news · ok · last success 0s ago · 3 found: 3 new · 1\/1 pages/,
    );
    expect(lines.find((l) => l.includes('youtube'))).toMatch(
      /failing \(LAYOUT CHANGED\).*hint: the site changed its markup/,
    );
    expect(lines.find((l) => l.includes('instagram'))).toMatch(
      /degraded \(LOGIN WALL\).*hint: Instagram shows posts only/,
    );
    expect(lines.find((l) => l.includes('google-news'))).toMatch(/2 found: 1 new, 1 same story/);
  });

  it('is incremental: a second run stores nothing new and embeds nothing', async () => {
    const calls = text.calls;
    const second = await pipeline.run({ sources: ['naver-news', 'rss:blog'] });
    expect(second.stored).toEqual([]);
    expect(second.sources.map((s) => [s.source, s.found, s.known, s.stored])).toEqual([
      ['naver-news', 3, 3, 0],
      ['rss:blog', 3, 2, 0], // the feed's third entry has no title or link
    ]);
    // the run says why nothing is new ("3 found, 0 new" alone hid it)
    expect(formatHealth([(await health.get('naver-news'))!], NOW)[0]).toMatch(/3 found: 0 new, 3 already stored/);
    expect(text.calls).toBe(calls);
    await expect(pipeline.run({ sources: ['nope'] })).rejects.toThrow(/unknown source/);
  });

  it('a failing source counts consecutive failures and keeps its last success', async () => {
    await pipeline.run({ sources: ['clien'] });
    expect((await health.get('clien'))!.consecutiveFailures).toBe(2);
  });

  it('expires items older than the age limit', async () => {
    const before = first.stored.filter((i) => Date.parse(i.publishedAt) < NOW.getTime() - 86400e3).length;
    expect(before).toBeGreaterThan(0);
    expect(await pipeline.expire(1)).toBe(before);
    expect(await pipeline.expire(0)).toBe(0);
  });

  it('the scheduler runs sources in the background without blocking the event loop, and stops cleanly', async () => {
    const scheduler = new ScrapeScheduler({
      pipeline,
      intervalMinutes: 60,
      maxAgeDays: 30,
      store,
      initialDelayMs: 0,
      staggerMs: 0,
    });
    const done = new Set<string>();
    const original = pipeline.run.bind(pipeline);
    pipeline.run = async (o) => {
      const r = await original(o);
      o?.sources?.forEach((id) => done.add(id));
      return r;
    };
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    scheduler.start();
    expect(scheduler.running).toEqual([]); // start() returns at once; runs begin on timers
    const deadline = Date.now() + 60_000;
    while (done.size < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    pipeline.run = original;
    expect(done.size).toBe(9);
    await scheduler.stop();
    lag.disable();
    expect(scheduler.running).toEqual([]);
    // a chat reply would have waited at most this long for the event loop
    expect(lag.max / 1e6).toBeLessThan(1000);
    expect((await health.get('clien'))!.consecutiveFailures).toBeGreaterThanOrEqual(3);
  });
});
