/**
 * The background-jobs port: work that is not a reply to a person (scraping, catalog embedding, two-tower
 * retraining, digest planning and sending) goes through a `JobQueue`, so the rest of the code does not know
 * whether it runs in this process (`InProcessJobQueue`, the embedded SQLite mode) or on BullMQ over Redis
 * (`infra/jobs/bullmq.ts`, when `REDIS_URL` is set) where any replica or `npm run worker` runs it.
 *
 * What "exactly once" means here. A queue delivers a job AT LEAST once: a worker that dies mid-job (kill -9,
 * a lost lock) leaves the job to be picked up again. Each job is therefore (1) added under a stable id, so
 * replicas that add the same work add it once, and (2) idempotent in its effect: a digest part is recorded
 * before and after it is sent (a part whose fate is unknown is never sent again), scraped items are upserted
 * by id, vectors are cached by content hash, a model version is a directory swapped in atomically. Together:
 * at-least-once delivery × idempotent effects = each effect once.
 *
 * @example
 * jobs.handle('scrape', async ({ source }: { source: string }) => scraping.scheduler.runSource(source));
 * await jobs.every('scrape', 'scrape.rss', 60 * 60_000, { source: 'rss' });
 * await jobs.enqueue('retrain', {}, { id: 'retrain.early' });
 * await jobs.start();
 */

/** What a handler learns about the run it is in. */
export interface JobContext {
  /** The job's id (stable across retries; the id it was added under, when one was given). */
  id: string;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
  /** Aborted when the process shuts down: long jobs stop at their next step. */
  signal: AbortSignal;
}

export type JobHandler<T = unknown> = (data: T, ctx: JobContext) => Promise<unknown>;

/** How a kind of job is retried and how many run at once in one process. */
export interface JobPolicy {
  /** Runs in total before the job is dead-lettered (1 = no retry). */
  attempts: number;
  /** Backoff before retry k (k = 1, 2, …): `backoffMs × 2^(k−1)`, with jitter, capped at `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Jobs of this kind one process runs at the same time. */
  concurrency: number;
}

export const DEFAULT_JOB_POLICY: JobPolicy = {
  attempts: 5,
  backoffMs: 30_000,
  maxBackoffMs: 30 * 60_000,
  concurrency: 1,
};

export interface EnqueueOptions {
  /**
   * A stable id. While a job with this id is waiting, delayed, running, retrying or dead-lettered (and for a
   * day after it completed), adding it again does nothing: replicas that find the same work add it once.
   */
  id?: string;
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
}

export interface EveryOptions {
  /** Delay of the first run after this process declares the schedule (in-process; BullMQ: first declaration). */
  firstDelayMs?: number;
  /**
   * In-process mode only: run the schedule in every process sharing the store, not once across them (work
   * whose handler locks per item itself, such as the digest scan, where each process has its own senders).
   */
  everyProcess?: boolean;
}

/** A job that used up its attempts: kept, visible in `/status` and logged, until an operator acts. */
export interface DeadJob {
  kind: string;
  id: string;
  attempts: number;
  error: string;
  failedAt: string;
}

export interface JobCounts {
  kind: string;
  waiting: number;
  active: number;
  delayed: number;
  /** Dead-lettered (attempts used up). */
  dead: number;
}

export interface JobQueue {
  /** `in-process` (timers in this process) or `bullmq` (Redis, shared by every replica and worker). */
  readonly mode: 'in-process' | 'bullmq';
  /**
   * This process runs jobs of `kind` (a process only runs the kinds it registered: digest sends only where a
   * platform adapter registered its sender). May be called after `start`.
   */
  handle<T>(kind: string, handler: JobHandler<T>, policy?: Partial<JobPolicy>): void;
  /** Adds a job (see `EnqueueOptions.id` for adding the same work once). */
  enqueue<T>(kind: string, data: T, o?: EnqueueOptions): Promise<void>;
  /** Adds many jobs of one kind (one round trip on BullMQ). */
  enqueueMany<T>(kind: string, jobs: readonly { data: T; id?: string }[]): Promise<void>;
  /**
   * A repeating job under the schedule `id`: every replica may declare it at start-up and it still exists
   * once (declaring it again with the same interval changes nothing).
   */
  every<T>(kind: string, id: string, everyMs: number, data: T, o?: EveryOptions): Promise<void>;
  /** Starts running the registered kinds. */
  start(): Promise<void>;
  counts(): Promise<JobCounts[]>;
  /** The newest dead-lettered jobs, newest first. */
  deadLetters(limit?: number): Promise<DeadJob[]>;
  /** Resolves when no job of this process is waiting, due or running (tests; scripts before exit). */
  idle?(): Promise<void>;
  /** Stops taking jobs, lets running ones finish (bounded), closes connections. */
  close(): Promise<void>;
}

/** The wait before retry `k` (1-based) under `policy`, with up to 20 % jitter so retries do not march in step. */
export function backoffDelay(
  policy: Pick<JobPolicy, 'backoffMs' | 'maxBackoffMs'>,
  k: number,
  rand = Math.random,
): number {
  const base = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, k - 1));
  return Math.round(base * (1 + 0.2 * rand()));
}

/** `/status` lines for a queue: counts per kind with work, and the newest dead letters. */
export async function jobStatusLines(jobs: JobQueue, maxDead = 3): Promise<string[]> {
  const counts = await jobs.counts();
  const busy = counts.filter((c) => c.waiting + c.active + c.delayed + c.dead > 0);
  const total = (k: keyof Omit<JobCounts, 'kind'>) => counts.reduce((n, c) => n + c[k], 0);
  const lines = [
    `Jobs (${jobs.mode === 'bullmq' ? 'BullMQ on Redis' : 'in this process'}): ${total('active')} running, ${total('waiting')} waiting, ${total('delayed')} scheduled, ${total('dead')} dead-lettered`,
  ];
  if (busy.length > 0)
    lines.push(
      `  ${busy.map((c) => `${c.kind} ${c.active}/${c.waiting}/${c.delayed}${c.dead ? ` ✗${c.dead}` : ''}`).join(' · ')}`,
    );
  if (total('dead') > 0) {
    for (const d of await jobs.deadLetters(maxDead))
      lines.push(
        `  ✗ ${d.kind} ${d.id}: ${d.error.slice(0, 160)} (${d.attempts} attempts, ${d.failedAt.slice(0, 16)})`,
      );
  }
  return lines;
}
