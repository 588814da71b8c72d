/**
 * The behaviour every `KeyValueStore` must have. `defineStoreContract(name, open)` registers a
 * suite; `open()` returns a new store instance on the same backend each time it is called
 * (`shared: true` when two instances see the same data, as with SQLite files and Redis).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { isRecoError } from '../../core/errors.js';
import type { KeyValueStore } from '../../core/ports.js';

export interface ContractTarget {
  open(): Promise<KeyValueStore>;
  /** True when two instances from `open()` share data and locks. */
  shared: boolean;
  /** Called once after the suite. */
  cleanup?(): Promise<void>;
  /** Writes raw bytes under a full key (`<namespace>:<key>`) past the codec, as a damaged row would be. */
  writeRaw(store: KeyValueStore, fullKey: string, raw: string): Promise<void>;
}

/** Polls `check` until it returns true or `ms` pass. Returns whether it became true. */
export async function eventually(check: () => Promise<boolean>, ms = 5000, every = 20): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, every));
  }
  return false;
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out.sort();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.byteLength === b.byteLength &&
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

export function defineStoreContract(name: string, makeTarget: () => Promise<ContractTarget>, run = true): void {
  describe.runIf(run)(`KeyValueStore contract: ${name}`, () => {
    let target: ContractTarget;
    let store: KeyValueStore;
    let n = 0;
    /** A namespace no other test uses. */
    const ns = (): string => `t${++n}_${Date.now().toString(36)}`;

    beforeAll(async () => {
      target = await makeTarget();
      store = await target.open();
    });
    afterAll(async () => {
      await store?.close();
      await target?.cleanup?.();
    });

    it('has a description naming the backend', () => {
      expect(store.description).toMatch(/^(memory|sqlite:.+|redis:redis:\/\/.+)$/);
    });

    it('sets, gets, overwrites and deletes', async () => {
      const s = ns();
      expect(await store.get(s, 'missing')).toBeUndefined();
      const value = { title: 'x', n: 3, nested: { list: [1, 'two', null, true] }, when: '2026-01-01T00:00:00.000Z' };
      await store.set(s, 'k', value);
      expect(await store.get(s, 'k')).toEqual(value);
      await store.set(s, 'k', 42);
      expect(await store.get(s, 'k')).toBe(42);
      await store.set(s, 'str', ':starts with a colon');
      await store.set(s, 'b64', ':base64:AAAA');
      await store.set(s, 'zero', 0);
      await store.set(s, 'false', false);
      await store.set(s, 'empty', '');
      expect(await store.get(s, 'str')).toBe(':starts with a colon');
      expect(await store.get(s, 'b64')).toBe(':base64:AAAA');
      expect(await store.get(s, 'zero')).toBe(0);
      expect(await store.get(s, 'false')).toBe(false);
      expect(await store.get(s, 'empty')).toBe('');
      expect(await store.delete(s, 'k')).toBe(true);
      expect(await store.delete(s, 'k')).toBe(false);
      expect(await store.get(s, 'k')).toBeUndefined();
    });

    it('getMany returns values in request order with undefined for misses', async () => {
      const s = ns();
      await store.set(s, 'a', 1);
      await store.set(s, 'c', { c: 3 });
      expect(await store.getMany(s, ['c', 'missing', 'a', 'a'])).toEqual([{ c: 3 }, undefined, 1, 1]);
      expect(await store.getMany(s, [])).toEqual([]);
    });

    it('GIVEN more keys than one backend call takes THEN getMany still answers each in request order', async () => {
      const s = ns();
      for (let i = 0; i < 1200; i += 3) await store.set(s, `k${i}`, i);
      const keys = Array.from({ length: 1300 }, (_, i) => `k${1299 - i}`);
      const back = await store.getMany<number>(s, keys);
      expect(back).toHaveLength(1300);
      back.forEach((v, j) => {
        const i = 1299 - j;
        expect(v).toBe(i < 1200 && i % 3 === 0 ? i : undefined);
      });
    });

    it('keeps namespaces apart', async () => {
      const a = ns();
      const b = ns();
      await store.set(a, 'same', 'in a');
      await store.set(b, 'same', 'in b');
      expect(await store.get(a, 'same')).toBe('in a');
      expect(await store.get(b, 'same')).toBe('in b');
      expect(await store.delete(a, 'same')).toBe(true);
      expect(await store.get(b, 'same')).toBe('in b');
      expect(await collect(store.keys(a))).toEqual([]);
      expect(await collect(store.keys(b))).toEqual(['same']);
    });

    it('does not confuse a key that repeats the namespace with a plain key', async () => {
      // keyv's own prefixing would store both as `<ns>:x`.
      const s = ns();
      await store.set(s, 'x', 'plain');
      await store.set(s, `${s}:x`, 'prefixed');
      expect(await store.get(s, 'x')).toBe('plain');
      expect(await store.get(s, `${s}:x`)).toBe('prefixed');
      expect(await collect(store.keys(s))).toEqual([`${s}:x`, 'x'].sort());
    });

    it('lists keys by exact prefix, with glob/LIKE characters taken literally', async () => {
      const s = ns();
      const other = `${s}x`; // a namespace whose name extends this one
      const keys = [
        'a',
        'a:1',
        'a:2',
        'a:2:deep',
        'ab:1',
        'b:a:1',
        'x*1',
        'x?2',
        'x%3',
        'x_4',
        'xa5',
        'x[6]',
        'x\\7',
        'A:upper',
      ];
      await Promise.all(keys.map((k) => store.set(s, k, k)));
      await store.set(other, 'a:9', 'elsewhere');
      expect(await collect(store.keys(s, 'a:'))).toEqual(['a:1', 'a:2', 'a:2:deep']);
      expect(await collect(store.keys(s, 'a'))).toEqual(['a', 'a:1', 'a:2', 'a:2:deep', 'ab:1']);
      expect(await collect(store.keys(s, 'x*'))).toEqual(['x*1']);
      expect(await collect(store.keys(s, 'x?'))).toEqual(['x?2']);
      expect(await collect(store.keys(s, 'x%'))).toEqual(['x%3']);
      expect(await collect(store.keys(s, 'x_'))).toEqual(['x_4']);
      expect(await collect(store.keys(s, 'x['))).toEqual(['x[6]']);
      expect(await collect(store.keys(s, 'x\\'))).toEqual(['x\\7']);
      expect(await collect(store.keys(s, 'zzz'))).toEqual([]);
      expect(await collect(store.keys(s))).toEqual([...keys].sort());
      expect(await collect(store.keys(other))).toEqual(['a:9']);
    });

    it('expires keys after their TTL (get, getMany and keys)', async () => {
      const s = ns();
      await store.set(s, 'short', 'soon gone', 300);
      await store.set(s, 'long', 'stays');
      await store.set(s, 'later', 'stays a while', 60_000);
      expect(await store.get(s, 'short')).toBe('soon gone');
      expect(await collect(store.keys(s))).toEqual(['later', 'long', 'short']);
      expect(await eventually(async () => (await store.get(s, 'short')) === undefined)).toBe(true);
      expect(await store.getMany(s, ['short', 'long', 'later'])).toEqual([undefined, 'stays', 'stays a while']);
      expect(await collect(store.keys(s))).toEqual(['later', 'long']);
    });

    it('expired keys are hidden from keys() even before anyone reads them', async () => {
      const s = ns();
      await store.set(s, 'gone', 1, 200);
      await store.set(s, 'kept', 1);
      expect(await eventually(async () => (await collect(store.keys(s))).join() === 'kept')).toBe(true);
    });

    it('overwriting a key without a TTL removes the old TTL', async () => {
      const s = ns();
      await store.set(s, 'k', 'v1', 200);
      await store.set(s, 'k', 'v2');
      await store.set(s, 'marker', 'm', 200);
      // Once a key written at the same time with the same TTL has expired, the old TTL has passed too.
      expect(await eventually(async () => (await store.get(s, 'marker')) === undefined)).toBe(true);
      expect(await store.get(s, 'k')).toBe('v2');
    });

    it('refuses TTLs of zero or less (keyv would store them forever)', async () => {
      const s = ns();
      await expect(store.set(s, 'k', 1, 0)).rejects.toSatisfy((e) => isRecoError(e, 'INTERNAL'));
      await expect(store.set(s, 'k', 1, -5)).rejects.toSatisfy((e) => isRecoError(e, 'INTERNAL'));
      expect(await store.get(s, 'k')).toBeUndefined();
    });

    it('refuses invalid namespaces', async () => {
      await expect(store.get('has:colon', 'k')).rejects.toSatisfy((e) => isRecoError(e, 'INTERNAL'));
      await expect(store.set('', 'k', 1)).rejects.toSatisfy((e) => isRecoError(e, 'INTERNAL'));
    });

    it('round-trips unicode keys and values (Korean, emoji)', async () => {
      const s = ns();
      const entries: [string, unknown][] = [
        ['사용자:민수', { name: '김민수', bio: '고양이를 좋아해요 🐱', tags: ['요리', '여행'] }],
        ['emoji:🔥👍🏽', '❤️‍🔥 family: 👨‍👩‍👧‍👦'],
        ['mixed:é ñ 中文', 'ＦＵＬＬＷＩＤＴＨ \u0000 nul and \uffff'],
      ];
      for (const [k, v] of entries) await store.set(s, k, v);
      for (const [k, v] of entries) expect(await store.get(s, k)).toEqual(v);
      expect(await collect(store.keys(s, '사용자:'))).toEqual(['사용자:민수']);
      expect(await collect(store.keys(s, 'emoji:🔥'))).toEqual(['emoji:🔥👍🏽']);
      expect(await collect(store.keys(s))).toEqual(entries.map(([k]) => k).sort());
    });

    it('stores large values (1 MB text and 1 MB of bytes)', async () => {
      const s = ns();
      const text = '가나다라마바사 abc 🔥 '.repeat(Math.ceil((1024 * 1024) / 20)).slice(0, 1024 * 1024);
      const bytes = new Uint8Array(randomBytes(1024 * 1024));
      await store.set(s, 'text', text);
      await store.set(s, 'bytes', bytes);
      expect(await store.get(s, 'text')).toBe(text);
      const back = await store.get<Uint8Array>(s, 'bytes');
      expect(back).toBeInstanceOf(Uint8Array);
      expect(sameBytes(back as Uint8Array, bytes)).toBe(true);
    });

    it('round-trips binary values as bytes', async () => {
      const s = ns();
      const all = new Uint8Array(256).map((_, i) => i);
      const window = all.subarray(10, 20); // non-zero byteOffset into a bigger buffer
      const buf = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
      await store.set(s, 'all', all);
      await store.set(s, 'window', window);
      await store.set(s, 'buf', buf);
      await store.set(s, 'empty', new Uint8Array(0));
      await store.set(s, 'nested', { id: 'x', thumb: all.subarray(0, 3), list: [buf] });
      const a = await store.get<Uint8Array>(s, 'all');
      expect(a).toBeInstanceOf(Uint8Array);
      expect(sameBytes(a as Uint8Array, all)).toBe(true);
      const w = await store.get<Uint8Array>(s, 'window');
      expect(Array.from(w as Uint8Array)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
      expect(sameBytes((await store.get<Uint8Array>(s, 'buf')) as Uint8Array, buf)).toBe(true);
      expect((await store.get<Uint8Array>(s, 'empty'))?.byteLength).toBe(0);
      const nested = await store.get<{ id: string; thumb: Uint8Array; list: Uint8Array[] }>(s, 'nested');
      expect(nested?.id).toBe('x');
      expect(Array.from(nested?.thumb ?? [])).toEqual([0, 1, 2]);
      expect(sameBytes(nested?.list[0] as Uint8Array, buf)).toBe(true);
    });

    it('round-trips Float32 vectors exactly (as bytes and as Float32Array)', async () => {
      const s = ns();
      const vec = new Float32Array([0.1, -0, Number.NaN, Infinity, -Infinity, 1e-45, 3.4028234663852886e38, Math.PI]);
      await store.set(s, 'as-bytes', new Uint8Array(vec.buffer, vec.byteOffset, vec.byteLength));
      await store.set(s, 'as-f32', vec);
      const bits = (f: Float32Array): number[] => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));
      const b = (await store.get<Uint8Array>(s, 'as-bytes')) as Uint8Array;
      expect(b.byteOffset % 4).toBe(0); // a Float32Array view over it is allowed
      const fromBytes = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      expect(bits(fromBytes)).toEqual(bits(vec));
      const f = await store.get<Float32Array>(s, 'as-f32');
      expect(f).toBeInstanceOf(Float32Array);
      expect(bits(f as Float32Array)).toEqual(bits(vec));
    });

    it('refuses typed arrays it cannot round-trip instead of corrupting them', async () => {
      const s = ns();
      await expect(store.set(s, 'k', new Int16Array([1, 2]))).rejects.toSatisfy((e) => isRecoError(e, 'INTERNAL'));
      await expect(store.set(s, 'k', { v: new Float64Array(2) })).rejects.toSatisfy((e) => isRecoError(e, 'INTERNAL'));
      expect(await store.get(s, 'k')).toBeUndefined();
    });

    it('locks: exclusive, re-entrant for the owner, released only by the owner', async () => {
      const lock = `lock-${ns()}`;
      expect(await store.acquireLock(lock, 'alice', 30_000)).toBe(true);
      expect(await store.acquireLock(lock, 'bob', 30_000)).toBe(false);
      expect(await store.acquireLock(lock, 'alice', 30_000)).toBe(true);
      await store.releaseLock(lock, 'bob');
      expect(await store.acquireLock(lock, 'bob', 30_000)).toBe(false);
      await store.releaseLock(lock, 'alice');
      expect(await store.acquireLock(lock, 'bob', 30_000)).toBe(true);
      expect(await store.acquireLock(lock, 'alice', 30_000)).toBe(false);
      await store.releaseLock(lock, 'bob');
      // Locks are not keys of any namespace.
      expect(await collect(store.keys('lock'))).toEqual([]);
    });

    it('locks: expiry lets another owner in', async () => {
      const lock = `lock-${ns()}`;
      expect(await store.acquireLock(lock, 'alice', 250)).toBe(true);
      expect(await store.acquireLock(lock, 'bob', 30_000)).toBe(false);
      expect(await eventually(() => store.acquireLock(lock, 'bob', 30_000), 5000, 25)).toBe(true);
      expect(await store.acquireLock(lock, 'alice', 30_000)).toBe(false);
      await store.releaseLock(lock, 'bob');
    });

    it('re-acquiring extends the lock', async () => {
      const lock = `lock-${ns()}`;
      expect(await store.acquireLock(lock, 'alice', 200)).toBe(true);
      expect(await store.acquireLock(lock, 'alice', 60_000)).toBe(true);
      const probe = `probe-${ns()}`;
      await store.set('probe', probe, 1, 250);
      // After the first TTL has certainly passed, bob still cannot take it.
      expect(await eventually(async () => (await store.get('probe', probe)) === undefined)).toBe(true);
      expect(await store.acquireLock(lock, 'bob', 1000)).toBe(false);
      await store.releaseLock(lock, 'alice');
    });

    it('handles 100 parallel writes and reads them all back intact', async () => {
      const s = ns();
      const ids = Array.from({ length: 100 }, (_, i) => `item:${i}`);
      await Promise.all(
        ids.map((id, i) =>
          store.set(s, id, { i, payload: `p-${i}-${'x'.repeat(i)}`, bytes: new Uint8Array([i, 255 - i]) }),
        ),
      );
      const back = await store.getMany<{ i: number; payload: string; bytes: Uint8Array }>(s, ids);
      back.forEach((v, i) => {
        expect(v?.i).toBe(i);
        expect(v?.payload).toBe(`p-${i}-${'x'.repeat(i)}`);
        expect(Array.from(v?.bytes ?? [])).toEqual([i, 255 - i]);
      });
      const single = await Promise.all(ids.map((id) => store.get<{ i: number }>(s, id)));
      expect(single.map((v) => v?.i)).toEqual(ids.map((_, i) => i));
      expect((await collect(store.keys(s, 'item:'))).length).toBe(100);
    });

    it('a second instance on the same backend sees the data and the locks', async () => {
      const other = await target.open();
      try {
        const s = ns();
        await store.set(s, 'k', 'from first');
        const lock = `lock-${s}`;
        expect(await store.acquireLock(lock, 'first', 30_000)).toBe(true);
        if (target.shared) {
          expect(await other.get(s, 'k')).toBe('from first');
          expect(await other.acquireLock(lock, 'second', 30_000)).toBe(false);
          await store.releaseLock(lock, 'first');
          expect(await other.acquireLock(lock, 'second', 30_000)).toBe(true);
          await other.releaseLock(lock, 'second');
        } else {
          expect(await other.get(s, 'k')).toBeUndefined();
          await store.releaseLock(lock, 'first');
        }
      } finally {
        await other.close();
      }
    });

    it('declares its capabilities (shared backends declare cross-process locks and compare-and-set)', () => {
      const c = store.capabilities;
      expect(c.sharedAcrossProcesses).toBe(target.shared);
      expect(c.crossProcessLocks).toBe(target.shared);
      expect(c.crossProcessCompareAndSet).toBe(target.shared);
      expect(c.scope === 'process').toBe(!target.shared);
      expect(c.fencedLeases).toBe(true);
    });

    it('GIVEN leases THEN each holding gets a new token, the owner keeps its token when extending, others learn how long it runs', async () => {
      const lock = `lease-${ns()}`;
      const a = await store.acquireLease(lock, 'A', 30_000);
      expect(a.ok).toBe(true);
      const again = await store.acquireLease(lock, 'A', 30_000);
      expect(again.ok && a.ok && again.lease.token === a.lease.token).toBe(true);
      const b = await store.acquireLease(lock, 'B', 30_000);
      expect(b.ok).toBe(false);
      expect(!b.ok && b.remainingMs > 0 && b.remainingMs <= 30_000).toBe(true);
      await store.releaseLock(lock, 'A');
      const b2 = await store.acquireLease(lock, 'B', 30_000);
      expect(b2.ok && a.ok && b2.lease.token !== a.lease.token).toBe(true);
      await store.releaseLock(lock, 'B');
    });

    it('GIVEN a lease that expired and was taken over THEN a write fenced by the old lease writes nothing, the new holder writes', async () => {
      const s = ns();
      const lock = `fence-${ns()}`;
      const old = await store.acquireLease(lock, 'old', 80);
      if (!old.ok) throw new Error('no lease');
      expect(await store.writeBatch([{ op: 'set', ns: s, key: 'k', value: 'old-1' }], { fence: old.lease })).toBe(true);
      // Wait (bounded) until the old lease has run out and a new holder got the lock.
      const take = async () => {
        for (let i = 0; i < 500; i++) {
          const got = await store.acquireLease(lock, 'new', 30_000);
          if (got.ok) return got.lease;
          await new Promise((r) => setTimeout(r, 10));
        }
        throw new Error('the expired lease was never taken over');
      };
      const lease = await take();
      const next = { lease };
      expect(next.lease.token).not.toBe(old.lease.token);
      expect(await store.writeBatch([{ op: 'set', ns: s, key: 'k', value: 'old-2' }], { fence: old.lease })).toBe(
        false,
      );
      expect(await store.get(s, 'k')).toBe('old-1');
      expect(await store.writeBatch([{ op: 'set', ns: s, key: 'k', value: 'new' }], { fence: next.lease })).toBe(true);
      expect(await store.get(s, 'k')).toBe('new');
      // A released lock fences too.
      await store.releaseLock(lock, 'new');
      expect(await store.writeBatch([{ op: 'delete', ns: s, key: 'k' }], { fence: next.lease })).toBe(false);
      expect(await store.get(s, 'k')).toBe('new');
    });

    it('GIVEN concurrent increments from two instances THEN counters add up exactly, beside other writes of the batch', async () => {
      const s = ns();
      const other = target.shared ? await target.open() : store;
      try {
        await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? other : store).writeBatch([
              { op: 'incr', ns: s, key: 'item', field: 'likes', by: 1 },
              { op: 'incr', ns: s, key: 'item', field: 'dislikes', by: i % 4 === 0 ? 1 : 0 },
              { op: 'set', ns: s, key: `doc${i}`, value: i },
            ]),
          ),
        );
        expect(await store.get(s, 'item')).toEqual({ likes: 40, dislikes: 10 });
        await store.writeBatch([{ op: 'incr', ns: s, key: 'item', field: 'likes', by: -3 }]);
        expect(await store.get(s, 'item')).toEqual({ likes: 37, dislikes: 10 });
        expect(await store.get(s, 'doc39')).toBe(39);
        // A key with a TTL keeps it.
        await store.set(s, 'ttl', { n: 1 }, 150);
        await store.writeBatch([{ op: 'incr', ns: s, key: 'ttl', field: 'n', by: 1 }]);
        expect(await store.get(s, 'ttl')).toEqual({ n: 2 });
        expect(await eventually(async () => (await store.get(s, 'ttl')) === undefined)).toBe(true);
        await expect(store.writeBatch([{ op: 'incr', ns: s, key: 'item', field: 'a.b', by: 1 }])).rejects.toSatisfy(
          (e) => isRecoError(e, 'INTERNAL'),
        );
      } finally {
        if (other !== store) await other.close();
      }
    });

    it('GIVEN a row that is not a stored value THEN reads skip it, keys still list the others, and it is quarantined with one warning', async () => {
      const s = ns();
      await store.set(s, 'good', { ok: 1 });
      await target.writeRaw(store, `${s}:bad`, '{"value": [1, 2'); // cut short
      await target.writeRaw(store, `${s}:odd`, '42'); // JSON, but no envelope
      const keys = await collect(store.keys(s));
      expect(keys).toContain('good');
      expect(await store.getMany(s, ['good', 'bad', 'odd'])).toEqual([{ ok: 1 }, undefined, undefined]);
      expect(await collect(store.keys(s))).toEqual(['good']);
      const q = (await store.get<{ raw: string; reason: string }>('_quarantine', `${s}:bad`))!;
      expect(q.raw).toBe('{"value": [1, 2');
      expect(q.reason).toMatch(/not valid JSON/);
      expect((await store.readBatch([{ ns: s, key: 'bad' }])).versions).toEqual([undefined]);
      // A compare-and-set that expects "absent" may now create it.
      expect(
        await store.writeBatch([{ op: 'set', ns: s, key: 'bad', value: 'fresh' }], {
          expect: [{ ns: s, key: 'bad', version: undefined }],
        }),
      ).toBe(true);
      expect(await store.get(s, 'bad')).toBe('fresh');
    });

    it('readBatch reads keys of several namespaces in order, with versions that change on write', async () => {
      const a = ns();
      const b = ns();
      await store.set(a, 'k1', { v: 1 });
      await store.set(b, 'k2', 'two');
      const r = await store.readBatch([
        { ns: a, key: 'k1' },
        { ns: b, key: 'missing' },
        { ns: b, key: 'k2' },
      ]);
      expect(r.values).toEqual([{ v: 1 }, undefined, 'two']);
      expect(r.versions[0]).toMatch(/^[0-9a-f]{40}$/);
      expect(r.versions[1]).toBeUndefined();
      await store.set(a, 'k1', { v: 2 });
      const again = await store.readBatch([{ ns: a, key: 'k1' }]);
      expect(again.versions[0]).not.toBe(r.versions[0]);
      expect((await store.readBatch([])).values).toEqual([]);
    });

    it('writeBatch applies sets (with TTLs), bytes and deletes across namespaces in one call', async () => {
      const a = ns();
      const b = ns();
      await store.set(b, 'gone', 'x');
      const bytes = new Uint8Array([0, 1, 254, 255]);
      expect(
        await store.writeBatch([
          { op: 'set', ns: a, key: 'k', value: { n: 1 } },
          { op: 'set', ns: a, key: 'short', value: 's', ttlMs: 150 },
          { op: 'set', ns: b, key: 'bytes', value: bytes },
          { op: 'delete', ns: b, key: 'gone' },
          { op: 'set', ns: a, key: 'twice', value: 'first' },
          { op: 'set', ns: a, key: 'twice', value: 'second' },
        ]),
      ).toBe(true);
      expect(await store.get(a, 'k')).toEqual({ n: 1 });
      expect(await store.get(a, 'twice')).toBe('second');
      expect(await store.get(b, 'gone')).toBeUndefined();
      expect(sameBytes((await store.get<Uint8Array>(b, 'bytes'))!, bytes)).toBe(true);
      expect(await eventually(async () => (await store.get(a, 'short')) === undefined, 5000)).toBe(true);
      expect(await collect(store.keys(a))).toEqual(['k', 'twice']);
    });

    it('writeBatch with expect is a compare-and-set: a stale version writes nothing', async () => {
      const s = ns();
      await store.set(s, 'doc', { rev: 1 });
      const { versions } = await store.readBatch([{ ns: s, key: 'doc' }]);
      // Someone else writes in between.
      await store.set(s, 'doc', { rev: 2 });
      const stale = await store.writeBatch(
        [
          { op: 'set', ns: s, key: 'doc', value: { rev: 'stale' } },
          { op: 'set', ns: s, key: 'side', value: 'should not land' },
        ],
        { expect: [{ ns: s, key: 'doc', version: versions[0] }] },
      );
      expect(stale).toBe(false);
      expect(await store.get(s, 'doc')).toEqual({ rev: 2 });
      expect(await store.get(s, 'side')).toBeUndefined();
      const fresh = await store.readBatch([{ ns: s, key: 'doc' }]);
      expect(
        await store.writeBatch([{ op: 'set', ns: s, key: 'doc', value: { rev: 3 } }], {
          expect: [{ ns: s, key: 'doc', version: fresh.versions[0] }],
        }),
      ).toBe(true);
      expect(await store.get(s, 'doc')).toEqual({ rev: 3 });
      // "Must be absent": the first creator wins, the second sees it exists.
      const create = (v: string) =>
        store.writeBatch([{ op: 'set', ns: s, key: 'new', value: v }], {
          expect: [{ ns: s, key: 'new', version: undefined }],
        });
      expect(await create('one')).toBe(true);
      expect(await create('two')).toBe(false);
      expect(await store.get(s, 'new')).toBe('one');
    });

    it('concurrent compare-and-set increments lose no update', async () => {
      const s = ns();
      const other = target.shared ? await target.open() : store;
      try {
        await store.set(s, 'counter', 0);
        const bump = async (st: KeyValueStore) => {
          for (let attempt = 0; attempt < 200; attempt++) {
            const r = await st.readBatch([{ ns: s, key: 'counter' }]);
            const next = (r.values[0] as number) + 1;
            if (
              await st.writeBatch([{ op: 'set', ns: s, key: 'counter', value: next }], {
                expect: [{ ns: s, key: 'counter', version: r.versions[0] }],
              })
            )
              return;
          }
          throw new Error('compare-and-set never succeeded');
        };
        await Promise.all(Array.from({ length: 20 }, (_, i) => bump(i % 2 ? other : store)));
        expect(await store.get(s, 'counter')).toBe(20);
      } finally {
        if (other !== store) await other.close();
      }
    });

    it('rejects calls after close with STORE_UNAVAILABLE', async () => {
      const other = await target.open();
      await other.close();
      await expect(other.get('x', 'k')).rejects.toSatisfy((e) => isRecoError(e, 'STORE_UNAVAILABLE'));
      await other.close(); // idempotent
    });
  });
}
