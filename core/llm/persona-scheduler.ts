/**
 * When to run a persona extraction: every N messages or after the user goes quiet, debounced per user.
 */
import { silentLogger, type Logger } from '../ports.js';

export interface ExtractionSchedulerOptions {
  /** Run after this many new messages from a user. Default 5. */
  everyMessages?: number;
  /** …or once the user has been quiet this long after at least one new message (ms). Default 120 000. */
  idleMs?: number;
  /** The work: typically load the user doc, `extractor.refresh`, save. */
  run: (userId: string) => Promise<void>;
  logger?: Logger;
}

/**
 * Decides when to extract: after `everyMessages` new messages, or `idleMs` after the last one,
 * whichever comes first; at most one run per user at a time (messages during a run count toward
 * the next one). Timers are unref'd, so they never keep the process alive.
 */
export class ExtractionScheduler {
  private readonly counts = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly options: ExtractionSchedulerOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'llm-persona-scheduler' });
  }

  /** Call after each message a user sends (after the keyword persona update is saved). */
  noteMessage(userId: string): void {
    if (this.closed) return;
    const count = (this.counts.get(userId) ?? 0) + 1;
    this.counts.set(userId, count);
    clearTimeout(this.timers.get(userId));
    this.timers.delete(userId);
    if (count >= (this.options.everyMessages ?? 5)) {
      void this.start(userId);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(userId);
      void this.start(userId);
    }, this.options.idleMs ?? 120_000);
    timer.unref();
    this.timers.set(userId, timer);
  }

  /** Runs any pending extraction now (all users, or one) and waits for running ones. */
  async flush(userId?: string): Promise<void> {
    const users = userId === undefined ? [...new Set([...this.counts.keys(), ...this.running.keys()])] : [userId];
    await Promise.all(
      users.map(async (u) => {
        clearTimeout(this.timers.get(u));
        this.timers.delete(u);
        await this.running.get(u);
        if ((this.counts.get(u) ?? 0) > 0) await this.start(u);
      }),
    );
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private start(userId: string): Promise<void> {
    const current = this.running.get(userId);
    // A run is in progress: messages that arrived since count toward one more run after it.
    if (current)
      return current.then(() => ((this.counts.get(userId) ?? 0) > 0 && !this.closed ? this.start(userId) : undefined));
    this.counts.set(userId, 0);
    const run = this.options
      .run(userId)
      .catch((e: unknown) =>
        this.logger.warn(
          { userId, error: e instanceof Error ? e.message : String(e) },
          'persona extraction run failed',
        ),
      )
      .finally(() => {
        this.running.delete(userId);
        if ((this.counts.get(userId) ?? 0) === 0) this.counts.delete(userId);
        else if (!this.closed && (this.counts.get(userId) ?? 0) >= (this.options.everyMessages ?? 5))
          void this.start(userId);
      });
    this.running.set(userId, run);
    return run;
  }
}
