/**
 * In-process store on keyv's default Map, for unit tests and `--memory` runs. Values go through
 * the same codec as the durable stores, so a test sees exactly what SQLite/Redis would return.
 * Locks are per process (there is nobody else to share them with).
 */
import Keyv from 'keyv';
import type { LeaseResult, Logger, StoreCapabilities } from '../../core/ports.js';
import { deserialize, serialize } from './codec.js';
import { checkLockArgs, checkNamespace } from './common.js';
import {
  KEYV_OPTIONS,
  KeyvBackedStore,
  decodeRow,
  liveVersion,
  type RawExpect,
  type RawFence,
  type RawWrite,
} from './keyv-store.js';

export class MemoryStore extends KeyvBackedStore {
  readonly description = 'memory';
  /** One process only: nobody else can see it. */
  readonly capabilities: StoreCapabilities = {
    sharedAcrossProcesses: false,
    crossProcessLocks: false,
    crossProcessCompareAndSet: false,
    scope: 'process',
    fencedLeases: true,
    replicatedWrites: false,
  };
  protected readonly keyv: Keyv;
  private readonly map = new Map<string, string>();
  private readonly locks = new Map<string, { owner: string; token: number; expiresAt: number }>();
  private lockSeq = 0;

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
      const d = decodeRow(raw, now);
      if (d.ok && !d.live) continue; // expired; an unreadable row is listed so a read can quarantine it
      matches.push(key.slice(start.length));
    }
    yield* matches;
  }

  protected async rawGetMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return keys.map((k) => this.map.get(k));
  }

  /** Synchronous check-and-write: atomic within the one process that can see this store. */
  protected async rawApply(
    writes: readonly RawWrite[],
    expect: readonly RawExpect[],
    fence: RawFence | undefined,
  ): Promise<boolean> {
    const now = Date.now();
    if (fence) {
      const held = this.locks.get(fence.name);
      if (!held || held.token !== fence.token || held.expiresAt <= now) return false;
    }
    for (const e of expect) if (liveVersion(this.map.get(e.key), now, e.exact) !== e.version) return false;
    for (const w of writes) {
      if (w.kind === 'delete') this.map.delete(w.key);
      else if (w.kind === 'set') this.map.set(w.key, w.raw);
      else this.map.set(w.key, incremented(this.map.get(w.key), w.field, w.by));
    }
    return true;
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<LeaseResult> {
    checkLockArgs(name, owner, ttlMs);
    const now = Date.now();
    const held = this.locks.get(name);
    if (held !== undefined && held.expiresAt > now && held.owner !== owner)
      return { ok: false, remainingMs: held.expiresAt - now };
    const token = held !== undefined && held.expiresAt > now ? held.token : ++this.lockSeq;
    this.locks.set(name, { owner, token, expiresAt: now + Math.ceil(ttlMs) });
    return { ok: true, lease: { name, owner, token, ttlMs } };
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

/** The raw envelope after adding `by` to `field` (an absent or unreadable row starts from `{}`; expiry kept). */
export function incremented(raw: string | undefined, field: string, by: number): string {
  let env: { value?: unknown; expires?: unknown } = {};
  try {
    if (raw !== undefined) env = deserialize<typeof env>(raw) ?? {};
  } catch {
    env = {};
  }
  const value =
    typeof env.value === 'object' && env.value !== null && !Array.isArray(env.value)
      ? (env.value as Record<string, unknown>)
      : {};
  const cur = typeof value[field] === 'number' ? (value[field] as number) : 0;
  return serialize({ ...env, value: { ...value, [field]: cur + by } });
}
