/**
 * The `JobQueue` port on BullMQ (Redis ≥ 6.2; Debian's 7.0 here): one BullMQ queue per kind of job, a
 * worker per kind only in processes that registered a handler, repeating work as BullMQ job schedulers.
 *
 * - Added once: a job added with an id is a BullMQ job id (kept a day after completion, a week when
 *   dead-lettered), so replicas adding the same work add one job. A schedule is a job scheduler keyed by its
 *   id: every replica declares it at start-up, Redis holds one, and one job exists per interval.
 * - Retries: `attempts` with exponential backoff (jitter, capped) from the kind's policy; a job that used its
 *   attempts stays in BullMQ's failed set: the dead-letter state, shown in `/status` and logged once.
 * - A worker that dies mid-job (kill -9): its job lock expires after `lockDurationMs`, another worker's
 *   stalled-job check moves the job back to waiting, and it runs again (at least once; effects are
 *   idempotent, see core/jobs/port.ts). A job that stalls more than `maxStalledCount` times is dead-lettered.
 *
 * @example
 * const jobs = new BullJobQueue({ url: config.REDIS_URL, logger, kinds: ['scrape', 'retrain'] });
 * jobs.handle('scrape', run);
 * await jobs.every('scrape', 'scrape.rss', 3_600_000, { source: 'rss' });
 * await jobs.start();
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import {
  DEFAULT_JOB_POLICY,
  backoffDelay,
  type DeadJob,
  type EnqueueOptions,
  type EveryOptions,
  type JobCounts,
  type JobHandler,
  type JobPolicy,
  type JobQueue,
} from '../../core/jobs/port.js';
import type { Logger } from '../../core/ports.js';
import { silentLogger } from '../../core/ports.js';
import type { RedisSentinelSettings } from '../store/redis.js';

export interface BullJobQueueOptions {
  /**
   * `redis://` or `rediss://` URL (REDIS_URL; it may hold a password: never logged). With `sentinel` it only
   * gives the credentials and the database number, as for the store.
   */
  url: string;
  /** Find the primary through Redis Sentinel (REDIS_SENTINELS), and follow it on failover. */
  sentinel?: RedisSentinelSettings;
  /** Redis key prefix of every queue (default `deep-reco-jobs`). */
  prefix?: string;
  logger?: Logger;
  /** Policies per kind (`*`: every kind; a `handle` call's policy overrides). */
  policies?: Record<string, Partial<JobPolicy>>;
  /** Kinds this process reports in `/status` even when it neither runs nor adds them. */
  kinds?: readonly string[];
  /** How long a job stays locked to a worker without renewal: a dead worker's job runs again after this. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose worker died (default: half the lock duration). */
  stalledIntervalMs?: number;
  /** Stalls (worker deaths mid-job) a job survives before it is dead-lettered (default 2). */
  maxStalledCount?: number;
  /** Name of this worker in BullMQ (diagnostics). */
  name?: string;
}

const KEEP_DONE = { age: 86_400, count: 5_000 };
const KEEP_DEAD = { age: 7 * 86_400, count: 5_000 };

/** BullMQ refuses `:` in custom ids (its own key separator). */
export function bullJobId(id: string): string {
  return id.replace(/:/g, '~');
}

export class BullJobQueue implements JobQueue {
  readonly mode = 'bullmq' as const;
  private readonly connection: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly handlers = new Map<string, { handler: JobHandler; policy: JobPolicy }>();
  private readonly abort = new AbortController();
  private readonly log: Logger;
  private readonly prefix: string;
  private readonly name: string;
  private workerConn: Redis | undefined;
  private started = false;
  private closed = false;

  constructor(private readonly o: BullJobQueueOptions) {
    this.log = (o.logger ?? silentLogger).child({ module: 'jobs' });
    this.prefix = o.prefix ?? 'deep-reco-jobs';
    this.name = o.name ?? `deep-reco-${process.pid}-${randomUUID().slice(0, 8)}`;
    // Producer connection: a command fails after a few reconnect tries instead of waiting forever (a frozen
    // Redis must not hang a chat reply that adds a job). Workers get their own blocking connections.
    this.connection = this.connect({ maxRetriesPerRequest: 2 });
    this.connection.on('error', (e: Error) => this.log.debug({ err: redact(e) }, 'job queue connection error'));
    for (const k of o.kinds ?? []) this.queue(k);
  }

  handle<T>(kind: string, handler: JobHandler<T>, policy: Partial<JobPolicy> = {}): void {
    this.handlers.set(kind, { handler: handler as JobHandler, policy: { ...this.policy(kind), ...policy } });
    this.queue(kind);
    if (this.started) this.startWorker(kind);
  }

  async enqueue<T>(kind: string, data: T, o: EnqueueOptions = {}): Promise<void> {
    if (this.closed) return;
    await this.queue(kind).add(kind, data, this.jobOptions(kind, o));
  }

  async enqueueMany<T>(kind: string, jobs: readonly { data: T; id?: string }[]): Promise<void> {
    if (this.closed || jobs.length === 0) return;
    const q = this.queue(kind);
    for (let i = 0; i < jobs.length; i += 500) {
      await q.addBulk(
        jobs.slice(i, i + 500).map((j) => ({
          name: kind,
          data: j.data,
          opts: this.jobOptions(kind, j.id !== undefined ? { id: j.id } : {}),
        })),
      );
    }
  }

  async every<T>(kind: string, id: string, everyMs: number, data: T, o: EveryOptions = {}): Promise<void> {
    if (this.closed || everyMs <= 0) return;
    const q = this.queue(kind);
    const schedulerId = bullJobId(id);
    // Declared by every replica at start-up: an existing scheduler with the same interval is left as it is
    // (its next run keeps its time); a changed interval replaces it. Either way Redis holds one.
    const existing = await q.getJobScheduler(schedulerId);
    if (existing && Number(existing.every) === everyMs) return;
    const { attempts, backoff } = this.jobOptions(kind, {});
    await q.upsertJobScheduler(
      schedulerId,
      { every: everyMs, ...(o.firstDelayMs !== undefined ? { startDate: Date.now() + o.firstDelayMs } : {}) },
      {
        name: kind,
        data,
        opts: {
          ...(attempts !== undefined ? { attempts } : {}),
          ...(backoff !== undefined ? { backoff } : {}),
          removeOnComplete: KEEP_DONE,
          removeOnFail: KEEP_DEAD,
        },
      },
    );
    this.log.debug({ kind, schedule: id, everyMs }, 'job schedule declared');
  }

  async start(): Promise<void> {
    this.started = true;
    for (const kind of this.handlers.keys()) this.startWorker(kind);
    await Promise.all([...this.workers.values()].map((w) => w.waitUntilReady()));
  }

  async counts(): Promise<JobCounts[]> {
    const out: JobCounts[] = [];
    for (const [kind, q] of [...this.queues].sort((a, b) => a[0].localeCompare(b[0]))) {
      const c = await q.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'failed');
      out.push({
        kind,
        waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        dead: c.failed ?? 0,
      });
    }
    return out;
  }

  async deadLetters(limit = 20): Promise<DeadJob[]> {
    const all: DeadJob[] = [];
    for (const [kind, q] of this.queues) {
      for (const j of await q.getFailed(0, limit - 1)) {
        all.push({
          kind,
          id: j.id ?? '?',
          attempts: j.attemptsMade,
          error: j.failedReason ?? 'unknown error',
          failedAt: new Date(j.finishedOn ?? j.timestamp).toISOString(),
        });
      }
    }
    return all.sort((a, b) => b.failedAt.localeCompare(a.failedAt)).slice(0, limit);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    // Workers finish the jobs they hold (bounded): a job cut off here is picked up again by another worker.
    const stopping = Promise.allSettled([...this.workers.values()].map((w) => w.close()));
    await Promise.race([stopping, new Promise((r) => setTimeout(r, 10_000).unref())]);
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    for (const c of [this.connection, this.workerConn]) await c?.quit().catch(() => c.disconnect());
  }

  // ------------------------------------------------------------------ internals

  /** A connection to the one server of REDIS_URL, or to the primary the sentinels name (followed on failover). */
  private connect(extra: { maxRetriesPerRequest: number | null }): Redis {
    const base = { connectTimeout: 5_000, maxRetriesPerRequest: extra.maxRetriesPerRequest };
    const s = this.o.sentinel;
    if (!s) return new Redis(this.o.url, base);
    const u = new URL(this.o.url);
    const db = Number(u.pathname.slice(1) || '0');
    return new Redis({
      ...base,
      sentinels: s.nodes,
      name: s.name,
      ...(s.password ? { sentinelPassword: s.password } : {}),
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(Number.isInteger(db) ? { db } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    });
  }

  /** One connection workers share (BullMQ duplicates it for each worker's blocking reads). */
  private workerConnection(): Redis {
    if (!this.workerConn) {
      this.workerConn = this.connect({ maxRetriesPerRequest: null });
      this.workerConn.on('error', (e: Error) => this.log.debug({ err: redact(e) }, 'job worker connection error'));
    }
    return this.workerConn;
  }

  private policy(kind: string): JobPolicy {
    return {
      ...DEFAULT_JOB_POLICY,
      ...this.o.policies?.['*'],
      ...this.o.policies?.[kind],
      ...this.handlers.get(kind)?.policy,
    };
  }

  private queue(kind: string): Queue {
    let q = this.queues.get(kind);
    if (!q) {
      q = new Queue(kind, { connection: this.connection, prefix: this.prefix });
      q.on('error', (e: Error) => this.log.warn({ err: redact(e), kind }, 'job queue error'));
      this.queues.set(kind, q);
    }
    return q;
  }

  private jobOptions(kind: string, o: EnqueueOptions): JobsOptions {
    const p = this.policy(kind);
    return {
      ...(o.id !== undefined ? { jobId: bullJobId(o.id) } : {}),
      ...(o.delayMs && o.delayMs > 0 ? { delay: Math.round(o.delayMs) } : {}),
      attempts: p.attempts,
      backoff: { type: 'deep-reco' },
      removeOnComplete: KEEP_DONE,
      removeOnFail: KEEP_DEAD,
    };
  }

  private startWorker(kind: string): void {
    if (this.workers.has(kind) || this.closed) return;
    const h = this.handlers.get(kind)!;
    const lockDuration = this.o.lockDurationMs ?? 30_000;
    const worker = new Worker(
      kind,
      async (job: Job) =>
        h.handler(job.data, { id: job.id ?? '?', attempt: job.attemptsMade + 1, signal: this.abort.signal }),
      {
        connection: this.workerConnection(),
        prefix: this.prefix,
        name: this.name,
        concurrency: h.policy.concurrency,
        lockDuration,
        stalledInterval: this.o.stalledIntervalMs ?? Math.max(500, Math.floor(lockDuration / 2)),
        maxStalledCount: this.o.maxStalledCount ?? 2,
        settings: { backoffStrategy: (attemptsMade: number) => backoffDelay(h.policy, attemptsMade) },
      },
    );
    worker.on('error', (e: Error) => this.log.warn({ err: redact(e), kind }, 'job worker error'));
    worker.on('stalled', (jobId: string) =>
      this.log.warn({ kind, job: jobId }, 'a worker died or stalled holding this job; it runs again'),
    );
    worker.on('failed', (job: Job | undefined, err: Error) => {
      if (!job) return;
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade >= attempts || err?.name === 'UnrecoverableError')
        this.log.error(
          { err, kind, job: job.id, attempts: job.attemptsMade },
          `job dead-lettered after ${job.attemptsMade} attempts: fix the cause, then retry it from the failed set (BullMQ) or let the next schedule run`,
        );
      else this.log.warn({ err, kind, job: job.id, attempt: job.attemptsMade }, 'job failed; retried with backoff');
    });
    this.workers.set(kind, worker);
  }
}

/** Connection errors can carry the URL; keep only the message without credentials. */
function redact(e: Error): Error {
  const m = e?.message?.replace(/\/\/[^@/\s]*@/g, '//***@') ?? String(e);
  return Object.assign(new Error(m), { name: e?.name ?? 'Error' });
}
