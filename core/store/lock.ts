/**
 * The one store-lock helper: take a named lock as a lease (waiting a bounded time for it), run, release.
 * The lease carries a fencing token; writes made under it go through `fencedWrite`, which the store
 * applies only while the lease still holds (checked inside the write, atomically). So a holder that was
 * paused past its lease (GC, a frozen VM, SIGSTOP) and lost the lock to someone else writes nothing.
 *
 * Waiting: a holder that died keeps the lock until its lease runs out, so the default wait is one lease
 * (`ttlMs`) plus a margin, sleeping as long as the store says the lease still runs. A lock still taken after
 * that is held by a live process: STORE_BUSY ("someone else is changing this"), never STORE_UNAVAILABLE —
 * that code is kept for a store that cannot be reached.
 *
 * @example
 * await withStoreLock(store, `digest-edit:${chat}`, { ttlMs: 10_000 }, async (lease) => {
 *   await fencedWrite(store, lease, [{ op: 'set', ns: NS_DIGEST, key, value }]);
 * });
 */
import { randomUUID } from 'node:crypto';
import { RecoError, toRecoError } from '../errors.js';
import type { KeyValueStore, Lease, StoreWrite, WriteBatchOptions } from '../ports.js';

export interface LockOptions {
  /** Lease length (a crashed holder blocks others at most this long). */
  ttlMs: number;
  /** Who holds it (default: a fresh id, so the lock is not re-entrant across calls). */
  owner?: string;
  /** How long to wait for the lock before STORE_BUSY (default: one lease plus 1 s). */
  maxWaitMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the lock as a lease, waiting (bounded) while someone else holds it.
 * @throws RecoError STORE_BUSY when it stays held past `maxWaitMs`; STORE_UNAVAILABLE when the store fails.
 */
export async function acquireStoreLock(store: KeyValueStore, name: string, o: LockOptions): Promise<Lease> {
  const owner = o.owner ?? randomUUID();
  const deadline = Date.now() + (o.maxWaitMs ?? o.ttlMs + 1000);
  for (let attempt = 0; ; attempt++) {
    let got;
    try {
      got = await store.acquireLease(name, owner, o.ttlMs);
    } catch (e) {
      throw toRecoError(e, 'STORE_UNAVAILABLE');
    }
    if (got.ok) return got.lease;
    const left = deadline - Date.now();
    if (left <= 0)
      throw new RecoError('STORE_BUSY', `the lock ${name} stayed held by another process`, {
        details: { lock: name, remainingMs: got.remainingMs },
      });
    // Poll quickly at first (a live holder usually finishes soon), then sleep until its lease would end.
    const backoff = Math.min(20 * 2 ** attempt, 500);
    const wait = Math.min(left, Math.max(5, Math.min(backoff, got.remainingMs + 5)));
    await sleep(wait * (0.75 + Math.random() * 0.5));
  }
}

/** Runs `fn` holding the lease, released afterwards whatever happens. */
export async function withStoreLock<T>(
  store: KeyValueStore,
  name: string,
  o: LockOptions,
  fn: (lease: Lease) => Promise<T>,
): Promise<T> {
  const lease = await acquireStoreLock(store, name, o);
  try {
    return await fn(lease);
  } finally {
    await store.releaseLock(name, lease.owner).catch(() => undefined);
  }
}

/** Tries the lock once (no waiting): runs `fn` and releases when taken, else resolves `busy`. */
export async function tryStoreLock<T, B>(
  store: KeyValueStore,
  name: string,
  o: { ttlMs: number; owner?: string },
  fn: (lease: Lease) => Promise<T>,
  busy: B,
): Promise<T | B> {
  const owner = o.owner ?? randomUUID();
  const got = await store.acquireLease(name, owner, o.ttlMs);
  if (!got.ok) return busy;
  try {
    return await fn(got.lease);
  } finally {
    await store.releaseLock(name, owner).catch(() => undefined);
  }
}

/** Extends a lease (same token) for long work; false when it was lost to someone else. */
export async function renewLease(store: KeyValueStore, lease: Lease): Promise<boolean> {
  const got = await store.acquireLease(lease.name, lease.owner, lease.ttlMs);
  return got.ok && got.lease.token === lease.token;
}

/**
 * A write made under a lease: applied only while the lease holds its lock (and `expect` holds).
 * @throws RecoError STORE_BUSY (details.lost) when the lease was lost: nothing was written.
 * Resolves false only when an `expect` failed.
 */
export async function fencedWrite(
  store: KeyValueStore,
  lease: Lease,
  writes: readonly StoreWrite[],
  expect?: WriteBatchOptions['expect'],
): Promise<boolean> {
  let ok: boolean;
  try {
    ok = await store.writeBatch(writes, { fence: lease, ...(expect ? { expect } : {}) });
  } catch (e) {
    throw toRecoError(e, 'STORE_UNAVAILABLE');
  }
  if (ok) return true;
  if (expect && expect.length > 0 && (await leaseHolds(store, lease))) return false;
  throw new RecoError('STORE_BUSY', `the lease on ${lease.name} was lost before the write (nothing written)`, {
    details: { lock: lease.name, token: lease.token, lost: true },
  });
}

/** True while `lease` still holds its lock (a fenced empty write: atomic with nothing). */
export async function leaseHolds(store: KeyValueStore, lease: Lease): Promise<boolean> {
  return store.writeBatch([], { fence: lease });
}
