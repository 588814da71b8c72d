/**
 * Store round trips per request, counted by the `CountingStore` decorator (every port call is one round
 * trip to the backend): a `/recommend` of N items costs at most 3 whatever N, a reaction at most 3 —
 * including a Telegram reaction change (removal + addition) and a group reaction that also keeps the
 * digest's member list. The platform paths are covered by the adapter contract (tests/adapters).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import type { ListSender } from '../../core/recommend/delivery.js';
import { CountingStore } from '../../core/store/counting.js';
import type { Actor } from '../../core/users/doc.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { TestClock, makeApp } from '../helpers/telegram-app.js';

const alice: Actor = { platform: 'telegram', externalId: '501' };
const bob: Actor = { platform: 'telegram', externalId: '502' };

/** A list sender that "sends" instantly: message ids m1, m2, … */
function stubSender(): ListSender & { sent: string[] } {
  let n = 0;
  const sent: string[] = [];
  return {
    sent,
    async sendHeader() {
      return { messageIds: [`h${++n}`] };
    },
    async sendItem(_t, view) {
      sent.push(view.item.id);
      return { messageIds: [`m${++n}`] };
    },
  };
}

describe('store round trips', () => {
  let store: CountingStore;
  let app: App;
  beforeEach(async () => {
    store = new CountingStore(new MemoryStore());
    app = await makeApp({ store, clock: new TestClock(new Date('2026-03-10T01:00:00Z')) });
    await app.core.conversation.message(alice, 'I love football and ramen');
  });
  afterEach(async () => app.close());

  for (const n of [1, 5, 10]) {
    it(`GIVEN /recommend of ${n} items THEN 3 round trips: identity, document, one batched write`, async () => {
      const sender = stubSender();
      store.reset();
      const res = await app.core.recommend.deliver(
        alice,
        { count: n },
        { platform: 'telegram', chatId: '501' },
        sender,
      );
      expect(res.items).toHaveLength(n);
      expect(sender.sent).toHaveLength(n);
      expect(store.log.map((c) => c.op)).toEqual(['readBatch', 'readBatch', 'writeBatch']);
      expect(store.log[2]!.what.sort()).toEqual(['impressions', 'messages', 'users']);
    });
  }

  it('GIVEN a person never seen before THEN /recommend still costs at most 3 round trips', async () => {
    store.reset();
    await app.core.recommend.deliver(bob, { count: 5 }, { platform: 'telegram', chatId: '502' }, stubSender());
    expect(store.total).toBeLessThanOrEqual(3);
    expect(await app.core.users.findUserId('telegram', '502')).toBeDefined();
  });

  it('GIVEN a reaction THEN 3 round trips; GIVEN its redelivery THEN 2 and nothing written', async () => {
    const sender = stubSender();
    await app.core.recommend.deliver(alice, { count: 3 }, { platform: 'telegram', chatId: '501' }, sender);
    const ref = { platform: 'telegram' as const, chatId: '501', messageId: 'm3' };
    store.reset();
    const r = await app.core.feedback.react(alice, ref, '👍', 'add', { idempotencyKey: 'k1' });
    expect(r.status).toBe('applied');
    expect(store.log.map((c) => c.op)).toEqual(['readBatch', 'readBatch', 'writeBatch']);
    store.reset();
    expect((await app.core.feedback.react(alice, ref, '👍', 'add', { idempotencyKey: 'k1' })).status).toBe('duplicate');
    expect(store.total).toBe(2);
    expect(store.count('writeBatch')).toBe(0);
  });

  it('GIVEN a reaction change (👍 → 👎) in a group THEN removal, addition and the digest membership in 3 round trips', async () => {
    const sender = stubSender();
    await app.core.recommend.deliver(alice, { count: 2 }, { platform: 'telegram', chatId: '-100' }, sender);
    const ref = { platform: 'telegram' as const, chatId: '-100', messageId: 'm2' };
    const chat = { platform: 'telegram' as const, chatId: '-100', kind: 'group' as const };
    await app.core.feedback.react(alice, ref, '👍', 'add', { idempotencyKey: 'a', chat });
    store.reset();
    const results = await app.core.feedback.reactAll(
      alice,
      ref,
      [
        { emoji: '👍', action: 'remove', idempotencyKey: 'b' },
        { emoji: '👎', action: 'add', idempotencyKey: 'c' },
      ],
      { chat },
    );
    expect(results.map((r) => r.status)).toEqual(['applied', 'applied']);
    expect(store.total).toBeLessThanOrEqual(3);
    // One write: the user document, the digest membership and the shared per-item counters together.
    expect(store.log.at(-1)!.what.sort()).toEqual(['digest', 'stats', 'users']);
    expect(await app.digests.members(chat)).toEqual(['telegram:501']);
    const doc = (await app.core.users.get((await app.core.users.findUserId('telegram', '501'))!))!;
    expect(doc.feedback[results[1]!.item!.id]?.signal).toBe('dislike');
  });
});

describe('store capabilities', () => {
  it('GIVEN a store declared shared across processes without compare-and-set or locks THEN the app refuses it, naming what is missing', async () => {
    const inner = new MemoryStore();
    const unsafe = Object.assign(Object.create(inner) as MemoryStore, {
      capabilities: { sharedAcrossProcesses: true, crossProcessLocks: false, crossProcessCompareAndSet: false },
    });
    await expect(
      makeApp({ store: unsafe, clock: new TestClock(new Date('2026-03-10T01:00:00Z')) }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(/compare-and-set or locks/) });
    const shared = Object.assign(Object.create(inner) as MemoryStore, {
      capabilities: { sharedAcrossProcesses: true, crossProcessLocks: true, crossProcessCompareAndSet: true },
    });
    const app = await makeApp({ store: shared, clock: new TestClock(new Date('2026-03-10T01:00:00Z')) });
    await app.close();
  });
});
