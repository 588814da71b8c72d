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
 * - Locks live in their own `locks` table as leases with fencing tokens (from the one-row `lock_seq`
 *   table, so no two holdings ever share a token), taken in one `BEGIN IMMEDIATE` transaction, so they
 *   hold across processes that share the file.
 * - `writeBatch` runs as one `BEGIN IMMEDIATE` transaction (one writer across processes): the
 *   compare-and-set check, the fence check and the writes commit together or not at all. Other
 *   statements of this process wait while a batch transaction is open, so none of them slips into it.
 * - `secure_delete` is on (deleted rows are overwritten with zeros); `eraseResidue` checkpoints and
 *   truncates the WAL, so `/forget` leaves no copy of a person's words in the files.
 * - Opening refuses, each with its own message: a directory it cannot create or write, a 0-byte file, a
 *   file that is not SQLite, a SQLite file of another application, and a damaged file (`quick_check`).
 */
import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { RecoError } from '../../core/errors.js';
import type { LeaseResult, Logger, StoreCapabilities } from '../../core/ports.js';
import { checkLockArgs, checkNamespace, messageOf, prefixUpperBound } from './common.js';
import {
  KEYV_OPTIONS,
  KeyvBackedStore,
  liveVersion,
  type RawExpect,
  type RawFence,
  type RawWrite,
} from './keyv-store.js';

export const SQLITE_FILE_NAME = 'deep-reco.sqlite';
const TABLE = 'keyv';
const PAGE = 1000;
/** `PRAGMA application_id` of a DEEP-RECO store ("DRCO"), so another program's SQLite file is told apart. */
export const APPLICATION_ID = 0x4452434f;
/** The tables a DEEP-RECO store holds; any other table means the file belongs to something else. */
const OUR_TABLES = new Set([TABLE, 'locks', 'lock_seq']);
/** The expiry of a row, NULL for a row that is not JSON (such rows are kept for `get` to quarantine). */
const EXPIRES = `CASE WHEN json_valid(value) THEN json_extract(value, '$.expires') END`;

/** Why a SQLite store could not be opened: each has its own message and fix. */
export type SqliteOpenProblem =
  | 'not-a-directory'
  | 'cannot-create-directory'
  | 'directory-not-writable'
  | 'not-a-file'
  | 'empty-file'
  | 'not-sqlite'
  | 'foreign'
  | 'damaged'
  | 'read-only'
  | 'disk-full'
  | 'locked'
  | 'other';

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
   * Processes on one host may share the file (WAL on a local filesystem). Leases with fencing (the `locks`
   * table) and compare-and-set (`BEGIN IMMEDIATE`) hold across them. No replica: durability is the disk's.
   */
  readonly capabilities: StoreCapabilities = {
    sharedAcrossProcesses: true,
    crossProcessLocks: true,
    crossProcessCompareAndSet: true,
    scope: 'host',
    fencedLeases: true,
    replicatedWrites: false,
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
  private erasing: Promise<string> | undefined;

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
   * @throws RecoError STORE_OPEN_FAILED naming DATA_DIR, with `details.problem` (a `SqliteOpenProblem`) and a
   * message that says what is wrong with the directory or the file and how to fix it.
   */
  static async open(dataDir: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const dir = resolve(dataDir);
    checkDirectory(dataDir, dir);
    const path = join(dir, SQLITE_FILE_NAME);
    const existed = checkExistingFile(dataDir, path);
    const store = new SqliteStore(path, options);
    try {
      await store.prepare(existed);
    } catch (e) {
      await store.close().catch(() => undefined);
      throw e instanceof RecoError ? e : sqliteFailure(dataDir, path, e, 'cannot open');
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

  private async prepare(existed: boolean): Promise<void> {
    // journal_mode=WAL and application_id are stored in the file; busy_timeout/synchronous/secure_delete per connection.
    const appId = Number((await this.query('PRAGMA application_id'))[0]?.application_id ?? 0);
    if (appId !== 0 && appId !== APPLICATION_ID)
      throw openProblem(
        this.dataDirOf(),
        'foreign',
        `${this.path} is a SQLite database of another application (application_id 0x${appId.toString(16)}), not a DEEP-RECO store. Point DATA_DIR at DEEP-RECO's own directory; this file was not changed.`,
      );
    const tables = (
      await this.query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    ).map((r) => String(r.name));
    const foreign = tables.filter((t) => !OUR_TABLES.has(t));
    if (foreign.length > 0) {
      // The adapter creates its table on connect: take it out again when it is empty, leaving the file as it was.
      const ours = await this.query(`SELECT count(*) AS n FROM ${TABLE}`).catch(() => [{ n: 1 }]);
      if (existed && appId === 0 && Number(ours[0]?.n ?? 1) === 0)
        await this.query(`DROP TABLE ${TABLE}`).catch(() => undefined);
      throw openProblem(
        this.dataDirOf(),
        'foreign',
        `${this.path} is a SQLite database of another application (it holds the table(s) ${foreign.slice(0, 5).join(', ')}), not a DEEP-RECO store. Point DATA_DIR at DEEP-RECO's own directory.`,
      );
    }
    if (existed) {
      const check = (await this.query('PRAGMA quick_check(5)')).map((r) => String(Object.values(r)[0]));
      if (check.length !== 1 || check[0] !== 'ok')
        throw openProblem(
          this.dataDirOf(),
          'damaged',
          `${this.path} is damaged (SQLite quick_check: ${check.join('; ').slice(0, 300)}). Stop every process using it, then restore it from a backup, or recover what is readable: sqlite3 ${this.path} ".recover" | sqlite3 recovered.sqlite, and put recovered.sqlite in its place.`,
        );
    }
    await this.query('PRAGMA journal_mode = WAL');
    await this.query('PRAGMA synchronous = FULL');
    await this.query('PRAGMA secure_delete = ON');
    if (appId === 0) await this.query(`PRAGMA application_id = ${APPLICATION_ID}`);
    await this.query(
      'CREATE TABLE IF NOT EXISTS locks (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL, token INTEGER NOT NULL DEFAULT 0)',
    );
    const cols = (await this.query('PRAGMA table_info(locks)')).map((r) => String(r.name));
    if (!cols.includes('token')) await this.query('ALTER TABLE locks ADD COLUMN token INTEGER NOT NULL DEFAULT 0');
    await this.query('CREATE TABLE IF NOT EXISTS lock_seq (id INTEGER PRIMARY KEY CHECK (id = 0), n INTEGER NOT NULL)');
    await this.query('INSERT OR IGNORE INTO lock_seq (id, n) VALUES (0, 0)');
    await this.purgeExpired();
  }

  private dataDirOf(): string {
    return this.path.slice(0, -SQLITE_FILE_NAME.length - 1);
  }

  /** Deletes rows whose TTL has passed. Returns how many went. */
  async purgeExpired(): Promise<number> {
    const rows = await this.query(`DELETE FROM ${TABLE} WHERE ${EXPIRES} < ? RETURNING 1 AS gone`, Date.now());
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
             AND (${EXPIRES} IS NULL OR ${EXPIRES} >= ?)
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

  protected async rawApply(
    writes: readonly RawWrite[],
    expect: readonly RawExpect[],
    fence: RawFence | undefined,
  ): Promise<boolean> {
    return this.transaction(async (q) => {
      const now = Date.now();
      if (fence) {
        const held = await q('SELECT token, expires_at FROM locks WHERE name = ?', fence.name);
        const row = held[0];
        if (!row || Number(row.token) !== fence.token || Number(row.expires_at) <= now) return false;
      }
      if (expect.length > 0) {
        const rows = await q(
          `SELECT key, value FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?))`,
          JSON.stringify(expect.map((e) => e.key)),
        );
        const byKey = new Map(rows.map((r) => [String(r.key), String(r.value)]));
        for (const e of expect) if (liveVersion(byKey.get(e.key), now, e.exact) !== e.version) return false;
      }
      // Later writes of the same key win, as if applied one by one; increments run after sets and deletes.
      const last = new Map<string, string | undefined>();
      const incrs: { key: string; field: string; by: number }[] = [];
      for (const w of writes) {
        if (w.kind === 'incr') incrs.push(w);
        else last.set(w.key, w.kind === 'set' ? w.raw : undefined);
      }
      const dels = [...last].filter(([, v]) => v === undefined).map(([k]) => k);
      const sets = [...last].filter((e): e is [string, string] => e[1] !== undefined);
      if (dels.length > 0)
        await q(`DELETE FROM ${TABLE} WHERE key IN (SELECT value FROM json_each(?))`, JSON.stringify(dels));
      if (sets.length > 0) {
        await q(
          `INSERT INTO ${TABLE} (key, value) SELECT json_extract(e.value, '$[0]'), json_extract(e.value, '$[1]')
           FROM json_each(?) AS e WHERE true
           ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
          JSON.stringify(sets),
        );
      }
      for (const w of incrs) {
        const path = `$.value.${w.field}`; // field is [A-Za-z0-9_] (checked by the base class)
        await q(
          `INSERT INTO ${TABLE} (key, value) VALUES (?, json_object('value', json_object(?, ?)))
           ON CONFLICT(key) DO UPDATE SET value = CASE
             WHEN json_valid(value) AND json_type(value, '$.value') = 'object'
               THEN json_set(value, ?, coalesce(json_extract(value, ?), 0) + ?)
             ELSE json_object('value', json_object(?, ?)) END`,
          w.key,
          w.field,
          w.by,
          path,
          path,
          w.by,
          w.field,
          w.by,
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

  /**
   * One `BEGIN IMMEDIATE` transaction, so it is atomic across connections and processes: take a free or
   * expired lock with a fresh token from `lock_seq`, or extend our own (keeping its token).
   */
  async acquireLease(name: string, owner: string, ttlMs: number): Promise<LeaseResult> {
    checkLockArgs(name, owner, ttlMs);
    const ttl = Math.ceil(ttlMs);
    return this.run('acquireLease', () =>
      this.transaction(async (q): Promise<LeaseResult> => {
        const now = Date.now();
        const row = (await q('SELECT owner, token, expires_at FROM locks WHERE name = ?', name))[0];
        const live = row !== undefined && Number(row.expires_at) > now;
        if (live && String(row.owner) !== owner) return { ok: false, remainingMs: Number(row.expires_at) - now };
        let token: number;
        if (live) token = Number(row.token);
        else token = Number((await q('UPDATE lock_seq SET n = n + 1 WHERE id = 0 RETURNING n'))[0]?.n);
        await q(
          `INSERT INTO locks (name, owner, expires_at, token) VALUES (?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, token = excluded.token`,
          name,
          owner,
          now + ttl,
          token,
        );
        return { ok: true, lease: { name, owner, token, ttlMs: ttl } };
      }),
    );
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    checkLockArgs(name, owner);
    await this.run('releaseLock', () => this.query('DELETE FROM locks WHERE name = ? AND owner = ?', name, owner));
  }

  /**
   * After deletions: with `secure_delete` on, deleted rows are zeros in the database file, but earlier page
   * images can still sit in the WAL. A TRUNCATE checkpoint copies the WAL into the file and empties it; it is
   * retried (bounded) while another process reads, and concurrent calls share one run.
   */
  eraseResidue(): Promise<string> {
    this.erasing ??= (async () => {
      try {
        for (let attempt = 0; ; attempt++) {
          const row = (await this.run('eraseResidue', () => this.query('PRAGMA wal_checkpoint(TRUNCATE)')))[0] ?? {};
          if (Number(row.busy ?? 0) === 0) return 'sqlite: WAL checkpointed and truncated (secure_delete on)';
          if (attempt >= 40)
            return 'sqlite: WAL checkpoint still busy (another process is reading); it completes at the next checkpoint';
          await new Promise((r) => setTimeout(r, 25 + attempt * 5));
        }
      } finally {
        this.erasing = undefined;
      }
    })();
    return this.erasing;
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

/** SQLite result codes (from the driver's `code`) → what is wrong with the file. */
function problemOf(e: unknown): SqliteOpenProblem {
  const code = String((e as { code?: string })?.code ?? '');
  const msg = messageOf(e);
  if (code === 'SQLITE_CORRUPT' || /malformed/i.test(msg)) return 'damaged';
  if (code === 'SQLITE_NOTADB' || /not a database/i.test(msg)) return 'not-sqlite';
  if (code === 'SQLITE_READONLY') return 'read-only';
  if (code === 'SQLITE_FULL') return 'disk-full';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return 'locked';
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') return 'directory-not-writable';
  return 'other';
}

const FIXES: Record<SqliteOpenProblem, string> = {
  'not-a-directory': 'DATA_DIR must name a directory: move the file away or choose another DATA_DIR.',
  'cannot-create-directory':
    'Create the directory yourself, or choose a DATA_DIR under a directory this user can write.',
  'directory-not-writable':
    'Give this user write permission on the directory (chown/chmod), or choose another DATA_DIR; SQLite also writes -wal and -shm files beside the database.',
  'not-a-file': `Remove or rename what is there so ${SQLITE_FILE_NAME} can be created.`,
  'empty-file':
    'It holds no data (a failed copy or a truncated file?). Restore it from a backup, or delete it (and any -wal/-shm beside it) to start with an empty store.',
  'not-sqlite':
    'It is not a SQLite database (another file under the same name, or badly damaged). Restore it from a backup, or move it away to start with an empty store.',
  foreign: 'Point DATA_DIR at the directory DEEP-RECO uses.',
  damaged:
    'Stop every process using it, then restore it from a backup, or recover what is readable with the sqlite3 tool (".recover") and put the result in its place.',
  'read-only': 'The database file (or its -wal/-shm) is read-only for this user: fix its permissions (chown/chmod).',
  'disk-full': 'The disk is full: free space, then start again.',
  locked: 'Another process holds the database locked for longer than the busy timeout: stop it, or try again.',
  other: 'See the cause above.',
};

/** STORE_OPEN_FAILED for one problem, naming DATA_DIR and what to do. */
function openProblem(dataDir: string, problem: SqliteOpenProblem, why: string, cause?: unknown): RecoError {
  return new RecoError(
    'STORE_OPEN_FAILED',
    `Cannot open the SQLite store: ${why.replace(/[.\s]+$/, '')}. ${FIXES[problem]} (DATA_DIR is ${JSON.stringify(dataDir)}.)`,
    { ...(cause === undefined ? {} : { cause }), details: { setting: 'DATA_DIR', dataDir, problem } },
  );
}

/** A driver failure while opening or probing the file, classified. */
export function sqliteFailure(dataDir: string, path: string, e: unknown, doing: string): RecoError {
  const problem = problemOf(e);
  const what: Record<SqliteOpenProblem, string> = {
    'not-a-directory': `${doing} ${path}`,
    'cannot-create-directory': `${doing} ${path}`,
    'directory-not-writable': `${doing} ${path}: the file or its directory cannot be opened for writing (${messageOf(e)})`,
    'not-a-file': `${doing} ${path}`,
    'empty-file': `${path} is empty`,
    'not-sqlite': `${path} is not a SQLite database (${messageOf(e)})`,
    foreign: `${path} belongs to another application`,
    damaged: `${path} is damaged (${messageOf(e)})`,
    'read-only': `${path} is read-only (${messageOf(e)})`,
    'disk-full': `the disk holding ${path} is full (${messageOf(e)})`,
    locked: `${path} is locked by another process (${messageOf(e)})`,
    other: `${doing} ${path}: ${messageOf(e)}`,
  };
  return openProblem(dataDir, problem, what[problem], e);
}

/** DATA_DIR exists (created if needed), is a directory, and this user may create files in it. */
function checkDirectory(dataDir: string, dir: string): void {
  try {
    mkdirp(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR')
      throw openProblem(dataDir, 'not-a-directory', `a part of ${dir} is a file, not a directory`, e);
    throw openProblem(dataDir, 'cannot-create-directory', `cannot create the directory ${dir} (${messageOf(e)})`, e);
  }
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    throw openProblem(dataDir, 'cannot-create-directory', `cannot read ${dir} (${messageOf(e)})`, e);
  }
  if (!isDir) throw openProblem(dataDir, 'not-a-directory', `${dir} is a file, not a directory`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw openProblem(
      dataDir,
      'directory-not-writable',
      `the directory ${dir} is not writable by this user (uid ${process.getuid?.() ?? '?'})`,
      e,
    );
  }
}

/** An existing database file is a regular, non-empty file that starts like SQLite. Returns whether it existed. */
function checkExistingFile(dataDir: string, path: string): boolean {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw openProblem(dataDir, 'other', `cannot read ${path} (${messageOf(e)})`, e);
  }
  if (!st.isFile()) throw openProblem(dataDir, 'not-a-file', `${path} is not a regular file`);
  if (st.size === 0) throw openProblem(dataDir, 'empty-file', `${path} is 0 bytes`);
  const head = Buffer.alloc(16);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    readSync(fd, head, 0, 16, 0);
  } catch (e) {
    throw openProblem(dataDir, 'read-only', `cannot read ${path} (${messageOf(e)})`, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (head.toString('latin1') !== 'SQLite format 3\u0000') {
    const shown = head
      .subarray(0, Math.min(16, st.size))
      .toString('latin1')
      .replace(/[^\x20-\x7e]/g, '.');
    throw openProblem(dataDir, 'not-sqlite', `${path} is not a SQLite database (it starts with "${shown}")`);
  }
  return true;
}
