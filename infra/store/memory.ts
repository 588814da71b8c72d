/**
 * In-process store on keyv's default Map, for unit tests and `--memory` runs. Values go through
 * the same codec as the durable stores, so a test sees exactly what SQLite/Redis would return.
 * Locks are per process (there is nobody else to share them with).
 */
import Keyv from 'keyv';
import type { Logger, StoreCapabilities } from '../../core/ports.js';
import { deserialize } from './codec.js';
import { checkLockArgs, checkNamespace } from './common.js';
import { KEYV_OPTIONS, KeyvBackedStore, isExpired, versionOf, type RawExpect, type RawWrite } from './keyv-store.js';

interface StoredEnvelope {
  expires?: number | null;
}

export class MemoryStore extends KeyvBackedStore {
  readonly description = 'memory';
  /** One process only: nobody else can see it. */
  readonly capabilities: StoreCapabilities = {
    sharedAcrossProcesses: false,
    crossProcessLocks: false,
    crossProcessCompareAndSet: false,
  };
  protected readonly keyv: Keyv;
  private readonly map = new Map<string, string>();
  private readonly locks = new Map<string, { owner: string; expiresAt: number }>();

  constructor(logger?: Logger) {
    super(logger);
    this.keyv = new Keyv({ ...KEYV_OPTIONS, store: this.map });
    this.watchErrors();
  }

  async *keys(namespace: string, prefix = ''): AsyncIterable<string> {
    checkNamespace(namespace);
    const start = `${namespace}:`;
    const full = start + prefix;
    const now = Date.now();
    // Snapshot first: callers may write while iterating.
    const matches: string[] = [];
    for (const [key, raw] of this.map) {
      if (!key.startsWith(full)) continue;
      const { expires } = deserialize<StoredEnvelope>(raw);
      if (typeof expires === 'number' && expires < now) continue;
      matches.push(key.slice(start.length));
    }
    yield* matches;
  }

  protected async rawGetMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return keys.map((k) => this.map.get(k));
  }

  /** Synchronous check-and-write: atomic within the one process that can see this store. */
  protected async rawApply(writes: readonly RawWrite[], expect: readonly RawExpect[]): Promise<boolean> {
    const now = Date.now();
    for (const e of expect) {
      const cur = this.map.get(e.key);
      const live = cur !== undefined && !isExpired(cur, now) ? cur : undefined;
      if ((live === undefined ? undefined : versionOf(live)) !== e.version) return false;
    }
    for (const w of writes) {
      if (w.raw === undefined) this.map.delete(w.key);
      else this.map.set(w.key, w.raw);
    }
    return true;
  }

  async acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    checkLockArgs(name, owner, ttlMs);
    const now = Date.now();
    const held = this.locks.get(name);
    if (held !== undefined && held.expiresAt > now && held.owner !== owner) return false;
    this.locks.set(name, { owner, expiresAt: now + Math.ceil(ttlMs) });
    return true;
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    checkLockArgs(name, owner);
    if (this.locks.get(name)?.owner === owner) this.locks.delete(name);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.map.clear();
    this.locks.clear();
  }
}
