/**
 * Scraping inside the bot: each source runs on its own interval (the plugin's, else
 * SCRAPE_INTERVAL_MINUTES), in the background. Timers are unref'd, runs are async and yield to the
 * event loop between pages and batches, so chat replies are never held up; a source never runs
 * twice at once, and with a shared store (SQLite file, Redis) a lock keeps two bot processes from
 * scraping the same source together and a per-interval slot makes a timer-driven source run once per interval
 * across them (people's own sources always run this way; configured ones too when no job queue runs them). Items older than ITEM_MAX_AGE_DAYS are expired hourly.
 */
import { randomUUID } from 'node:crypto';
import type { KeyValueStore, Logger } from '../core/ports.js';
import { silentLogger } from '../core/ports.js';
import type { IngestPipeline, RunReport } from './pipeline.js';
import type { SourcePlugin } from './types.js';

export interface SchedulerOptions {
  pipeline: IngestPipeline;
  /** Default minutes between runs of a source (SCRAPE_INTERVAL_MINUTES); 0 disables scheduled scraping. */
  intervalMinutes: number;
  /** ITEM_MAX_AGE_DAYS; 0 keeps items forever. */
  maxAgeDays: number;
  /** For cross-process locks (optional). */
  store?: KeyValueStore;
  logger?: Logger;
  /** Delay before the first run of the first source (default 30 s, so start-up is not slowed); sources are staggered after it. */
  initialDelayMs?: number;
  /** Spacing of the first runs of successive sources (default 20 s). */
  staggerMs?: number;
  /** Minutes between expiry passes (default 60). */
  expireEveryMinutes?: number;
}

export class ScrapeScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private expireTimer: NodeJS.Timeout | undefined;
  private readonly inflight = new Map<string, Promise<RunReport | undefined>>();
  private started = false;
  private readonly owner = `scheduler-${randomUUID()}`;
  private readonly log: Logger;

  constructor(private readonly o: SchedulerOptions) {
    this.log = o.logger ?? silentLogger;
  }

  /** Starts the timers (idempotent). Returns at once. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const initial = this.o.initialDelayMs ?? 30_000;
    const stagger = this.o.staggerMs ?? 20_000;
    if (this.o.intervalMinutes > 0) {
      this.o.pipeline.plugins.forEach((p, i) => this.schedule(p.id, initial + i * stagger));
    }
    if (this.o.maxAgeDays > 0) {
      const every = (this.o.expireEveryMinutes ?? 60) * 60_000;
      const tick = () => {
        this.expireTimer = setTimeout(() => {
          void this.expireNow().finally(() => this.started && tick());
        }, every);
        this.expireTimer.unref();
      };
      tick();
    }
    this.log.info(
      { sources: this.o.pipeline.plugins.map((p) => p.id), intervalMinutes: this.o.intervalMinutes },
      'scrape scheduler started',
    );
  }

  /** Stops the timers and waits for runs in flight. */
  async stop(): Promise<void> {
    this.started = false;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (this.expireTimer) clearTimeout(this.expireTimer);
    this.expireTimer = undefined;
    await Promise.allSettled([...this.inflight.values()]);
  }

  /**
   * Adds a source at run time (a person's `/subscribe`): the pipeline learns it and, while the scheduler runs, it
   * is fetched after `firstRunMs` and then on its own interval (the plugin's, else the scheduler's).
   */
  add(plugin: SourcePlugin, firstRunMs = 0): void {
    this.o.pipeline.addPlugin(plugin);
    const old = this.timers.get(plugin.id);
    if (old) clearTimeout(old);
    this.timers.delete(plugin.id);
    if ((plugin.intervalMinutes ?? this.o.intervalMinutes) > 0) this.schedule(plugin.id, firstRunMs);
  }

  /** Removes a source added at run time (a run in flight finishes). */
  remove(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
    this.o.pipeline.removePlugin(id);
  }

  /** Sources running right now. */
  get running(): string[] {
    return [...this.inflight.keys()];
  }

  /** Runs one source now (or joins its run in flight). Undefined when another process holds its lock. */
  runNow(source: string): Promise<RunReport | undefined> {
    const existing = this.inflight.get(source);
    if (existing) return existing;
    const run = this.runLocked(source).finally(() => this.inflight.delete(source));
    this.inflight.set(source, run);
    return run;
  }

  /** Expires old items now; returns how many were removed. */
  async expireNow(): Promise<number> {
    try {
      const n = await this.o.pipeline.expire(this.o.maxAgeDays);
      if (n) this.log.info({ removed: n, maxAgeDays: this.o.maxAgeDays }, 'expired old items');
      return n;
    } catch (e) {
      this.log.warn({ err: e }, 'item expiry failed');
      return 0;
    }
  }

  private schedule(source: string, delayMs: number): void {
    if (!this.started) return;
    const t = setTimeout(() => {
      const plugin = this.o.pipeline.plugins.find((p) => p.id === source);
      const everyMs = (plugin?.intervalMinutes ?? this.o.intervalMinutes) * 60_000;
      void this.runInSlot(source, everyMs).finally(() => {
        if (!this.o.pipeline.plugins.some((p) => p.id === source)) return; // removed meanwhile (nobody follows it)
        this.schedule(source, everyMs);
      });
    }, delayMs);
    t.unref();
    this.timers.set(source, t);
  }

  /**
   * A timer's run: at most once per interval across every process sharing the store. The first process whose
   * timer fires takes the source's slot (a lock held for 90% of the interval, never released early); the others
   * skip that interval, so N replicas do not fetch a source N times.
   */
  private async runInSlot(source: string, everyMs: number): Promise<RunReport | undefined> {
    const store = this.o.store;
    if (store) {
      const slot = `scrape-slot.${source.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
      const ttl = Math.max(1_000, Math.floor(everyMs * 0.9));
      if (!(await store.acquireLock(slot, this.owner, ttl).catch(() => true))) {
        this.log.debug({ source }, 'another process fetched this source in this interval; skipped');
        return undefined;
      }
    }
    return this.runNow(source);
  }

  /**
   * The schedule as data, for a job queue to run instead of this class's timers: each source's interval, and
   * the delay of its first run (staggered after start-up). Empty when scheduled scraping is off.
   */
  plans(): { source: string; everyMs: number; firstDelayMs: number }[] {
    if (this.o.intervalMinutes <= 0) return [];
    const initial = this.o.initialDelayMs ?? 30_000;
    const stagger = this.o.staggerMs ?? 20_000;
    return this.o.pipeline.plugins.map((p, i) => ({
      source: p.id,
      everyMs: (p.intervalMinutes ?? this.o.intervalMinutes) * 60_000,
      firstDelayMs: initial + i * stagger,
    }));
  }

  /**
   * Runs one source now, for a background job: like `runNow`, but a failure of the run itself (the store or
   * the catalog unreachable) is thrown, so the job queue retries it. A site that is down is not a failure of
   * the run: the pipeline records it in the source's health and `/status`.
   */
  async runSource(source: string): Promise<RunReport | undefined> {
    const existing = this.inflight.get(source);
    if (existing) return existing;
    const run = this.runLocked(source, true).finally(() => this.inflight.delete(source));
    this.inflight.set(source, run);
    return run;
  }

  private async runLocked(source: string, rethrow = false): Promise<RunReport | undefined> {
    const lock = `scrape.${source.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    const store = this.o.store;
    if (store && !(await store.acquireLock(lock, this.owner, 30 * 60_000).catch(() => false))) {
      this.log.debug({ source }, 'another process is scraping this source; skipped');
      return undefined;
    }
    try {
      return await this.o.pipeline.run({ sources: [source] });
    } catch (e) {
      this.log.error({ source, err: e }, 'scrape run failed');
      if (rethrow) throw e;
      return undefined;
    } finally {
      if (store) await store.releaseLock(lock, this.owner).catch(() => undefined);
    }
  }
}
