/**
 * `npm start`: reads the config (at the edge), assembles the app (the composition root, app/compose.ts)
 * and starts the chat adapters listed below — one line per platform. With no Discord or Telegram token
 * it starts the console chat on the built-in catalog and a SQLite store in DATA_DIR — no network, no
 * model files needed.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactConfig, type Config } from '../core/config.js';
import { isRecoError, toRecoError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import { loadConfig } from '../infra/config.js';
import { createLogger, secretValues } from '../infra/logger.js';
import { createApp, type App } from '../app/compose.js';
import { lazyAdapter, type PlatformAdapter, type RunningAdapter } from './adapter.js';

/** Every platform adapter. The console runs when no other is configured (or with BOT_MODE=all). */
export const ADAPTERS: readonly PlatformAdapter[] = [
  lazyAdapter(
    'discord',
    (c) => Boolean(c.DISCORD_TOKEN),
    () => import('./discord/index.js'),
  ),
  lazyAdapter(
    'telegram',
    (c) => Boolean(c.TELEGRAM_TOKEN),
    () => import('./telegram/index.js'),
  ),
  lazyAdapter(
    'console',
    () => false,
    () => import('./console/index.js'),
  ),
];

/** The adapters this configuration runs: the one BOT_MODE names, else the configured ones (the console as fallback). */
export function selectAdapters(config: Config, all: readonly PlatformAdapter[] = ADAPTERS): PlatformAdapter[] {
  const named = all.find((a) => a.name === config.BOT_MODE);
  if (named) return [named];
  const out = all.filter((a) => a.configured(config));
  const console = all.find((a) => a.name === 'console');
  if (console && !out.includes(console) && (out.length === 0 || config.BOT_MODE === 'all')) out.push(console);
  return out;
}

async function startAdapters(
  app: App,
  which: PlatformAdapter[],
  log: Logger,
): Promise<(RunningAdapter & { name: string })[]> {
  const running: (RunningAdapter & { name: string })[] = [];
  for (const a of which.filter((x) => x.name !== 'console')) {
    running.push({ name: a.name, ...(await a.start(app)) });
    log.info({}, `${a.name.charAt(0).toUpperCase()}${a.name.slice(1)} adapter started`);
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

  const which = selectAdapters(config);
  const withConsole = which.some((a) => a.name === 'console');
  let running: (RunningAdapter & { name: string })[] = [];
  try {
    running = await startAdapters(app, which, logger);
  } catch (e) {
    const err = toRecoError(e, 'PLATFORM_FAILED');
    logger.error({ err, code: err.code }, `a chat adapter failed to start: ${err.hint}`);
    process.stderr.write(`deep-reco: could not start — ${err.message}\n`);
    await Promise.allSettled(running.map((r) => r.stop()));
    await app.close();
    return isRecoError(err, 'PLATFORM_UNREACHABLE') ? 4 : 1;
  }

  // Background work: two-tower retraining, and scheduled scraping (never on the chat path). The offline
  // console demo only scrapes when sources are configured explicitly.
  await app.startBackground({
    scraping: !withConsole || which.length > 1 || config.SCRAPE_SOURCES.trim() !== '',
  });

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

  if (withConsole) {
    const consoleAdapter = which.find((a) => a.name === 'console')!;
    running.push({ name: 'console', ...(await consoleAdapter.start(app)) });
  }
  const ended = await runUntilAdaptersEnd(running, logger);
  if (ended) {
    await shutdown();
    return 0;
  }
  return await new Promise<number>(() => undefined); // platform bots run until a signal
}

/**
 * No chat adapter owns the process: one that ends by itself (the console at the end of its input — at once
 * under systemd or in a container, where stdin is not a terminal) ends only itself. The process ends by
 * itself only when every chat adapter has ended (the console alone: end of input ends it, as before);
 * while an adapter runs until stopped (Discord, Telegram), it lives until a signal. Resolves true when
 * every chat adapter ended; never resolves otherwise.
 */
export async function runUntilAdaptersEnd(
  running: readonly (RunningAdapter & { name: string })[],
  log: Logger,
): Promise<boolean> {
  const chats = running.filter((r) => r.name !== 'dashboard');
  for (const r of chats) {
    if (!r.done) continue;
    void r.done.then(
      () => {
        if (chats.some((o) => !o.done))
          log.info(
            { adapter: r.name },
            `the ${r.name} adapter ended (end of its input); the other adapters keep running — stop the bot with SIGTERM or Ctrl+C`,
          );
      },
      (e: unknown) =>
        log.warn({ err: e, adapter: r.name }, `the ${r.name} adapter stopped with an error; the others keep running`),
    );
  }
  if (chats.some((r) => !r.done)) return new Promise<boolean>(() => undefined);
  await Promise.allSettled(chats.map((r) => r.done));
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await main();
  if (code !== 0) process.exitCode = code;
}
