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
  LeaseResult,
  Logger,
  StoreCapabilities,
  StoreKey,
  StoreWrite,
  WriteBatchOptions,
} from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import { deserialize, serialize } from './codec.js';
import { checkLockArgs, checkNamespace, checkTtl, fullKey, unavailable } from './common.js';

/**
 * A write as the backend sees it: the full key and, for a set, the serialised keyv envelope; for an
 * increment, the field and the amount.
 */
export type RawWrite =
  | {
      kind: 'set';
      key: string;
      raw: string;
      /** With a TTL: the envelope's own `expires` (epoch ms), so a backend can expire the row at that instant. */
      expiresAt?: number;
    }
  | { kind: 'delete'; key: string }
  | { kind: 'incr'; key: string; field: string; by: number };

/** An expectation as the backend checks it: the full key and the sha1 of the raw value (absent = no live row). */
export interface RawExpect {
  key: string;
  version: string | undefined;
  /** Compare the row's bytes whatever they hold (moving an unreadable row aside), not its live value. */
  exact?: boolean;
}

/** A fence as the backend checks it: the lock's name and the token its holder must still have. */
export interface RawFence {
  name: string;
  token: number;
}

/** Counter fields: short identifiers, safe in a JSON path and a Lua table key. */
const FIELD_RE = /^[A-Za-z0-9_]{1,64}$/;

/** The version token of a stored raw value: its sha1 (Redis Lua computes the same with `redis.sha1hex`). */
export function versionOf(raw: string): string {
  return createHash('sha1').update(raw, 'utf8').digest('hex');
}

interface Envelope {
  value: unknown;
  expires?: number | null;
}

/**
 * The version a compare-and-set compares a stored row with: its sha1 when it is a live, readable value;
 * undefined when absent, expired or unreadable (as `readBatch` reports it).
 */
export function liveVersion(raw: string | undefined, now = Date.now(), exact = false): string | undefined {
  if (raw === undefined) return undefined;
  if (exact) return versionOf(raw);
  const d = decodeRow(raw, now);
  return d.ok && d.live ? versionOf(raw) : undefined;
}

/** What a stored row decodes to: its value (when live) or why it cannot be read. */
export type Decoded = { ok: true; live: boolean; value: unknown } | { ok: false; reason: string };

/** Decodes a raw envelope without throwing: a row that is not a keyv envelope is reported, not thrown. */
export function decodeRow(raw: string, now = Date.now()): Decoded {
  let env: unknown;
  try {
    env = deserialize<unknown>(raw);
  } catch (e) {
    return { ok: false, reason: `not valid JSON (${(e as Error).message.slice(0, 80)})` };
  }
  if (typeof env !== 'object' || env === null || Array.isArray(env) || !('value' in env))
    return { ok: false, reason: 'not a stored value (no envelope)' };
  const { value, expires } = env as Envelope;
  if (expires !== undefined && expires !== null && typeof expires !== 'number')
    return { ok: false, reason: 'expiry is not a number' };
  return { ok: true, live: !(typeof expires === 'number' && expires < now), value };
}

/** The namespace unreadable rows are moved to (key: `<namespace>:<key>` of the row). */
export const QUARANTINE_NAMESPACE = '_quarantine';

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
    const [value] = await this.readValues('get', [k]);
    return value as T | undefined;
  }

  async getMany<T>(namespace: string, keys: readonly string[]): Promise<(T | undefined)[]> {
    const ks = keys.map((key) => fullKey(namespace, key));
    if (ks.length === 0) {
      checkNamespace(namespace);
      return [];
    }
    // In chunks, so each statement / MGET stays small whatever the caller asks for.
    const out: (T | undefined)[] = [];
    for (let i = 0; i < ks.length; i += GET_MANY_CHUNK) {
      out.push(...((await this.readValues('getMany', ks.slice(i, i + GET_MANY_CHUNK))) as (T | undefined)[]));
    }
    return out;
  }

  /**
   * Values of full keys in one round trip. A row that cannot be decoded reads as absent and is moved to the
   * quarantine namespace, with ONE warning naming every such row (namespace and key) of the call.
   */
  private async readValues(op: string, keys: readonly string[]): Promise<unknown[]> {
    const { values } = await this.readRaw(op, keys);
    return values;
  }

  private async readRaw(op: string, keys: readonly string[]): Promise<BatchRead> {
    const raws = await this.run(op, () => this.rawGetMany(keys));
    const now = Date.now();
    const values: unknown[] = [];
    const versions: (string | undefined)[] = [];
    const bad: { key: string; raw: string; reason: string }[] = [];
    raws.forEach((raw, i) => {
      if (raw === undefined || raw === null) {
        values.push(undefined);
        versions.push(undefined);
        return;
      }
      const d = decodeRow(raw, now);
      if (!d.ok) bad.push({ key: keys[i]!, raw, reason: d.reason });
      const live = d.ok && d.live;
      values.push(live ? d.value : undefined);
      versions.push(live ? versionOf(raw) : undefined);
    });
    if (bad.length > 0) await this.quarantine(bad);
    return { values, versions };
  }

  /** Moves unreadable rows aside (only if unchanged since read) and says so once. Never throws. */
  private async quarantine(rows: readonly { key: string; raw: string; reason: string }[]): Promise<void> {
    const at = new Date().toISOString();
    let moved = false;
    try {
      const writes: RawWrite[] = [];
      for (const r of rows) {
        writes.push({
          kind: 'set',
          key: `${QUARANTINE_NAMESPACE}:${r.key}`,
          raw: serialize({ value: { raw: r.raw, reason: r.reason, at } }),
        });
        writes.push({ kind: 'delete', key: r.key });
      }
      moved = await this.rawApply(
        writes,
        rows.map((r) => ({ key: r.key, version: versionOf(r.raw), exact: true })),
        undefined,
      );
    } catch {
      moved = false;
    }
    this.logger.warn(
      {
        store: this.description,
        rows: rows.map((r) => {
          const colon = r.key.indexOf(':');
          return { namespace: r.key.slice(0, colon), key: r.key.slice(colon + 1), reason: r.reason };
        }),
        quarantine: moved ? QUARANTINE_NAMESPACE : 'not moved (read as absent)',
      },
      `skipped ${rows.length} unreadable store row(s)${moved ? ` (moved to the ${QUARANTINE_NAMESPACE} namespace; inspect or delete them there)` : ''}`,
    );
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
    return this.readRaw('readBatch', full);
  }

  async writeBatch(writes: readonly StoreWrite[], options: WriteBatchOptions = {}): Promise<boolean> {
    const now = Date.now();
    const raw: RawWrite[] = writes.map((w): RawWrite => {
      const key = fullKey(w.ns, w.key);
      if (w.op === 'delete') return { kind: 'delete', key };
      if (w.op === 'incr') {
        if (!FIELD_RE.test(w.field) || !Number.isFinite(w.by))
          throw new RecoError(
            'INTERNAL',
            `Invalid increment of ${w.ns}:${w.key}: field ${JSON.stringify(w.field)}, by ${w.by}`,
          );
        return { kind: 'incr', key, field: w.field, by: w.by };
      }
      const ttl = checkTtl(w.ttlMs);
      let text: string;
      try {
        text = serialize({ value: w.value, ...(ttl === undefined ? {} : { expires: now + ttl }) });
      } catch (e) {
        throw new RecoError('INTERNAL', `Value for ${w.ns}:${w.key} cannot be stored: ${(e as Error).message}`, {
          cause: e,
        });
      }
      return ttl === undefined
        ? { kind: 'set', key, raw: text }
        : { kind: 'set', key, raw: text, expiresAt: now + ttl };
    });
    const expect: RawExpect[] = (options.expect ?? []).map((e) => ({
      key: fullKey(e.ns, e.key),
      version: e.version,
    }));
    const fence = options.fence ? { name: options.fence.name, token: options.fence.token } : undefined;
    if (fence) checkLockArgs(fence.name, 'fence');
    if (raw.length === 0 && expect.length === 0 && !fence) return true;
    return this.run('writeBatch', () => this.rawApply(raw, expect, fence));
  }

  async acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.acquireLease(name, owner, ttlMs)).ok;
  }

  /** Raw values (serialised envelopes) of full keys, in order, in one round trip. */
  protected abstract rawGetMany(keys: readonly string[]): Promise<(string | undefined | null)[]>;
  /**
   * Checks the expectations and the fence and applies the writes atomically, in one round trip; false when
   * an expectation or the fence failed (nothing written).
   */
  protected abstract rawApply(
    writes: readonly RawWrite[],
    expect: readonly RawExpect[],
    fence: RawFence | undefined,
  ): Promise<boolean>;

  abstract keys(namespace: string, prefix?: string): AsyncIterable<string>;
  abstract acquireLease(name: string, owner: string, ttlMs: number): Promise<LeaseResult>;
  abstract releaseLock(name: string, owner: string): Promise<void>;
  abstract close(): Promise<void>;
}
