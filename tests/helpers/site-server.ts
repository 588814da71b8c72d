/**
 * Serves the fixture sites in tests/fixtures/sites on 127.0.0.1 (port 0), each under a path
 * prefix: `/<source>/…` (so a plugin's baseUrl is `${origin}/<source>`), with `{{ORIGIN}}` in
 * text files replaced by the server's origin. Broken behaviours are path prefixes any base can use:
 *
 *   /_status/<code>/…     answers that status
 *   /_slow/<ms>/…         answers after <ms> (capped at 10 s; cancelled on close)
 *   /_flaky/<n>/…         answers 503 to the first <n> requests of that path, then serves it
 *   /_redirect/<url>      answers 302 to the percent-encoded <url> (SSRF tests: a public hop to a private one)
 *   /img/<name>           images made with sharp at start; huge / fake / oversized / redirecting variants
 *   /robots.txt           disallows /no-bots/ for DeepRecoBot
 *
 * Lookup for `/a/b?hl=x`: `a/b.x` (with .html/.xml/.json), then `a/b`, then `a/b/index.html`.
 */
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import sharp from 'sharp';

export const FIXTURE_ROOT = resolve(import.meta.dirname, '../fixtures/sites');
/** The fixture server's self-signed certificate (trust it explicitly: `ca: FIXTURE_CA`). */
export const FIXTURE_CA = readFileSync(resolve(import.meta.dirname, '../fixtures/tls/cert.pem'), 'utf8');
const FIXTURE_KEY = readFileSync(resolve(import.meta.dirname, '../fixtures/tls/key.pem'), 'utf8');

export interface SiteServer {
  /** http://127.0.0.1:port — pages. */
  origin: string;
  /** https://127.0.0.1:port2 — the same content over TLS; `{{ORIGIN}}` in fixtures (image URLs) points here. */
  tlsOrigin: string;
  /** Every request: path with query, user agent. */
  log: { path: string; ua: string }[];
  hits(pathPrefix: string): number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.xml': 'application/rss+xml; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

async function makeImages(): Promise<Map<string, { type: string; body: Buffer }>> {
  const img = new Map<string, { type: string; body: Buffer }>();
  const colors: [string, { r: number; g: number; b: number }][] = [
    ['naver-1', { r: 200, g: 30, b: 30 }],
    ['naver-2', { r: 30, g: 160, b: 60 }],
    ['yt-1', { r: 20, g: 20, b: 200 }],
    ['yt-2', { r: 220, g: 200, b: 20 }],
    ['yt-3', { r: 120, g: 20, b: 160 }],
    ['yt-4', { r: 20, g: 160, b: 160 }],
    ['yt-5', { r: 250, g: 120, b: 0 }],
    ['twitch-1', { r: 100, g: 65, b: 165 }],
    ['twitch-2', { r: 90, g: 90, b: 90 }],
    ['twitch-3', { r: 240, g: 240, b: 240 }],
    ['inven-1', { r: 10, g: 80, b: 140 }],
    ['ig-1', { r: 180, g: 120, b: 60 }],
    ['ig-2', { r: 60, g: 120, b: 180 }],
    ['ig-profile', { r: 255, g: 200, b: 0 }],
    ['tt-1', { r: 0, g: 0, b: 0 }],
    ['tt-2', { r: 255, g: 0, b: 80 }],
    ['tt-3', { r: 0, g: 240, b: 230 }],
    ['rss-1', { r: 140, g: 140, b: 20 }],
    ['a', { r: 10, g: 200, b: 120 }],
  ];
  for (const [name, background] of colors) {
    const png = name === 'naver-2';
    const s = sharp({ create: { width: 640, height: 360, channels: 3, background } });
    img.set(`${name}.${png ? 'png' : 'jpg'}`, {
      type: png ? 'image/png' : 'image/jpeg',
      body: await (png ? s.png() : s.jpeg({ quality: 80 })).toBuffer(),
    });
  }
  // 2000×1000 = 2 MP (tests set the pixel limit below that); compresses to a few KB
  img.set('huge.png', {
    type: 'image/png',
    body: await sharp({ create: { width: 2000, height: 1000, channels: 3, background: { r: 1, g: 2, b: 3 } } })
      .png()
      .toBuffer(),
  });
  img.set('fake.jpg', {
    type: 'image/jpeg',
    body: Buffer.from('<!DOCTYPE html><html><body>not an image</body></html>'),
  });
  img.set('page.png', {
    type: 'text/html; charset=utf-8',
    body: await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .png()
      .toBuffer(),
  });
  img.set('vector.svg', {
    type: 'image/svg+xml',
    body: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
  });
  return img;
}

export interface SiteServerOptions {
  /** Answer /robots.txt with a 302 to this URL (SSRF: a robots.txt that redirects to a private address). */
  robotsRedirect?: string;
}

export async function startSiteServer(options: SiteServerOptions = {}): Promise<SiteServer> {
  const images = await makeImages();
  const log: { path: string; ua: string }[] = [];
  const flaky = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let origin = '';
  let tlsOrigin = '';

  const serveFile = async (path: string, query: URLSearchParams, res: ServerResponse): Promise<void> => {
    const rel = decodeURIComponent(path).replace(/^\/+/, '');
    const hl = query.get('hl');
    const bases = [...(hl ? [`${rel.replace(/\/+$/, '')}.${hl}`] : []), rel.replace(/\/+$/, ''), join(rel, 'index')];
    for (const b of bases) {
      for (const ext of ['', '.html', '.xml', '.json']) {
        const file = resolve(FIXTURE_ROOT, b + ext);
        if (!file.startsWith(FIXTURE_ROOT + sep)) continue;
        const st = await stat(file).catch(() => undefined);
        if (!st?.isFile()) continue;
        const text = (await readFile(file, 'utf8')).replaceAll('{{ORIGIN}}', tlsOrigin);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'text/html; charset=utf-8' });
        res.end(text);
        return;
      }
    }
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!DOCTYPE html><title>404</title><h1>Not found</h1>');
  };

  const serveImage = (name: string, res: ServerResponse): void => {
    if (name === 'stream-big.jpg') {
      // no Content-Length: the client must count while streaming and abort
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const pump = () => {
        while (sent < 200 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    if (name === 'declared-big.jpg') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(50_000_000) });
      res.write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
      // never sends the rest: a client that trusts the header refuses at once
      return;
    }
    const redirects: Record<string, string> = {
      'redirect-private': 'http://10.0.0.1/latest/image.png',
      'redirect-metadata': 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'redirect-v6': 'http://[::ffff:10.0.0.1]/x.png',
      'redirect-name': `http://internal.test:${new URL(origin).port}/img/a.jpg`,
      'redirect-ok': '/img/a.jpg',
      'redirect-loop': '/img/redirect-loop',
      'redirect-file': 'file:///etc/passwd',
    };
    if (redirects[name]) {
      res.writeHead(302, { location: redirects[name] });
      res.end();
      return;
    }
    const img = images.get(name);
    if (!img) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': img.type, 'content-length': String(img.body.byteLength) });
    res.end(img.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    log.push({ path: url.pathname + url.search, ua: String(req.headers['user-agent'] ?? '') });
    let path = url.pathname;
    if (path === '/robots.txt' && options.robotsRedirect) {
      res.writeHead(302, { location: options.robotsRedirect });
      res.end();
      return;
    }
    const redirect = /^\/_redirect\/(.+)$/.exec(path);
    if (redirect) {
      res.writeHead(302, { location: decodeURIComponent(redirect[1]!) });
      res.end();
      return;
    }
    if (path === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(
        'User-agent: *\nDisallow: /private/\n\nUser-agent: DeepRecoBot\nDisallow: /private/\nDisallow: /no-bots/\n',
      );
      return;
    }
    for (;;) {
      const status = /^\/_status\/(\d{3})(\/.*)?$/.exec(path);
      if (status) {
        res.writeHead(Number(status[1]), { 'content-type': 'text/html' });
        res.end(`<h1>${status[1]}</h1>`);
        return;
      }
      const slow = /^\/_slow\/(\d+)(\/.*)?$/.exec(path);
      if (slow) {
        const ms = Math.min(Number(slow[1]), 10_000);
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            timers.delete(t);
            r();
          }, ms);
          timers.add(t);
          req.once('close', () => {
            clearTimeout(t);
            timers.delete(t);
            r();
          });
        });
        if (res.destroyed) return;
        path = slow[2] ?? '/';
        continue;
      }
      const fl = /^\/_flaky\/(\d+)(\/.*)?$/.exec(path);
      if (fl) {
        const n = (flaky.get(path) ?? 0) + 1;
        flaky.set(path, n);
        if (n <= Number(fl[1])) {
          res.writeHead(503, { 'content-type': 'text/html' });
          res.end('<h1>503</h1>');
          return;
        }
        path = fl[2] ?? '/';
        continue;
      }
      break;
    }
    if (path.startsWith('/img/')) return serveImage(path.slice(5), res);
    await serveFile(path, url.searchParams, res);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    });
  };
  const server: Server = createServer(onRequest);
  const tls = createTlsServer({ cert: FIXTURE_CA, key: FIXTURE_KEY }, onRequest);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tlsOrigin = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
  return {
    origin,
    tlsOrigin,
    log,
    hits: (prefix) => log.filter((l) => l.path.startsWith(prefix)).length,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      tls.closeAllConnections();
      await Promise.all([
        new Promise<void>((r) => server.close(() => r())),
        new Promise<void>((r) => tls.close(() => r())),
      ]);
    },
  };
}
