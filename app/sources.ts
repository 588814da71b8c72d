/**
 * People's own sources, wired (part of the composition root): a scraping instance of their own (no
 * configured plugins; SOURCES_FETCH_MINUTES; health in `source-health.user`; the catalog's ingest sink), the
 * probe and runtime on it (scrapers/user-sources.ts), and the core's `SourcesService`, whose chat subscriptions
 * the ranker reads and whose part of `/forget` is registered. `startSync` reloads the subscriptions other
 * processes made, on a timer.
 */
import type { Config } from '../core/config.js';
import type { CoreServices } from '../core/service.js';
import type { ImageEncoder, KeyValueStore, Logger, TextEncoder } from '../core/ports.js';
import { SourcesService } from '../core/sources/service.js';
import type { IngestSink } from '../scrapers/index.js';
import type { AllowPrivate, Resolver } from '../scrapers/net-guard.js';

export interface UserSourcesDeps {
  config: Config;
  store: KeyValueStore;
  core: CoreServices;
  sink: IngestSink;
  logger: Logger;
  textEncoder?: TextEncoder;
  imageEncoder?: ImageEncoder;
  /** Tests: the address guard's switch and DNS, instead of SCRAPE_ALLOW_PRIVATE and the system resolver. */
  allowPrivate?: AllowPrivate;
  resolve?: Resolver;
  /** Tests: fetch retries (default the fetcher's). */
  retries?: number;
}

export interface UserSources {
  service: SourcesService;
  /** Reloads subscriptions every `everyMs` (other processes' changes); returns the stop function. */
  startSync(everyMs: number): () => void;
  close(): Promise<void>;
}

export async function createUserSources(d: UserSourcesDeps): Promise<UserSources> {
  const { config } = d;
  const logger = d.logger.child({ module: 'user-sources' });
  // Loaded here, not at import: the scrapers pull in Playwright (as `startBackground` does for scraping).
  const { createScraping, NS_USER_SOURCE_HEALTH } = await import('../scrapers/index.js');
  const { FeedProbe, UserSourceRuntime } = await import('../scrapers/user-sources.js');
  const scraping = createScraping(
    // Their own schedule; expiry of old items is the configured scraping's job (one pass is enough).
    { ...config, SCRAPE_INTERVAL_MINUTES: config.SOURCES_FETCH_MINUTES, ITEM_MAX_AGE_DAYS: 0 },
    {
      store: d.store,
      logger,
      sink: d.sink,
      plugins: [],
      healthNamespace: NS_USER_SOURCE_HEALTH,
      clock: d.core.clock,
      ...(d.retries !== undefined ? { retries: d.retries } : {}),
      ...(d.textEncoder ? { textEncoder: d.textEncoder } : {}),
      ...(d.imageEncoder ? { imageEncoder: d.imageEncoder } : {}),
      ...(d.allowPrivate !== undefined ? { allowPrivate: d.allowPrivate } : {}),
      ...(d.resolve ? { resolve: d.resolve } : {}),
    },
  );
  const runtime = new UserSourceRuntime({ scraping, intervalMinutes: config.SOURCES_FETCH_MINUTES, logger });
  const service = new SourcesService({
    store: d.store,
    users: d.core.users,
    probe: new FeedProbe({ fetcher: scraping.fetcher, guard: scraping.guard, clock: d.core.clock }),
    runtime,
    limits: {
      perUser: config.SOURCES_MAX_PER_USER,
      perChat: config.SOURCES_MAX_PER_CHAT,
      total: config.SOURCES_MAX_TOTAL,
      opmlMaxBytes: config.SOURCES_OPML_MAX_BYTES,
    },
    clock: d.core.clock,
    logger,
  });
  d.core.forget.onForget(service.forgetHook);
  d.core.ranker.setChatSources(service.chatSources);
  await service.sync();
  let timer: NodeJS.Timeout | undefined;
  return {
    service,
    startSync(everyMs) {
      const tick = () => {
        timer = setTimeout(() => {
          void service
            .sync()
            .catch((e: unknown) => logger.warn({ err: e }, 'reloading the subscriptions failed; retrying later'))
            .finally(tick);
        }, everyMs);
        timer.unref();
      };
      tick();
      return () => clearTimeout(timer);
    },
    async close() {
      clearTimeout(timer);
      await service.close();
    },
  };
}
