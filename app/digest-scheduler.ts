/**
 * Digests as background jobs, the same in both queue modes (core/jobs):
 * - `digest-scan`, every `intervalMs` (a minute): finds the digests to plan (ahead of their slot) and the
 *   planned ones due to go out, and adds a job for each under a stable id (so replicas add each once).
 * - `digest-plan` (any process, also `npm run worker`): plans one chat's digest under the chat's store lock,
 *   then adds its send job, delayed to the digest's `sendAt` (its place in the slot's window).
 * - `digest-send.<platform>` (only processes whose adapter registered that platform's sender): sends one
 *   chat's digest (exactly once per message: the run state machine of core/digest/run.ts). A refusal or a
 *   lock held elsewhere throws, so the queue retries with backoff; after its attempts the job is dead-lettered.
 * Adapters register their sender when they start; `tick(platform)` runs one pass directly (tests, scripts).
 */
import type { DigestService } from '../core/digest/service.js';
import {
  RETRY_OUTCOMES,
  chatKeyOf,
  type DigestChat,
  type DigestSender,
  type SlotPlan,
  type TickReport,
} from '../core/digest/index.js';
import type { Platform } from '../core/domain.js';
import type { JobQueue } from '../core/jobs/port.js';
import type { Clock, Logger } from '../core/ports.js';
import { JOB, digestSendKind } from './jobs.js';

interface PlanJob {
  chat: DigestChat;
  date: string;
  slot: SlotPlan;
}
interface SendJob {
  chat: DigestChat;
  date: string;
  sendAt: string;
}

const sendId = (j: SendJob) => `digest.send.${chatKeyOf(j.chat)}.${j.date}.${Date.parse(j.sendAt)}`;
const planId = (j: Pick<PlanJob, 'chat' | 'date'>) => `digest.plan.${chatKeyOf(j.chat)}.${j.date}`;

export class DigestScheduler {
  private readonly senders = new Map<Platform, DigestSender>();
  private readonly handled = new Set<Platform>();
  private readonly running = new Map<Platform, Promise<TickReport>>();
  private stopped = false;
  private started = false;

  constructor(
    private readonly digests: DigestService,
    private readonly o: {
      jobs: JobQueue;
      /** Scan period (0 = no schedule: `tick` runs a pass). */
      intervalMs: number;
      clock: Clock;
      logger: Logger;
      /** Whether this process plans and scans (false: a bot replica that leaves that to `npm run worker`). */
      runJobs: boolean;
    },
  ) {}

  /** Declares the scan schedule and takes planning jobs (when this process runs jobs). */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    const { jobs } = this.o;
    if (this.o.runJobs) {
      jobs.handle(JOB.digestScan, () => this.scanNow());
      jobs.handle<PlanJob>(JOB.digestPlan, (j) => this.planJob(j));
    }
    if (this.o.intervalMs > 0)
      await jobs.every(
        JOB.digestScan,
        'digest-scan',
        this.o.intervalMs,
        {},
        {
          firstDelayMs: this.o.intervalMs,
          // In-process: each process scans (its own senders); per-chat locks keep one sender per chat.
          everyProcess: true,
        },
      );
  }

  /** Sends this platform's digests from this process (and a catch-up scan right away: late delivery after a restart). */
  register(sender: DigestSender): () => Promise<void> {
    this.senders.set(sender.platform, sender);
    if (!this.handled.has(sender.platform)) {
      this.handled.add(sender.platform);
      this.o.jobs.handle<SendJob>(digestSendKind(sender.platform), (j) => this.sendJob(j));
    }
    if (this.o.intervalMs > 0 && !this.stopped)
      void this.start()
        .then(() => (this.o.runJobs ? this.scanNow() : undefined))
        .catch((e: unknown) => this.o.logger.error({ err: e }, 'digest catch-up scan failed; the next scan retries'));
    return async () => {
      if (this.senders.get(sender.platform) === sender) this.senders.delete(sender.platform);
      await this.settle(sender.platform);
    };
  }

  /** Runs one pass for a platform now, in this process (plan what is due, send what is due). */
  tick(platform: Platform): Promise<TickReport> {
    const sender = this.senders.get(platform);
    if (!sender) return Promise.resolve({ at: this.o.clock.now().toISOString(), due: 0, outcomes: {} });
    const inFlight = this.running.get(platform);
    if (inFlight) return inFlight;
    const run = this.digests.tick(sender, this.o.clock.now()).finally(() => this.running.delete(platform));
    this.running.set(platform, run);
    return run;
  }

  /** The scan job: adds a plan job per digest due for planning and a send job per digest due to go out. */
  async scanNow(): Promise<{ plan: number; send: number }> {
    const scan = await this.digests.scan(this.o.clock.now());
    await this.o.jobs.enqueueMany(
      JOB.digestPlan,
      scan.plan.map((p) => ({ data: p, id: planId(p) })),
    );
    const byPlatform = new Map<Platform, SendJob[]>();
    for (const s of scan.send) byPlatform.set(s.chat.platform, [...(byPlatform.get(s.chat.platform) ?? []), s]);
    for (const [platform, list] of byPlatform)
      await this.o.jobs.enqueueMany(
        digestSendKind(platform),
        list.map((s) => ({ data: s, id: sendId(s) })),
      );
    if (scan.plan.length + scan.send.length > 0)
      this.o.logger.info({ plan: scan.plan.length, send: scan.send.length }, 'digest scan: jobs added');
    return { plan: scan.plan.length, send: scan.send.length };
  }

  private async planJob(j: PlanJob): Promise<void> {
    const now = this.o.clock.now();
    const outcome = await this.digests.planChat(j.chat, now, j.slot);
    if (RETRY_OUTCOMES.includes(outcome)) throw new Error(`digest plan for ${chatKeyOf(j.chat)}: ${outcome}`);
    const s = await this.digests.getSchedule(j.chat);
    if (!s?.pending || !s.sendAt) return;
    const send: SendJob = { chat: j.chat, date: s.pending, sendAt: s.sendAt };
    await this.o.jobs.enqueue(digestSendKind(j.chat.platform), send, {
      id: sendId(send),
      delayMs: Math.max(0, Date.parse(s.sendAt) - now.getTime()),
    });
  }

  private async sendJob(j: SendJob): Promise<void> {
    const sender = this.senders.get(j.chat.platform);
    if (!sender) throw new Error(`no ${j.chat.platform} sender in this process (adapter stopped)`);
    const outcome = await this.digests.runChat(j.chat, sender, this.o.clock.now());
    if (RETRY_OUTCOMES.includes(outcome)) throw new Error(`digest for ${chatKeyOf(j.chat)}: ${outcome}`);
  }

  /** Lets a pass in flight stop at its next part (bounded: a hung request is abandoned after 10 s). */
  private async settle(platform: Platform): Promise<void> {
    const run = this.running.get(platform);
    if (run) await Promise.race([run.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running.keys()].map((p) => this.settle(p)));
  }
}
