/**
 * `npm run worker`: a process that runs background jobs and no chat adapter — scraping, catalog embedding,
 * two-tower retraining, digest scans and plans. With `REDIS_URL` it shares BullMQ queues with the bot
 * replicas (run one or more beside them, and set JOBS_IN_BOT=false to keep that work off the replicas);
 * digests are still sent by the replicas that have the platform adapter. Without `REDIS_URL` it runs the same
 * jobs in-process on the SQLite store in DATA_DIR (beside one bot process on the same machine).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toRecoError } from '../core/errors.js';
import { loadConfig } from '../infra/config.js';
import { createLogger, secretValues } from '../infra/logger.js';
import { createApp } from './compose.js';

export async function runWorker(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`deep-reco worker: ${(e as Error).message}\nSee the configuration table in README.md.\n`);
    return 2;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, secrets: secretValues(config) });
  process.on('unhandledRejection', (reason) => {
    const err = toRecoError(reason);
    logger.error({ err, code: err.code }, `unhandled rejection (the worker keeps running): ${err.hint}`);
  });
  let app;
  try {
    app = await createApp({ config, logger, role: 'worker' });
  } catch (e) {
    const err = toRecoError(e);
    logger.error({ err, code: err.code }, err.hint);
    process.stderr.write(`deep-reco worker: could not start — ${err.message}\n`);
    return 1;
  }
  await app.startBackground({ scraping: true });
  logger.info(
    { queue: app.jobs.mode, scraping: config.SCRAPE_INTERVAL_MINUTES > 0 },
    app.jobs.mode === 'bullmq'
      ? 'worker started: running background jobs from the shared queues'
      : 'worker started: running background jobs in this process (no REDIS_URL)',
  );
  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      logger.info({}, 'worker shutting down (jobs in flight finish or are picked up by another worker)');
      await app.close();
    })());
  process.once('SIGINT', () => void shutdown().then(() => process.exit(0)));
  process.once('SIGTERM', () => void shutdown().then(() => process.exit(0)));
  return await new Promise<number>(() => undefined);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await runWorker();
  if (code !== 0) process.exitCode = code;
}
