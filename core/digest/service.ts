/**
 * Daily digests, platform-free: the per-chat schedule, and running each due chat (plan once, deliver
 * exactly once). The composition root builds one `DigestService` and its scheduler; platform adapters
 * only supply a `DigestSender` (their list sender).
 *
 * Exactly once per chat per local date:
 * 1. Due: a chat is due when it is enabled, its local time (IANA zone) is at or past its slot, and the local
 *    date is AFTER `lastDate` (the last local date planned or deliberately skipped). `lastDate` only moves
 *    forward, so a clock jump backwards (even across midnight) never plans a second digest, and a process
 *    that was down at the slot delivers late the same local day.
 * 2. Lock: each chat runs under a store lock with expiry (`digest:<chat>`), so two processes sharing a
 *    store never both work on one chat. The lock is renewed before every send; a process that lost it stops.
 * 3. Plan once: the plan is written as a run record keyed by chat + local date BEFORE anything is sent, with
 *    `lastDate` moved to that date. 4. Deliver: see run.ts.
 *
 * Groups: the digest blends the personas of the members who gave feedback in that group (`members`, kept by
 * `reactionObserver` on the reaction's own round trips), see `blendSubject`.
 *
 * The schedules, due-ness, group members and `/forget` live in the base class, schedules.ts (`DigestSchedules`);
 * this class plans and delivers runs on top of it.
 */
import type { Platform } from '../domain.js';
import type { Subject } from '../recommend/ranker.js';
import { storeCall } from '../store/call.js';
import { NS_DIGEST } from '../store/namespaces.js';
import { DigestPlanner } from './plan.js';
import { RunDelivery, runKey } from './run.js';
import { QuietHoursService } from './quiet.js';
import { DigestSchedules, type DigestServiceOptions } from './schedules.js';
import { chatOffsetMinutes, planSlot, type SlotPlan } from './spread.js';
import { parseTime, zonedInstant } from './time.js';
import {
  chatKeyOf,
  type ChatOutcome,
  type DigestChat,
  type DigestRun,
  type DigestSchedule,
  type DigestSender,
  type TickReport,
} from './types.js';

export { DIGEST_RATE_PER_SECOND, type DigestServiceOptions } from './schedules.js';

export class DigestService extends DigestSchedules {
  private readonly planner: DigestPlanner;
  private readonly runs: RunDelivery;
  /** Quiet hours per person and per group chat: digests wait for their end. */
  readonly quiet: QuietHoursService;

  constructor(options: DigestServiceOptions) {
    super(options);
    this.quiet = new QuietHoursService({
      users: options.users,
      defaultTz: options.defaultTz,
      chatTz: async (chat) => (await this.getSchedule(chat))?.tz,
    });
    this.planner = new DigestPlanner({
      users: options.users,
      ranker: options.ranker,
      explanations: options.explanations,
      catalog: options.catalog,
      size: options.size,
      maxCount: options.maxCount,
      owner: this.owner,
      logger: this.log,
      members: (chat) => this.members(chat),
      ...(options.introWriter ? { introWriter: options.introWriter } : {}),
      ...(options.chatSettings ? { chatSettings: options.chatSettings } : {}),
    });
    this.runs = new RunDelivery({
      store: options.store,
      users: options.users,
      catalog: options.catalog,
      delivery: options.delivery,
      clock: this.clock,
      logger: this.log,
      owner: this.owner,
      lockTtlMs: this.lockTtlMs,
      getSchedule: (s) => this.getSchedule(s),
      saveSchedule: (s) => this.saveSchedule(s),
    });
  }

  /**
   * Runs every chat of the sender's platform with work at `now`: plans what is due for planning (ahead of the
   * slot) and delivers what is due to go out, several chats at a time (each chat's messages in order).
   */
  async tick(sender: DigestSender, now = this.clock.now()): Promise<TickReport> {
    const scan = await this.scan(now, sender.platform);
    const slots = new Map(scan.plan.map((p) => [chatKeyOf(p.chat), p.slot]));
    const chats = [...scan.plan.map((p) => p.chat), ...scan.send.map((p) => p.chat)];
    const outcomes: Record<string, ChatOutcome> = {};
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chats.length) {
        const chat = chats[next++]!;
        const key = chatKeyOf(chat);
        try {
          outcomes[key] = await this.runChat(chat, sender, now, slots.get(key));
        } catch (e) {
          this.log.error({ err: e, chat: key }, 'digest run failed; retried on the next tick');
          outcomes[key] = 'retry-later';
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.sendConcurrency, chats.length) }, worker));
    const values = Object.values(outcomes);
    return {
      at: now.toISOString(),
      due: values.filter((v) => v !== 'planned' && v !== 'not-due').length,
      planned: values.filter((v) => v === 'planned').length,
      outcomes,
    };
  }

  /** Plans (once) a chat's digest if one is due for planning at `now`, under the chat's lock. */
  async planChat(chat: DigestChat, now = this.clock.now(), slot?: SlotPlan): Promise<ChatOutcome> {
    return this.locked(chat, async () => {
      const s = await this.getSchedule(chat);
      if (!s) return 'not-due';
      if (!s.enabled) return 'disabled';
      return (await this.planLocked(s, now, slot)) ? 'planned' : 'not-due';
    });
  }

  /**
   * Plans (once) and delivers (the rest of) one chat's digest, under the chat's lock: nothing is sent before
   * the digest's `sendAt`, nor while the chat is in quiet hours (it waits for their end, then goes out once).
   */
  async runChat(chat: DigestChat, sender: DigestSender, now = this.clock.now(), slot?: SlotPlan): Promise<ChatOutcome> {
    return this.locked(chat, async (lock) => {
      // Re-read under the lock: another process may have finished it meanwhile.
      const s = await this.getSchedule(chat);
      if (!s) return 'not-due';
      if (!s.enabled) return 'disabled';
      const planned = await this.planLocked(s, now, slot);
      if (!s.pending) return 'not-due';
      const run = await this.getRun(chat, s.pending);
      if (!run || run.state !== 'sending') {
        delete s.pending;
        delete s.sendAt;
        if (run && (!s.lastDate || s.lastDate < run.date)) s.lastDate = run.date;
        await this.saveSchedule(s);
        return 'already-done';
      }
      if (run.sendAt && Date.parse(run.sendAt) > now.getTime()) return planned ? 'planned' : 'not-due';
      const quietEnd = run.results.every((r) => r === null)
        ? await this.quiet.until(run.subjectUserId, now)
        : undefined;
      if (quietEnd) {
        run.sendAt = quietEnd.toISOString();
        await this.runs.saveRun(run);
        s.sendAt = run.sendAt;
        await this.saveSchedule(s);
        this.log.info({ chat: run.chatKey, date: run.date, until: run.sendAt }, 'digest held by quiet hours');
        return 'quiet';
      }
      return await this.runs.deliver(run, s, sender, lock);
    });
  }

  /** Under the chat lock: plans the due date's digest (if any) and writes it with the schedule. */
  private async planLocked(s: DigestSchedule, now: Date, slot?: SlotPlan): Promise<DigestRun | undefined> {
    const date = this.planTarget(s, now);
    if (!date) return undefined;
    const chat = { platform: s.platform, chatId: s.chatId };
    if (s.pending && s.pending !== date) {
      const stale = await this.getRun(chat, s.pending);
      if (stale?.state === 'sending') await this.runs.supersede(stale, chat);
    }
    let run = await this.getRun(chat, date);
    if (!run) run = await this.plan(s, date, now, slot ?? planSlot(1, this.spread));
    s.lastDate = date;
    if (run.state === 'sending') {
      s.pending = date;
      s.sendAt = run.sendAt ?? now.toISOString();
    } else {
      delete s.pending;
      delete s.sendAt;
    }
    await this.saveSchedule(s);
    return run;
  }

  private async locked(chat: DigestChat, fn: (lock: string) => Promise<ChatOutcome>): Promise<ChatOutcome> {
    const lock = `digest:${chatKeyOf(chat)}`;
    if (!(await storeCall(() => this.store.acquireLock(lock, this.owner, this.lockTtlMs)))) return 'locked';
    try {
      return await fn(lock);
    } finally {
      await this.store.releaseLock(lock, this.owner).catch(() => undefined);
    }
  }

  async getRun(chat: { platform: Platform; chatId: string }, date: string): Promise<DigestRun | undefined> {
    return storeCall(() => this.store.get<DigestRun>(NS_DIGEST, runKey({ chatKey: chatKeyOf(chat), date })));
  }

  /** The subject a chat's digest is made for. */
  subjectFor(s: DigestSchedule): Promise<Subject> {
    return this.planner.subjectFor(s);
  }

  /**
   * Makes the plan and writes it before anything is sent. It goes out at the slot plus the chat's stable place
   * in the slot's spread, or when the chat's quiet hours end if that falls inside them.
   */
  async plan(
    s: DigestSchedule,
    date: string,
    now: Date,
    slot: SlotPlan = planSlot(1, this.spread),
  ): Promise<DigestRun> {
    const ck = chatKeyOf(s);
    let sendAt = new Date(
      zonedInstant(date, parseTime(s.time) ?? 0, s.tz).getTime() + chatOffsetMinutes(ck, slot.spreadMinutes) * 60_000,
    );
    const quietEnd = await this.quiet.untilIn(s, sendAt);
    if (quietEnd) sendAt = quietEnd;
    const run = await this.planner.plan(s, date, now, { sendAt, layout: slot.layout });
    await this.runs.saveRun(run);
    this.log.info(
      { chat: run.chatKey, date, items: run.parts.length, sendAt: run.sendAt, layout: run.layout ?? 'cards' },
      'digest planned',
    );
    return run;
  }
}
