/**
 * Thumbnail cache: downloads a scraped image URL under strict limits and keeps a small WebP copy,
 * content-addressed, at `<DATA_DIR>/thumbs/<sha256>.webp`.
 *
 * Limits: bytes (Content-Length and a streaming count; the transfer is aborted past the limit),
 * pixels (sharp metadata and `limitInputPixels`), content type (image/* declared AND magic bytes
 * sniffed; SVG refused). SSRF: downloads go through the scrapers' one guarded client
 * (scrapers/http-client.ts and the AddressGuard of scrapers/net-guard.ts): every hop (redirects
 * followed by hand, at most 3) must be http(s) to an allowed address, checked in the lookup the
 * socket connects with.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ContentItem } from '../core/domain.js';
import { RecoError } from '../core/errors.js';
import type { KeyValueStore, Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { DEFAULT_USER_AGENT, reasonOf } from './browser.js';
import { guardedRequest, readBody } from './http-client.js';
import { AddressGuard, type AllowPrivate } from './net-guard.js';

export { addressVerdict, type AllowPrivate } from './net-guard.js';

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

export interface ThumbnailOptions {
  dataDir: string;
  /** THUMB_MAX_BYTES */
  maxBytes: number;
  /** THUMB_MAX_PIXELS */
  maxPixels: number;
  timeoutMs: number;
  /** The scrapers' SSRF guard (share the fetcher's); default: one built from `allowPrivate` and `resolve`. */
  guard?: AddressGuard;
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

/**
 * An image as the catalog keeps it (and the image encoder sees it): checked by magic bytes, decoded with sharp
 * within `maxPixels`, rotated upright, at most `width` wide, WebP. Thumbnails and the pictures people send
 * (search by picture) go through this one function, so both sides of an image→image match are prepared alike.
 * @throws RecoError SCRAPE_FAILED with details.reason NOT_IMAGE, TOO_MANY_PIXELS or DECODE_FAILED
 */
export async function normalizeImage(
  raw: Uint8Array,
  o: { maxPixels: number; width?: number; quality?: number; source?: string },
): Promise<{ webp: Buffer; width: number; height: number }> {
  const source = o.source ?? 'image';
  if (!sniffImage(raw))
    throw thumbError('NOT_IMAGE', `not an image (magic bytes do not match a raster format): ${source}`, source);
  try {
    const meta = await sharp(raw, { limitInputPixels: o.maxPixels }).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
    if (meta.width * meta.height > o.maxPixels) {
      throw thumbError(
        'TOO_MANY_PIXELS',
        `image of ${meta.width}×${meta.height} exceeds ${o.maxPixels} pixels: ${source}`,
        source,
      );
    }
    const out = await sharp(raw, { limitInputPixels: o.maxPixels, animated: false })
      .rotate()
      .resize({ width: o.width ?? 320, withoutEnlargement: true })
      .webp({ quality: o.quality ?? 70 })
      .toBuffer({ resolveWithObject: true });
    return { webp: out.data, width: out.info.width, height: out.info.height };
  } catch (e) {
    if (e instanceof RecoError) throw e;
    const pixels = e instanceof Error && /pixel limit/i.test(e.message);
    throw thumbError(
      pixels ? 'TOO_MANY_PIXELS' : 'DECODE_FAILED',
      `${pixels ? 'image exceeds the pixel limit' : 'image could not be decoded'}: ${source}`,
      source,
      e,
    );
  }
}

export class ThumbnailCache {
  private readonly o: Required<Omit<ThumbnailOptions, 'store' | 'resolve' | 'ca' | 'guard' | 'allowPrivate'>> &
    Pick<ThumbnailOptions, 'store' | 'ca'>;
  readonly guard: AddressGuard;
  private readonly dir: string;
  private readonly memo = new Map<string, Thumbnail>();
  private readonly inflight = new Map<string, Promise<Thumbnail>>();
  readonly stats = { downloads: 0, refused: 0, hits: 0 };

  constructor(options: ThumbnailOptions) {
    const { guard, allowPrivate, resolve, ...rest } = options;
    this.guard =
      guard ?? new AddressGuard({ allowPrivate: allowPrivate ?? false, ...(resolve !== undefined && { resolve }) });
    this.o = {
      userAgent: DEFAULT_USER_AGENT,
      maxRedirects: 3,
      width: 320,
      quality: 70,
      logger: silentLogger,
      ...rest,
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
    let webp: Buffer;
    let width: number;
    let height: number;
    try {
      ({ webp, width, height } = await normalizeImage(raw, { ...this.o, source: url }));
    } catch (e) {
      this.stats.refused++;
      throw e;
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
    const signal = AbortSignal.timeout(this.o.timeoutMs);
    try {
      const res = await guardedRequest(url, {
        guard: this.guard,
        headers: {
          'user-agent': this.o.userAgent,
          accept: 'image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8',
        },
        signal,
        maxRedirects: this.o.maxRedirects,
        ...(this.o.ca !== undefined && { ca: this.o.ca }),
      });
      const status = res.status;
      if (status < 200 || status >= 300) {
        res.body.resume();
        throw thumbError(status >= 500 ? 'HTTP_5XX' : 'HTTP_4XX', `HTTP ${status} for ${res.url}`, url);
      }
      const type = String(res.headers['content-type'] ?? '').toLowerCase();
      if (!type.startsWith('image/') || type.startsWith('image/svg')) {
        res.body.destroy();
        this.stats.refused++;
        throw thumbError('NOT_IMAGE', `content type ${JSON.stringify(type)} is not a raster image: ${res.url}`, url);
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > this.o.maxBytes) {
        res.body.destroy();
        this.stats.refused++;
        throw thumbError('TOO_LARGE', `image of ${declared} bytes exceeds ${this.o.maxBytes}: ${res.url}`, url);
      }
      this.stats.downloads++;
      try {
        return await readBody(res, this.o.maxBytes, url);
      } catch (e) {
        if (reasonOf(e) === 'TOO_LARGE') this.stats.refused++;
        throw e;
      }
    } catch (e) {
      const reason = reasonOf(e);
      if (reason === 'BLOCKED_ADDRESS') this.stats.refused++;
      const final = ['BLOCKED_ADDRESS', 'TOO_MANY_REDIRECTS', 'NOT_IMAGE', 'TOO_LARGE', 'HTTP_4XX', 'HTTP_5XX'];
      if (signal.aborted && !final.includes(reason))
        throw thumbError('TIMEOUT', `timed out after ${this.o.timeoutMs} ms: ${url}`, url, e);
      if (e instanceof RecoError) throw e;
      throw thumbError('NETWORK', `download failed: ${url}: ${e instanceof Error ? e.message : String(e)}`, url, e);
    }
  }
}

function urlKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 32);
}
