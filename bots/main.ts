/**
 * `npm start`: reads the config, assembles the app and starts the chat adapters.
 * With no Discord or Telegram token it starts the console chat on the built-in catalog and a
 * SQLite store in DATA_DIR — no network, no model files needed.
 */
import { loadConfig, redactConfig, type Config } from '../core/config.js';
import { isRecoError, toRecoError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { createLogger, secretValues } from '../infra/logger.js';
import { createApp, type App } from './app.js';
import { CatalogIngestSink } from './catalog-sink.js';

interface Running {
  name: string;
  stop(): Promise<void>;
}

function modes(config: Config): Set<'console' | 'discord' | 'telegram'> {
  if (config.BOT_MODE === 'console') return new Set(['console']);
  if (config.BOT_MODE === 'discord') return new Set(['discord']);
  if (config.BOT_MODE === 'telegram') return new Set(['telegram']);
  const out = new Set<'console' | 'discord' | 'telegram'>();
  if (config.DISCORD_TOKEN) out.add('discord');
  if (config.TELEGRAM_TOKEN) out.add('telegram');
  if (out.size === 0 || config.BOT_MODE === 'all') out.add('console');
  return out;
}

async function startAdapters(app: App, which: Set<string>, log: Logger): Promise<Running[]> {
  const running: Running[] = [];
  if (which.has('discord')) {
    const { startDiscord } = await import('./discord/index.js');
    const d = await startDiscord(app);
    running.push({ name: 'discord', stop: d.stop });
    log.info({}, 'Discord adapter started');
  }
  if (which.has('telegram')) {
    const { startTelegram } = await import('./telegram/index.js');
    const tg = await startTelegram(app, { links: app.links });
    running.push({ name: 'telegram', stop: tg.stop });
    log.info({}, 'Telegram adapter started');
  }
  return running;
}

export async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`deep-reco: ${(e as Error).message}\nSee the configuration table in README.md.\n`);
    return 2;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, secrets: secretValues(config) });
  process.on('unhandledRejection', (reason) => {
    const err = toRecoError(reason);
    logger.error({ err, code: err.code }, `unhandled rejection (the bot keeps running): ${err.hint}`);
  });
  process.on('uncaughtException', (error) => {
    const err = toRecoError(error);
    logger.error({ err, code: err.code }, `uncaught exception (the bot keeps running): ${err.hint}`);
  });
  logger.debug({ config: redactConfig(config) }, 'configuration');

  let app: App;
  try {
    app = await createApp({ config, logger });
  } catch (e) {
    const err = toRecoError(e);
    logger.error({ err, code: err.code }, err.hint);
    process.stderr.write(`deep-reco: could not start — ${err.message}\n`);
    return isRecoError(err, 'STORE_OPEN_FAILED') || isRecoError(err, 'CATALOG_CORRUPT') ? 3 : 1;
  }

  const which = modes(config);
  let running: Running[] = [];
  try {
    running = await startAdapters(app, which, logger);
  } catch (e) {
    const err = toRecoError(e, 'PLATFORM_FAILED');
    logger.error({ err, code: err.code }, `a chat adapter failed to start: ${err.hint}`);
    await Promise.allSettled(running.map((r) => r.stop()));
    await app.close();
    return 1;
  }

  // Scheduled scraping in the background (never on the chat path). The offline console demo only scrapes
  // when sources are configured explicitly.
  if (
    config.SCRAPE_INTERVAL_MINUTES > 0 &&
    (!which.has('console') || which.size > 1 || config.SCRAPE_SOURCES.trim() !== '')
  ) {
    const { createScraping, formatHealth } = await import('../scrapers/index.js');
    const scraping = createScraping(config, {
      store: app.store,
      logger,
      sink: new CatalogIngestSink(app.catalog, app.store, logger),
      textEncoder: app.catalog.textEncoder,
      ...(app.catalog.imageEncoder ? { imageEncoder: app.catalog.imageEncoder } : {}),
    });
    app.statusLines.push(async () => formatHealth(await scraping.health.all()));
    scraping.scheduler.start();
    running.push({ name: 'scrapers', stop: () => scraping.close() });
  }

  app.learned.start(); // background two-tower retraining (RETRAIN_INTERVAL_HOURS / RETRAIN_MIN_NEW_FEEDBACK)

  // The experiments dashboard inside the bot (DASHBOARD_PORT): read-only on the bot's store and live catalog.
  if (config.DASHBOARD_PORT !== undefined) {
    const { startDashboard } = await import('../dashboard/server.js');
    const dash = await startDashboard({ config, logger, store: app.store, catalog: app.catalog }).catch(
      (e: unknown) => {
        const err = toRecoError(e, 'CONFIG_INVALID');
        logger.error({ err, code: err.code }, `the dashboard did not start (the bot goes on): ${err.message}`);
        return undefined;
      },
    );
    if (dash) running.push({ name: 'dashboard', stop: dash.close });
  }

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      logger.info({}, 'shutting down');
      await Promise.allSettled(running.map((r) => r.stop()));
      await app.close();
    })());
  process.once('SIGINT', () => void shutdown().then(() => process.exit(0)));
  process.once('SIGTERM', () => void shutdown().then(() => process.exit(0)));

  if (which.has('console')) {
    const { runConsole } = await import('./console/index.js');
    await runConsole(app, {
      link: {
        create: async (actor) => (await app.links.createCode(actor)).message,
        redeem: async (actor, code) => (await app.links.redeem(actor, code)).message,
      },
    });
    await shutdown();
    return 0;
  }
  return await new Promise<number>(() => undefined); // platform bots run until a signal
}

const code = await main();
if (code !== 0) process.exitCode = code;
