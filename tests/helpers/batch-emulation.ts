/**
 * For the small hand-written stores some suites keep (tests/llm, tests/models): `readBatch`/`writeBatch`
 * and in-process capabilities on top of get/set/delete, so they satisfy the `KeyValueStore` port. The
 * real stores (infra/store) do these in one round trip; the contract suite checks them.
 */
import { createHash } from 'node:crypto';
import type {
  BatchRead,
  KeyValueStore,
  LeaseResult,
  StoreCapabilities,
  StoreKey,
  StoreWrite,
  WriteBatchOptions,
} from '../../core/ports.js';

export const IN_PROCESS: StoreCapabilities = {
  sharedAcrossProcesses: false,
  crossProcessLocks: false,
  crossProcessCompareAndSet: false,
  scope: 'process',
  fencedLeases: false,
  replicatedWrites: false,
};

/** A lease on top of a boolean `acquireLock` (token 0: these stores do not fence). */
export async function emulatedAcquireLease(
  store: Pick<KeyValueStore, 'acquireLock'>,
  name: string,
  owner: string,
  ttlMs: number,
): Promise<LeaseResult> {
  return (await store.acquireLock(name, owner, ttlMs))
    ? { ok: true, lease: { name, owner, token: 0, ttlMs } }
    : { ok: false, remainingMs: ttlMs };
}

type Basic = Pick<KeyValueStore, 'get' | 'set' | 'delete'>;

const versionOf = (v: unknown): string | undefined =>
  v === undefined ? undefined : createHash('sha1').update(JSON.stringify(v)).digest('hex');

export async function emulatedReadBatch(store: Basic, keys: readonly StoreKey[]): Promise<BatchRead> {
  const values = await Promise.all(keys.map((k) => store.get(k.ns, k.key)));
  return { values, versions: values.map(versionOf) };
}

export async function emulatedWriteBatch(
  store: Basic,
  writes: readonly StoreWrite[],
  options: WriteBatchOptions = {},
): Promise<boolean> {
  for (const e of options.expect ?? []) if (versionOf(await store.get(e.ns, e.key)) !== e.version) return false;
  for (const w of writes) {
    if (w.op === 'delete') await store.delete(w.ns, w.key);
    else if (w.op === 'incr') {
      const cur = ((await store.get(w.ns, w.key)) ?? {}) as Record<string, unknown>;
      await store.set(w.ns, w.key, {
        ...cur,
        [w.field]: (typeof cur[w.field] === 'number' ? (cur[w.field] as number) : 0) + w.by,
      });
    } else await store.set(w.ns, w.key, w.value, w.ttlMs);
  }
  return true;
}
