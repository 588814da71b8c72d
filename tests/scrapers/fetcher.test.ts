/** The HTTP fast path of the fetcher: robots.txt, retries and backoff, timeouts, limits, politeness. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSiteServer, type SiteServer } from '../helpers/site-server.js';
import { BOT_TOKEN, reasonOf } from '../../scrapers/browser.js';
import { testFetcher } from './helpers.js';

describe('fetcher (http mode)', () => {
  let site: SiteServer;
  beforeAll(async () => {
    site = await startSiteServer();
  });
  afterAll(async () => {
    await site?.close();
  });

  it('sends the bot user agent and reads robots.txt once per origin', async () => {
    const f = testFetcher();
    const page = await f.fetchPage({ url: `${site.origin}/og/article.html`, mode: 'http' });
    await f.fetchPage({ url: `${site.origin}/clien/service/board/park`, mode: 'http' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Ten quiet islands');
    const mine = site.log.filter((l) => l.ua.includes(BOT_TOKEN));
    expect(mine.filter((l) => l.path === '/robots.txt')).toHaveLength(1);
    expect(mine.some((l) => l.path === '/og/article.html')).toBe(true);
    await f.close();
  });

  it('skips pages robots.txt disallows, without requesting them', async () => {
    const f = testFetcher();
    const err = await f.fetchPage({ url: `${site.origin}/no-bots/index.html`, mode: 'http' }).catch((e: unknown) => e);
    expect(reasonOf(err)).toBe('ROBOTS_DISALLOWED');
    expect(site.hits('/no-bots/')).toBe(0);
    expect(f.stats.robotsSkipped).toBe(1);
    await f.close();
  });

  it('retries 5xx with backoff and succeeds; gives up after the retries', async () => {
    const f = testFetcher({ retries: 2 });
    const ok = await f.fetchPage({ url: `${site.origin}/_flaky/2/og/article.html`, mode: 'http' });
    expect(ok.status).toBe(200);
    expect(site.hits('/_flaky/2/og/article.html')).toBe(3);
    const err = await f
      .fetchPage({ url: `${site.origin}/_flaky/9/og/article.html`, mode: 'http' })
      .catch((e: unknown) => e);
    expect(reasonOf(err)).toBe('HTTP_5XX');
    expect(site.hits('/_flaky/9/og/article.html')).toBe(3);
    await f.close();
  });

  it('times out slow responses (bounded) and retries them once', async () => {
    const f = testFetcher({ timeoutMs: 1000, retries: 1 });
    const t0 = performance.now();
    const err = await f
      .fetchPage({ url: `${site.origin}/_slow/5000/og/article.html`, mode: 'http' })
      .catch((e: unknown) => e);
    const took = performance.now() - t0;
    expect(reasonOf(err)).toBe('TIMEOUT');
    expect(site.hits('/_slow/5000/')).toBe(2);
    expect(took).toBeLessThan(4500);
    await f.close();
  });

  it('refuses bodies over the limit', async () => {
    const f = testFetcher({ maxBodyBytes: 300 });
    const err = await f.fetchPage({ url: `${site.origin}/og/article.html`, mode: 'http' }).catch((e: unknown) => e);
    expect(reasonOf(err)).toBe('TOO_LARGE');
    await f.close();
  });

  it('spaces requests to one host by the politeness delay', async () => {
    const f = testFetcher({ delayMs: 300, perDomain: 1 });
    const t0 = performance.now();
    await Promise.all([1, 2, 3].map(() => f.fetchPage({ url: `${site.origin}/og/article.html`, mode: 'http' })));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(580);
    await f.close();
  });

  it('network errors are classified (closed port)', async () => {
    const f = testFetcher({ respectRobots: false, retries: 0 });
    const err = await f.fetchPage({ url: 'http://127.0.0.1:9/x', mode: 'http' }).catch((e: unknown) => e);
    expect(reasonOf(err)).toBe('NETWORK');
    await f.close();
  });
});
