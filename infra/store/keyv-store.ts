/**
 * The part of every store that goes through keyv: get/getMany/set/delete with our codec,
 * `<namespace>:<key>` keys (keyv's own prefixing is off, see docs/STORE.md), and error mapping
 * to `STORE_UNAVAILABLE`. Subclasses add `keys`, locks and `close`.
 */
import { createHash } from 'node:crypto';
import type Keyv from 'keyv';
import { RecoError } from '../../core/errors.js';
import type {
  BatchRead,
  KeyValueStore,
  Logger,
  StoreCapabilities,
  StoreKey,
  StoreWrite,
  WriteBatchOptions,
} from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import { deserialize, serialize } from './codec.js';
import { checkNamespace, checkTtl, fullKey, unavailable } from './common.js';

/** A write as the backend sees it: the full key and the serialised keyv envelope (absent = delete). */
export interface RawWrite {
  key: string;
  raw?: string;
  ttlMs?: number;
}

/** An expectation as the backend checks it: the full key and the sha1 of the raw value (absent = no live row). */
export interface RawExpect {
  key: string;
  version: string | undefined;
}

/** The version token of a stored raw value: its sha1 (Redis Lua computes the same with `redis.sha1hex`). */
export function versionOf(raw: string): string {
  return createHash('sha1').update(raw, 'utf8').digest('hex');
}

interface Envelope {
  value: unknown;
  expires?: number | null;
}

/** True when a keyv envelope's TTL has passed (keyv hides such rows on read). */
export function isExpired(raw: string, now = Date.now()): boolean {
  const { expires } = deserialize<Envelope>(raw);
  return typeof expires === 'number' && expires < now;
}

/** keyv options every store uses. */
export const KEYV_OPTIONS = {
  serialize,
  deserialize,
  // keyv's prefixing skips keys that already start with `<namespace>:` (so `users:x` in namespace
  // `users` would collide with `x`); we build `<namespace>:<key>` ourselves instead.
  useKeyPrefix: false,
  // Without this keyv swallows adapter errors and returns undefined/false.
  throwOnErrors: true,
} as const;

/** Keys per backend `getMany` call (see `getMany`). */
const GET_MANY_CHUNK = 512;

export abstract class KeyvBackedStore implements KeyValueStore {
  abstract readonly description: string;
  abstract readonly capabilities: StoreCapabilities;
  protected abstract readonly keyv: Keyv;
  protected closed = false;
  /** Strings that must never appear in an error message (e.g. the Redis password). */
  protected secrets: readonly string[] = [];

  constructor(protected readonly logger: Logger = silentLogger) {}

  /** Attach once the subclass has built its Keyv: keyv emits adapter errors as events. */
  protected watchErrors(): void {
    this.keyv.on('error', (e: unknown) => {
      if (!this.closed) this.logger.debug({ store: this.description, err: String(e) }, 'store adapter error');
    });
  }

  /** Runs a backend call, mapping failures to STORE_UNAVAILABLE. Redis adds a time bound. */
  protected async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new RecoError('STORE_UNAVAILABLE', `Store ${this.description} is closed (${op})`);
    try {
      return await fn();
    } catch (e) {
      throw unavailable(this.description, op, e, this.secrets);
    }
  }

  async get<T>(namespace: string, key: string): Promise<T | undefined> {
    const k = fullKey(namespace, key);
    return this.run('get', async () => (await this.keyv.get(k)) as T | undefined);
  }

  async getMany<T>(namespace: string, keys: readonly string[]): Promise<(T | undefined)[]> {
    const ks = keys.map((key) => fullKey(namespace, key));
    if (ks.length === 0) {
      checkNamespace(namespace);
      return [];
    }
    // In chunks: @keyv/sqlite matches rows to keys with a linear search per key (quadratic in the batch), which made
    // one 100k-key call take minutes; chunks keep that cost linear and each statement's JSON small.
    return this.run('getMany', async () => {
      if (ks.length <= GET_MANY_CHUNK) return (await this.keyv.getMany(ks)) as (T | undefined)[];
      const out: (T | undefined)[] = [];
      for (let i = 0; i < ks.length; i += GET_MANY_CHUNK) {
        out.push(...((await this.keyv.getMany(ks.slice(i, i + GET_MANY_CHUNK))) as (T | undefined)[]));
      }
      return out;
    });
  }

  async set(namespace: string, key: string, value: unknown, ttlMs?: number): Promise<void> {
    const k = fullKey(namespace, key);
    const ttl = checkTtl(ttlMs);
    // Serialize up front so an unsupported value is a clear INTERNAL error, not a store outage.
    try {
      serialize({ value });
    } catch (e) {
      throw new RecoError('INTERNAL', `Value for ${namespace}:${key} cannot be stored: ${(e as Error).message}`, {
        cause: e,
      });
    }
    await this.run('set', async () => {
      const ok = await this.keyv.set(k, value, ttl);
      if (!ok) throw new Error('the adapter reported that the write failed');
    });
  }

  async delete(namespace: string, key: string): Promise<boolean> {
    const k = fullKey(namespace, key);
    return this.run('delete', () => this.keyv.delete(k));
  }

  async readBatch(keys: readonly StoreKey[]): Promise<BatchRead> {
    const full = keys.map((k) => fullKey(k.ns, k.key));
    if (full.length === 0) return { values: [], versions: [] };
    const raws = await this.run('readBatch', () => this.rawGetMany(full));
    const now = Date.now();
    const values: unknown[] = [];
    const versions: (string | undefined)[] = [];
    for (const raw of raws) {
      if (raw === undefined || raw === null) {
        values.push(undefined);
        versions.push(undefined);
        continue;
      }
      const env = deserialize<Envelope>(raw);
      const live = !(typeof env.expires === 'number' && env.expires < now);
      values.push(live ? env.value : undefined);
      versions.push(live ? versionOf(raw) : undefined);
    }
    return { values, versions };
  }

  async writeBatch(writes: readonly StoreWrite[], options: WriteBatchOptions = {}): Promise<boolean> {
    const now = Date.now();
    const raw: RawWrite[] = writes.map((w) => {
      const key = fullKey(w.ns, w.key);
      if (w.op === 'delete') return { key };
      const ttl = checkTtl(w.ttlMs);
      let text: string;
      try {
        text = serialize({ value: w.value, ...(ttl === undefined ? {} : { expires: now + ttl }) });
      } catch (e) {
        throw new RecoError('INTERNAL', `Value for ${w.ns}:${w.key} cannot be stored: ${(e as Error).message}`, {
          cause: e,
        });
      }
      return ttl === undefined ? { key, raw: text } : { key, raw: text, ttlMs: ttl };
    });
    const expect: RawExpect[] = (options.expect ?? []).map((e) => ({
      key: fullKey(e.ns, e.key),
      version: e.version,
    }));
    if (raw.length === 0 && expect.length === 0) return true;
    return this.run('writeBatch', () => this.rawApply(raw, expect));
  }

  /** Raw values (serialised envelopes) of full keys, in order, in one round trip. */
  protected abstract rawGetMany(keys: readonly string[]): Promise<(string | undefined | null)[]>;
  /** Checks the expectations and applies the writes atomically, in one round trip; false when an expectation failed. */
  protected abstract rawApply(writes: readonly RawWrite[], expect: readonly RawExpect[]): Promise<boolean>;

  abstract keys(namespace: string, prefix?: string): AsyncIterable<string>;
  abstract acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  abstract releaseLock(name: string, owner: string): Promise<void>;
  abstract close(): Promise<void>;
}
