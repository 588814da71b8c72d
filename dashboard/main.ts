/**
 * `npm run dashboard`: the experiments dashboard on its own, reading `<DATA_DIR>/experiments` and the bot's store
 * from the same configuration the bot uses (read-only).
 *
 *   npm run dashboard                      # http://127.0.0.1:8787/ (DASHBOARD_PORT / DASHBOARD_HOST)
 *   npm run dashboard -- --port 9000
 *   npm run dashboard -- --demo            # first writes a demo run (synthetic data through the harness)
 *   npm run dashboard -- --no-store        # experiments only, without opening the bot's store
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../infra/config.js';
import { toRecoError } from '../core/errors.js';
import type { KeyValueStore } from '../core/ports.js';
import { experimentsDir } from '../infra/experiments.js';
import { createLogger, secretValues } from '../infra/logger.js';
import { openStore } from '../infra/store/index.js';
import { startDashboard } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    demo: { type: 'boolean', default: false },
    'no-store': { type: 'boolean', default: false },
  },
});

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`dashboard: ${(e as Error).message}\nSee the configuration table in README.md.\n`);
    return 2;
  }
  if (values.host) config = { ...config, DASHBOARD_HOST: values.host };
  const logger = createLogger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, secrets: secretValues(config) });
  if (values.demo) {
    const { writeDemoExperiment } = await import('./demo.js');
    const { id } = await writeDemoExperiment(experimentsDir(config.DATA_DIR), { log: (m) => logger.info({}, m) });
    logger.info({ run: id }, 'demo run written');
  }
  let store: KeyValueStore | undefined;
  if (!values['no-store']) {
    try {
      store = await openStore(config, { logger: logger.child({ module: 'store' }) });
    } catch (e) {
      const err = toRecoError(e);
      logger.warn({ code: err.code }, `the bot's store is not available (${err.message}); live pages are off`);
    }
  }
  const port = values.port !== undefined ? Number(values.port) : (config.DASHBOARD_PORT ?? 8787);
  try {
    const dash = await startDashboard({ config, logger, ...(store ? { store } : {}), port });
    process.stdout.write(`DEEP-RECO dashboard: ${dash.url}${dash.policy.token ? '?token=<DASHBOARD_TOKEN>' : ''}\n`);
    const stop = () =>
      void dash
        .close()
        .then(() => store?.close())
        .then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return await new Promise<number>(() => undefined);
  } catch (e) {
    const err = toRecoError(e);
    process.stderr.write(`dashboard: ${err.message}\n`);
    await store?.close();
    return err.code === 'CONFIG_INVALID' ? 2 : 1;
  }
}

const code = await main();
if (code !== 0) process.exitCode = code;
