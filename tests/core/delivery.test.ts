/**
 * Message refs while a list is being sent: two apps on one store stand for two processes (replicas behind a
 * load balancer, Discord shards). A list whose items leave one per (virtual) second — as the outbox paces a
 * chat — writes its refs in a few interim batches, so a reaction on the other process finds its item before
 * the list is complete, and a reaction on an item whose ref is not written yet waits for it instead of being
 * lost. The sender moves a test clock: no real time passes between items.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import type { ReactResult } from '../../core/feedback/service.js';
import type { DeliveryTarget, ListSender } from '../../core/recommend/delivery.js';
import { CountingStore } from '../../core/store/counting.js';
import { NS_MESSAGES } from '../../core/store/namespaces.js';
import type { Actor } from '../../core/users/doc.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { TestClock, makeApp } from '../helpers/telegram-app.js';

const alice: Actor = { platform: 'telegram', externalId: '501' };
const target: DeliveryTarget = { platform: 'telegram', chatId: '501' };

describe('message refs while a list is being sent', () => {
  let store: CountingStore;
  let clock: TestClock;
  let a: App;
  let b: App;
  beforeEach(async () => {
    store = new CountingStore(new MemoryStore());
    clock = new TestClock(new Date('2026-03-10T01:00:00Z'));
    a = await makeApp({ store, clock });
    b = await makeApp({ store, clock });
    await a.core.conversation.message(alice, 'I love football and ramen');
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  /** Items leave one per second; `during(n, messageId)` runs after item n went out. */
  function pacedSender(during: (n: number, messageId: string) => Promise<void> | void = () => {}): ListSender & {
    ids: string[];
  } {
    const ids: string[] = [];
    let n = 0;
    return {
      ids,
      async sendHeader() {
        return { messageIds: ['h'] };
      },
      async sendItem() {
        clock.advance(1000);
        const id = `m${++n}`;
        ids.push(id);
        await during(n, id);
        return { messageIds: [id] };
      },
    };
  }

  it('GIVEN a list of 6 items sent one per second THEN its refs take 2 interim writes (1 s, then 2 s later) plus the final commit: 5 round trips', async () => {
    store.reset();
    const sender = pacedSender();
    const res = await a.core.recommend.deliver(alice, { count: 6 }, target, sender);
    expect(res.items).toHaveLength(6);
    expect(store.log.map((c) => c.op)).toEqual(['readBatch', 'readBatch', 'writeBatch', 'writeBatch', 'writeBatch']);
    // The final commit drops the "list in progress" marker and stores every ref for good.
    expect(await store.inner.get(NS_MESSAGES, 'pending:telegram:501')).toBeUndefined();
    for (const id of sender.ids) expect(await store.inner.get(NS_MESSAGES, `telegram:501:${id}`)).toBeDefined();
  });

  it('GIVEN the list goes out at once (no wait in the outbox) THEN it still costs 3 round trips', async () => {
    store.reset();
    const sender: ListSender = { sendItem: async (_t, v) => ({ messageIds: [`x${v.position}`] }) };
    await a.core.recommend.deliver(alice, { count: 6 }, target, sender);
    expect(store.total).toBe(3);
  });

  it('GIVEN a reaction on another process to an item whose ref is written THEN it counts before the list is complete', async () => {
    let early: ReactResult | undefined;
    const sender = pacedSender(async (n) => {
      // After item 4 went out, someone reacts to item 2 — on the other process.
      if (n === 4)
        early = await b.core.feedback.react(alice, { ...target, messageId: 'm2' }, '👍', 'add', {
          idempotencyKey: 'early',
        });
    });
    const res = await a.core.recommend.deliver(alice, { count: 6 }, target, sender);
    expect(early?.status).toBe('applied');
    expect(early?.item?.id).toBe(res.items[1]!.item.id);
  });

  it('GIVEN a reaction on another process to the item just sent (ref not written yet) THEN it waits for the ref and counts', async () => {
    let pending: Promise<ReactResult> | undefined;
    const sender = pacedSender((n, id) => {
      // Item 5's ref is not written yet (the next interim write is due later): react at once, do not wait here.
      if (n === 5)
        pending = b.core.feedback.react(alice, { ...target, messageId: id }, '👎', 'add', { idempotencyKey: 'late' });
    });
    const res = await a.core.recommend.deliver(alice, { count: 6 }, target, sender);
    const late = await pending!;
    expect(late.status).toBe('applied');
    expect(late.item?.id).toBe(res.items[4]!.item.id);
  });

  it('GIVEN no list in progress in the chat THEN a reaction on an unknown message is answered at once (no wait)', async () => {
    store.reset();
    const r = await b.core.feedback.react(alice, { ...target, messageId: 'nope' }, '👍', 'add', {
      idempotencyKey: 'k',
    });
    expect(r.status).toBe('unknown-message');
    expect(store.total).toBe(2);
  });
});
