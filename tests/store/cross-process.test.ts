/**
 * Stores shared between processes: lock atomicity between instances and child processes, and
 * durability (a child writes and exits; the parent reads; Redis restarted from its AOF).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { isRecoError } from '../../core/errors.js';
import type { KeyValueStore } from '../../core/ports.js';
import { fencedWrite, withStoreLock } from '../../core/store/lock.js';
import { SqliteStore } from '../../infra/store/sqlite.js';
import { RedisStore } from '../../infra/store/redis.js';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js';

const CHILD = resolve('tests/store/fixtures/store-child.ts');

interface ChildRun {
  ready: Promise<void>;
  done: Promise<string>;
}

function runChild(args: string[]): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => (markReady = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready\n')) markReady();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<string>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`child timed out; stderr: ${err}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) res(out.replace('ready\n', ''));
      else rej(new Error(`child exited ${code}: ${err}`));
    });
  });
  return { ready, done };
}

async function childLock(target: string, prefix: string, name: string, owner: string): Promise<boolean> {
  const out = await runChild([target, prefix, 'lock', name, owner, '30000']).done;
  return (JSON.parse(out) as { acquired: boolean }).acquired;
}

/** Several instances and several processes race for fresh locks; exactly one must win each. */
async function raceSuite(
  label: string,
  target: () => string,
  prefix: () => string,
  open: () => Promise<KeyValueStore>,
): Promise<void> {
  const a = await open();
  const b = await open();
  let goDir: string | undefined;
  try {
    // In-process: two connections racing, 25 rounds.
    for (let round = 0; round < 25; round++) {
      const name = `race-${label}-${round}-${randomUUID()}`;
      const results = await Promise.all([a.acquireLock(name, 'A', 30_000), b.acquireLock(name, 'B', 30_000)]);
      expect(results.filter(Boolean)).toHaveLength(1);
    }
    // Separate processes: start 3 children, release them at once, plus this process.
    const name = `race-proc-${label}-${randomUUID()}`;
    goDir = mkdtempSync(join('tests/.tmp', 'go-'));
    const go = join(goDir, 'go');
    const children = ['c1', 'c2', 'c3'].map((owner) =>
      runChild([target(), prefix(), 'race', name, owner, '30000', go]),
    );
    await Promise.all(children.map((c) => c.ready));
    writeFileSync(go, '');
    const [mine, ...theirs] = await Promise.all([
      a.acquireLock(name, 'parent', 30_000),
      ...children.map(async (c) => (JSON.parse(await c.done) as { acquired: boolean }).acquired),
    ]);
    expect([mine, ...theirs].filter(Boolean)).toHaveLength(1);
  } finally {
    await a.close();
    await b.close();
    if (goDir !== undefined) rmSync(goDir, { recursive: true, force: true });
  }
}

describe('SQLite store shared by processes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join('tests/.tmp', 'store-xproc-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('two instances and three child processes contend for a lock: exactly one wins', async () => {
    await raceSuite(
      'sqlite',
      () => dir,
      () => '',
      () => SqliteStore.open(dir),
    );
  });

  it('a lock held by this process blocks a child until released or expired', async () => {
    const store = await SqliteStore.open(dir);
    try {
      const name = `held-${randomUUID()}`;
      expect(await store.acquireLock(name, 'parent', 30_000)).toBe(true);
      expect(await childLock(dir, '', name, 'child')).toBe(false);
      await store.releaseLock(name, 'parent');
      expect(await childLock(dir, '', name, 'child')).toBe(true);
      // The child exited without releasing: its lock is still there for us.
      expect(await store.acquireLock(name, 'parent', 30_000)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('a value written by a child that has exited is read back (durable across restart)', async () => {
    const value = { note: '저장됨 ✅', n: 7 };
    const out = await runChild([dir, '', 'write', 'durable', 'k:1', JSON.stringify(value)]).done;
    expect(JSON.parse(out)).toEqual({ ok: true });
    const store = await SqliteStore.open(dir);
    try {
      expect(await store.get('durable', 'k:1')).toEqual(value);
      const keys: string[] = [];
      for await (const k of store.keys('durable')) keys.push(k);
      expect(keys).toEqual(['k:1']);
    } finally {
      await store.close();
    }
  });

  it('uses WAL so readers and writers in different processes do not block each other', async () => {
    const store = await SqliteStore.open(dir);
    try {
      const rows =
        (await (store as unknown as { query: (sql: string) => Promise<{ journal_mode: string }[]> }).query(
          'PRAGMA journal_mode',
        )) ?? [];
      expect(rows[0]?.journal_mode).toBe('wal');
    } finally {
      await store.close();
    }
  });
});

describe.runIf(redisAvailable())('Redis store shared by processes', () => {
  let redis: RedisServer;
  const prefix = `xproc-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('two instances and three child processes contend for a lock: exactly one wins', async () => {
    await raceSuite(
      'redis',
      () => redis.url,
      () => prefix,
      () => RedisStore.open(redis.url, { keyPrefix: prefix }),
    );
  });

  it('a lock held by this process blocks a child until released', async () => {
    const store = await RedisStore.open(redis.url, { keyPrefix: prefix });
    try {
      const name = `held-${randomUUID()}`;
      expect(await store.acquireLock(name, 'parent', 30_000)).toBe(true);
      expect(await childLock(redis.url, prefix, name, 'child')).toBe(false);
      await store.releaseLock(name, 'parent');
      expect(await childLock(redis.url, prefix, name, 'child')).toBe(true);
      expect(await store.acquireLock(name, 'parent', 30_000)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('a value written by a child that has exited is read back', async () => {
    const out = await runChild([redis.url, prefix, 'write', 'durable', 'k:1', JSON.stringify({ v: '값' })]).done;
    expect(JSON.parse(out)).toEqual({ ok: true });
    const store = await RedisStore.open(redis.url, { keyPrefix: prefix });
    try {
      expect(await store.get('durable', 'k:1')).toEqual({ v: '값' });
    } finally {
      await store.close();
    }
  });
});

describe.runIf(redisAvailable())('Redis with persistence', () => {
  it('values (and TTLs) survive a Redis restart when appendonly is on', async () => {
    const first = await startRedis({ persistent: true });
    let second: RedisServer | undefined;
    try {
      const store = await RedisStore.open(first.url);
      await store.set('durable', 'bytes', new Uint8Array([1, 2, 3, 250]));
      await store.set('durable', 'ttl', 'temp', 600_000);
      await store.close();
      await first.stop();
      second = await startRedis({ persistent: true, dir: first.dir, port: first.port });
      const again = await RedisStore.open(second.url);
      try {
        expect(Array.from((await again.get<Uint8Array>('durable', 'bytes')) ?? [])).toEqual([1, 2, 3, 250]);
        expect(await again.get('durable', 'ttl')).toBe('temp');
      } finally {
        await again.close();
      }
    } finally {
      await first.stop();
      await second?.stop();
      rmSync(first.dir, { recursive: true, force: true });
    }
  });
});

/** A child that takes a lease and, once released by a go-file, writes fenced by it. */
function leaseChild(target: string, prefix: string, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, target, prefix, 'lease', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let gotToken: (n: number) => void = () => {};
  const token = new Promise<number>((r) => (gotToken = r));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /\{"token":(\d+)\}\n/.exec(out);
    if (m) gotToken(Number(m[1]));
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ written: boolean }>((res, rej) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`lease child timed out; stderr: ${err}`));
    }, 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) res(JSON.parse(out.slice(out.indexOf('\n') + 1)) as { written: boolean });
      else rej(new Error(`lease child exited ${code ?? signal}: ${err}`));
    });
  });
  done.catch(() => undefined);
  return { child, token, done };
}

function leaseSuite(
  label: string,
  target: () => string,
  prefix: () => string,
  open: () => Promise<KeyValueStore>,
): void {
  it(`${label}: GIVEN a lease holder killed with SIGKILL THEN another process takes the lock within one lease, never "store unreachable"`, async () => {
    const store = await open();
    const goDir = mkdtempSync(join('tests/.tmp', 'lease-'));
    try {
      const name = `dead-${randomUUID()}`;
      const holder = leaseChild(target(), prefix(), [name, 'child', '1500', join(goDir, 'never'), 'x', 'k', '1']);
      await holder.token;
      holder.child.kill('SIGKILL');
      await holder.done.catch(() => undefined);
      const started = Date.now();
      const got = await withStoreLock(store, name, { ttlMs: 1500 }, async (lease) => lease.token);
      expect(got).toBeGreaterThan(0);
      // Waited at most about one lease (bounded by maxWait = lease + 1 s; reaching here means no STORE_BUSY/UNAVAILABLE).
      expect(Date.now() - started).toBeLessThan(1500 + 1000 + 5000);
    } finally {
      await store.close();
      rmSync(goDir, { recursive: true, force: true });
    }
  });

  it(`${label}: GIVEN a holder frozen (SIGSTOP) past its lease THEN another takes over, and the frozen holder's fenced write writes nothing when it thaws`, async () => {
    const store = await open();
    const goDir = mkdtempSync(join('tests/.tmp', 'lease-'));
    const go = join(goDir, 'go');
    const ns = `fence_${randomUUID().slice(0, 8)}`;
    try {
      const name = `frozen-${randomUUID()}`;
      const holder = leaseChild(target(), prefix(), [
        name,
        'child',
        '800',
        go,
        ns,
        'k',
        JSON.stringify('from the stale holder'),
      ]);
      const staleToken = await holder.token;
      holder.child.kill('SIGSTOP');
      try {
        await withStoreLock(store, name, { ttlMs: 30_000 }, async (lease) => {
          expect(lease.token).not.toBe(staleToken);
          expect(await fencedWrite(store, lease, [{ op: 'set', ns, key: 'k', value: 'from the new holder' }])).toBe(
            true,
          );
          writeFileSync(go, '');
          holder.child.kill('SIGCONT');
          expect(await holder.done).toEqual({ written: false });
        });
      } finally {
        holder.child.kill('SIGCONT');
      }
      expect(await store.get(ns, 'k')).toBe('from the new holder');
    } finally {
      await store.close();
      rmSync(goDir, { recursive: true, force: true });
    }
  });

  it(`${label}: GIVEN a live holder keeps the lock past the wait THEN STORE_BUSY, not STORE_UNAVAILABLE`, async () => {
    const store = await open();
    try {
      const name = `busy-${randomUUID()}`;
      expect((await store.acquireLease(name, 'someone', 30_000)).ok).toBe(true);
      const e = await withStoreLock(store, name, { ttlMs: 1000, maxWaitMs: 300 }, async () => 'ran').catch(
        (x: unknown) => x,
      );
      expect(isRecoError(e, 'STORE_BUSY')).toBe(true);
    } finally {
      await store.close();
    }
  });
}

describe('leases with fencing across processes: SQLite', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join('tests/.tmp', 'store-lease-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  leaseSuite(
    'sqlite',
    () => dir,
    () => '',
    () => SqliteStore.open(dir),
  );
});

describe.runIf(redisAvailable())('leases with fencing across processes: Redis', () => {
  let redis: RedisServer;
  const prefix = `lease-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  leaseSuite(
    'redis',
    () => redis.url,
    () => prefix,
    () => RedisStore.open(redis.url, { keyPrefix: prefix }),
  );
});
