/**
 * The embedded store: keyv + @keyv/sqlite (sqlite3 driver) in `<DATA_DIR>/deep-reco.sqlite`.
 *
 * - One table `keyv(key PRIMARY KEY, value TEXT)` holds every namespace as `<namespace>:<key>`.
 * - `keys(ns, prefix)` is a range query on the primary key (`key >= 'ns:prefix' AND key < upper`)
 *   through the adapter's `query` method, paged by key, with expired rows filtered in SQL.
 * - TTLs: keyv writes `expires` into the JSON value and hides expired rows on read; expired rows are
 *   purged at open and then every `purgeIntervalMs`.
 * - WAL + `synchronous=FULL` + a busy timeout: several processes can share the file, and `set`
 *   resolves after the commit is on disk.
 * - Locks live in their own `locks` table and are taken with one atomic upsert, so they hold across
 *   processes that share the file.
 * - `writeBatch` runs as one `BEGIN IMMEDIATE` transaction (one writer across processes): the
 *   compare-and-set check and the writes commit together or not at all. Other statements of this
 *   process wait while a batch transaction is open, so none of them slips into it.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { RecoError } from '../../core/errors.js';
import type { Logger, StoreCapabilities } from '../../core/ports.js';
import { checkLockArgs, checkNamespace, messageOf, prefixUpperBound } from './common.js';
import { KEYV_OPTIONS, KeyvBackedStore, isExpired, versionOf, type RawExpect, type RawWrite } from './keyv-store.js';

export const SQLITE_FILE_NAME = 'deep-reco.sqlite';
const TABLE = 'keyv';
const PAGE = 1000;

export interface SqliteStoreOptions {
  logger?: Logger;
  /** How long a writer waits for another process's lock on the file. Default 5000 ms. */
  busyTimeoutMs?: number;
  /** How often expired rows are deleted. Default 10 minutes; 0 turns the timer off. */
  purgeIntervalMs?: number;
}

type Query = (sql: string, ...params: unknown[]) => Promise<Record<string, unknown>[]>;

export class SqliteStore extends KeyvBackedStore {
  readonly description: string;
  /**
   * Processes on one host may share the file (WAL). Locks (the `locks` table) and compare-and-set
   * (`BEGIN IMMEDIATE`) hold across them.
   */
  readonly capabilities: StoreCapabilities = {
    sharedAcrossProcesses: true,
    crossProcessLocks: true,
    crossProcessCompareAndSet: true,
  };
  readonly path: string;
  protected readonly keyv: Keyv;
  private readonly adapter: KeyvSqlite;
  /** Every statement of this store and of keyv goes through here (waits while a batch transaction is open). */
  private readonly query: Query;
  /** The driver's query, used inside a batch transaction. */
  private readonly rawQuery: Query;
  private tx: Promise<unknown> | undefined;
  private readonly busyTimeoutMs: number;
  private purgeTimer: NodeJS.Timeout | undefined;

  private constructor(path: string, options: SqliteStoreOptions) {
    super(options.logger);
    this.path = path;
    this.description = `sqlite:${path}`;
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.adapter = new KeyvSqlite({
      uri: `sqlite://${path}`,
      table: TABLE,
      busyTimeout: options.busyTimeoutMs ?? 5000,
    });
    // The adapter's `query` is sqlite3's `Database#all`, promisified: rows out, no `changes`. keyv's own
    // statements go through the adapter's `query` too: route them past the batch-transaction gate.
    this.rawQuery = this.adapter.query.bind(this.adapter) as Query;
    const gated: Query = async (sql, ...params) => {
      while (this.tx) await this.tx.catch(() => undefined);
      return this.rawQuery(sql, ...params);
    };
    (this.adapter as unknown as { query: Query }).query = gated;
    this.query = gated;
    this.keyv = new Keyv(this.adapter, KEYV_OPTIONS);
    this.watchErrors();
  }

  /**
   * Opens (creating DATA_DIR and the file if needed) and prepares the database.
   * @throws RecoError STORE_OPEN_FAILED naming DATA_DIR.
   */
  static async open(dataDir: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const dir = resolve(dataDir);
    try {
      mkdirp(dir);
      if (!statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
    } catch (e) {
      throw openFailed(dataDir, `cannot create directory ${dir}: ${messageOf(e)}`, e);
    }
    const store = new SqliteStore(join(dir, SQLITE_FILE_NAME), options);
    try {
      await store.prepare();
    } catch (e) {
      await store.close().catch(() => undefined);
      throw openFailed(dataDir, `cannot open ${store.path}: ${messageOf(e)}`, e);
    }
    const interval = options.purgeIntervalMs ?? 10 * 60_000;
    if (interval > 0) {
      store.purgeTimer = setInterval(() => {
        store
          .purgeExpired()
          .catch((e: unknown) => store.logger.warn({ err: messageOf(e) }, 'sqlite purge of expired keys failed'));
      }, interval);
      store.purgeTimer.unref();
    }
    return store;
  }

  private async prepare(): Promise<void> {
    // journal_mode=WAL is stored in the file; busy_timeout/synchronous are per connection.
    await this.query('PRAGMA journal_mode = WAL');
    await this.query('PRAGMA synchronous = FULL');
    await this.query(
      'CREATE TABLE IF NOT EXISTS locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)',
    );
    await this.purgeExpired();
  }

  /** Deletes rows whose TTL has passed. Returns how many went. */
  async purgeExpired(): Promise<number> {
    const rows = await this.query(
      `DELETE FROM ${TABLE} WHERE json_extract(value, '$.expires') < ? RETURNING 1 AS gone`,
      Date.now(),
    );
    await this.query('DELETE FROM locks WHERE expires_at <= ?', Date.now());
    return rows.length;
  }

  async *keys(namespace: string, prefix = ''): AsyncIterable<string> {
    checkNamespace(namespace);
    const start = `${namespace}:`;
    const low = start + prefix;
    const high = prefixUpperBound(low) as string; // never undefined: `low` contains ':'
    let after: string | undefined;
    for (let page = 0; ; page++) {
      const now = Date.now();
      const rows = await this.run('keys', () =>
        this.query(
          `SELECT key FROM ${TABLE}
           WHERE key ${after === undefined ? '>=' : '>'} ? AND key < ?
             AND (json_extract(value, '$.expires') IS NULL OR json_extract(value, '$.expires') >= ?)
           ORDER BY key LIMIT ?`,
          after ?? low,
          high,
          now,
          PAGE,
        ),
      );
      for (const row of rows) yield String(row.key).slice(start.length);
      if (rows.length < PAGE) return;
      after = String(rows[rows.length - 1]?.key);
    }
  }

  protected async rawGetMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    const rows = await this.query(
      `SELECT key, value FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?))`,
      JSON.stringify(keys),
    );
    const byKey = new Map(rows.map((r) => [String(r.key), String(r.value)]));
    return keys.map((k) => byKey.get(k));
  }

  protected async rawApply(writes: readonly RawWrite[], expect: readonly RawExpect[]): Promise<boolean> {
    return this.transaction(async (q) => {
      if (expect.length > 0) {
        const rows = await q(
          `SELECT key, value FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?))`,
          JSON.stringify(expect.map((e) => e.key)),
        );
        const byKey = new Map(rows.map((r) => [String(r.key), String(r.value)]));
        const now = Date.now();
        for (const e of expect) {
          const cur = byKey.get(e.key);
          const live = cur !== undefined && !isExpired(cur, now) ? cur : undefined;
          if ((live === undefined ? undefined : versionOf(live)) !== e.version) return false;
        }
      }
      const sets = writes.filter((w) => w.raw !== undefined);
      const dels = writes.filter((w) => w.raw === undefined).map((w) => w.key);
      // Later writes of the same key win, as if applied one by one.
      const last = new Map<string, string>();
      for (const w of sets) last.set(w.key, w.raw!);
      for (const k of dels) last.delete(k);
      if (dels.length > 0)
        await q(`DELETE FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?))`, JSON.stringify(dels));
      if (last.size > 0) {
        await q(
          `INSERT INTO ${TABLE} (key, value) SELECT json_extract(e.value, '$[0]'), json_extract(e.value, '$[1]')
           FROM json_each(?) AS e WHERE true
           ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
          JSON.stringify([...last]),
        );
      }
      return true;
    });
  }

  /**
   * `BEGIN IMMEDIATE`, retried on a timer while another connection holds the write lock. The driver's busy
   * handler is off for this (busy_timeout 0 while a batch runs): it would wait on a libuv worker thread,
   * and a few such waits can starve the very connection that holds the lock when both live in one process.
   */
  private async begin(q: Query): Promise<void> {
    await this.busyRetry(() => q('BEGIN IMMEDIATE'));
  }

  /** Retries a statement answered with SQLITE_BUSY (a failed COMMIT leaves the transaction open to retry). */
  private async busyRetry(statement: () => Promise<unknown>): Promise<void> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await statement();
        return;
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, Math.min(50, 2 + attempt * 2) * (0.5 + Math.random())));
      }
    }
  }

  /** One `BEGIN IMMEDIATE` transaction; other statements of this process wait until it ends. */
  private async transaction<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    while (this.tx) await this.tx.catch(() => undefined);
    const q = this.rawQuery;
    const run = (async () => {
      await q('PRAGMA busy_timeout = 0');
      try {
        await this.begin(q);
        try {
          const out = await fn(q);
          await this.busyRetry(() => q('COMMIT'));
          return out;
        } catch (e) {
          await q('ROLLBACK').catch(() => undefined);
          throw e;
        }
      } finally {
        await q(`PRAGMA busy_timeout = ${Math.floor(this.busyTimeoutMs)}`).catch(() => undefined);
      }
    })();
    this.tx = run;
    try {
      return await run;
    } finally {
      if (this.tx === run) this.tx = undefined;
    }
  }

  async acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLockArgs(name, owner, ttlMs);
    return this.run('acquireLock', async () => {
      const now = Date.now();
      // One statement, so it is atomic across connections and processes: insert, or take over an
      // expired lock, or extend our own; otherwise the WHERE is false and nothing is returned.
      const rows = await this.query(
        `INSERT INTO locks (name, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE locks.expires_at <= ? OR locks.owner = excluded.owner
         RETURNING owner`,
        name,
        owner,
        now + Math.ceil(ttlMs),
        now,
      );
      return rows.length === 1;
    });
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    checkLockArgs(name, owner);
    await this.run('releaseLock', () => this.query('DELETE FROM locks WHERE name = ? AND owner = ?', name, owner));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.purgeTimer !== undefined) clearInterval(this.purgeTimer);
    await this.adapter.disconnect();
  }
}

/**
 * `mkdir -p` one level at a time. Node's `mkdirSync(dir, { recursive: true })` loops forever on
 * paths under /proc (mkdir there fails with ENOENT although the parent exists).
 */
function mkdirp(dir: string): void {
  const parts = dir.split(sep).filter(Boolean);
  let current = dir.startsWith(sep) ? sep : '';
  for (const part of parts) {
    current = join(current, part);
    try {
      mkdirSync(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

function openFailed(dataDir: string, why: string, cause: unknown): RecoError {
  return new RecoError(
    'STORE_OPEN_FAILED',
    `Cannot open the SQLite store: ${why}. Fix DATA_DIR (now ${JSON.stringify(dataDir)}): it must be a writable directory.`,
    { cause, details: { setting: 'DATA_DIR', dataDir } },
  );
}
