/**
 * The in-process `JobQueue` (the embedded SQLite mode, and tests): jobs run in this process with the same
 * contract as on BullMQ — stable ids added once, retries with exponential backoff, a dead-letter list that
 * `/status` and the log show. Nothing is durable here: work that must survive a crash keeps its state in
 * the store (a digest run, the catalog), and the schedules re-create the jobs after a restart.
 *
 * Several processes on one SQLite file: a repeating schedule runs once per interval across them when a store
 * is given (the process whose timer fires first claims the interval with a store lock that expires just
 * before the next one), unless the schedule asks to run in every process (`everyProcess`).
 */
import { randomUUID } from 'node:crypto';
import type { KeyValueStore, Logger } from '../ports.js';
import { silentLogger } from '../ports.js';
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
} from './port.js';

interface Job {
  kind: string;
  id: string;
  data: unknown;
  attempt: number;
}

interface Kind {
  handler?: JobHandler;
  policy: JobPolicy;
  ready: Job[];
  active: number;
  delayed: number;
}

/** How long a completed id keeps a re-add from running the work again, and how many such ids are kept. */
const DONE_TTL_MS = 86_400_000;
const DONE_MAX = 20_000;
const DEAD_MAX = 500;

export interface InProcessJobQueueOptions {
  logger?: Logger;
  /** With a store shared by several processes, a schedule runs once per interval across them. */
  store?: KeyValueStore;
  /** Policies per kind (`*`: every kind; a `handle` call's policy overrides). */
  policies?: Record<string, Partial<JobPolicy>>;
}

export class InProcessJobQueue implements JobQueue {
  readonly mode = 'in-process' as const;
  private readonly kinds = new Map<string, Kind>();
  /** id → state of jobs added under an id (`done` with the completion time). */
  private readonly ids = new Map<string, { state: 'queued' | 'dead' } | { state: 'done'; at: number }>();
  private readonly dead: DeadJob[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly owner = `jobs-${randomUUID()}`;
  private readonly log: Logger;
  private started = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: InProcessJobQueueOptions = {}) {
    this.log = (o.logger ?? silentLogger).child({ module: 'jobs' });
  }

  handle<T>(kind: string, handler: JobHandler<T>, policy: Partial<JobPolicy> = {}): void {
    const k = this.kind(kind);
    k.handler = handler as JobHandler;
    k.policy = { ...k.policy, ...policy };
    if (this.started) this.drain(k, kind);
  }

  async enqueue<T>(kind: string, data: T, o: EnqueueOptions = {}): Promise<void> {
    if (this.closed) return;
    if (o.id !== undefined) {
      const prev = this.ids.get(o.id);
      if (prev && (prev.state !== 'done' || Date.now() - prev.at < DONE_TTL_MS)) return;
      this.ids.set(o.id, { state: 'queued' });
    }
    const job: Job = { kind, id: o.id ?? `${kind}.${randomUUID()}`, data, attempt: 1 };
    if (o.delayMs && o.delayMs > 0) this.later(job, o.delayMs);
    else this.push(job);
  }

  async enqueueMany<T>(kind: string, jobs: readonly { data: T; id?: string }[]): Promise<void> {
    for (const j of jobs) await this.enqueue(kind, j.data, j.id !== undefined ? { id: j.id } : {});
  }

  async every<T>(kind: string, id: string, everyMs: number, data: T, o: EveryOptions = {}): Promise<void> {
    if (this.closed || everyMs <= 0) return;
    const store = o.everyProcess ? undefined : this.o.store;
    const fire = async (): Promise<void> => {
      if (this.closed) return;
      if (store) {
        // Claim this interval across processes: the lock is not released, it expires before the next one.
        const claimed = await store
          .acquireLock(`job.${id}`, this.owner, Math.max(1, Math.floor(everyMs * 0.9)))
          .catch((e: unknown) => {
            this.log.warn({ err: e, schedule: id }, 'could not claim a scheduled job (store unreachable); skipped');
            return false;
          });
        if (!claimed) return;
      }
      // One run of a schedule at a time: skipped while the previous one is still queued or running.
      const runId = `${id}.run`;
      if (this.ids.get(runId)?.state === 'queued') return;
      this.ids.delete(runId);
      await this.enqueue(kind, data, { id: runId });
    };
    const first = setTimeout(() => {
      this.timers.delete(first);
      void fire();
      const t = setInterval(() => void fire(), everyMs);
      t.unref();
      this.timers.add(t);
    }, o.firstDelayMs ?? everyMs);
    first.unref();
    this.timers.add(first);
  }

  async start(): Promise<void> {
    this.started = true;
    for (const [name, k] of this.kinds) this.drain(k, name);
  }

  async counts(): Promise<JobCounts[]> {
    const dead = new Map<string, number>();
    for (const d of this.dead) dead.set(d.kind, (dead.get(d.kind) ?? 0) + 1);
    const names = new Set([...this.kinds.keys(), ...dead.keys()]);
    return [...names].sort().map((kind) => {
      const k = this.kinds.get(kind);
      return {
        kind,
        waiting: k?.ready.length ?? 0,
        active: k?.active ?? 0,
        delayed: k?.delayed ?? 0,
        dead: dead.get(kind) ?? 0,
      };
    });
  }

  async deadLetters(limit = 20): Promise<DeadJob[]> {
    return this.dead.slice(-limit).reverse();
  }

  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.abort.abort();
    const settled = Promise.allSettled([...this.running]);
    await Promise.race([settled, new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  // ------------------------------------------------------------------ internals

  private kind(name: string): Kind {
    let k = this.kinds.get(name);
    if (!k) {
      k = {
        policy: { ...DEFAULT_JOB_POLICY, ...this.o.policies?.['*'], ...this.o.policies?.[name] },
        ready: [],
        active: 0,
        delayed: 0,
      };
      this.kinds.set(name, k);
    }
    return k;
  }

  private push(job: Job): void {
    const k = this.kind(job.kind);
    k.ready.push(job);
    if (this.started) this.drain(k, job.kind);
  }

  private later(job: Job, ms: number): void {
    const k = this.kind(job.kind);
    k.delayed++;
    const t = setTimeout(() => {
      this.timers.delete(t);
      k.delayed--;
      if (!this.closed) this.push(job);
      this.checkIdle();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private drain(k: Kind, name: string): void {
    while (k.handler && !this.closed && k.active < k.policy.concurrency && k.ready.length > 0) {
      const job = k.ready.shift()!;
      k.active++;
      const run = this.run(k, name, job).finally(() => {
        k.active--;
        this.running.delete(run);
        this.drain(k, name);
        this.checkIdle();
      });
      this.running.add(run);
    }
  }

  private async run(k: Kind, name: string, job: Job): Promise<void> {
    try {
      await k.handler!(job.data, { id: job.id, attempt: job.attempt, signal: this.abort.signal });
      if (this.ids.has(job.id)) this.markDone(job.id);
    } catch (e) {
      const err = e as Error;
      if (this.closed) return;
      if (job.attempt < k.policy.attempts) {
        const wait = backoffDelay(k.policy, job.attempt);
        this.log.warn(
          { err, kind: name, job: job.id, attempt: job.attempt, retryInMs: wait },
          `job failed; retried in ${Math.round(wait / 1000)} s`,
        );
        this.later({ ...job, attempt: job.attempt + 1 }, wait);
        return;
      }
      const dead: DeadJob = {
        kind: name,
        id: job.id,
        attempts: job.attempt,
        error: err?.message ?? String(e),
        failedAt: new Date().toISOString(),
      };
      this.dead.push(dead);
      if (this.dead.length > DEAD_MAX) this.dead.shift();
      if (this.ids.has(job.id)) this.ids.set(job.id, { state: 'dead' });
      this.log.error(
        { err, kind: name, job: job.id, attempts: job.attempt },
        `job dead-lettered after ${job.attempt} attempts: fix the cause (see the error), then restart the process to run it again`,
      );
    }
  }

  private markDone(id: string): void {
    this.ids.delete(id);
    this.ids.set(id, { state: 'done', at: Date.now() });
    if (this.ids.size > DONE_MAX) {
      for (const [k, v] of this.ids) {
        if (this.ids.size <= DONE_MAX) break;
        if (v.state === 'done') this.ids.delete(k);
      }
    }
  }

  private isIdle(): boolean {
    for (const k of this.kinds.values())
      if (k.active > 0 || k.delayed > 0 || (k.handler && k.ready.length > 0)) return false;
    return true;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }
}
