/** Runs the store contract on memory, SQLite (temp dir) and Redis (a throw-away redis-server). */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MemoryStore } from '../../infra/store/memory.js';
import { SqliteStore } from '../../infra/store/sqlite.js';
import { RedisStore } from '../../infra/store/redis.js';
import { redisAvailable, startRedis } from '../helpers/redis.js';
import { defineStoreContract } from './contract.js';

defineStoreContract('memory', async () => ({ open: async () => new MemoryStore(), shared: false }));

defineStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join('tests/.tmp', 'store-sqlite-'));
  return {
    open: () => SqliteStore.open(join(dir, 'data')),
    shared: true,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

defineStoreContract(
  'redis',
  async () => {
    const redis = await startRedis();
    const keyPrefix = `test-${randomUUID().slice(0, 8)}`;
    return {
      open: () => RedisStore.open(redis.url, { keyPrefix }),
      shared: true,
      cleanup: () => redis.stop(),
    };
  },
  redisAvailable(),
);
