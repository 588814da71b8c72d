/**
 * The app's background work on BullMQ over a real redis-server (127.0.0.1), as an operator runs it: two bot
 * replicas with the Telegram sender and JOBS_IN_BOT=false, one `npm run worker`-style app that scans and
 * plans, all on one Redis store. Every digest goes out exactly once across the replicas; a job that keeps
 * failing is dead-lettered and shows in `/status`.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import type { DigestChat, DigestSender } from '../../core/digest/index.js';
import type { DeliveryTarget, ListItemView, ListToSend } from '../../core/recommend/delivery.js';
import { formatStatus } from '../../core/status/status.js';
import { RedisStore } from '../../infra/store/redis.js';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { TestClock, fixtureItems, makeApp } from '../helpers/telegram-app.js';

async function until(cond: () => boolean | Promise<boolean>, ms = 30_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

class CountingSender implements DigestSender {
  readonly platform = 'telegram' as const;
  readonly sent: { chatId: string; what: string }[] = [];
  private n = 0;
  constructor(private readonly name: string) {}
  async sendHeader(t: DeliveryTarget, list: ListToSend) {
    this.sent.push({ chatId: t.chatId, what: `intro:${list.priority}` });
    return { messageIds: [`${this.name}-${++this.n}`] };
  }
  async sendItem(t: DeliveryTarget, v: ListItemView) {
    this.sent.push({ chatId: t.chatId, what: v.item.id });
    return { messageIds: [`${this.name}-${++this.n}`] };
  }
}

const seoul = (local: string) => new Date(`${local}+09:00`);

describe.runIf(redisAvailable())('background jobs of the app on BullMQ', () => {
  let redis: RedisServer;
  const apps: App[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const boot = async (prefix: string, clock: TestClock, role: 'bot' | 'worker', env: Record<string, string> = {}) => {
    const store = await RedisStore.open(redis.url, { keyPrefix: prefix });
    const app = await makeApp({
      store,
      clock,
      items: fixtureItems(clock.now()),
      env: {
        REDIS_URL: redis.url,
        DIGEST_SIZE: '3',
        DIGEST_PLAN_AHEAD_MINUTES: '0',
        JOBS_IN_BOT: 'false',
        JOB_BACKOFF_SECONDS: '0.05',
        ...env,
      },
      role,
    });
    apps.push(app);
    return app;
  };

  it('GIVEN two sending replicas and a worker that plans THEN 24 digests each go out exactly once', async () => {
    const prefix = `dj-${randomUUID().slice(0, 8)}`;
    const clock = new TestClock(seoul('2026-03-10T07:00:00'));
    const a = await boot(prefix, clock, 'bot');
    const b = await boot(prefix, clock, 'bot');
    const worker = await boot(prefix, clock, 'worker');
    await worker.startBackground({ scraping: false });
    const chats: DigestChat[] = Array.from({ length: 24 }, (_, i) => ({
      platform: 'telegram',
      chatId: String(900 + i),
      kind: 'private',
    }));
    for (const c of chats)
      await a.digests.setSchedule(c, { enabled: true }, { platform: 'telegram', externalId: c.chatId }, 'en');
    const senderA = new CountingSender('a');
    const senderB = new CountingSender('b');
    a.digestScheduler.register(senderA);
    b.digestScheduler.register(senderB);

    clock.set(seoul('2026-03-10T08:00:00').toISOString());
    // The worker's scan runs every minute in production; here once, and once more from a replica as a race.
    const [scan] = await Promise.all([worker.digestScheduler.scanNow(), worker.digestScheduler.scanNow()]);
    expect(scan.plan).toBe(24);
    const all = () => [...senderA.sent, ...senderB.sent];
    await until(() => all().length >= 24 * 4, 60_000, 'all digests');
    const digestKinds = ['digest-plan', 'digest-send.telegram'];
    await until(async () =>
      (await a.jobs.counts())
        .filter((c) => digestKinds.includes(c.kind))
        .every((c) => c.waiting + c.active + c.delayed === 0),
    );
    expect(all()).toHaveLength(24 * 4);
    expect((await a.jobs.counts()).filter((c) => c.dead > 0)).toEqual([]);
    for (const c of chats) {
      const got = all().filter((s) => s.chatId === c.chatId);
      expect(got.map((s) => s.what)[0]).toBe('intro:digest');
      expect(new Set(got.map((s) => s.what)).size).toBe(4);
      expect((await a.digests.getRun(c, '2026-03-10'))?.state).toBe('done');
    }
    // A later scan (another minute) finds nothing left to do.
    expect(await worker.digestScheduler.scanNow()).toEqual({ plan: 0, send: 0 });
  });

  it('GIVEN a job that keeps failing THEN it is retried, dead-lettered and listed in /status', async () => {
    const prefix = `dl-${randomUUID().slice(0, 8)}`;
    const clock = new TestClock(seoul('2026-03-10T07:00:00'));
    const app = await boot(prefix, clock, 'worker', { JOB_ATTEMPTS: '3' });
    let runs = 0;
    app.jobs.handle('probe', async () => {
      runs++;
      throw new Error('the probe source answered 503');
    });
    await app.jobs.enqueue('probe', {}, { id: 'probe-1' });
    await until(async () => (await app.jobs.deadLetters()).length === 1, 30_000, 'the dead letter');
    expect(runs).toBe(3);
    const status = formatStatus(await app.core.status.status(), 'en');
    expect(status).toMatch(/Jobs \(BullMQ on Redis\): .*1 dead-lettered/);
    expect(status).toContain('✗ probe probe-1: the probe source answered 503 (3 attempts');
  });
});
