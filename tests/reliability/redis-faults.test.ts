/**
 * Redis failure modes, on a real redis-server on 127.0.0.1:
 * - frozen (SIGSTOP): every store call answers within twice REDIS_COMMAND_TIMEOUT_MS, and calls work again
 *   after SIGCONT without a restart;
 * - a reaction whose write is in flight when Redis freezes: the outcome is unknown, so the person is told "I could
 *   not confirm this was saved" (ko + en) — never "nothing was changed" — and the retry with the same
 *   idempotency key makes it certain: the event is stored exactly once, the shared counter moved once;
 * - the same, with Redis back before the repository's own retry: the call itself ends applied, exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { App } from '../../app/compose.js';
import { isRecoError } from '../../core/errors.js';
import { t } from '../../core/messages.js';
import type { KeyValueStore, StoreWrite, WriteBatchOptions } from '../../core/ports.js';
import { userMessage } from '../../core/status/status.js';
import { RedisStore } from '../../infra/store/redis.js';
import { testApp } from '../helpers/app.js';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { frozenRedisCalls } from './scenarios.js';

const TIMEOUT = 400;
/** The frozen-server check's timeout: large enough that a busy shared machine's event-loop lag stays inside 2×. */
const FROZEN_TIMEOUT = 1000;

describe.runIf(redisAvailable())('Redis frozen, slow and back', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    redis?.process.kill('SIGCONT');
    await redis?.stop();
  });

  it('GIVEN a frozen Redis THEN each store call answers within 2× the configured timeout, and works again after it thaws', async () => {
    const f = await frozenRedisCalls(redis, { timeoutMs: FROZEN_TIMEOUT, calls: 8 });
    expect(f.calls).toBe(8);
    expect(f.outcomes.ok ?? 0).toBe(0);
    expect(Object.keys(f.outcomes).every((k) => k === 'STORE_UNAVAILABLE' || k === 'STORE_OUTCOME_UNKNOWN')).toBe(true);
    expect(f.worstMs).toBeLessThanOrEqual(2 * FROZEN_TIMEOUT);
    // Recovery without restart: a client that lived through the freeze works once Redis answers again.
    const store = await RedisStore.open(redis.url, { commandTimeoutMs: TIMEOUT });
    try {
      await store.set('thaw', 'k', 1);
      expect(await store.get('thaw', 'k')).toBe(1);
    } finally {
      await store.close();
    }
  });

  describe('a reaction whose write meets a frozen Redis', () => {
    let app: App;
    let real: RedisStore;
    /**
     * Freezes Redis right before the next user-document write; `thaw: 'at-once'` thaws it as soon as that write
     * failed (before the repository's retry), `'by-test'` leaves it frozen until the test thaws it.
     */
    let trap: { thaw: 'at-once' | 'by-test' } | undefined;

    beforeAll(async () => {
      real = await RedisStore.open(redis.url, {
        keyPrefix: `fz-${randomUUID().slice(0, 6)}`,
        commandTimeoutMs: TIMEOUT,
      });
      // Fault injection around the real store: SIGSTOP the server just before the write is sent.
      const store: KeyValueStore = Object.assign(Object.create(real) as RedisStore, {
        writeBatch: async (writes: readonly StoreWrite[], o?: WriteBatchOptions) => {
          const armed = trap && writes.some((w) => w.ns === 'users');
          if (!armed) return real.writeBatch(writes, o);
          const thaw = trap!.thaw;
          trap = undefined;
          redis.process.kill('SIGSTOP');
          try {
            return await real.writeBatch(writes, o);
          } finally {
            if (thaw === 'at-once') redis.process.kill('SIGCONT');
          }
        },
      });
      app = await testApp({ store });
    });
    afterAll(async () => {
      redis.process.kill('SIGCONT');
      await app?.close();
    });

    const countIn = async (user: string, key: string) => {
      const id = (await app.core.users.findUserId('console', user))!;
      const doc = (await app.core.users.get(id))!;
      return doc.history.filter((e) => e.idempotencyKey === key).length;
    };

    it('GIVEN Redis stays frozen past the retries THEN the person is told it could not be confirmed, and the retry with the same key stores it exactly once', async () => {
      const actor = { platform: 'console' as const, externalId: `frozen-${randomUUID().slice(0, 6)}` };
      await app.reco.message(actor, 'I like football');
      const item = app.catalog.index.items[0]!.id;
      const before = app.core.stats.itemStats(item).likes;
      trap = { thaw: 'by-test' };
      const e = await app.reco.feedback(actor, item, 'like', 'button', 'press-1').catch((x: unknown) => x);
      redis.process.kill('SIGCONT'); // Redis answers again only after every retry of the call has failed
      expect(isRecoError(e, 'STORE_OUTCOME_UNKNOWN')).toBe(true);
      expect(userMessage(e, 'en')).toBe(t('en', 'error.STORE_OUTCOME_UNKNOWN'));
      expect(userMessage(e, 'en')).toMatch(/could not confirm this was saved/i);
      expect(userMessage(e, 'ko')).toBe(t('ko', 'error.STORE_OUTCOME_UNKNOWN'));
      expect(userMessage(e, 'en')).not.toMatch(/nothing was changed/);
      // The person (or the platform's redelivery) tries again with the same key once Redis answers.
      let again: Awaited<ReturnType<App['reco']['feedback']>> | undefined;
      for (let i = 0; i < 100 && !again; i++) {
        again = await app.reco.feedback(actor, item, 'like', 'button', 'press-1').catch(() => undefined);
        if (!again) await new Promise((r) => setTimeout(r, 100));
      }
      expect(['applied', 'duplicate']).toContain(again?.status);
      expect(await countIn(actor.externalId, 'press-1')).toBe(1);
      await app.core.stats.refresh([item]);
      expect(app.core.stats.itemStats(item).likes).toBe(before + 1);
    });

    it('GIVEN Redis thaws before the repository retries THEN the call itself ends applied, exactly once', async () => {
      const actor = { platform: 'console' as const, externalId: `thaw-${randomUUID().slice(0, 6)}` };
      await app.reco.message(actor, 'I like ramen');
      const item = app.catalog.index.items[1]!.id;
      trap = { thaw: 'at-once' };
      const r = await app.reco.feedback(actor, item, 'like', 'button', 'press-2');
      expect(r.status).toBe('applied');
      expect(await countIn(actor.externalId, 'press-2')).toBe(1);
    });
  });
});
