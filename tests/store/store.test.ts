/** Runs the store contract on memory, SQLite (temp dir) and Redis (a throw-away redis-server). */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createClient } from '@keyv/redis';
import type { KeyValueStore } from '../../core/ports.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { SqliteStore } from '../../infra/store/sqlite.js';
import { RedisStore } from '../../infra/store/redis.js';
import { redisAvailable, startRedis } from '../helpers/redis.js';
import { defineStoreContract } from './contract.js';

defineStoreContract('memory', async () => ({
  open: async () => new MemoryStore(),
  shared: false,
  writeRaw: async (store: KeyValueStore, fullKey: string, raw: string) => {
    (store as unknown as { map: Map<string, string> }).map.set(fullKey, raw);
  },
}));

defineStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join('tests/.tmp', 'store-sqlite-'));
  return {
    open: () => SqliteStore.open(join(dir, 'data')),
    shared: true,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    writeRaw: async (store: KeyValueStore, fullKey: string, raw: string) => {
      const q = (store as unknown as { query: (sql: string, ...p: unknown[]) => Promise<unknown> }).query;
      await q('INSERT OR REPLACE INTO keyv (key, value) VALUES (?, ?)', fullKey, raw);
    },
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
      writeRaw: async (_store: KeyValueStore, fullKey: string, raw: string) => {
        const c = createClient({ url: redis.url });
        await c.connect();
        await c.set(`${keyPrefix}:${fullKey}`, raw);
        await c.close();
      },
    };
  },
  redisAvailable(),
);

describe.runIf(redisAvailable())('Redis TTLs of batch writes', () => {
  it('GIVEN a write with a TTL (batch or set) THEN Redis expires the row at the envelope’s own expiry, not a few ms later', async () => {
    const redis = await startRedis();
    const keyPrefix = `ttl-${randomUUID().slice(0, 8)}`;
    const store = await RedisStore.open(redis.url, { keyPrefix });
    const c = createClient({ url: redis.url });
    try {
      await c.connect();
      expect(await store.writeBatch([{ op: 'set', ns: 'n', key: 'k', value: 1, ttlMs: 60_000 }])).toBe(true);
      const raw = `${keyPrefix}:n:k`;
      const envelope = JSON.parse((await c.get(raw))!) as { expires: number };
      // get() treats the row as gone from `expires` on; keys() (SCAN) lists it until Redis drops it: the same instant.
      expect(Number(await c.sendCommand(['PEXPIRETIME', raw]))).toBe(envelope.expires);
      // And a plain set() with a TTL the same way.
      await store.set('n', 'single', 2, 60_000);
      const single = `${keyPrefix}:n:single`;
      const env2 = JSON.parse((await c.get(single))!) as { expires: number };
      expect(Number(await c.sendCommand(['PEXPIRETIME', single]))).toBe(env2.expires);
    } finally {
      await c.close();
      await store.close();
      await redis.stop();
    }
  });
});
