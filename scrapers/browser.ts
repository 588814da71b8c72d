/**
 * Fetching pages politely. One shared Chromium (playwright-core with the system binary, launched
 * on first need) with a bounded pool of contexts for `browser` sources, and a plain HTTP fast path
 * (fetch) for `http` sources. Every request goes through: robots.txt (cached per origin) →
 * per-host queue (concurrency + minimum spacing, raised by Crawl-delay) → global queue → attempt
 * with a timeout; 5xx, timeouts and network errors are retried with exponential backoff, 4xx not.
 *
 * Every byte comes through {@link guardedRequest} and the {@link AddressGuard} (SSRF): plain HTTP,
 * robots.txt, and Chromium too — Chromium is started unable to resolve any host
 * (`--host-resolver-rules=MAP * ~NOTFOUND`), and every request it makes (navigations, redirects,
 * subresources, XHR) is answered by a route handler that fetches it through the guarded client.
 */
import PQueue from 'p-queue';
import pRetry, { AbortError } from 'p-retry';
import * as robotsModule from 'robots-parser';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import { RecoError } from '../core/errors.js';
import type { Lang } from '../core/domain.js';
import type { Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { decodeText, guardedRequest, readBody } from './http-client.js';
import { AddressGuard, refusalError, type AllowPrivate, type Resolver } from './net-guard.js';
import type { FetchedPage, ScrapeMode } from './types.js';

/** The product token robots.txt rules are matched against. */
interface Robot {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
// robots-parser is CommonJS (`module.exports = fn`); its typings declare a default export
const robotsParser = ((robotsModule as unknown as { default?: unknown }).default ?? robotsModule) as (
  url: string,
  text: string,
) => Robot;

export const BOT_TOKEN = 'DeepRecoBot';
export const DEFAULT_USER_AGENT = `${BOT_TOKEN}/0.1 (content recommendation chat bot; respects robots.txt)`;

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Chromium resolves no host name (IP literals included): every request must be answered by the
 * route handler, which fetches it through the address guard. A request that escaped routing
 * (a redirect Chromium follows itself, a WebSocket, a preconnect) fails instead of reaching the network.
 */
export const CHROMIUM_NETWORK_LOCKDOWN = [
  '--host-resolver-rules=MAP * ~NOTFOUND',
  '--dns-prefetch-disable',
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
];

/** Why a page could not be read: the `reason` in a SCRAPE_FAILED error's details and in source health. */
export type ScrapeReason =
  | 'ROBOTS_DISALLOWED'
  | 'ROBOTS_UNREACHABLE'
  | 'HTTP_4XX'
  | 'HTTP_5XX'
  | 'BLOCKED_ADDRESS'
  | 'TOO_MANY_REDIRECTS'
  | 'BLOCKED'
  | 'LAYOUT_CHANGED'
  | 'TIMEOUT'
  | 'NETWORK'
  | 'TOO_LARGE'
  | 'BROWSER'
  | 'PARSE_FAILED'
  | 'EMPTY'
  | 'LOGIN_WALL'
  | 'INVALID_ITEMS';

export function scrapeError(
  reason: ScrapeReason,
  message: string,
  extra: { url?: string; status?: number; cause?: unknown } = {},
): RecoError {
  const details: Record<string, unknown> = { reason };
  if (extra.url) details.url = extra.url;
  if (extra.status !== undefined) details.status = extra.status;
  return new RecoError('SCRAPE_FAILED', message, { details, ...(extra.cause !== undefined && { cause: extra.cause }) });
}

export function reasonOf(e: unknown): ScrapeReason | 'INTERNAL' {
  if (e instanceof RecoError && typeof e.details.reason === 'string') return e.details.reason as ScrapeReason;
  return 'INTERNAL';
}

export interface FetcherOptions {
  chromiumPath: string;
  /** Requests in flight overall (SCRAPE_CONCURRENCY). */
  concurrency: number;
  /** Requests in flight per host (SCRAPE_PER_DOMAIN); a plugin may ask for fewer. */
  perDomain: number;
  /** Minimum spacing between requests to one host (SCRAPE_DELAY_MS); a plugin or Crawl-delay may ask for more. */
  delayMs: number;
  /** Per attempt (SCRAPE_TIMEOUT_MS). */
  timeoutMs: number;
  /** Retries after the first attempt for 5xx / timeouts / network errors (default 2). */
  retries?: number;
  /** First backoff (default 1000 ms; doubles each retry). */
  retryMinTimeoutMs?: number;
  userAgent?: string;
  /** Browser contexts kept at most (default: min(concurrency, 4)). */
  maxContexts?: number;
  /** Pages per context before it is replaced (fresh cookies, bounded memory; default 25). */
  pagesPerContext?: number;
  respectRobots?: boolean;
  /** Bodies beyond this are refused (default 8 MB). */
  maxBodyBytes?: number;
  /** How long robots.txt answers are kept (default 24 h). */
  robotsTtlMs?: number;
  /** Redirects followed per request at most (default 5). */
  maxRedirects?: number;
  /** The SSRF guard (default: one built from `allowPrivate` and `resolve`); share it with the thumbnail cache. */
  guard?: AddressGuard;
  /** SCRAPE_ALLOW_PRIVATE when no `guard` is given (default false). */
  allowPrivate?: AllowPrivate;
  /** DNS resolution when no `guard` is given (tests map names to addresses). */
  resolve?: Resolver;
  /** Extra trusted CA certificates (PEM) for https. */
  ca?: string;
  logger?: Logger;
}

export interface FetchRequest {
  url: string;
  mode: ScrapeMode;
  /** Browser mode: wait (bounded) for this selector before reading the DOM; absent is not an error. */
  waitFor?: string;
  lang?: Lang;
  /** The plugin's politeness (only tightens the configured limits). */
  delayMs?: number;
  perDomain?: number;
}

interface RobotsEntry {
  at: number;
  robot?: Robot;
  /** Set when robots.txt was unreachable (5xx / network): everything disallowed (RFC 9309 §2.3.1.4). */
  unreachable?: string;
}

interface PoolEntry {
  ctx: BrowserContext;
  uses: number;
}

/** A bounded pool of browser contexts: at most `max` exist; callers wait for a free one. */
class ContextPool {
  private readonly idle: PoolEntry[] = [];
  private readonly waiters: { resolve: (c: PoolEntry) => void; reject: (e: unknown) => void }[] = [];
  private live = 0;
  constructor(
    private readonly max: number,
    private readonly create: () => Promise<BrowserContext>,
    private readonly maxUses: number,
  ) {}

  async acquire(): Promise<PoolEntry> {
    const free = this.idle.pop();
    if (free) return free;
    if (this.live < this.max) {
      this.live++;
      try {
        return { ctx: await this.create(), uses: 0 };
      } catch (e) {
        this.live--;
        throw e;
      }
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  release(entry: PoolEntry, broken = false): void {
    entry.uses++;
    if (broken || entry.uses >= this.maxUses) {
      void entry.ctx.close().catch(() => undefined);
      this.live--;
      const waiter = this.waiters.shift();
      if (waiter) this.acquire().then(waiter.resolve, waiter.reject);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(entry);
    else this.idle.push(entry);
  }

  async closeAll(): Promise<void> {
    const all = this.idle.splice(0);
    this.live -= all.length;
    await Promise.all(all.map((e) => e.ctx.close().catch(() => undefined)));
  }
}

/** Fetches list pages for the plugins. Create one per process (or test file) and `close()` it. */
export class Fetcher {
  private readonly o: Required<Omit<FetcherOptions, 'logger' | 'guard' | 'allowPrivate' | 'resolve' | 'ca'>> & {
    logger: Logger;
    ca?: string;
  };
  /** The SSRF guard every request of this fetcher goes through. */
  readonly guard: AddressGuard;
  /** The last navigation of each browser page: final URL after redirects, or why it was refused. */
  private readonly navigations = new WeakMap<Page, { finalUrl?: string; refused?: RecoError }>();
  private readonly global: PQueue;
  private readonly hosts = new Map<string, PQueue>();
  private readonly robots = new Map<string, Promise<RobotsEntry>>();
  private browser: Promise<Browser> | undefined;
  private pool: ContextPool | undefined;
  private closed = false;
  /** Counters for /status and tests. */
  readonly stats = {
    http: 0,
    browser: 0,
    retries: 0,
    robotsSkipped: 0,
    browserLaunches: 0,
    /** Requests Chromium made that the route handler answered (through the guard). */
    browserRouted: 0,
    /** Requests refused by the guard (pages, robots.txt, Chromium subresources). */
    blocked: 0,
  };

  constructor(options: FetcherOptions) {
    const { guard, allowPrivate, resolve, ca, ...rest } = options;
    this.o = {
      retries: 2,
      retryMinTimeoutMs: 1000,
      userAgent: DEFAULT_USER_AGENT,
      maxContexts: Math.min(options.concurrency, 4),
      pagesPerContext: 25,
      respectRobots: true,
      maxBodyBytes: 8_000_000,
      robotsTtlMs: 24 * 3600e3,
      maxRedirects: 5,
      logger: silentLogger,
      ...rest,
      ...(ca !== undefined && { ca }),
    };
    this.guard =
      guard ?? new AddressGuard({ allowPrivate: allowPrivate ?? false, ...(resolve !== undefined && { resolve }) });
    this.global = new PQueue({ concurrency: this.o.concurrency });
  }

  get userAgent(): string {
    return this.o.userAgent;
  }

  /** Whether the shared browser has been started (it starts on the first `browser` request). */
  get browserStarted(): boolean {
    return this.browser !== undefined;
  }

  /**
   * Fetches one page, politely.
   * @throws RecoError SCRAPE_FAILED with `details.reason` (see {@link ScrapeReason}) and `details.status`.
   */
  async fetchPage(req: FetchRequest): Promise<FetchedPage> {
    if (this.closed) throw new RecoError('INTERNAL', 'fetcher is closed');
    let url: URL;
    try {
      url = new URL(req.url);
    } catch (e) {
      throw scrapeError('NETWORK', `not a URL: ${JSON.stringify(req.url)}`, { url: req.url, cause: e });
    }
    // SSRF: nothing is sent (not even robots.txt) to an address the guard refuses
    const checked = await this.guard.checkUrl(url);
    if (!checked.ok) {
      if (checked.error.reason === 'BLOCKED_ADDRESS') {
        this.stats.blocked++;
        throw refusalError(checked.error);
      }
      throw scrapeError('NETWORK', checked.error.message, { url: req.url });
    }
    let crawlDelayMs = 0;
    if (this.o.respectRobots) {
      const verdict = await this.robotsVerdict(url);
      if (!verdict.allowed) {
        this.stats.robotsSkipped++;
        throw scrapeError(
          verdict.reason ?? 'ROBOTS_DISALLOWED',
          `robots.txt of ${url.origin} does not allow ${url.pathname}${verdict.detail ? ` (${verdict.detail})` : ''}`,
          { url: req.url },
        );
      }
      crawlDelayMs = verdict.crawlDelayMs;
    }
    const host = this.hostQueue(url.host, req, crawlDelayMs);
    let attempt = 0;
    return pRetry(
      async () => {
        attempt++;
        if (attempt > 1) this.stats.retries++;
        const result = await host.add(
          () => this.global.add(() => (req.mode === 'browser' ? this.viaBrowser(req) : this.viaHttp(req))),
          { throwOnTimeout: true },
        );
        return result as FetchedPage;
      },
      {
        retries: this.o.retries,
        minTimeout: this.o.retryMinTimeoutMs,
        factor: 2,
        randomize: true,
        shouldRetry: (e) => {
          const r = reasonOf(e);
          return r === 'HTTP_5XX' || r === 'TIMEOUT' || r === 'NETWORK' || r === 'BROWSER';
        },
        onFailedAttempt: (e) => {
          this.o.logger.debug(
            { url: req.url, attempt: e.attemptNumber, retriesLeft: e.retriesLeft, reason: reasonOf(e) },
            'scrape attempt failed',
          );
        },
      },
    );
  }

  /** Whether robots.txt lets the bot fetch `url` (fetches and caches robots.txt for the origin). */
  async robotsVerdict(
    url: URL,
  ): Promise<{ allowed: boolean; crawlDelayMs: number; reason?: ScrapeReason; detail?: string }> {
    const origin = url.origin;
    let entry = this.robots.get(origin);
    if (entry) {
      const e = await entry;
      if (Date.now() - e.at > this.o.robotsTtlMs) entry = undefined;
    }
    if (!entry) {
      entry = this.loadRobots(origin);
      this.robots.set(origin, entry);
    }
    const e = await entry;
    if (e.unreachable) return { allowed: false, crawlDelayMs: 0, reason: 'ROBOTS_UNREACHABLE', detail: e.unreachable };
    if (!e.robot) return { allowed: true, crawlDelayMs: 0 };
    const allowed = e.robot.isAllowed(url.toString(), this.o.userAgent) !== false;
    const delay = e.robot.getCrawlDelay(this.o.userAgent);
    return {
      allowed,
      crawlDelayMs: typeof delay === 'number' && Number.isFinite(delay) ? Math.min(delay, 60) * 1000 : 0,
    };
  }

  private async loadRobots(origin: string): Promise<RobotsEntry> {
    const robotsUrl = `${origin}/robots.txt`;
    try {
      const res = await guardedRequest(robotsUrl, {
        guard: this.guard,
        headers: { 'user-agent': this.o.userAgent, 'accept-encoding': 'gzip, deflate, br' },
        signal: AbortSignal.timeout(Math.min(this.o.timeoutMs, 10_000)),
        maxRedirects: this.o.maxRedirects,
        ...(this.o.ca !== undefined && { ca: this.o.ca }),
      });
      if (res.status >= 500) {
        res.body.resume();
        return { at: Date.now(), unreachable: `robots.txt answered ${res.status}` };
      }
      if (res.status >= 400) {
        res.body.resume();
        return { at: Date.now() }; // 4xx: no rules, everything allowed (RFC 9309 §2.3.1.3)
      }
      const text = decodeText(await readBody(res, 500_000, robotsUrl), String(res.headers['content-type'] ?? ''));
      return { at: Date.now(), robot: robotsParser(robotsUrl, text) };
    } catch (e) {
      if (reasonOf(e) === 'BLOCKED_ADDRESS') this.stats.blocked++;
      this.o.logger.warn({ origin, err: e }, 'robots.txt unreachable; not crawling this origin for now');
      return { at: Date.now(), unreachable: e instanceof Error ? e.message : String(e) };
    }
  }

  private hostQueue(host: string, req: FetchRequest, crawlDelayMs: number): PQueue {
    let q = this.hosts.get(host);
    if (!q) {
      const interval = Math.max(this.o.delayMs, req.delayMs ?? 0, crawlDelayMs);
      const concurrency = Math.max(1, Math.min(this.o.perDomain, req.perDomain ?? this.o.perDomain));
      q = new PQueue({
        concurrency,
        ...(interval > 0 && { interval, intervalCap: 1, carryoverConcurrencyCount: true }),
      });
      this.hosts.set(host, q);
    }
    return q;
  }

  private acceptLanguage(lang: Lang | undefined): string {
    return lang === 'ko' ? 'ko-KR,ko;q=0.9,en;q=0.5' : 'en-US,en;q=0.9,ko;q=0.5';
  }

  private async viaHttp(req: FetchRequest): Promise<FetchedPage> {
    this.stats.http++;
    const signal = AbortSignal.timeout(this.o.timeoutMs);
    let res;
    try {
      res = await guardedRequest(req.url, {
        guard: this.guard,
        headers: {
          'user-agent': this.o.userAgent,
          accept:
            'text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml,application/atom+xml,*/*;q=0.8',
          'accept-language': this.acceptLanguage(req.lang),
          'accept-encoding': 'gzip, deflate, br',
        },
        signal,
        maxRedirects: this.o.maxRedirects,
        ...(this.o.ca !== undefined && { ca: this.o.ca }),
      });
    } catch (e) {
      throw this.classifyRequestError(e, req.url, signal);
    }
    if (res.status < 200 || res.status >= 300) {
      res.body.resume();
      throw httpStatusError(res.status, req.url);
    }
    let body: string;
    try {
      body = decodeText(await readBody(res, this.o.maxBodyBytes, req.url), String(res.headers['content-type'] ?? ''));
    } catch (e) {
      if (reasonOf(e) === 'TOO_LARGE') throw new AbortError(e as Error);
      throw this.classifyRequestError(e, req.url, signal);
    }
    return {
      url: req.url,
      finalUrl: res.url,
      status: res.status,
      contentType: String(res.headers['content-type'] ?? ''),
      body,
      mode: 'http',
    };
  }

  /** Guard refusals and redirect loops are final (not retried); timeouts and network errors are retried. */
  private classifyRequestError(e: unknown, url: string, signal: AbortSignal): Error {
    const reason = reasonOf(e);
    if (reason === 'BLOCKED_ADDRESS' || reason === 'TOO_MANY_REDIRECTS') {
      if (reason === 'BLOCKED_ADDRESS') this.stats.blocked++;
      return new AbortError(e as Error);
    }
    if (signal.aborted)
      return scrapeError('TIMEOUT', `timed out after ${this.o.timeoutMs} ms: ${url}`, { url, cause: e });
    if (e instanceof RecoError) return e;
    return classifyFetchError(e, url, this.o.timeoutMs);
  }

  /**
   * Answers one request Chromium made: images, media and fonts are not loaded; everything else is
   * fetched through the guarded client (redirects followed here, each hop checked) and fulfilled.
   */
  private async routeRequest(route: Route): Promise<void> {
    const request = route.request();
    const type = request.resourceType();
    if (type === 'image' || type === 'media' || type === 'font') return route.abort();
    let page: Page | undefined;
    let isMainNavigation = false;
    try {
      const frame = request.frame();
      page = frame.page();
      isMainNavigation = request.isNavigationRequest() && frame === page.mainFrame();
    } catch {
      // service-worker and other frameless requests: no page to report to
    }
    this.stats.browserRouted++;
    const signal = AbortSignal.timeout(this.o.timeoutMs);
    try {
      const headers = await request.allHeaders();
      delete headers['accept-encoding'];
      const body = request.postDataBuffer();
      const res = await guardedRequest(request.url(), {
        guard: this.guard,
        method: request.method(),
        headers: { ...headers, 'accept-encoding': 'gzip, deflate, br' },
        ...(body && { body }),
        signal,
        maxRedirects: this.o.maxRedirects,
        ...(this.o.ca !== undefined && { ca: this.o.ca }),
      });
      let bytes: Buffer = await readBody(res, this.o.maxBodyBytes, res.url);
      const contentType = String(res.headers['content-type'] ?? '');
      if (isMainNavigation && page) {
        this.navigations.set(page, { finalUrl: res.url });
        // the document now lives at the final URL: relative links must resolve against it
        if (res.redirects.length && /html/i.test(contentType)) bytes = withBase(bytes, res.url);
      }
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) {
        if (v === undefined || /^(content-encoding|content-length|transfer-encoding|connection|keep-alive)$/i.test(k))
          continue;
        out[k] = Array.isArray(v) ? v.join(k === 'set-cookie' ? '\n' : ', ') : v;
      }
      await route.fulfill({ status: res.status, headers: out, body: bytes });
    } catch (e) {
      const reason = reasonOf(e);
      if (reason === 'BLOCKED_ADDRESS') this.stats.blocked++;
      if (isMainNavigation && page) {
        const refused =
          e instanceof RecoError
            ? e
            : signal.aborted
              ? scrapeError('TIMEOUT', `timed out after ${this.o.timeoutMs} ms: ${request.url()}`, {
                  url: request.url(),
                  cause: e,
                })
              : classifyFetchError(e, request.url(), this.o.timeoutMs);
        this.navigations.set(page, { refused });
      }
      this.o.logger.debug({ url: request.url(), reason }, 'browser request not answered');
      await route.abort(reason === 'BLOCKED_ADDRESS' ? 'blockedbyclient' : 'failed').catch(() => undefined);
    }
  }

  private getBrowser(): Promise<Browser> {
    if (!this.browser) {
      this.stats.browserLaunches++;
      const launching = import('playwright-core').then(({ chromium }) =>
        chromium.launch({
          executablePath: this.o.chromiumPath,
          args: [...CHROMIUM_ARGS, ...CHROMIUM_NETWORK_LOCKDOWN],
          headless: true,
          timeout: 60_000,
        }),
      );
      this.browser = launching;
      launching.then(
        (b) =>
          b.on('disconnected', () => {
            if (this.browser === launching) {
              this.browser = undefined;
              this.pool = undefined;
            }
          }),
        () => {
          if (this.browser === launching) this.browser = undefined;
        },
      );
    }
    return this.browser;
  }

  private getPool(): ContextPool {
    if (!this.pool) {
      this.pool = new ContextPool(
        this.o.maxContexts,
        async () => {
          const browser = await this.getBrowser();
          const ctx = await browser.newContext({
            userAgent: this.o.userAgent,
            serviceWorkers: 'block',
            viewport: { width: 1280, height: 900 },
            javaScriptEnabled: true,
          });
          // every request through the guard; the DOM is all we read: no images, media or fonts
          await ctx.route('**/*', (route) => this.routeRequest(route));
          // WebSockets cannot be fetched over HTTP: refuse them (Chromium could not resolve them anyway)
          await ctx.routeWebSocket(/.*/, (ws) => ws.close({ code: 1008, reason: 'not allowed' }));
          return ctx;
        },
        this.o.pagesPerContext,
      );
    }
    return this.pool;
  }

  private async viaBrowser(req: FetchRequest): Promise<FetchedPage> {
    this.stats.browser++;
    let pool: ContextPool;
    let entry: PoolEntry;
    try {
      pool = this.getPool();
      entry = await pool.acquire();
    } catch (e) {
      throw new AbortError(
        scrapeError(
          'BROWSER',
          `could not start Chromium at ${this.o.chromiumPath}: ${e instanceof Error ? e.message : String(e)}`,
          { url: req.url, cause: e },
        ),
      );
    }
    let broken = false;
    const page = await entry.ctx.newPage().catch((e: unknown) => {
      broken = true;
      throw scrapeError('BROWSER', `browser page failed: ${e instanceof Error ? e.message : String(e)}`, {
        url: req.url,
        cause: e,
      });
    });
    try {
      page.setDefaultTimeout(this.o.timeoutMs);
      await page.setExtraHTTPHeaders({ 'accept-language': this.acceptLanguage(req.lang) });
      let response;
      try {
        response = await page.goto(req.url, { waitUntil: 'domcontentloaded', timeout: this.o.timeoutMs });
      } catch (e) {
        const refused = this.navigations.get(page)?.refused;
        if (refused) throw reasonOf(refused) === 'BLOCKED_ADDRESS' ? new AbortError(refused) : refused;
        const name = e instanceof Error ? e.name : '';
        if (name === 'TimeoutError')
          throw scrapeError('TIMEOUT', `timed out after ${this.o.timeoutMs} ms: ${req.url}`, {
            url: req.url,
            cause: e,
          });
        throw scrapeError(
          'NETWORK',
          `browser navigation failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
          { url: req.url, cause: e },
        );
      }
      const status = response?.status() ?? 0;
      if (status >= 400) throw httpStatusError(status, req.url);
      if (req.waitFor) {
        // bounded: a changed layout must not hang the run; the parser then reports what it finds
        await page
          .waitForSelector(req.waitFor, { state: 'attached', timeout: Math.min(this.o.timeoutMs, 15_000) })
          .catch(() => undefined);
      }
      const body = await page.content();
      if (Buffer.byteLength(body) > this.o.maxBodyBytes)
        throw new AbortError(
          scrapeError('TOO_LARGE', `page larger than ${this.o.maxBodyBytes} bytes`, { url: req.url }),
        );
      return {
        url: req.url,
        finalUrl: this.navigations.get(page)?.finalUrl ?? page.url(),
        status,
        contentType: (await response?.headerValue('content-type')) ?? 'text/html',
        body,
        mode: 'browser',
      };
    } catch (e) {
      if (e instanceof Error && /Target .*closed|browser has been closed/i.test(e.message)) broken = true;
      throw e;
    } finally {
      await page.close().catch(() => undefined);
      pool.release(entry, broken);
    }
  }

  /** Waits for requests in flight, then closes the browser. */
  async close(): Promise<void> {
    this.closed = true;
    await this.global.onIdle();
    await this.pool?.closeAll();
    const b = this.browser;
    this.browser = undefined;
    this.pool = undefined;
    if (b) await (await b.catch(() => undefined))?.close().catch(() => undefined);
  }
}

function httpStatusError(status: number, url: string): Error {
  const e = scrapeError(status >= 500 ? 'HTTP_5XX' : 'HTTP_4XX', `HTTP ${status} for ${url}`, { url, status });
  // 4xx is not retried: the page is gone or we are not welcome
  return status >= 500 ? e : new AbortError(e);
}

function classifyFetchError(e: unknown, url: string, timeoutMs: number): RecoError {
  const name = e instanceof Error ? e.name : '';
  if (name === 'TimeoutError' || name === 'AbortError')
    return scrapeError('TIMEOUT', `timed out after ${timeoutMs} ms: ${url}`, { url, cause: e });
  const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return scrapeError('NETWORK', `network error for ${url}${cause}`, { url, cause: e });
}

/** HTML with a `<base href>` for its final URL (after redirects Chromium still thinks it is at the first one). */
function withBase(html: Buffer, finalUrl: string): Buffer {
  // latin1 round-trips every byte, so a page in EUC-KR survives the edit
  const text = html.toString('latin1');
  if (/<base\s/i.test(text)) return html;
  const tag = `<base href="${finalUrl.replace(/"/g, '&quot;')}">`;
  const at = /<head[^>]*>/i.exec(text);
  return Buffer.from(
    at ? text.slice(0, at.index + at[0].length) + tag + text.slice(at.index + at[0].length) : tag + text,
    'latin1',
  );
}
