/**
 * The scale-out store: keyv + @keyv/redis on a node-redis client that we create and own — a single
 * server (`REDIS_URL`) or a primary found through Redis Sentinel (`REDIS_SENTINELS`).
 *
 * Key layout: `<prefix>:<namespace>:<key>` (prefix `deep-reco` by default; @keyv/redis adds the
 * prefix through its `namespace`/`keyPrefixSeparator`), locks at `<prefix>:~lock:<name>` holding
 * `<token>:<owner>`, fencing tokens from the one counter `<prefix>:~lock-seq`.
 * TTLs are native (`SET ... PX`; a batch write `SET ... PXAT` at the envelope's own expiry). `keys()` is
 * `SCAN MATCH <prefix>:<ns>:<escaped prefix>*`, never KEYS.
 *
 * Failure behaviour (see docs/STORE.md):
 * - Every call has ONE deadline, `commandTimeoutMs` (plus `waitTimeoutMs` for writes that wait for a
 *   replica). node-redis' own command timeout only covers queueing, so a frozen server (SIGSTOP) is
 *   caught by the socket: `socketTimeout` closes a connection that received nothing for that long while
 *   a `PING` every `commandTimeoutMs / 2` keeps an idle healthy one busy. The client then reconnects in
 *   the background (backoff capped at 2 s) and calls succeed again once the server answers.
 * - The offline queue is off: while disconnected, calls fail at once (STORE_UNAVAILABLE: nothing written).
 * - A write whose reply never came (deadline, connection lost after sending, or a replica that did not
 *   confirm it in time) may or may not have been applied: it fails with STORE_OUTCOME_UNKNOWN, so the
 *   caller can say so honestly and retry idempotently.
 * - With `waitReplicas` > 0 every write is followed, on the same connection and in the same round trip,
 *   by `WAIT <n> <waitTimeoutMs>`: a write resolves only once n replicas have it.
 */
import KeyvRedis, { createClient, createSentinel } from '@keyv/redis';
import Keyv from 'keyv';
import { RecoError } from '../../core/errors.js';
import type { LeaseResult, Logger, StoreCapabilities } from '../../core/ports.js';
import {
  checkLockArgs,
  checkNamespace,
  messageOf,
  redactUrl,
  scrub,
  scrubError,
  unavailable,
  withTimeout,
} from './common.js';
import { KEYV_OPTIONS, KeyvBackedStore, type RawExpect, type RawFence, type RawWrite } from './keyv-store.js';

export interface RedisSentinelSettings {
  /** Sentinels to ask for the primary (`host:port` each; a few are enough). */
  nodes: { host: string; port: number }[];
  /** The name the sentinels monitor the primary under (`sentinel monitor <name> …`). */
  name: string;
  /** Password of the sentinels themselves (`requirepass` in sentinel.conf), when set. */
  password?: string;
}

export interface RedisStoreOptions {
  logger?: Logger;
  /** Prefix of every key this app writes. Default `deep-reco`. Lets several apps/tests share one Redis. */
  keyPrefix?: string;
  /** TCP connect timeout. Default 3000 ms. */
  connectTimeoutMs?: number;
  /** The deadline of every store call (and the socket's silence limit). Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Find the primary through Sentinel (the URL then only gives credentials and the database number). */
  sentinel?: RedisSentinelSettings;
  /** Replicas that must confirm each write (`WAIT`) before it resolves. Default 0. */
  waitReplicas?: number;
  /** How long `WAIT` waits for them. Default 500 ms. */
  waitTimeoutMs?: number;
  /** `eraseResidue` rewrites the AOF at most this often (later calls schedule one run). Default 10 min; 0 = never. */
  aofRewriteIntervalMs?: number;
}

type Args = string[];

/** What we need of a node-redis client or sentinel: send a raw command. */
interface Sender {
  send<T>(args: Args): Promise<T>;
  connect(): Promise<unknown>;
  readonly isOpen: boolean;
  readonly isReady: boolean;
  close(): Promise<unknown>;
  destroy(): unknown;
}

/**
 * Take or extend a lease. KEYS[1] = the lock, KEYS[2] = the token counter; ARGV = owner, ttl.
 * Returns {token, 0} when held now, {0, remaining ms} when someone else holds it.
 */
const ACQUIRE_LEASE = `
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, ':', 1, true)
  local token = tonumber(string.sub(v, 1, sep - 1))
  if string.sub(v, sep + 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {token, 0}
  end
  return {0, redis.call('PTTL', KEYS[1])}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'PX', ARGV[2])
return {token, 0}`;

const RELEASE_IF_OWNER = `
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, ':', 1, true)
  if string.sub(v, sep + 1) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
end
return 0`;

/**
 * Compare-and-set batch, atomic (a Lua script runs alone). KEYS: the fence lock (always; ignored when
 * ARGV[2] is ''), the expected keys, then the written keys. ARGV[1] = number of expectations, ARGV[2] = the
 * fence token ('' = no fence), then one version per expectation ('' = must be absent), then per write:
 * op (`s` set / `d` delete / `i` increment), the raw value (or the field), the TTL in ms (or the amount).
 */
const APPLY_BATCH = `
local n = tonumber(ARGV[1])
if ARGV[2] ~= '' then
  local v = redis.call('GET', KEYS[1])
  if not v then return 0 end
  local sep = string.find(v, ':', 1, true)
  if string.sub(v, 1, sep - 1) ~= ARGV[2] then return 0 end
end
for i = 1, n do
  local cur = redis.call('GET', KEYS[i + 1])
  local want = ARGV[i + 2]
  if want == '' then
    if cur then return 0 end
  elseif (not cur) or redis.sha1hex(cur) ~= want then
    return 0
  end
end
local a = n + 3
for i = n + 2, #KEYS do
  local op = ARGV[a]
  if op == 's' then
    local at = tonumber(ARGV[a + 2])
    if at > 0 then
      redis.call('SET', KEYS[i], ARGV[a + 1], 'PXAT', at)
    else
      redis.call('SET', KEYS[i], ARGV[a + 1])
    end
  elseif op == 'd' then
    redis.call('DEL', KEYS[i])
  else
    local cur = redis.call('GET', KEYS[i])
    local ok, env = pcall(cjson.decode, cur or '{}')
    if (not ok) or type(env) ~= 'table' then env = {} end
    if type(env.value) ~= 'table' then env.value = {} end
    env.value[ARGV[a + 1]] = (tonumber(env.value[ARGV[a + 1]]) or 0) + tonumber(ARGV[a + 2])
    redis.call('SET', KEYS[i], cjson.encode(env), 'KEEPTTL')
  end
  a = a + 3
end
return 1`;

/** Escapes Redis glob metacharacters so a prefix matches literally in SCAN MATCH. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

/** Raised when a write may have been applied but no reply confirmed it. */
class Unconfirmed extends Error {}

/** node-redis errors raised before a command was sent: the write certainly did not happen. */
function neverSent(e: unknown): boolean {
  const m = messageOf(e);
  return (
    m === 'The client is offline' ||
    m === 'The client is closed' ||
    /^Connection timeout/.test(m) ||
    (e as Error)?.constructor?.name === 'ErrorReply' ||
    (e as Error)?.constructor?.name === 'SimpleError'
  );
}

export class RedisStore extends KeyvBackedStore {
  readonly description: string;
  readonly capabilities: StoreCapabilities;
  protected readonly keyv: Keyv;
  private readonly client: Sender;
  private readonly adapter: KeyvRedis<string>;
  private readonly prefix: string;
  private readonly commandTimeoutMs: number;
  private readonly waitReplicas: number;
  private readonly waitTimeoutMs: number;
  private readonly aofRewriteIntervalMs: number;
  private lastRewriteAt = 0;
  private rewriteTimer: NodeJS.Timeout | undefined;
  private everReady = false;
  private healthy = true;

  private constructor(url: string, options: RedisStoreOptions) {
    super(options.logger);
    const sentinel = options.sentinel;
    this.description = sentinel
      ? `redis-sentinel:${sentinel.name}@${sentinel.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`
      : `redis:${redactUrl(url)}`;
    this.secrets = [...secretsOf(url), ...(sentinel?.password ? [sentinel.password] : [])];
    this.prefix = options.keyPrefix ?? 'deep-reco';
    const connectTimeout = options.connectTimeoutMs ?? 3000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 2000;
    this.waitReplicas = options.waitReplicas ?? 0;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 500;
    this.aofRewriteIntervalMs = options.aofRewriteIntervalMs ?? 10 * 60_000;
    this.capabilities = {
      sharedAcrossProcesses: true,
      crossProcessLocks: true,
      crossProcessCompareAndSet: true,
      scope: 'network',
      fencedLeases: true,
      replicatedWrites: this.waitReplicas > 0,
    };
    const silence = this.commandTimeoutMs + (this.waitReplicas > 0 ? this.waitTimeoutMs : 0);
    const nodeOptions = {
      disableOfflineQueue: true,
      commandOptions: { timeout: this.commandTimeoutMs },
      // A PING every half deadline keeps a healthy idle connection busy, so the socket timeout only fires
      // on a server that stopped answering (a frozen server accepts the bytes and never replies).
      pingInterval: Math.max(100, Math.floor(this.commandTimeoutMs / 2)),
      socket: {
        connectTimeout,
        socketTimeout: silence,
        // Before the first successful connection: fail fast (open() reports it). After: keep trying.
        reconnectStrategy: (retries: number, cause: Error) =>
          this.everReady && !this.closed ? Math.min(100 * 2 ** retries, 2000) : cause,
      },
    };
    const creds = credentialsOf(url);
    let keyvClient: ConstructorParameters<typeof KeyvRedis<string>>[0];
    if (sentinel) {
      const s = createSentinel({
        name: sentinel.name,
        sentinelRootNodes: sentinel.nodes,
        nodeClientOptions: { ...nodeOptions, ...creds },
        sentinelClientOptions: {
          socket: { connectTimeout, reconnectStrategy: nodeOptions.socket.reconnectStrategy },
          ...(sentinel.password ? { password: sentinel.password } : {}),
        },
        masterPoolSize: 1, // one connection: WAIT counts the writes of the connection it runs on
        replicaPoolSize: 0,
        scanInterval: 2000,
      });
      s.on('error', (e: unknown) => this.onClientError(e));
      this.client = {
        send: <T>(args: Args) => s.sendCommand<T>(false, args),
        connect: () => s.connect(),
        get isOpen() {
          return s.isOpen;
        },
        get isReady() {
          return s.isReady;
        },
        close: () => s.close(),
        destroy: () => s.destroy(),
      };
      keyvClient = s;
      this.everReady = false;
    } else {
      const c = createClient({ url, ...nodeOptions });
      c.on('error', (e: unknown) => this.onClientError(e));
      c.on('ready', () => {
        if (!this.healthy) this.logger.info({ store: this.description }, 'redis connection restored');
        this.healthy = true;
        this.everReady = true;
      });
      this.client = {
        send: <T>(args: Args) => c.sendCommand<T>(args),
        connect: () => c.connect(),
        get isOpen() {
          return c.isOpen;
        },
        get isReady() {
          return c.isReady;
        },
        close: () => c.close(),
        destroy: () => c.destroy(),
      };
      keyvClient = c;
    }
    this.adapter = new KeyvRedis<string>(keyvClient, {
      keyPrefixSeparator: ':',
      throwOnErrors: true,
      throwOnConnectError: true,
      connectionTimeout: connectTimeout,
    });
    // Keyv sets the adapter's namespace from its own: that becomes our key prefix.
    this.keyv = new Keyv(this.adapter, { ...KEYV_OPTIONS, namespace: this.prefix });
    this.watchErrors();
  }

  private onClientError(e: unknown): void {
    if (this.healthy && !this.closed && this.everReady) {
      this.healthy = false;
      this.logger.warn(
        { store: this.description, err: scrub(messageOf(e), this.secrets) },
        'redis connection lost; reconnecting',
      );
    }
  }

  /**
   * Connects. @throws RecoError STORE_OPEN_FAILED naming REDIS_URL / REDIS_SENTINELS (password redacted).
   */
  static async open(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const store = new RedisStore(url, options);
    const setting = options.sentinel ? 'REDIS_SENTINELS' : 'REDIS_URL';
    try {
      await withTimeout(
        store.client.connect(),
        (options.connectTimeoutMs ?? 3000) * (options.sentinel ? 2 : 1) + 1000,
        () => new Error('connect timed out'),
      );
      await withTimeout(store.client.send(['PING']), store.commandTimeoutMs, () => new Error('PING timed out'));
      store.everReady = true;
    } catch (e) {
      await store.close().catch(() => undefined);
      const where = options.sentinel
        ? `the Redis primary "${options.sentinel.name}" through the sentinels ${options.sentinel.nodes.map((n) => `${n.host}:${n.port}`).join(', ')}`
        : `Redis at ${redactUrl(url)}`;
      const fix = options.sentinel
        ? 'Check REDIS_SENTINELS and REDIS_SENTINEL_NAME (and that the sentinels monitor a reachable primary).'
        : 'Fix REDIS_URL (or unset it to use SQLite in DATA_DIR) and check that Redis is running.';
      throw new RecoError(
        'STORE_OPEN_FAILED',
        `Cannot connect to ${where}: ${scrub(messageOf(e), store.secrets)}. ${fix}`,
        { cause: scrubError(e, store.secrets), details: { setting, url: redactUrl(url) } },
      );
    }
    return store;
  }

  /**
   * Every call has one deadline. For a write, a missing reply (deadline, connection lost after sending, a
   * replica that did not confirm) is STORE_OUTCOME_UNKNOWN; a failure before sending is STORE_UNAVAILABLE.
   */
  protected override async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    const write = WRITE_OPS.has(op);
    const deadline = this.commandTimeoutMs + (write && this.waitReplicas > 0 ? this.waitTimeoutMs : 0);
    if (this.closed) throw new RecoError('STORE_UNAVAILABLE', `Store ${this.description} is closed (${op})`);
    try {
      return await withTimeout(fn(), deadline, () => new Unconfirmed(`no reply within ${deadline} ms`));
    } catch (e) {
      if (e instanceof RecoError) throw e;
      if (write && !neverSent(e)) {
        throw new RecoError(
          'STORE_OUTCOME_UNKNOWN',
          `Store ${this.description}: ${op} may or may not have been applied: ${scrub(messageOf(e), this.secrets)}`,
          { cause: scrubError(e, this.secrets), details: { store: this.description, op } },
        );
      }
      throw unavailable(this.description, op, e instanceof Unconfirmed ? new Error(e.message) : e, this.secrets);
    }
  }

  /** Sends a write, then (same connection, same round trip) `WAIT` for the configured replicas. */
  private async sendWrite<T>(args: Args): Promise<T> {
    if (this.waitReplicas <= 0) return this.client.send<T>(args);
    const [out, acked] = await Promise.all([
      this.client.send<T>(args),
      this.client.send<number>(['WAIT', String(this.waitReplicas), String(this.waitTimeoutMs)]),
    ]);
    if (Number(acked) < this.waitReplicas)
      throw new Unconfirmed(
        `written on the primary, but ${acked} of ${this.waitReplicas} replica(s) confirmed it within ${this.waitTimeoutMs} ms`,
      );
    return out;
  }

  override async set(namespace: string, key: string, value: unknown, ttlMs?: number): Promise<void> {
    // A row with a TTL goes the batch way (SET … PXAT the envelope's expiry, WAIT in the same round trip): keyv's
    // own path would count the TTL from when Redis runs the SET, a little after the envelope's `expires`.
    if (ttlMs !== undefined) {
      await this.writeBatch([{ op: 'set', ns: namespace, key, value, ttlMs }]);
      return;
    }
    await super.set(namespace, key, value, ttlMs);
    if (this.waitReplicas > 0) await this.confirmReplicated('set');
  }

  override async delete(namespace: string, key: string): Promise<boolean> {
    const out = await super.delete(namespace, key);
    if (this.waitReplicas > 0) await this.confirmReplicated('delete');
    return out;
  }

  /** `WAIT` after a write made through keyv (same single connection, so it covers that write). */
  private async confirmReplicated(op: string): Promise<void> {
    await this.run(op, async () => {
      const acked = await this.client.send<number>(['WAIT', String(this.waitReplicas), String(this.waitTimeoutMs)]);
      if (Number(acked) < this.waitReplicas)
        throw new Unconfirmed(
          `${acked} of ${this.waitReplicas} replica(s) confirmed the write within ${this.waitTimeoutMs} ms`,
        );
    });
  }

  private redisKey(namespace: string, key: string): string {
    return `${this.prefix}:${namespace}:${key}`;
  }

  private lockKey(name: string): string {
    return `${this.prefix}:~lock:${name}`;
  }

  async *keys(namespace: string, prefix = ''): AsyncIterable<string> {
    checkNamespace(namespace);
    const start = this.redisKey(namespace, '');
    const match = `${escapeGlob(start + prefix)}*`;
    const seen = new Set<string>(); // SCAN may return a key more than once
    let cursor = '0';
    do {
      const [next, batch] = await this.run('keys', () =>
        this.client.send<[string, string[]]>(['SCAN', cursor, 'MATCH', match, 'COUNT', '1000']),
      );
      cursor = String(next);
      for (const k of batch) {
        if (seen.has(k)) continue;
        seen.add(k);
        yield k.slice(start.length);
      }
    } while (cursor !== '0');
  }

  /** Full keys (`<namespace>:<key>`) → Redis keys: keyv-redis puts the prefix in front. */
  private prefixed(fullKey: string): string {
    return `${this.prefix}:${fullKey}`;
  }

  protected async rawGetMany(keys: readonly string[]): Promise<(string | null)[]> {
    return this.client.send<(string | null)[]>(['MGET', ...keys.map((k) => this.prefixed(k))]);
  }

  protected async rawApply(
    writes: readonly RawWrite[],
    expect: readonly RawExpect[],
    fence: RawFence | undefined,
  ): Promise<boolean> {
    const keys = [
      this.lockKey(fence?.name ?? '-'),
      ...expect.map((e) => this.prefixed(e.key)),
      ...writes.map((w) => this.prefixed(w.key)),
    ];
    const args = [String(expect.length), fence ? String(fence.token) : '', ...expect.map((e) => e.version ?? '')];
    for (const w of writes) {
      // PXAT at the envelope's own `expires`: Redis drops the row at the instant get() starts treating it as
      // expired, so keys() never lists a row get() no longer returns (a relative PX would start later, when the
      // script runs). A time already past sets nothing (Redis ≥ 6.2).
      if (w.kind === 'set') args.push('s', w.raw, String(w.expiresAt ?? 0));
      else if (w.kind === 'delete') args.push('d', '', '0');
      else args.push('i', w.field, String(w.by));
    }
    const out = await this.sendWrite<number>(['EVAL', APPLY_BATCH, String(keys.length), ...keys, ...args]);
    return out === 1;
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<LeaseResult> {
    checkLockArgs(name, owner, ttlMs);
    const ttl = Math.ceil(ttlMs);
    return this.run('acquireLease', async (): Promise<LeaseResult> => {
      const [token, remaining] = await this.sendWrite<[number, number]>([
        'EVAL',
        ACQUIRE_LEASE,
        '2',
        this.lockKey(name),
        `${this.prefix}:~lock-seq`,
        owner,
        String(ttl),
      ]);
      return Number(token) > 0
        ? { ok: true, lease: { name, owner, token: Number(token), ttlMs: ttl } }
        : { ok: false, remainingMs: Math.max(0, Number(remaining)) };
    });
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    checkLockArgs(name, owner);
    const key = this.lockKey(name);
    await this.run('releaseLock', () => this.client.send(['EVAL', RELEASE_IF_OWNER, '1', key, owner]));
  }

  /**
   * Deleted keys stay in the append-only file until Redis rewrites it: `BGREWRITEAOF` (when AOF is on), at
   * most once per `aofRewriteIntervalMs` — a call within that time schedules one run at its end. RDB
   * snapshots are replaced at the next save (`BGSAVE` too when `save` is configured).
   */
  async eraseResidue(): Promise<string> {
    if (this.aofRewriteIntervalMs <= 0)
      return 'redis: AOF rewrite after /forget is off (REDIS_AOF_REWRITE_INTERVAL_MS=0)';
    const wait = this.lastRewriteAt + this.aofRewriteIntervalMs - Date.now();
    if (wait > 0) {
      if (this.rewriteTimer === undefined) {
        this.rewriteTimer = setTimeout(() => {
          this.rewriteTimer = undefined;
          if (!this.closed)
            this.eraseResidue().then(
              (what) => this.logger.info({ store: this.description, what }, 'redis residue erased after /forget'),
              (e: unknown) =>
                this.logger.warn({ store: this.description, err: messageOf(e) }, 'redis AOF rewrite failed'),
            );
        }, wait);
        this.rewriteTimer.unref();
      }
      return `redis: AOF rewrite scheduled in ${Math.ceil(wait / 1000)} s (at most one per ${Math.round(this.aofRewriteIntervalMs / 1000)} s)`;
    }
    this.lastRewriteAt = Date.now();
    return this.run('eraseResidue', async () => {
      const done: string[] = [];
      const aof = await this.client.send<string[]>(['CONFIG', 'GET', 'appendonly']);
      if (aof[1] === 'yes') {
        await this.client.send(['BGREWRITEAOF']).catch((e: unknown) => {
          if (!/already in progress|scheduled/i.test(messageOf(e))) throw e;
        });
        done.push('BGREWRITEAOF');
      }
      const save = await this.client.send<string[]>(['CONFIG', 'GET', 'save']);
      if ((save[1] ?? '') !== '') {
        await this.client.send(['BGSAVE', 'SCHEDULE']).catch(() => undefined);
        done.push('BGSAVE');
      }
      return done.length > 0 ? `redis: ${done.join(' + ')} started` : 'redis: no persistence files to rewrite';
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.rewriteTimer !== undefined) clearTimeout(this.rewriteTimer);
    if (!this.client.isOpen) return;
    if (this.client.isReady) {
      // QUIT waits for replies to commands in flight; bounded in case Redis stops answering.
      await withTimeout(Promise.resolve(this.client.close()), 2000, () => new Error('close timed out')).catch(() =>
        this.client.destroy(),
      );
    } else {
      await Promise.resolve(this.client.destroy()).catch(() => undefined);
    }
  }
}

/** Store calls that change data: their unconfirmed failures are STORE_OUTCOME_UNKNOWN. */
const WRITE_OPS = new Set(['set', 'delete', 'writeBatch', 'acquireLease']);

function secretsOf(url: string): string[] {
  try {
    const raw = new URL(url).password;
    if (raw === '') return [];
    const decoded = decodeURIComponent(raw);
    return decoded === raw ? [raw] : [raw, decoded];
  } catch {
    return [];
  }
}

/** Username, password and database of a `redis://` URL (for the nodes found through Sentinel). */
function credentialsOf(url: string): { username?: string; password?: string; database?: number } {
  try {
    const u = new URL(url);
    const db = Number(u.pathname.replace(/^\//, ''));
    return {
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(Number.isInteger(db) && db > 0 ? { database: db } : {}),
    };
  } catch {
    return {};
  }
}
