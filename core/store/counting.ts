/**
 * A `KeyValueStore` decorator that counts calls: every port call is one round trip to the backend
 * (one Redis command or script, one SQLite statement or transaction), so the counts are the round
 * trips a flow costs. Used by tests (asserting a flow's budget) and by `npm run bench:roundtrips`.
 *
 * @example
 * const store = new CountingStore(await openStore(config));
 * store.reset();
 * await reco.recommend(actor, { count: 5 }, { chatId: 'c' });
 * store.total; // 3
 */
import type {
  BatchRead,
  KeyValueStore,
  LeaseResult,
  StoreCapabilities,
  StoreKey,
  StoreWrite,
  WriteBatchOptions,
} from '../ports.js';

export type StoreOp =
  | 'get'
  | 'getMany'
  | 'set'
  | 'delete'
  | 'keys'
  | 'acquireLock'
  | 'acquireLease'
  | 'releaseLock'
  | 'readBatch'
  | 'writeBatch'
  | 'eraseResidue';

export interface CountedCall {
  op: StoreOp;
  /** The namespaces touched (for lock calls: the lock name). */
  what: string[];
}

export class CountingStore implements KeyValueStore {
  /** Every call since the last `reset()`, in order. */
  readonly log: CountedCall[] = [];

  constructor(readonly inner: KeyValueStore) {}

  get description(): string {
    return this.inner.description;
  }

  get capabilities(): StoreCapabilities {
    return this.inner.capabilities;
  }

  /** Round trips since the last reset. */
  get total(): number {
    return this.log.length;
  }

  /** Calls of one kind since the last reset. */
  count(op: StoreOp): number {
    return this.log.filter((c) => c.op === op).length;
  }

  reset(): void {
    this.log.length = 0;
  }

  private note(op: StoreOp, what: string[]): void {
    this.log.push({ op, what });
  }

  get<T>(namespace: string, key: string): Promise<T | undefined> {
    this.note('get', [namespace]);
    return this.inner.get<T>(namespace, key);
  }

  getMany<T>(namespace: string, keys: readonly string[]): Promise<(T | undefined)[]> {
    this.note('getMany', [namespace]);
    return this.inner.getMany<T>(namespace, keys);
  }

  set(namespace: string, key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.note('set', [namespace]);
    return this.inner.set(namespace, key, value, ttlMs);
  }

  delete(namespace: string, key: string): Promise<boolean> {
    this.note('delete', [namespace]);
    return this.inner.delete(namespace, key);
  }

  keys(namespace: string, prefix?: string): AsyncIterable<string> {
    this.note('keys', [namespace]);
    return this.inner.keys(namespace, prefix);
  }

  acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.note('acquireLock', [name]);
    return this.inner.acquireLock(name, owner, ttlMs);
  }

  acquireLease(name: string, owner: string, ttlMs: number): Promise<LeaseResult> {
    this.note('acquireLease', [name]);
    return this.inner.acquireLease(name, owner, ttlMs);
  }

  eraseResidue(): Promise<string> {
    this.note('eraseResidue', []);
    return this.inner.eraseResidue ? this.inner.eraseResidue() : Promise.resolve('nothing to erase');
  }

  releaseLock(name: string, owner: string): Promise<void> {
    this.note('releaseLock', [name]);
    return this.inner.releaseLock(name, owner);
  }

  readBatch(keys: readonly StoreKey[]): Promise<BatchRead> {
    this.note('readBatch', [...new Set(keys.map((k) => k.ns))]);
    return this.inner.readBatch(keys);
  }

  writeBatch(writes: readonly StoreWrite[], options?: WriteBatchOptions): Promise<boolean> {
    this.note('writeBatch', [...new Set(writes.map((w) => w.ns))]);
    return this.inner.writeBatch(writes, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
