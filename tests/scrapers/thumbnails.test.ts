/** Thumbnail cache: limits, sniffing, WebP re-encoding, content addressing and the SSRF guard. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_CA, startSiteServer, type SiteServer } from '../helpers/site-server.js';
import { addressVerdict, sniffImage, ThumbnailCache, type ThumbnailOptions } from '../../scrapers/thumbnails.js';
import { reasonOf } from '../../scrapers/browser.js';
import { MemoryStore } from '../../infra/store/memory.js';

describe('thumbnail cache', () => {
  let site: SiteServer;
  let dir: string;
  beforeAll(async () => {
    site = await startSiteServer();
    dir = await mkdtemp(join('tests/.tmp', 'thumbs-'));
  });
  afterAll(async () => {
    await site?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const cache = (o: Partial<ThumbnailOptions> = {}) =>
    new ThumbnailCache({
      dataDir: dir,
      maxBytes: 1_000_000,
      maxPixels: 1_000_000,
      timeoutMs: 3000,
      allowPrivate: ['loopback'],
      ca: FIXTURE_CA,
      ...o,
    });
  const reason = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: unknown) => reasonOf(e),
    );

  it('downloads, re-encodes to a ≤320px WebP, stores it content-addressed, and indexes it by URL', async () => {
    const store = new MemoryStore();
    const c = cache({ store });
    const t = await c.get(`${site.tlsOrigin}/img/naver-1.jpg`); // https, trusting the fixture CA
    expect(t.width).toBe(320);
    expect(t.height).toBe(180);
    expect(t.path).toBe(join(dir, 'thumbs', `${t.sha256}.webp`));
    const bytes = await c.read(`${site.tlsOrigin}/img/naver-1.jpg`);
    expect(sniffImage(bytes!)).toBe('webp');
    expect((await sharp(bytes!).metadata()).format).toBe('webp');
    // a second cache over the same store finds it without downloading
    const again = cache({ store });
    expect(await again.get(`${site.tlsOrigin}/img/naver-1.jpg`)).toEqual(t);
    expect(again.stats.downloads).toBe(0);
    // identical content under another URL maps to the same file
    const viaRedirect = await c.get(`${site.origin}/img/redirect-ok`);
    expect(viaRedirect.sha256).toBe((await c.get(`${site.origin}/img/a.jpg`)).sha256);
    expect((await readdir(join(dir, 'thumbs'))).filter((f) => f.endsWith('.webp')).length).toBe(2);
    await store.close();
  });

  it('refuses oversized bytes (declared, and while streaming without Content-Length)', async () => {
    const c = cache();
    expect(await reason(c.get(`${site.origin}/img/declared-big.jpg`))).toBe('TOO_LARGE');
    const t0 = performance.now();
    expect(await reason(c.get(`${site.origin}/img/stream-big.jpg`))).toBe('TOO_LARGE');
    expect(performance.now() - t0).toBeLessThan(2500);
  });

  it('refuses images over the pixel limit', async () => {
    expect(await reason(cache().get(`${site.origin}/img/huge.png`))).toBe('TOO_MANY_PIXELS');
    expect(await reason(cache({ maxPixels: 3_000_000 }).get(`${site.origin}/img/huge.png`))).toBe('ok');
  });

  it('https without the fixture CA fails the TLS check', async () => {
    const noCa = new ThumbnailCache({
      dataDir: dir,
      maxBytes: 1_000_000,
      maxPixels: 1_000_000,
      timeoutMs: 3000,
      allowPrivate: ['loopback'],
    });
    expect(await reason(noCa.get(`${site.tlsOrigin}/img/a.jpg`))).toBe('NETWORK');
  });

  it('refuses non-images: wrong content type, fake bytes, SVG', async () => {
    const c = cache();
    expect(await reason(c.get(`${site.origin}/img/fake.jpg`))).toBe('NOT_IMAGE'); // says image/jpeg, is HTML
    expect(await reason(c.get(`${site.origin}/img/page.png`))).toBe('NOT_IMAGE'); // is a PNG, says text/html
    expect(await reason(c.get(`${site.origin}/img/vector.svg`))).toBe('NOT_IMAGE');
    expect(await reason(c.get(`${site.origin}/img/missing.jpg`))).toBe('HTTP_4XX');
  });

  it('SSRF: loopback is refused unless allowed', async () => {
    expect(await reason(cache({ allowPrivate: false }).get(`${site.origin}/img/a.jpg`))).toBe('BLOCKED_ADDRESS');
    expect(site.log.some((l) => l.path === '/img/a.jpg' && !l.ua)).toBe(false);
  });

  it('SSRF: redirects to private, link-local (metadata) or mapped addresses are refused before connecting, though loopback is allowed', async () => {
    const c = cache({ allowPrivate: ['loopback'] });
    const before = site.hits('/img/redirect-');
    for (const name of ['redirect-private', 'redirect-metadata', 'redirect-v6']) {
      const err = await c.get(`${site.origin}/img/${name}`).catch((e: unknown) => e);
      expect(reasonOf(err), name).toBe('BLOCKED_ADDRESS');
      expect((err as Error).message).toMatch(
        /refused to connect to (10\.0\.0\.1|169\.254\.169\.254|::ffff:a00:1) \((private|linkLocal)/,
      );
    }
    expect(site.hits('/img/redirect-') - before).toBe(3); // each first hop reached the fixture, nothing else was contacted
    expect(c.stats.refused).toBe(3);
    expect(await reason(c.get(`${site.origin}/img/redirect-file`))).toBe('BLOCKED_ADDRESS');
    expect(await reason(c.get(`${site.origin}/img/redirect-loop`))).toBe('TOO_MANY_REDIRECTS');
  });

  it('SSRF: a host name is resolved and every address checked (DNS to a private address is refused)', async () => {
    const resolved: string[] = [];
    const c = cache({
      resolve: async (host) => {
        resolved.push(host);
        return host === 'internal.test' ? [{ address: '10.0.0.1', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const err = await c.get(`${site.origin}/img/redirect-name`).catch((e: unknown) => e);
    expect(reasonOf(err)).toBe('BLOCKED_ADDRESS');
    expect((err as Error).message).toMatch(/internal\.test resolves to 10\.0\.0\.1/);
    expect(resolved).toEqual(['internal.test']);
    // a name that resolves to an allowed address works
    const ok = await c.get(`http://localhost.test:${new URL(site.origin).port}/img/a.jpg`);
    expect(ok.width).toBe(320);
  });

  it('address verdicts', () => {
    expect(addressVerdict('8.8.8.8')).toEqual({ ok: true, range: 'unicast' });
    expect(addressVerdict('127.0.0.1').ok).toBe(false);
    expect(addressVerdict('127.0.0.1', ['loopback']).ok).toBe(true);
    expect(addressVerdict('10.1.2.3', ['loopback'])).toEqual({ ok: false, range: 'private' });
    expect(addressVerdict('169.254.169.254', ['loopback'])).toEqual({ ok: false, range: 'linkLocal' });
    expect(addressVerdict('100.64.0.1').range).toBe('carrierGradeNat');
    expect(addressVerdict('::1').ok).toBe(false);
    expect(addressVerdict('fd00::1').ok).toBe(false);
    expect(addressVerdict('::ffff:192.168.0.1').range).toBe('private');
    expect(addressVerdict('10.0.0.1', true).ok).toBe(true);
  });
});
