/**
 * The digest timer: every `intervalMs` it runs one tick per platform whose adapter registered a sender
 * (one tick at a time per platform; a tick never blocks update handling). Adapters register when they
 * start and unregister when they stop.
 */
import type { DigestService } from '../core/digest/service.js';
import type { DigestSender, TickReport } from '../core/digest/types.js';
import type { Clock, Logger } from '../core/ports.js';
import type { Platform } from '../core/domain.js';

export class DigestScheduler {
  private readonly senders = new Map<Platform, DigestSender>();
  private readonly running = new Map<Platform, Promise<TickReport>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly digests: DigestService,
    private readonly o: { intervalMs: number; clock: Clock; logger: Logger },
  ) {}

  /** Starts ticking the sender's platform (a catch-up tick right away: late delivery after a restart). */
  register(sender: DigestSender): () => Promise<void> {
    this.senders.set(sender.platform, sender);
    if (this.o.intervalMs > 0 && !this.stopped) {
      this.timer ??= setInterval(() => this.background(), this.o.intervalMs);
      this.timer.unref();
      setImmediate(() => this.background(sender.platform));
    }
    return async () => {
      if (this.senders.get(sender.platform) === sender) this.senders.delete(sender.platform);
      if (this.senders.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
      await this.settle(sender.platform);
    };
  }

  /** Runs one tick for a platform now (the timer does this every interval). */
  tick(platform: Platform): Promise<TickReport> {
    const sender = this.senders.get(platform);
    if (!sender) return Promise.resolve({ at: this.o.clock.now().toISOString(), due: 0, outcomes: {} });
    const inFlight = this.running.get(platform);
    if (inFlight) return inFlight;
    const run = this.digests.tick(sender, this.o.clock.now()).finally(() => this.running.delete(platform));
    this.running.set(platform, run);
    return run;
  }

  private background(only?: Platform): void {
    if (this.stopped) return;
    for (const platform of only ? [only] : [...this.senders.keys()]) {
      if (!this.senders.has(platform)) continue;
      this.tick(platform).catch((e: unknown) => this.o.logger.error({ err: e, platform }, 'digest tick failed'));
    }
  }

  /** Lets a tick in flight stop at its next part (bounded: a hung request is abandoned after 10 s). */
  private async settle(platform: Platform): Promise<void> {
    const run = this.running.get(platform);
    if (run) await Promise.race([run.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.running.keys()].map((p) => this.settle(p)));
  }
}
