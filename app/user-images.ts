/**
 * Pictures people send for "search by picture", read at the edge: from a file (console), from the Telegram Bot
 * API's file endpoint (`getFile` → `<api root>/file/bot<token>/<file_path>`), or from a Discord attachment URL
 * (only Discord's CDN hosts, through the scrapers' guarded client: every hop passes the SSRF address guard).
 * Limits as for thumbnails: THUMB_MAX_BYTES (declared sizes checked before downloading, bodies counted while
 * streaming) and THUMB_MAX_PIXELS (checked by sharp before decoding); the result is prepared exactly like a
 * catalog thumbnail (`normalizeImage`), so both sides of the image→image match look alike to the encoder.
 * Expected failures are values (`Result`), each with a reason the adapter words for the person.
 */
import { open } from 'node:fs/promises';
import type { Config } from '../core/config.js';
import type { Lang } from '../core/domain.js';
import { err, isRecoError, ok, type Result } from '../core/errors.js';
import { t } from '../core/messages.js';
import type { Logger } from '../core/ports.js';
import { guardedRequest, readBody } from '../scrapers/http-client.js';
import { AddressGuard } from '../scrapers/net-guard.js';
import { normalizeImage } from '../scrapers/thumbnails.js';

/** Why a picture could not be used (each has a message `image.<reason>`). */
export type ImageProblem = 'tooLarge' | 'invalid' | 'download';

/** Discord serves attachments from these hosts only. */
export const DISCORD_CDN_HOSTS = ['cdn.discordapp.com', 'media.discordapp.net'] as const;

export interface UserImagesOptions {
  config: Pick<
    Config,
    'THUMB_MAX_BYTES' | 'THUMB_MAX_PIXELS' | 'SCRAPE_TIMEOUT_MS' | 'SCRAPE_ALLOW_PRIVATE' | 'DISCORD_API_BASE'
  >;
  logger: Logger;
  /** The SSRF guard (default: one from SCRAPE_ALLOW_PRIVATE). */
  guard?: AddressGuard;
}

export class UserImages {
  private readonly guard: AddressGuard;
  readonly maxBytes: number;

  constructor(private readonly o: UserImagesOptions) {
    this.guard = o.guard ?? new AddressGuard({ allowPrivate: o.config.SCRAPE_ALLOW_PRIVATE });
    this.maxBytes = o.config.THUMB_MAX_BYTES;
  }

  /** What to tell the person about a picture that could not be used, in their language. */
  problemMessage(lang: Lang, problem: ImageProblem): string {
    if (problem !== 'tooLarge') return t(lang, `image.${problem}`);
    const max = Math.round((this.maxBytes / 1_000_000) * 10) / 10;
    const pixels = Math.round(this.o.config.THUMB_MAX_PIXELS / 100_000) / 10;
    return t(lang, 'image.tooLarge', { max, pixels });
  }

  /** Checks and prepares bytes already read (size, magic bytes, pixels; then the thumbnail's WebP). */
  async prepare(raw: Uint8Array, source = 'picture'): Promise<Result<Uint8Array, ImageProblem>> {
    if (raw.byteLength > this.maxBytes) return err('tooLarge');
    try {
      const { webp } = await normalizeImage(raw, { maxPixels: this.o.config.THUMB_MAX_PIXELS, source });
      return ok(new Uint8Array(webp));
    } catch (e) {
      const reason = isRecoError(e) ? e.details.reason : undefined;
      this.o.logger.info({ reason, source }, 'a picture sent for search was refused');
      return err(reason === 'TOO_MANY_PIXELS' ? 'tooLarge' : 'invalid');
    }
  }

  /** A local file (the console's `/image <path>`): its size is checked before it is read. */
  async fromFile(path: string): Promise<Result<Uint8Array, ImageProblem>> {
    let file: Awaited<ReturnType<typeof open>> | undefined;
    try {
      file = await open(path, 'r');
      const st = await file.stat();
      if (!st.isFile()) return err('invalid');
      if (st.size > this.maxBytes) return err('tooLarge');
      return this.prepare(new Uint8Array(await file.readFile()), path);
    } catch (e) {
      this.o.logger.info({ err: e, path }, 'a picture file could not be read');
      return err('download');
    } finally {
      await file?.close();
    }
  }

  /**
   * A file of the Telegram Bot API (`file_path` from `getFile`), fetched from the Bot API server the bot talks to
   * (the operator's TELEGRAM_API_ROOT or api.telegram.org) — never from a URL a person supplied.
   */
  async fromTelegram(apiRoot: string, token: string, filePath: string): Promise<Result<Uint8Array, ImageProblem>> {
    if (!/^[\w\-./]+$/.test(filePath) || filePath.split('/').includes('..')) return err('invalid');
    const url = `${apiRoot.replace(/\/+$/, '')}/file/bot${token}/${filePath}`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.o.config.SCRAPE_TIMEOUT_MS) });
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        this.o.logger.warn({ status: res.status }, 'the Telegram file download failed');
        return err('download');
      }
      const declared = Number(res.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > this.maxBytes) {
        await res.body.cancel();
        return err('tooLarge');
      }
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of res.body) {
        total += chunk.byteLength;
        if (total > this.maxBytes) return err('tooLarge');
        chunks.push(chunk);
      }
      return this.prepare(Buffer.concat(chunks), 'telegram file');
    } catch (e) {
      // The URL carries the bot token: log the error's name and message only.
      this.o.logger.warn({ error: e instanceof Error ? e.name : 'unknown' }, 'the Telegram file download failed');
      return err('download');
    }
  }

  /**
   * A Discord attachment: only from Discord's CDN (plus the API host of DISCORD_API_BASE, for a proxy or tests),
   * through the guarded client (SSRF guard on every hop, the byte limit while streaming).
   */
  async fromDiscord(url: string, declaredSize?: number): Promise<Result<Uint8Array, ImageProblem>> {
    if (declaredSize !== undefined && declaredSize > this.maxBytes) return err('tooLarge');
    let host: string;
    try {
      const u = new URL(url);
      host = u.host;
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return err('invalid');
    } catch {
      return err('invalid');
    }
    const allowed = new Set<string>(DISCORD_CDN_HOSTS);
    if (this.o.config.DISCORD_API_BASE) allowed.add(new URL(this.o.config.DISCORD_API_BASE).host);
    if (!allowed.has(host)) {
      this.o.logger.warn({ host }, 'refused a picture outside Discord’s CDN');
      return err('invalid');
    }
    try {
      const res = await guardedRequest(url, {
        guard: this.guard,
        headers: { accept: 'image/*' },
        signal: AbortSignal.timeout(this.o.config.SCRAPE_TIMEOUT_MS),
        maxRedirects: 0,
      });
      if (res.status < 200 || res.status >= 300) {
        res.body.resume();
        return err('download');
      }
      const body = await readBody(res, this.maxBytes, url);
      return this.prepare(body, 'discord attachment');
    } catch (e) {
      if (isRecoError(e) && e.details.reason === 'TOO_LARGE') return err('tooLarge');
      this.o.logger.warn({ err: e, host }, 'a Discord attachment could not be downloaded');
      return err('download');
    }
  }
}
