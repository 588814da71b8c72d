/**
 * Opens the configured store: Redis when REDIS_URL (or REDIS_SENTINELS) is set, else SQLite in DATA_DIR
 * (`opts.memory` forces the in-memory store). The store is probed (write + read + delete)
 * before it is returned, so a bad setting fails at start with STORE_OPEN_FAILED.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../core/config.js';
import { RecoError } from '../../core/errors.js';
import type { KeyValueStore, Logger } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import { messageOf, redactUrl } from './common.js';
import { MemoryStore } from './memory.js';
import { RedisStore, type RedisStoreOptions } from './redis.js';
import { SqliteStore, sqliteFailure } from './sqlite.js';

export { MemoryStore } from './memory.js';
export { RedisStore } from './redis.js';
export { SqliteStore, SQLITE_FILE_NAME } from './sqlite.js';
export { redactUrl } from './common.js';

export interface OpenStoreOptions {
  memory?: boolean;
  logger?: Logger;
}

/** The namespace the open-time probe writes to (and deletes from). */
export const PROBE_NAMESPACE = '_store';

/** The Redis settings (all optional here: defaults are core/config.ts's). */
export type RedisConfig = Partial<
  Pick<
    Config,
    | 'REDIS_COMMAND_TIMEOUT_MS'
    | 'REDIS_CONNECT_TIMEOUT_MS'
    | 'REDIS_SENTINELS'
    | 'REDIS_SENTINEL_NAME'
    | 'REDIS_SENTINEL_PASSWORD'
    | 'REDIS_WAIT_REPLICAS'
    | 'REDIS_WAIT_TIMEOUT_MS'
    | 'REDIS_AOF_REWRITE_INTERVAL_MS'
  >
>;

/** RedisStore options from the config: Sentinel when REDIS_SENTINELS lists any; `WAIT 1` by default with Sentinel. */
export function redisOptionsFrom(config: RedisConfig, logger: Logger): RedisStoreOptions {
  const sentinels = config.REDIS_SENTINELS ?? [];
  const wait = config.REDIS_WAIT_REPLICAS ?? 'auto';
  return {
    logger,
    ...(config.REDIS_COMMAND_TIMEOUT_MS !== undefined ? { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS } : {}),
    ...(config.REDIS_CONNECT_TIMEOUT_MS !== undefined ? { connectTimeoutMs: config.REDIS_CONNECT_TIMEOUT_MS } : {}),
    ...(sentinels.length > 0
      ? {
          sentinel: {
            nodes: sentinels,
            name: config.REDIS_SENTINEL_NAME ?? 'mymaster',
            ...(config.REDIS_SENTINEL_PASSWORD ? { password: config.REDIS_SENTINEL_PASSWORD } : {}),
          },
        }
      : {}),
    waitReplicas: wait === 'auto' ? (sentinels.length > 0 ? 1 : 0) : wait,
    ...(config.REDIS_WAIT_TIMEOUT_MS !== undefined ? { waitTimeoutMs: config.REDIS_WAIT_TIMEOUT_MS } : {}),
    ...(config.REDIS_AOF_REWRITE_INTERVAL_MS !== undefined
      ? { aofRewriteIntervalMs: config.REDIS_AOF_REWRITE_INTERVAL_MS }
      : {}),
  };
}

export async function openStore(
  config: Pick<Config, 'DATA_DIR' | 'REDIS_URL'> & RedisConfig,
  opts: OpenStoreOptions = {},
): Promise<KeyValueStore> {
  const logger = opts.logger ?? silentLogger;
  let store: KeyValueStore;
  let setting: 'DATA_DIR' | 'REDIS_URL' | undefined;
  const sentinels = config.REDIS_SENTINELS ?? [];
  if (opts.memory === true) {
    store = new MemoryStore(logger);
  } else if ((config.REDIS_URL !== undefined && config.REDIS_URL !== '') || sentinels.length > 0) {
    setting = 'REDIS_URL';
    store = await RedisStore.open(config.REDIS_URL ?? 'redis://localhost', redisOptionsFrom(config, logger));
  } else {
    setting = 'DATA_DIR';
    store = await SqliteStore.open(config.DATA_DIR, { logger });
  }
  try {
    await probe(store);
  } catch (e) {
    await store.close().catch(() => undefined);
    if (store instanceof SqliteStore) throw sqliteFailure(config.DATA_DIR, store.path, e, 'cannot write to');
    const where = setting === 'REDIS_URL' ? `Redis at ${redactUrl(config.REDIS_URL ?? '')}` : `${store.description}`;
    const fix =
      setting === 'REDIS_URL'
        ? 'Fix REDIS_URL (or unset it to use SQLite in DATA_DIR) and check that Redis accepts writes.'
        : '';
    throw new RecoError(
      'STORE_OPEN_FAILED',
      `The store ${where} failed its write/read check: ${messageOf(e)}. ${fix}`.trim(),
      {
        cause: e,
        details: { setting },
      },
    );
  }
  logger.info({ store: store.description }, 'store opened');
  return store;
}

async function probe(store: KeyValueStore): Promise<void> {
  const key = `probe:${randomUUID()}`;
  const value = { at: Date.now(), bytes: new Uint8Array([0, 1, 254, 255]) };
  await store.set(PROBE_NAMESPACE, key, value, 60_000);
  const back = await store.get<typeof value>(PROBE_NAMESPACE, key);
  await store.delete(PROBE_NAMESPACE, key);
  if (
    back?.at !== value.at ||
    !(back.bytes instanceof Uint8Array) ||
    back.bytes.length !== 4 ||
    back.bytes[2] !== 254
  ) {
    throw new Error('the probe value did not read back intact');
  }
}
