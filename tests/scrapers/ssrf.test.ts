/**
 * SSRF: the one address guard every scraper request goes through (scrapers/net-guard.ts), proven
 * with SCRAPE_ALLOW_PRIVATE off (or allowing loopback only, where the fixture server on 127.0.0.1
 * stands in for "the public internet"): every address form, DNS answers, every redirect hop,
 * robots.txt, plain HTTP, thumbnails and Chromium (navigations, subresources, XHR, iframes).
 */
import type { LookupAddress } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, requireService } from '../helpers/services.js';
import { startSiteServer, type SiteServer } from '../helpers/site-server.js';
import { reasonOf } from '../../scrapers/browser.js';
import { AddressGuard, checkUrl, type AllowPrivate } from '../../scrapers/net-guard.js';
import { CHROMIUM, testFetcher } from './helpers.js';

/** A resolver that answers from a table (anything else: ENOTFOUND), and remembers what it was asked. */
function tableResolver(table: Record<string, string[]>) {
  const asked: string[] = [];
  const resolve = async (host: string): Promise<LookupAddress[]> => {
    asked.push(host);
    const addrs = table[host];
    if (!addrs) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, asked };
}

const refusedRange = async (guard: AddressGuard, url: string) => {
  const r = await guard.checkUrl(url);
  return r.ok ? 'allowed' : `${r.error.reason}:${r.error.range ?? ''}`;
};

describe('address guard (SCRAPE_ALLOW_PRIVATE=false)', () => {
  const { resolve } = tableResolver({
    'news.example': ['93.184.216.34'],
    'public-looking.example': ['127.0.0.1'],
    'split-horizon.example': ['93.184.216.34', '10.1.2.3'],
    'v6only.example': ['::1'],
    localhost: ['127.0.0.1'],
  });
  const guard = new AddressGuard({ allowPrivate: false, resolve });

  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['http://2130706433/', 'loopback'], // decimal
    ['http://0x7f.0.0.1/', 'loopback'], // hex
    ['http://0x7f000001/', 'loopback'],
    ['http://0177.0.0.1/', 'loopback'], // octal
    ['http://127.1/', 'loopback'], // short form
    ['http://0.0.0.0/', 'unspecified'],
    ['http://0/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://[::1]/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'], // IPv4-mapped IPv6
    ['http://[::ffff:7f00:1]/', 'loopback'],
    ['http://[::ffff:a9fe:a9fe]/', 'linkLocal'], // mapped 169.254.169.254
    ['http://169.254.169.254/latest/meta-data/', 'linkLocal'], // cloud metadata
    ['http://10.0.0.1/', 'private'],
    ['http://172.16.5.4/', 'private'],
    ['http://192.168.1.1:8080/admin', 'private'],
    ['http://100.64.0.1/', 'carrierGradeNat'],
    ['http://[fc00::1]/', 'uniqueLocal'],
    ['http://[fd12:3456::1]/', 'uniqueLocal'],
    ['http://[fe80::1]/', 'linkLocal'],
    ['http://[64:ff9b::7f00:1]/', 'rfc6052'], // NAT64 of 127.0.0.1
    ['http://[2002:7f00:1::]/', '6to4'], // 6to4 of 127.0.0.1
    ['http://224.0.0.1/', 'multicast'],
    ['http://255.255.255.255/', 'broadcast'],
    ['http://198.18.0.1/', 'reserved'],
  ])('GIVEN %s THEN it is refused as a %s address', async (url, range) => {
    expect(await refusedRange(guard, url)).toBe(`BLOCKED_ADDRESS:${range}`);
  });

  it('GIVEN names THEN every DNS answer is checked: a public-looking name on 127.0.0.1, one private answer among public ones, localhost', async () => {
    expect(await refusedRange(guard, 'https://public-looking.example/feed.xml')).toBe('BLOCKED_ADDRESS:loopback');
    expect(await refusedRange(guard, 'https://split-horizon.example/')).toBe('BLOCKED_ADDRESS:private');
    expect(await refusedRange(guard, 'http://v6only.example/')).toBe('BLOCKED_ADDRESS:loopback');
    expect(await refusedRange(guard, 'http://localhost:8080/')).toBe('BLOCKED_ADDRESS:loopback');
    expect(await refusedRange(guard, 'http://metadata.localhost/')).toBe('BLOCKED_ADDRESS:loopback');
    expect(await refusedRange(guard, 'https://news.example/rss')).toBe('allowed');
    expect(await refusedRange(guard, 'http://8.8.8.8/')).toBe('allowed');
    expect(await refusedRange(guard, 'http://[2606:4700::1111]/')).toBe('allowed');
    expect(await refusedRange(guard, 'http://unknown.example/')).toBe('NETWORK:');
  });

  it('GIVEN non-http schemes THEN they are refused', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://news.example/', 'gopher://news.example/', 'data:text/html,x'])
      expect(await refusedRange(guard, url), url).toBe('BLOCKED_ADDRESS:');
  });

  it('GIVEN the switch THEN true allows every range, a list allows only its ranges, and checkUrl is the one-call API', async () => {
    const all = new AddressGuard({ allowPrivate: true, resolve });
    expect(await refusedRange(all, 'http://127.0.0.1/')).toBe('allowed');
    expect(await refusedRange(all, 'http://169.254.169.254/')).toBe('allowed');
    const loopbackOnly = new AddressGuard({ allowPrivate: ['loopback'], resolve });
    expect(await refusedRange(loopbackOnly, 'http://127.0.0.1/')).toBe('allowed');
    expect(await refusedRange(loopbackOnly, 'http://10.0.0.1/')).toBe('BLOCKED_ADDRESS:private');
    const r = await checkUrl('http://169.254.169.254/latest/meta-data/');
    expect(r).toMatchObject({ ok: false, error: { reason: 'BLOCKED_ADDRESS', range: 'linkLocal' } });
    expect(r.ok ? '' : r.error.message).toMatch(
      /169\.254\.169\.254 \(linkLocal address; SCRAPE_ALLOW_PRIVATE is off\)/,
    );
  });

  it('GIVEN the lookup a socket connects with THEN it refuses what the check refuses and hands over only checked answers', async () => {
    const lookup = (host: string) =>
      new Promise<unknown>((res) =>
        guard.lookup(host, { all: true }, (e, addrs) => res(e ? `refused:${(e as Error).message}` : addrs)),
      );
    expect(await lookup('news.example')).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect(await lookup('public-looking.example')).toMatch(
      /^refused:refused: public-looking\.example resolves to 127\.0\.0\.1/,
    );
    expect(await lookup('split-horizon.example')).toMatch(/^refused:.*10\.1\.2\.3 \(private/);
  });
});

describe('every scraper request goes through the guard', () => {
  let site: SiteServer;
  let port: string;
  beforeAll(async () => {
    site = await startSiteServer();
    port = new URL(site.origin).port;
  });
  afterAll(async () => {
    await site?.close();
  });
  const fetcher = (allowPrivate: AllowPrivate, table: Record<string, string[]> = {}) =>
    testFetcher({ allowPrivate, resolve: tableResolver(table).resolve, retries: 0 });

  it('GIVEN SCRAPE_ALLOW_PRIVATE=false THEN plain HTTP to 127.0.0.1, localhost, 2130706433 and a public-looking name on 127.0.0.1 sends nothing, not even robots.txt', async () => {
    const f = fetcher(false, { 'news.example': ['127.0.0.1'], localhost: ['127.0.0.1'] });
    const before = site.log.length;
    for (const url of [
      `${site.origin}/og/article.html`,
      `http://localhost:${port}/og/article.html`,
      `http://2130706433:${port}/og/article.html`,
      `http://0x7f.1:${port}/og/article.html`,
      `http://[::ffff:127.0.0.1]:${port}/og/article.html`,
      `http://news.example:${port}/og/article.html`,
    ]) {
      const err = await f.fetchPage({ url, mode: 'http' }).catch((e: unknown) => e);
      expect(reasonOf(err), url).toBe('BLOCKED_ADDRESS');
    }
    expect(site.log.length - before).toBe(0);
    expect(f.stats.blocked).toBe(6);
    await f.close();
  });

  it('GIVEN a redirect chain public → private THEN the private hop is refused before connecting (literal, mapped, and a name that resolves privately)', async () => {
    // loopback stands in for the public internet: the fixture server is the first, allowed hop
    const f = fetcher(['loopback'], { 'internal.test': ['10.0.0.1'] });
    for (const target of [
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://[::ffff:10.0.0.1]/',
      'http://internal.test/admin',
      'http://[fd00::1]/',
      'file:///etc/passwd',
    ]) {
      const hop = `/_redirect/${encodeURIComponent(target)}`;
      const before = site.hits(hop);
      const err = await f.fetchPage({ url: `${site.origin}${hop}`, mode: 'http' }).catch((e: unknown) => e);
      expect(reasonOf(err), target).toBe('BLOCKED_ADDRESS');
      expect(site.hits(hop) - before).toBe(1); // the public hop was fetched, the private one never
    }
    // a redirect to an allowed address still works
    const ok = await f.fetchPage({
      url: `${site.origin}/_redirect/${encodeURIComponent('/og/article.html')}`,
      mode: 'http',
    });
    expect(ok.finalUrl).toBe(`${site.origin}/og/article.html`);
    await f.close();
  });

  it('GIVEN a robots.txt that redirects to a private address THEN robots counts as unreachable and the page is not fetched', async () => {
    const evil = await startSiteServer({ robotsRedirect: 'http://169.254.169.254/robots.txt' });
    try {
      const f = fetcher(['loopback']);
      const err = await f.fetchPage({ url: `${evil.origin}/og/article.html`, mode: 'http' }).catch((e: unknown) => e);
      expect(reasonOf(err)).toBe('ROBOTS_UNREACHABLE');
      expect((err as Error).message).toMatch(/169\.254\.169\.254/);
      expect(evil.hits('/og/')).toBe(0);
      expect(f.stats.blocked).toBe(1);
      await f.close();
    } finally {
      await evil.close();
    }
  });
});

describe.runIf(requireService('chromium', hasBinary(CHROMIUM)))('Chromium requests go through the guard', () => {
  let site: SiteServer;
  beforeAll(async () => {
    site = await startSiteServer();
  });
  afterAll(async () => {
    await site?.close();
  });

  it('GIVEN SCRAPE_ALLOW_PRIVATE=false THEN a browser navigation to 127.0.0.1 is refused and nothing reaches the server', async () => {
    const f = testFetcher({ allowPrivate: false, retries: 0 });
    const before = site.log.length;
    const err = await f
      .fetchPage({ url: `${site.origin}/twitch/directory/all`, mode: 'browser' })
      .catch((e: unknown) => e);
    expect(reasonOf(err)).toBe('BLOCKED_ADDRESS');
    expect(site.log.length - before).toBe(0);
    await f.close();
  });

  it('GIVEN a page THEN its navigation redirects, subresources, iframes and fetch() calls to private addresses are all refused', async () => {
    const f = testFetcher({
      allowPrivate: ['loopback'],
      resolve: tableResolver({ 'internal.test': ['10.9.8.7'] }).resolve,
      retries: 0,
    });
    const page = await f.fetchPage({
      url: `${site.origin}/ssrf/subresources.html`,
      mode: 'browser',
      waitFor: '#xhr.done',
    });
    expect(page.body).toContain('refused,refused,refused,refused,refused');
    // script, stylesheet, iframe's redirect target, five fetch() targets: each refused by the guard
    expect(f.stats.blocked).toBeGreaterThanOrEqual(8);
    // a navigation that redirects to the metadata address fails as a refusal
    const err = await f
      .fetchPage({
        url: `${site.origin}/_redirect/${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`,
        mode: 'browser',
      })
      .catch((e: unknown) => e);
    expect(reasonOf(err)).toBe('BLOCKED_ADDRESS');
    // an allowed redirect is followed through the guard and the final URL reported
    const moved = await f.fetchPage({
      url: `${site.origin}/_redirect/${encodeURIComponent('/og/article.html')}`,
      mode: 'browser',
    });
    expect(moved.finalUrl).toBe(`${site.origin}/og/article.html`);
    expect(moved.body).toContain('Ten quiet islands');
    expect(moved.body).toContain(`<base href="${site.origin}/og/article.html">`);
    await f.close();
  }, 60_000);
});
