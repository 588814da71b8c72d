/**
 * The one HTTP client every scraper request goes through (pages, robots.txt, feeds, thumbnails,
 * and the requests Chromium makes). Redirects are followed by hand so that every hop passes the
 * {@link AddressGuard}: literal addresses before connecting, host names through the guard's
 * `lookup`, so the socket only connects to an address that was checked in the same lookup.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { TextDecoder } from 'node:util';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Readable } from 'node:stream';
import { RecoError } from '../core/errors.js';
import type { AddressGuard } from './net-guard.js';
import { refusalError, refusalOf } from './net-guard.js';

export interface GuardedRequestOptions {
  guard: AddressGuard;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Aborts the whole exchange, every hop included. */
  signal?: AbortSignal;
  /** Redirects followed at most (default 5); the next one fails with TOO_MANY_REDIRECTS. */
  maxRedirects?: number;
  /** Extra trusted CA certificates (PEM) for https (tests trust their fixture server). */
  ca?: string;
}

export interface GuardedResponse {
  status: number;
  /** The URL of the final hop. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Every URL that answered with a redirect, in order. */
  redirects: string[];
  /** The raw body (still content-encoded); read it with {@link readBody}. */
  body: IncomingMessage;
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);

function failure(reason: string, message: string, url: string, cause?: unknown): RecoError {
  return new RecoError('SCRAPE_FAILED', message, {
    details: { reason, url },
    ...(cause !== undefined && { cause }),
  });
}

/**
 * One request with the guard on every hop. Resolves with the first non-redirect response (any
 * status: the caller decides what 4xx/5xx mean).
 * @throws RecoError SCRAPE_FAILED with details.reason BLOCKED_ADDRESS, TOO_MANY_REDIRECTS or NETWORK
 * (an abort rejects with the signal's reason).
 */
export async function guardedRequest(input: string, options: GuardedRequestOptions): Promise<GuardedResponse> {
  const { guard } = options;
  const maxRedirects = options.maxRedirects ?? 5;
  let url: URL;
  try {
    url = new URL(input);
  } catch (e) {
    throw failure('BLOCKED_ADDRESS', `not a URL: ${JSON.stringify(input)}`, input, e);
  }
  let method = (options.method ?? 'GET').toUpperCase();
  let body = options.body;
  let headers = { ...(options.headers ?? {}) };
  const redirects: string[] = [];
  for (let hop = 0; ; hop++) {
    const refused = guard.checkSyntax(url);
    if (refused) {
      guard.stats.refused++;
      throw refusalError(refused);
    }
    const res = await requestOnce(url, method, headers, body, options);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (!REDIRECT.has(status) || !location) {
      return { status, url: url.href, headers: res.headers, redirects, body: res };
    }
    res.resume();
    if (hop >= maxRedirects)
      throw failure('TOO_MANY_REDIRECTS', `more than ${maxRedirects} redirects: ${input}`, input);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch (e) {
      throw failure('NETWORK', `bad redirect location ${JSON.stringify(location)} from ${url.href}`, input, e);
    }
    redirects.push(url.href);
    if (status === 303 || ((status === 301 || status === 302) && method !== 'GET' && method !== 'HEAD')) {
      method = 'GET';
      body = undefined;
    }
    if (next.origin !== url.origin) {
      // credentials belong to the origin that set them
      headers = Object.fromEntries(
        Object.entries(headers).filter(([k]) => !/^(cookie|authorization|proxy-authorization)$/i.test(k)),
      );
    }
    url = next;
  }
}

function requestOnce(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  options: GuardedRequestOptions,
): Promise<IncomingMessage> {
  const lib = url.protocol === 'https:' ? https : http;
  const clean = Object.fromEntries(
    Object.entries(headers).filter(
      ([k]) => !/^(host|connection|content-length|transfer-encoding|keep-alive)$/i.test(k),
    ),
  );
  return new Promise((resolve, reject) => {
    let req: http.ClientRequest;
    try {
      req = lib.request(url, {
        method,
        headers: clean,
        lookup: options.guard.lookup as unknown as typeof import('node:dns').lookup,
        agent: false,
        ...(options.signal && { signal: options.signal }),
        ...(options.ca !== undefined && url.protocol === 'https:' && { ca: options.ca }),
      });
    } catch (e) {
      reject(
        failure('NETWORK', `request failed: ${url.href}: ${e instanceof Error ? e.message : String(e)}`, url.href, e),
      );
      return;
    }
    req.on('response', resolve);
    req.on('error', (e) => {
      const refusal = refusalOf(e);
      if (refusal) reject(refusalError({ ...refusal, url: url.href }));
      else if (options.signal?.aborted) reject(e);
      else reject(failure('NETWORK', `network error for ${url.href}: ${e.message}`, url.href, e));
    });
    if (body && body.byteLength) req.end(body);
    else req.end();
  });
}

/** The body decoded from its content-encoding (gzip, deflate, br; anything else is passed through). */
export function decodedStream(res: GuardedResponse): Readable {
  const enc = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  if (enc === 'gzip' || enc === 'x-gzip') return res.body.pipe(createGunzip());
  if (enc === 'deflate') return res.body.pipe(createInflate());
  if (enc === 'br') return res.body.pipe(createBrotliDecompress());
  return res.body;
}

/**
 * Reads a body up to `limit` bytes (Content-Length checked first, then counted while streaming and
 * aborted past the limit).
 * @throws RecoError SCRAPE_FAILED with details.reason TOO_LARGE
 */
export async function readBody(res: GuardedResponse, limit: number, url: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.body.destroy();
    throw failure('TOO_LARGE', `body of ${declared} bytes exceeds ${limit}`, url);
  }
  const stream = decodedStream(res);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const b = chunk as Buffer;
      total += b.byteLength;
      if (total > limit) {
        res.body.destroy();
        stream.destroy();
        throw failure('TOO_LARGE', `body exceeds ${limit} bytes (aborted while streaming)`, url);
      }
      chunks.push(b);
    }
  } catch (e) {
    if (e instanceof RecoError) throw e;
    throw failure('NETWORK', `body of ${url} could not be read: ${e instanceof Error ? e.message : String(e)}`, url, e);
  }
  return Buffer.concat(chunks);
}

/** Text of a body by the charset its Content-Type declares (UTF-8 otherwise). */
export function decodeText(bytes: Uint8Array, contentType: string | undefined): string {
  const charset = /charset=["']?([\w-]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase() ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset);
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  return decoder.decode(bytes);
}
