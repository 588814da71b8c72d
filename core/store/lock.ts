/**
 * The one store-lock helper: take a named lock (waiting a bounded time for it), run, release. The lock
 * is the store's `acquireLock` (atomic across processes where the store declares `crossProcessLocks`).
 *
 * @example
 * await withStoreLock(store, `digest-edit:${chat}`, { ttlMs: 10_000 }, () => saveSchedule(s));
 */
import { randomUUID } from 'node:crypto';
import { RecoError, toRecoError } from '../errors.js';
import type { KeyValueStore } from '../ports.js';

export interface LockOptions {
  /** Lock expiry (a crashed holder blocks others at most this long). */
  ttlMs: number;
  /** Who holds it (default: a fresh id, so the lock is not re-entrant across calls). */
  owner?: string;
  /** How many times to try before giving up with STORE_UNAVAILABLE (default 200). */
  attempts?: number;
  /** Wait between tries: `delayMs` plus up to `delayMs` of jitter (default 20). */
  delayMs?: number;
}

/** Takes the lock, retrying with jitter; throws STORE_UNAVAILABLE when it stays taken. */
export async function acquireStoreLock(store: KeyValueStore, name: string, o: LockOptions): Promise<string> {
  const owner = o.owner ?? randomUUID();
  const attempts = o.attempts ?? 200;
  const delay = o.delayMs ?? 20;
  for (let i = 0; i < attempts; i++) {
    let got: boolean;
    try {
      got = await store.acquireLock(name, owner, o.ttlMs);
    } catch (e) {
      throw toRecoError(e, 'STORE_UNAVAILABLE');
    }
    if (got) return owner;
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
  }
  throw new RecoError('STORE_UNAVAILABLE', `could not take the lock ${name}`, { details: { lock: name } });
}

/** Runs `fn` holding the lock, released afterwards whatever happens. */
export async function withStoreLock<T>(
  store: KeyValueStore,
  name: string,
  o: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const owner = await acquireStoreLock(store, name, o);
  try {
    return await fn();
  } finally {
    await store.releaseLock(name, owner).catch(() => undefined);
  }
}

/** Tries the lock once (no waiting): runs `fn` and releases when taken, else resolves `busy`. */
export async function tryStoreLock<T, B>(
  store: KeyValueStore,
  name: string,
  o: { ttlMs: number; owner?: string },
  fn: () => Promise<T>,
  busy: B,
): Promise<T | B> {
  const owner = o.owner ?? randomUUID();
  if (!(await store.acquireLock(name, owner, o.ttlMs))) return busy;
  try {
    return await fn();
  } finally {
    await store.releaseLock(name, owner).catch(() => undefined);
  }
}
