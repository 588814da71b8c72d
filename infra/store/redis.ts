/**
 * The scale-out store: keyv + @keyv/redis on a node-redis client that we create and own.
 *
 * Key layout: `<prefix>:<namespace>:<key>` (prefix `deep-reco` by default; @keyv/redis adds the
 * prefix through its `namespace`/`keyPrefixSeparator`), locks at `<prefix>:~lock:<name>`.
 * TTLs are native (`SET ... PX`). `keys()` is `SCAN MATCH <prefix>:<ns>:<escaped prefix>*`, never KEYS.
 *
 * Failure behaviour (see docs/STORE.md): the offline queue is off and every command has a timeout,
 * so while Redis is down calls reject with STORE_UNAVAILABLE at once (or within `commandTimeoutMs`)
 * instead of queueing forever; the client keeps reconnecting in the background (backoff capped at
 * 2 s) and calls succeed again once Redis is back.
 */
import KeyvRedis, { createClient } from '@keyv/redis';
import Keyv from 'keyv';
import { RecoError } from '../../core/errors.js';
import type { Logger, StoreCapabilities } from '../../core/ports.js';
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
import { KEYV_OPTIONS, KeyvBackedStore, type RawExpect, type RawWrite } from './keyv-store.js';

export interface RedisStoreOptions {
  logger?: Logger;
  /** Prefix of every key this app writes. Default `deep-reco`. Lets several apps/tests share one Redis. */
  keyPrefix?: string;
  /** TCP connect timeout. Default 3000 ms. */
  connectTimeoutMs?: number;
  /** Per-command timeout. Default 3000 ms. */
  commandTimeoutMs?: number;
}

type Client = ReturnType<typeof createClient>;

const ACQUIRE_REENTRANT = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
elseif v == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Compare-and-set batch, atomic (a Lua script runs alone). KEYS: the expected keys, then the written keys.
 * ARGV[1] = number of expectations, then one version per expectation ('' = must be absent), then per
 * write: op (`s` set / `d` delete), the raw value, the TTL in ms (0 = none).
 */
const APPLY_BATCH = `
local n = tonumber(ARGV[1])
for i = 1, n do
  local cur = redis.call('GET', KEYS[i])
  local want = ARGV[i + 1]
  if want == '' then
    if cur then return 0 end
  elseif (not cur) or redis.sha1hex(cur) ~= want then
    return 0
  end
end
local a = n + 2
for i = n + 1, #KEYS do
  if ARGV[a] == 's' then
    local ttl = tonumber(ARGV[a + 2])
    if ttl > 0 then
      redis.call('SET', KEYS[i], ARGV[a + 1], 'PX', ttl)
    else
      redis.call('SET', KEYS[i], ARGV[a + 1])
    end
  else
    redis.call('DEL', KEYS[i])
  end
  a = a + 3
end
return 1`;

/** Escapes Redis glob metacharacters so a prefix matches literally in SCAN MATCH. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

export class RedisStore extends KeyvBackedStore {
  readonly description: string;
  /** Replicas share one Redis: data, locks (SET NX PX) and compare-and-set (Lua) hold across processes. */
  readonly capabilities: StoreCapabilities = {
    sharedAcrossProcesses: true,
    crossProcessLocks: true,
    crossProcessCompareAndSet: true,
  };
  protected readonly keyv: Keyv;
  private readonly client: Client;
  private readonly adapter: KeyvRedis<string>;
  private readonly prefix: string;
  private readonly opTimeoutMs: number;
  private everReady = false;
  private healthy = true;

  private constructor(url: string, options: RedisStoreOptions) {
    super(options.logger);
    this.description = `redis:${redactUrl(url)}`;
    this.secrets = secretsOf(url);
    this.prefix = options.keyPrefix ?? 'deep-reco';
    const connectTimeout = options.connectTimeoutMs ?? 3000;
    const commandTimeout = options.commandTimeoutMs ?? 3000;
    this.opTimeoutMs = connectTimeout + commandTimeout + 1000;
    this.client = createClient({
      url,
      disableOfflineQueue: true,
      commandOptions: { timeout: commandTimeout },
      socket: {
        connectTimeout,
        // Before the first successful connection: fail fast (open() reports it). After: keep trying.
        reconnectStrategy: (retries: number, cause: Error) =>
          this.everReady && !this.closed ? Math.min(100 * 2 ** retries, 2000) : cause,
      },
    });
    this.client.on('error', (e: unknown) => {
      if (this.healthy && !this.closed && this.everReady) {
        this.healthy = false;
        this.logger.warn(
          { store: this.description, err: scrub(messageOf(e), this.secrets) },
          'redis connection lost; reconnecting',
        );
      }
    });
    this.client.on('ready', () => {
      if (!this.healthy) this.logger.info({ store: this.description }, 'redis connection restored');
      this.healthy = true;
      this.everReady = true;
    });
    this.adapter = new KeyvRedis<string>(this.client, {
      keyPrefixSeparator: ':',
      throwOnErrors: true,
      throwOnConnectError: true,
      connectionTimeout: connectTimeout,
    });
    // Keyv sets the adapter's namespace from its own: that becomes our key prefix.
    this.keyv = new Keyv(this.adapter, { ...KEYV_OPTIONS, namespace: this.prefix });
    this.watchErrors();
  }

  /**
   * Connects. @throws RecoError STORE_OPEN_FAILED naming REDIS_URL (password redacted).
   */
  static async open(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const store = new RedisStore(url, options);
    try {
      await withTimeout(
        store.client.connect(),
        (options.connectTimeoutMs ?? 3000) + 1000,
        () => new Error('connect timed out'),
      );
      await store.client.ping();
    } catch (e) {
      await store.close().catch(() => undefined);
      throw new RecoError(
        'STORE_OPEN_FAILED',
        `Cannot connect to Redis at ${redactUrl(url)}: ${scrub(messageOf(e), store.secrets)}. Fix REDIS_URL (or unset it to use SQLite in DATA_DIR) and check that Redis is running.`,
        { cause: scrubError(e, store.secrets), details: { setting: 'REDIS_URL', url: redactUrl(url) } },
      );
    }
    return store;
  }

  protected override async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    return super.run(op, () =>
      withTimeout(fn(), this.opTimeoutMs, () =>
        unavailable(this.description, op, new Error(`timed out after ${this.opTimeoutMs} ms`)),
      ),
    );
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
        this.client.sendCommand<[string, string[]]>(['SCAN', cursor, 'MATCH', match, 'COUNT', '1000']),
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
    return this.client.sendCommand<(string | null)[]>(['MGET', ...keys.map((k) => this.prefixed(k))]);
  }

  protected async rawApply(writes: readonly RawWrite[], expect: readonly RawExpect[]): Promise<boolean> {
    const keys = [...expect.map((e) => this.prefixed(e.key)), ...writes.map((w) => this.prefixed(w.key))];
    const args = [String(expect.length), ...expect.map((e) => e.version ?? '')];
    for (const w of writes) args.push(w.raw === undefined ? 'd' : 's', w.raw ?? '', String(w.ttlMs ?? 0));
    const out = await this.client.sendCommand<number>(['EVAL', APPLY_BATCH, String(keys.length), ...keys, ...args]);
    return out === 1;
  }

  async acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLockArgs(name, owner, ttlMs);
    const key = this.lockKey(name);
    const ttl = String(Math.ceil(ttlMs));
    return this.run('acquireLock', async () => {
      const set = await this.client.sendCommand<string | null>(['SET', key, owner, 'NX', 'PX', ttl]);
      if (set === 'OK') return true;
      // Held (or just expired): re-entrant extend for the same owner, atomically.
      const again = await this.client.sendCommand<number>(['EVAL', ACQUIRE_REENTRANT, '1', key, owner, ttl]);
      return again === 1;
    });
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    checkLockArgs(name, owner);
    const key = this.lockKey(name);
    await this.run('releaseLock', () => this.client.sendCommand(['EVAL', RELEASE_IF_OWNER, '1', key, owner]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.client.isOpen) return;
    if (this.client.isReady) {
      // QUIT waits for replies to commands in flight; bounded in case Redis stops answering.
      await withTimeout(this.client.close(), 2000, () => new Error('close timed out')).catch(() =>
        this.client.destroy(),
      );
    } else {
      this.client.destroy();
    }
  }
}

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
