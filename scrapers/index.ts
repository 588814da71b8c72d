/**
 * Wiring for the bot and scripts: everything the scrapers need, built from the config.
 *
 * @example
 * const scraping = createScraping(config, { store, logger, sink: catalogSink, textEncoder });
 * scraping.scheduler.start();            // background, never blocks replies
 * const lines = formatHealth(await scraping.health.all()); // for /status
 * await scraping.close();                // on shutdown
 */
import type { Config } from '../core/config.js';
import type { Clock, ImageEncoder, KeyValueStore, Logger, TextEncoder } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import { Fetcher } from './browser.js';
import { SourceHealthStore } from './health.js';
import { KeyValueIngestSink } from './kv-sink.js';
import type { IngestSink } from './pipeline.js';
import { IngestPipeline } from './pipeline.js';
import { ScrapeScheduler } from './scheduler.js';
import type { BuildSourcesOptions } from './sources/index.js';
import { sourcesFromConfig } from './sources/index.js';
import { AddressGuard, type AllowPrivate, type Resolver } from './net-guard.js';
import { ThumbnailCache } from './thumbnails.js';
import type { SourcePlugin } from './types.js';

export { formatHealth, SourceHealthStore, NS_SOURCE_HEALTH, NS_USER_SOURCE_HEALTH } from './health.js';
export type { SourceHealth } from './health.js';
export type { IngestSink, IngestVectors, RunReport } from './pipeline.js';
export { IngestPipeline } from './pipeline.js';
export { ScrapeScheduler } from './scheduler.js';
export { KeyValueIngestSink } from './kv-sink.js';
export { ThumbnailCache } from './thumbnails.js';
export { Fetcher } from './browser.js';
export { sourcesFromConfig } from './sources/index.js';
export { AddressGuard, addressVerdict, checkUrl } from './net-guard.js';
export type { AllowPrivate, CheckedUrl, GuardRefusal } from './net-guard.js';

export type ScrapeConfig = Pick<
  Config,
  | 'CHROMIUM_PATH'
  | 'SCRAPE_SOURCES'
  | 'SCRAPE_INTERVAL_MINUTES'
  | 'SCRAPE_CONCURRENCY'
  | 'SCRAPE_PER_DOMAIN'
  | 'SCRAPE_DELAY_MS'
  | 'SCRAPE_TIMEOUT_MS'
  | 'SCRAPE_ALLOW_PRIVATE'
  | 'ITEM_MAX_AGE_DAYS'
  | 'THUMB_MAX_BYTES'
  | 'THUMB_MAX_PIXELS'
  | 'DATA_DIR'
>;

export interface ScrapingDeps {
  store: KeyValueStore;
  logger?: Logger;
  /** Where items go (default: `KeyValueIngestSink` on `store`). */
  sink?: IngestSink;
  textEncoder?: TextEncoder;
  imageEncoder?: ImageEncoder;
  /** Already-built plugins (default: from SCRAPE_SOURCES). */
  plugins?: SourcePlugin[];
  sources?: BuildSourcesOptions;
  /** Fetcher retry backoff (tests shorten it). */
  retryMinTimeoutMs?: number;
  retries?: number;
  /** Extra trusted CA (PEM) for https (the `--fixtures` mode of the script trusts the fixture server). */
  thumbnailCa?: string;
  /** Overrides SCRAPE_ALLOW_PRIVATE for this instance (the `--fixtures` mode allows loopback only). */
  allowPrivate?: AllowPrivate;
  /** DNS resolution for the address guard (tests). */
  resolve?: Resolver;
  /** Where source health is kept (default `source-health`; people's own sources use their own namespace). */
  healthNamespace?: string;
  /** The pipeline's clock (fetch times, health); default the system clock. */
  clock?: Clock;
}

export interface Scraping {
  plugins: SourcePlugin[];
  /** The one SSRF guard of every request: pages, robots.txt, feeds, thumbnails, Chromium. */
  guard: AddressGuard;
  fetcher: Fetcher;
  thumbnails: ThumbnailCache;
  health: SourceHealthStore;
  pipeline: IngestPipeline;
  scheduler: ScrapeScheduler;
  /** Stops the scheduler (waiting for runs in flight) and closes the browser. */
  close(): Promise<void>;
}

export function createScraping(config: ScrapeConfig, deps: ScrapingDeps): Scraping {
  const logger = (deps.logger ?? silentLogger).child({ component: 'scrapers' });
  const plugins = deps.plugins ?? sourcesFromConfig(config.SCRAPE_SOURCES, deps.sources);
  const guard = new AddressGuard({
    allowPrivate: deps.allowPrivate ?? config.SCRAPE_ALLOW_PRIVATE,
    ...(deps.resolve && { resolve: deps.resolve }),
  });
  const fetcher = new Fetcher({
    guard,
    chromiumPath: config.CHROMIUM_PATH,
    concurrency: config.SCRAPE_CONCURRENCY,
    perDomain: config.SCRAPE_PER_DOMAIN,
    delayMs: config.SCRAPE_DELAY_MS,
    timeoutMs: config.SCRAPE_TIMEOUT_MS,
    logger,
    ...(deps.retryMinTimeoutMs !== undefined && { retryMinTimeoutMs: deps.retryMinTimeoutMs }),
    ...(deps.retries !== undefined && { retries: deps.retries }),
    ...(deps.thumbnailCa !== undefined && { ca: deps.thumbnailCa }),
  });
  const thumbnails = new ThumbnailCache({
    dataDir: config.DATA_DIR,
    maxBytes: config.THUMB_MAX_BYTES,
    maxPixels: config.THUMB_MAX_PIXELS,
    timeoutMs: config.SCRAPE_TIMEOUT_MS,
    guard,
    store: deps.store,
    ...(deps.thumbnailCa !== undefined && { ca: deps.thumbnailCa }),
    logger,
    userAgent: fetcher.userAgent,
  });
  const health = new SourceHealthStore(deps.store, deps.healthNamespace);
  const pipeline = new IngestPipeline({
    plugins,
    fetcher,
    sink: deps.sink ?? new KeyValueIngestSink(deps.store),
    health,
    thumbnails,
    logger,
    ...(deps.clock && { clock: deps.clock }),
    ...(deps.textEncoder && { textEncoder: deps.textEncoder }),
    ...(deps.imageEncoder && { imageEncoder: deps.imageEncoder }),
  });
  const scheduler = new ScrapeScheduler({
    pipeline,
    intervalMinutes: config.SCRAPE_INTERVAL_MINUTES,
    maxAgeDays: config.ITEM_MAX_AGE_DAYS,
    store: deps.store,
    logger,
  });
  return {
    plugins,
    guard,
    fetcher,
    thumbnails,
    health,
    pipeline,
    scheduler,
    async close() {
      await scheduler.stop();
      await fetcher.close();
    },
  };
}
