/**
 * The `JobQueue` port: one contract run against the in-process queue and against BullMQ on a real
 * redis-server (127.0.0.1), then what only a shared queue can show — two workers, schedules declared by
 * several replicas, and a worker killed with SIGKILL mid-job whose job runs again with its effect applied once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InProcessJobQueue } from '../../core/jobs/in-process.js';
import { jobStatusLines, type JobPolicy, type JobQueue } from '../../core/jobs/port.js';
import type { Logger } from '../../core/ports.js';
import { BullJobQueue } from '../../infra/jobs/bullmq.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { createJobQueue } from '../../app/jobs.js';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js';
import { rawCommand, sentinelAvailable, startSentinelSet, type SentinelSet } from '../helpers/sentinel.js';
import { applyEffectOnce } from './effect.js';

/** Bounded polling: resolves when `cond` holds, fails after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface LogLine {
  level: string;
  msg: string;
  obj: Record<string, unknown>;
}
function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (obj: Record<string, unknown>, msg: string): void => {
      lines.push({ level, msg, obj });
    };
  const l: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => l };
  return l;
}

interface Fixture {
  /** Two "replicas" of the queue (the in-process pair shares one store). */
  make(o: { logger?: Logger; policies?: Record<string, Partial<JobPolicy>> }): JobQueue;
}

const FAST: Partial<JobPolicy> = { backoffMs: 100, maxBackoffMs: 1_000 };

function contract(name: string, fixture: () => Fixture): void {
  describe(`JobQueue contract: ${name}`, () => {
    const open: JobQueue[] = [];
    const make = (o: Parameters<Fixture['make']>[0] = {}) => {
      const q = fixture().make(o);
      open.push(q);
      return q;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((q) => q.close()));
    });

    it('GIVEN the same id added twice (also by another replica) THEN the work runs once', async () => {
      const a = make();
      const b = make();
      const runs: string[] = [];
      a.handle('work', async (d: { n: number }, ctx) => void runs.push(`${ctx.id}:${d.n}`));
      await a.start();
      await b.start();
      const id = `w-${randomUUID()}`;
      await a.enqueue('work', { n: 1 }, { id });
      await b.enqueue('work', { n: 2 }, { id });
      await a.enqueue('work', { n: 3 }, { id: `${id}-other` });
      await until(() => runs.length >= 2, 20_000, 'two runs');
      await a.enqueue('work', { n: 4 }, { id }); // after completion: still once
      await until(async () => (await a.counts()).every((c) => c.waiting + c.active + c.delayed === 0));
      expect(runs.sort()).toEqual([`${id}-other:3`, `${id}:1`].sort());
    });

    it('GIVEN a job that fails twice THEN it is retried with growing backoff and then succeeds', async () => {
      const q = make({ policies: { flaky: { ...FAST, attempts: 4 } } });
      const at: { attempt: number; t: number }[] = [];
      q.handle('flaky', async (_d, ctx) => {
        at.push({ attempt: ctx.attempt, t: Date.now() });
        if (ctx.attempt < 3) throw new Error(`scripted failure ${ctx.attempt}`);
      });
      await q.start();
      await q.enqueue('flaky', {}, { id: 'flaky-1' });
      await until(() => at.length === 3, 20_000, 'three attempts');
      await until(async () => (await q.counts()).every((c) => c.active + c.waiting + c.delayed === 0));
      expect(at.map((a) => a.attempt)).toEqual([1, 2, 3]);
      // Lower bounds only (backoff never shorter than the policy): 100 ms, then 200 ms.
      expect(at[1]!.t - at[0]!.t).toBeGreaterThanOrEqual(95);
      expect(at[2]!.t - at[1]!.t).toBeGreaterThanOrEqual(195);
      expect(await q.deadLetters()).toEqual([]);
    });

    it('GIVEN a job that always throws THEN after its attempts it is dead-lettered, logged and shown in /status', async () => {
      const lines: LogLine[] = [];
      const q = make({ logger: recordingLogger(lines), policies: { doomed: { ...FAST, attempts: 3 } } });
      let runs = 0;
      q.handle('doomed', async () => {
        runs++;
        throw new Error('upstream answered 500 (scripted)');
      });
      await q.start();
      await q.enqueue('doomed', { x: 1 }, { id: 'doomed-1' });
      await until(async () => (await q.deadLetters()).length === 1, 20_000, 'the dead letter');
      expect(runs).toBe(3);
      const [dead] = await q.deadLetters();
      expect(dead).toMatchObject({ kind: 'doomed', id: 'doomed-1', attempts: 3 });
      expect(dead!.error).toContain('upstream answered 500');
      expect((await q.counts()).find((c) => c.kind === 'doomed')?.dead).toBe(1);
      await until(() => lines.some((l) => l.level === 'error'), 5_000, 'the error log line');
      const logged = lines.find((l) => l.level === 'error')!;
      expect(logged.msg).toMatch(/dead-lettered after 3 attempts/);
      expect(lines.filter((l) => l.level === 'warn' && /retried/.test(l.msg))).toHaveLength(2);
      const status = (await jobStatusLines(q)).join('\n');
      expect(status).toMatch(/1 dead-lettered/);
      expect(status).toContain('✗ doomed doomed-1: upstream answered 500');
      // A dead-lettered id is not run again by adding it again (an operator retries it).
      await q.enqueue('doomed', { x: 1 }, { id: 'doomed-1' });
      expect(runs).toBe(3);
    });
  });
}

contract('in-process', () => {
  const store = new MemoryStore();
  return { make: (o) => new InProcessJobQueue({ store, ...o }) };
});

describe('InProcessJobQueue schedules', () => {
  afterEach(() => void vi.useRealTimers());

  it('GIVEN two processes on one store declaring one schedule THEN it runs once per interval, not twice', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'Date'] });
    const store = new MemoryStore();
    const a = new InProcessJobQueue({ store });
    const b = new InProcessJobQueue({ store });
    const c = new InProcessJobQueue({ store });
    let shared = 0;
    let perProcess = 0;
    for (const q of [a, b, c]) {
      q.handle('tick', async () => void shared++);
      q.handle('scan', async () => void perProcess++);
      await q.every('tick', 'tick', 1_000, {}, { firstDelayMs: 1_000 });
      await q.every('scan', 'scan', 1_000, {}, { firstDelayMs: 1_000, everyProcess: true });
      await q.start();
    }
    await vi.advanceTimersByTimeAsync(10_000);
    expect(shared).toBe(10);
    expect(perProcess).toBe(30);
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});

const runRedis = redisAvailable();

describe.runIf(runRedis)('BullMQ on redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  contract('bullmq', () => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    return { make: (o) => new BullJobQueue({ url: redis.url, prefix, ...o }) };
  });

  describe('shared by several processes', () => {
    const open: JobQueue[] = [];
    const make = (prefix: string, o: Partial<ConstructorParameters<typeof BullJobQueue>[0]> = {}) => {
      const q = new BullJobQueue({ url: redis.url, prefix, ...o });
      open.push(q);
      return q;
    };
    const children: ChildProcess[] = [];
    afterEach(async () => {
      for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.all(open.splice(0).map((q) => q.close()));
    });

    it('GIVEN two workers and 40 jobs (some added twice) THEN every job runs exactly once', async () => {
      const prefix = `w-${randomUUID().slice(0, 8)}`;
      const runs = new Map<string, string[]>();
      const record = (who: string) => async (d: { id: string }) => {
        runs.set(d.id, [...(runs.get(d.id) ?? []), who]);
      };
      const a = make(prefix);
      const b = make(prefix);
      a.handle('work', record('a'), { concurrency: 4 });
      b.handle('work', record('b'), { concurrency: 4 });
      await Promise.all([a.start(), b.start()]);
      const jobs = Array.from({ length: 40 }, (_, i) => ({ data: { id: `j${i}` }, id: `j${i}` }));
      await Promise.all([a.enqueueMany('work', jobs), b.enqueueMany('work', jobs.slice(0, 20))]);
      await until(() => runs.size === 40, 30_000, '40 jobs');
      await until(async () => (await a.counts()).every((c) => c.waiting + c.active === 0));
      expect([...runs.values()].every((who) => who.length === 1)).toBe(true);
    });

    it('GIVEN three replicas declaring the same schedule at start-up THEN Redis holds one scheduler and one next job', async () => {
      const prefix = `s-${randomUUID().slice(0, 8)}`;
      const replicas = [make(prefix), make(prefix), make(prefix)];
      await Promise.all(replicas.map((q) => q.every('scrape', 'scrape.rss', 3_600_000, { source: 'rss' })));
      await replicas[0]!.every('scrape', 'scrape.rss', 3_600_000, { source: 'rss' }); // a restart
      const conn = new Redis(redis.url);
      try {
        const { Queue } = await import('bullmq');
        const q = new Queue('scrape', { connection: conn, prefix });
        expect(await q.getJobSchedulersCount()).toBe(1);
        const counts = await q.getJobCounts('wait', 'delayed', 'prioritized');
        expect(counts.wait! + counts.delayed! + counts.prioritized!).toBe(1);
        await q.close();
      } finally {
        conn.disconnect();
      }
    });

    it('GIVEN a worker killed with SIGKILL mid-job THEN another worker runs the job again and its effect happens once', async () => {
      const prefix = `k-${randomUUID().slice(0, 8)}`;
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('./fixtures/worker-child.ts', import.meta.url)), redis.url, prefix],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      await until(() => out.includes('READY'), 30_000, `the child worker (${out})`);

      const producer = make(prefix);
      await producer.enqueue('effect', {}, { id: 'effect-1' });
      await until(() => out.includes('EFFECT effect-1'), 30_000, 'the child to apply the effect');
      child.kill('SIGKILL'); // mid-job: effect applied, job not acknowledged
      await until(() => child.signalCode !== null, 10_000, 'the child to die');

      const conn = new Redis(redis.url);
      try {
        const reruns: { attempt: number; applied: boolean }[] = [];
        const rescuer = make(prefix, { lockDurationMs: 1000, stalledIntervalMs: 300 });
        rescuer.handle('effect', async (_d, ctx) => {
          reruns.push({ attempt: ctx.attempt, applied: await applyEffectOnce(conn, prefix, ctx.id) });
        });
        await rescuer.start();
        await until(() => reruns.length === 1, 30_000, 'the job to run again');
        await until(async () => (await rescuer.counts()).every((c) => c.active + c.waiting === 0));
        expect(reruns).toEqual([{ attempt: 1, applied: false }]); // a stall is not a failed attempt
        expect(await conn.get(`test-effects:${prefix}:count`)).toBe('1');
        const { Queue } = await import('bullmq');
        const q = new Queue('effect', { connection: conn, prefix });
        const job = await q.getJob('effect-1');
        expect(await job!.getState()).toBe('completed');
        expect(job!.stalledCounter).toBe(1);
        await q.close();
      } finally {
        conn.disconnect();
      }
    });
  });
});

describe.runIf(sentinelAvailable())('BullMQ through Redis Sentinel', () => {
  let ha: SentinelSet;
  const open: JobQueue[] = [];
  beforeAll(async () => {
    ha = await startSentinelSet({ replicas: 1 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(open.splice(0).map((q) => q.close()));
    await ha?.stop();
  });

  it('GIVEN REDIS_SENTINELS THEN the queue runs jobs on the primary the sentinel names, and follows it after a failover', async () => {
    const q = createJobQueue(
      {
        REDIS_URL: 'redis://unused/0',
        REDIS_SENTINELS: [ha.sentinel],
        REDIS_SENTINEL_NAME: ha.name,
        JOB_ATTEMPTS: 3,
        JOB_BACKOFF_SECONDS: 0.1,
      },
      { store: new MemoryStore(), logger: recordingLogger([]) },
    );
    open.push(q);
    expect(q.mode).toBe('bullmq');
    const runs: string[] = [];
    q.handle('work', async (_d, ctx) => void runs.push(ctx.id));
    await q.start();
    await q.enqueue('work', {}, { id: 'before' });
    await until(() => runs.includes('before'), 20_000, 'the job before the failover');
    // The job is on the primary (REDIS_URL's host "unused" was never dialled).
    expect(await rawCommand(ha.primary.port, `EXISTS deep-reco-jobs:work:before`)).toMatch(/^:1/);
    await ha.primary.kill();
    await until(async () => (await ha.primaryPort()) === ha.replicas[0]!.port, ha.failoverMs + 15_000, 'the failover');
    await until(
      async () =>
        q.enqueue('work', {}, { id: 'after' }).then(
          () => true,
          () => false,
        ),
      20_000,
      'adding a job on the new primary',
    );
    await until(() => runs.includes('after'), 20_000, 'the job after the failover');
    expect(runs.filter((r) => r === 'after')).toHaveLength(1);
  }, 90_000);
});
