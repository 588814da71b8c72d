/**
 * Thumbnail cache: downloads a scraped image URL under strict limits and keeps a small WebP copy,
 * content-addressed, at `<DATA_DIR>/thumbs/<sha256>.webp`.
 *
 * Limits: bytes (Content-Length and a streaming count; the transfer is aborted past the limit),
 * pixels (sharp metadata and `limitInputPixels`), content type (image/* declared AND magic bytes
 * sniffed; SVG refused). SSRF guard: every hop (redirects are followed by hand, at most 3) must be
 * http(s) to a public address: literal IPs are checked before connecting, host names are resolved
 * by a guarded `lookup` that refuses private, loopback, link-local, CGNAT, multicast, reserved …
 * addresses, so the socket only ever connects to an address that passed the check.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as dns } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { join } from 'node:path';
import ipaddr from 'ipaddr.js';
import sharp from 'sharp';
import type { ContentItem } from '../core/domain.js';
import { RecoError } from '../core/errors.js';
import type { KeyValueStore, Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { DEFAULT_USER_AGENT } from './browser.js';

export const NS_THUMBS = 'thumbs';

export type ThumbReason =
  | 'BLOCKED_ADDRESS'
  | 'NOT_IMAGE'
  | 'TOO_LARGE'
  | 'TOO_MANY_PIXELS'
  | 'TOO_MANY_REDIRECTS'
  | 'HTTP_4XX'
  | 'HTTP_5XX'
  | 'TIMEOUT'
  | 'NETWORK'
  | 'DECODE_FAILED';

function thumbError(reason: ThumbReason, message: string, url: string, cause?: unknown): RecoError {
  return new RecoError('SCRAPE_FAILED', message, { details: { reason, url }, ...(cause !== undefined && { cause }) });
}

/**
 * Which non-public address ranges (ipaddr.js range names: `loopback`, `private`, `linkLocal`,
 * `uniqueLocal`, `carrierGradeNat`, …) may be fetched anyway. `true` allows every range
 * (SCRAPE_ALLOW_PRIVATE=true, for self-hosted setups and tests); `false` (default) only public unicast.
 */
export type AllowPrivate = boolean | readonly string[];

export interface ThumbnailOptions {
  dataDir: string;
  /** THUMB_MAX_BYTES */
  maxBytes: number;
  /** THUMB_MAX_PIXELS */
  maxPixels: number;
  timeoutMs: number;
  allowPrivate?: AllowPrivate;
  userAgent?: string;
  maxRedirects?: number;
  /** Output width at most (default 320). */
  width?: number;
  quality?: number;
  /** Index url → file (namespace `thumbs`); without it lookups by URL only work within the process. */
  store?: KeyValueStore;
  /** Extra trusted CA certificates (PEM) for https (tests trust their fixture server's certificate). */
  ca?: string;
  /** DNS resolution (tests map names to addresses); default: the system resolver. */
  resolve?: (host: string) => Promise<LookupAddress[]>;
  logger?: Logger;
}

export interface Thumbnail {
  /** sha256 of the WebP bytes (the file name). */
  sha256: string;
  path: string;
  width: number;
  height: number;
  bytes: number;
  sourceUrl: string;
}

const MAGIC: { type: string; test: (b: Uint8Array) => boolean }[] = [
  { type: 'jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'png', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { type: 'gif', test: (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38 },
  { type: 'webp', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  { type: 'avif', test: (b) => ascii(b, 4, 8) === 'ftyp' && /^(avif|avis|heic|heix|mif1)$/.test(ascii(b, 8, 12)) },
];
function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}

/** The raster format by magic bytes, or undefined (HTML, SVG, anything else). */
export function sniffImage(bytes: Uint8Array): string | undefined {
  return MAGIC.find((m) => m.test(bytes))?.type;
}

/** Whether `address` may be connected to under `allow`. Returns the ipaddr range name when refused. */
export function addressVerdict(address: string, allow: AllowPrivate = false): { ok: boolean; range: string } {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address); // IPv4-mapped IPv6 → IPv4
  } catch {
    return { ok: false, range: 'invalid' };
  }
  const range = parsed.range();
  if (range === 'unicast') return { ok: true, range };
  if (allow === true) return { ok: true, range };
  if (Array.isArray(allow) && allow.includes(range)) return { ok: true, range };
  return { ok: false, range };
}

export class ThumbnailCache {
  private readonly o: Required<Omit<ThumbnailOptions, 'store' | 'resolve' | 'ca'>> &
    Pick<ThumbnailOptions, 'store' | 'resolve' | 'ca'>;
  private readonly dir: string;
  private readonly memo = new Map<string, Thumbnail>();
  private readonly inflight = new Map<string, Promise<Thumbnail>>();
  readonly stats = { downloads: 0, refused: 0, hits: 0 };

  constructor(options: ThumbnailOptions) {
    this.o = {
      allowPrivate: false,
      userAgent: DEFAULT_USER_AGENT,
      maxRedirects: 3,
      width: 320,
      quality: 70,
      logger: silentLogger,
      ...options,
    };
    this.dir = join(options.dataDir, 'thumbs');
  }

  /** The cached thumbnail for a URL, downloading it when needed. @throws RecoError SCRAPE_FAILED with details.reason */
  async get(url: string): Promise<Thumbnail> {
    const known = await this.lookup(url);
    if (known) {
      this.stats.hits++;
      return known;
    }
    let p = this.inflight.get(url);
    if (!p) {
      p = this.fetchAndStore(url).finally(() => this.inflight.delete(url));
      this.inflight.set(url, p);
    }
    return p;
  }

  /** A cached thumbnail without downloading (undefined when not cached or the file is gone). */
  async lookup(url: string): Promise<Thumbnail | undefined> {
    const mem = this.memo.get(url);
    const entry = mem ?? (await this.o.store?.get<Thumbnail>(NS_THUMBS, urlKey(url)));
    if (!entry) return undefined;
    try {
      await stat(entry.path);
    } catch {
      return undefined;
    }
    this.memo.set(url, entry);
    return entry;
  }

  /** The WebP bytes of a cached thumbnail. */
  async read(url: string): Promise<Uint8Array | undefined> {
    const t = await this.lookup(url);
    return t ? new Uint8Array(await readFile(t.path)) : undefined;
  }

  /** For CatalogService's `loadImage`: the cached WebP of an item's thumbnail (no download). */
  loadImage = async (item: ContentItem): Promise<Uint8Array | undefined> =>
    item.thumbnail ? this.read(item.thumbnail) : undefined;

  private async fetchAndStore(url: string): Promise<Thumbnail> {
    const raw = await this.download(url);
    const type = sniffImage(raw);
    if (!type) {
      this.stats.refused++;
      throw thumbError('NOT_IMAGE', `not an image (magic bytes do not match a raster format): ${url}`, url);
    }
    let webp: Buffer;
    let width: number;
    let height: number;
    try {
      const meta = await sharp(raw, { limitInputPixels: this.o.maxPixels }).metadata();
      if (!meta.width || !meta.height) throw new Error('no dimensions');
      if (meta.width * meta.height > this.o.maxPixels) {
        this.stats.refused++;
        throw thumbError(
          'TOO_MANY_PIXELS',
          `image of ${meta.width}×${meta.height} exceeds ${this.o.maxPixels} pixels: ${url}`,
          url,
        );
      }
      const out = await sharp(raw, { limitInputPixels: this.o.maxPixels, animated: false })
        .rotate()
        .resize({ width: this.o.width, withoutEnlargement: true })
        .webp({ quality: this.o.quality })
        .toBuffer({ resolveWithObject: true });
      webp = out.data;
      width = out.info.width;
      height = out.info.height;
    } catch (e) {
      if (e instanceof RecoError) throw e;
      const pixels = e instanceof Error && /pixel limit/i.test(e.message);
      this.stats.refused++;
      throw thumbError(
        pixels ? 'TOO_MANY_PIXELS' : 'DECODE_FAILED',
        `${pixels ? 'image exceeds the pixel limit' : 'image could not be decoded'}: ${url}`,
        url,
        e,
      );
    }
    const sha256 = createHash('sha256').update(webp).digest('hex');
    const path = join(this.dir, `${sha256}.webp`);
    await mkdir(this.dir, { recursive: true });
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (!exists) {
      const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, webp);
      await rename(tmp, path);
    }
    const thumb: Thumbnail = { sha256, path, width, height, bytes: webp.byteLength, sourceUrl: url };
    this.memo.set(url, thumb);
    await this.o.store?.set(NS_THUMBS, urlKey(url), thumb);
    return thumb;
  }

  /** Downloads with the SSRF guard on every hop and the byte limit while streaming. */
  async download(url: string): Promise<Buffer> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.o.timeoutMs);
    try {
      let current: URL;
      try {
        current = new URL(url);
      } catch (e) {
        throw thumbError('NETWORK', `invalid URL ${JSON.stringify(url)}`, url, e);
      }
      for (let hop = 0; hop <= this.o.maxRedirects; hop++) {
        const res = await this.requestOnce(current, controller.signal);
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          let next: URL;
          try {
            next = new URL(res.headers.location, current);
          } catch (e) {
            throw thumbError('NETWORK', `bad redirect location from ${current.href}`, url, e);
          }
          current = next;
          continue;
        }
        if (status < 200 || status >= 300) {
          res.resume();
          throw thumbError(status >= 500 ? 'HTTP_5XX' : 'HTTP_4XX', `HTTP ${status} for ${current.href}`, url);
        }
        const type = String(res.headers['content-type'] ?? '').toLowerCase();
        if (!type.startsWith('image/') || type.startsWith('image/svg')) {
          res.destroy();
          this.stats.refused++;
          throw thumbError(
            'NOT_IMAGE',
            `content type ${JSON.stringify(type)} is not a raster image: ${current.href}`,
            url,
          );
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > this.o.maxBytes) {
          res.destroy();
          this.stats.refused++;
          throw thumbError('TOO_LARGE', `image of ${declared} bytes exceeds ${this.o.maxBytes}: ${current.href}`, url);
        }
        this.stats.downloads++;
        return await this.readCapped(res, url);
      }
      throw thumbError('TOO_MANY_REDIRECTS', `more than ${this.o.maxRedirects} redirects: ${url}`, url);
    } catch (e) {
      if (e instanceof RecoError) throw e;
      if (controller.signal.aborted)
        throw thumbError('TIMEOUT', `timed out after ${this.o.timeoutMs} ms: ${url}`, url, e);
      throw thumbError('NETWORK', `download failed: ${url}: ${e instanceof Error ? e.message : String(e)}`, url, e);
    } finally {
      clearTimeout(timer);
    }
  }

  private readCapped(res: IncomingMessage, url: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      let settled = false;
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        total += chunk.byteLength;
        if (total > this.o.maxBytes) {
          this.stats.refused++;
          fail(
            thumbError('TOO_LARGE', `image exceeds ${this.o.maxBytes} bytes (aborted while streaming): ${url}`, url),
          );
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        resolve(Buffer.concat(chunks));
      });
      res.on('error', fail);
      res.on('aborted', () => fail(new Error('response aborted')));
    });
  }

  private requestOnce(url: URL, signal: AbortSignal): Promise<IncomingMessage> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.stats.refused++;
      return Promise.reject(thumbError('BLOCKED_ADDRESS', `scheme ${url.protocol} refused: ${url.href}`, url.href));
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      const v = addressVerdict(host, this.o.allowPrivate);
      if (!v.ok) {
        this.stats.refused++;
        return Promise.reject(
          thumbError('BLOCKED_ADDRESS', `refused to connect to ${host} (${v.range} address)`, url.href),
        );
      }
    }
    const allow = this.o.allowPrivate;
    const resolve = this.o.resolve ?? ((h: string) => dns.lookup(h, { all: true, verbatim: true }));
    let blocked: RecoError | undefined;
    const lookup = (hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void): void => {
      resolve(hostname).then(
        (addrs) => {
          if (addrs.length === 0)
            return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }));
          for (const a of addrs) {
            const v = addressVerdict(a.address, allow);
            if (!v.ok) {
              blocked = thumbError(
                'BLOCKED_ADDRESS',
                `refused: ${hostname} resolves to ${a.address} (${v.range} address)`,
                url.href,
              );
              return callback(blocked);
            }
          }
          if (options.all) callback(null, addrs);
          else callback(null, addrs[0]!.address, addrs[0]!.family);
        },
        (e: unknown) => callback(e),
      );
    };
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolvePromise, reject) => {
      const req = lib.request(url, {
        method: 'GET',
        headers: { 'user-agent': this.o.userAgent, accept: 'image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8' },
        lookup: lookup as unknown as typeof dns.lookup,
        agent: false,
        signal,
        ...(this.o.ca !== undefined && url.protocol === 'https:' && { ca: this.o.ca }),
      });
      req.on('response', resolvePromise);
      req.on('error', (e) => {
        if (blocked) this.stats.refused++;
        reject(blocked ?? e);
      });
      req.end();
    });
  }
}

function urlKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 32);
}
