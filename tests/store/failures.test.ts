/** openStore selection, open-time failures (naming the setting, no secrets) and Redis dying mid-run. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { isRecoError, RecoError } from '../../core/errors.js';
import { openStore, redactUrl, SQLITE_FILE_NAME } from '../../infra/store/index.js';
import { RedisStore } from '../../infra/store/redis.js';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { eventually } from './contract.js';

async function closedPort(): Promise<number> {
  return new Promise((res) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => res(typeof addr === 'object' && addr !== null ? addr.port : 1));
    });
  });
}

async function openError(p: Promise<unknown>): Promise<RecoError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RecoError) return e;
    throw new Error(`expected a RecoError, got ${String(e)}`);
  }
  throw new Error('expected the open to fail');
}

/** Everything about an error that could end up in a log line. */
function everything(e: RecoError): string {
  const cause = e.cause instanceof Error ? `${e.cause.message}\n${e.cause.stack ?? ''}` : String(e.cause);
  return `${e.message}\n${e.stack ?? ''}\n${cause}\n${JSON.stringify(e.details)}`;
}

describe('redactUrl', () => {
  it('hides passwords and keeps the rest', () => {
    expect(redactUrl('redis://user:pass@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactUrl('redis://:p%40ss%3Aw0rd@10.0.0.1:6380')).toBe('redis://:***@10.0.0.1:6380');
    expect(redactUrl('rediss://default:s3cr3t@redis.example.com')).toBe('rediss://default:***@redis.example.com');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
    expect(redactUrl('redis://user@host')).toBe('redis://user@host');
    expect(redactUrl('not a url :secret@')).not.toContain('secret');
  });
});

describe('openStore: SQLite', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join('tests/.tmp', 'store-fail-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens SQLite in DATA_DIR (creating it) when REDIS_URL is unset, and memory on request', async () => {
    const data = join(dir, 'nested', 'data');
    const store = await openStore({ DATA_DIR: data, REDIS_URL: undefined });
    expect(store.description).toMatch(new RegExp(`^sqlite:.*nested/data/${SQLITE_FILE_NAME}$`));
    // The probe cleans up after itself.
    const left: string[] = [];
    for await (const k of store.keys('_store')) left.push(k);
    expect(left).toEqual([]);
    await store.close();
    const mem = await openStore({ DATA_DIR: data, REDIS_URL: 'redis://127.0.0.1:1' }, { memory: true });
    expect(mem.description).toBe('memory');
    await mem.close();
  });

  it('DATA_DIR that is a file → STORE_OPEN_FAILED naming DATA_DIR', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    for (const bad of [file, join(file, 'below')]) {
      const e = await openError(openStore({ DATA_DIR: bad, REDIS_URL: undefined }));
      expect(e.code).toBe('STORE_OPEN_FAILED');
      expect(e.message).toContain('DATA_DIR');
      expect(e.message).toContain(bad);
      expect(e.details.setting).toBe('DATA_DIR');
    }
  });

  it('a database path that cannot be opened → STORE_OPEN_FAILED naming DATA_DIR and what is in the way', async () => {
    const data = join(dir, 'blocked');
    mkdirSync(join(data, SQLITE_FILE_NAME), { recursive: true }); // a directory where the file should be
    const e = await openError(openStore({ DATA_DIR: data, REDIS_URL: undefined }));
    expect(e.code).toBe('STORE_OPEN_FAILED');
    expect(e.message).toContain('DATA_DIR');
    expect(e.message).toMatch(/is not a regular file/);
    expect(e.details.problem).toBe('not-a-file');
  });

  it('an unwritable location (even for root) → STORE_OPEN_FAILED naming DATA_DIR', async () => {
    const e = await openError(openStore({ DATA_DIR: '/proc/deep-reco-test/data', REDIS_URL: undefined }));
    expect(e.code).toBe('STORE_OPEN_FAILED');
    expect(e.message).toContain('DATA_DIR');
  });
});

describe('openStore: Redis that cannot be reached', () => {
  it('a closed port → STORE_OPEN_FAILED naming REDIS_URL quickly, without the password', async () => {
    const port = await closedPort();
    const password = 'Sup3r-S3cret@pw';
    const url = `redis://deep:${encodeURIComponent(password)}@127.0.0.1:${port}/0`;
    const started = Date.now();
    const e = await openError(openStore({ DATA_DIR: 'unused', REDIS_URL: url }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(e.code).toBe('STORE_OPEN_FAILED');
    expect(e.message).toContain('REDIS_URL');
    expect(e.message).toContain(`redis://deep:***@127.0.0.1:${port}/0`);
    const all = everything(e);
    expect(all).not.toContain(password);
    expect(all).not.toContain(encodeURIComponent(password));
    expect(all).not.toContain('Sup3r');
  });
});

describe.runIf(redisAvailable())('openStore: Redis', () => {
  let redis: RedisServer;
  const password = 'pw-Ünïcode-Secret';
  beforeAll(async () => {
    redis = await startRedis({ password });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('opens Redis when REDIS_URL is set, with the password redacted in the description', async () => {
    const url = `redis://default:${encodeURIComponent(password)}@127.0.0.1:${redis.port}`;
    const store = await openStore({ DATA_DIR: '/nonexistent/unused', REDIS_URL: url });
    try {
      expect(store.description).toBe(`redis:redis://default:***@127.0.0.1:${redis.port}`);
      await store.set('x', 'k', 1);
      expect(await store.get('x', 'k')).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('a wrong password → STORE_OPEN_FAILED naming REDIS_URL, without the password', async () => {
    const wrong = 'Wrong-Secret-123';
    const e = await openError(
      openStore({ DATA_DIR: 'unused', REDIS_URL: `redis://default:${wrong}@127.0.0.1:${redis.port}` }),
    );
    expect(e.code).toBe('STORE_OPEN_FAILED');
    expect(e.message).toContain('REDIS_URL');
    expect(everything(e)).not.toContain(wrong);
  });
});

describe.runIf(redisAvailable())('Redis dying mid-run', () => {
  it('calls reject with STORE_UNAVAILABLE within a bounded time, then recover when Redis is back', async () => {
    const first = await startRedis({ persistent: true });
    let second: RedisServer | undefined;
    const store = await RedisStore.open(first.url, { commandTimeoutMs: 1000, connectTimeoutMs: 1000 });
    try {
      await store.set('live', 'k', 'before');
      await first.kill();
      const calls: [string, () => Promise<unknown>][] = [
        ['get', () => store.get('live', 'k')],
        ['getMany', () => store.getMany('live', ['k', 'j'])],
        ['set', () => store.set('live', 'k2', 'during')],
        ['delete', () => store.delete('live', 'k')],
        [
          'keys',
          async () => {
            for await (const k of store.keys('live')) void k;
          },
        ],
        ['acquireLock', () => store.acquireLock('l', 'me', 1000)],
        ['releaseLock', () => store.releaseLock('l', 'me')],
      ];
      for (const [name, call] of calls) {
        const started = Date.now();
        const e = await call().then(
          () => new Error(`${name} resolved while Redis was down`),
          (err: unknown) => err,
        );
        expect(isRecoError(e, 'STORE_UNAVAILABLE'), `${name}: ${String(e)}`).toBe(true);
        expect((e as RecoError).cause, name).toBeDefined();
        expect(Date.now() - started, name).toBeLessThan(5000);
      }
      second = await startRedis({ persistent: true, dir: first.dir, port: first.port });
      expect(
        await eventually(async () => (await store.get('live', 'k').catch(() => 'down')) === 'before', 10_000, 100),
      ).toBe(true);
      await store.set('live', 'after', 1);
      expect(await store.get('live', 'after')).toBe(1);
    } finally {
      await store.close();
      await first.stop();
      await second?.stop();
      rmSync(first.dir, { recursive: true, force: true });
    }
  });
});
