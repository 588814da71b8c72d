/**
 * The outbox: one per chat platform, between the list-delivery flow and the platform's API. It decides WHICH
 * message goes out next, under the platform's limits given as data:
 *
 * - limits: at most `perSecond` messages in any second over all chats; in one chat a burst of `chatBurst`, then
 *   one every `chatIntervalMs`; in a group at most `groupPerMinute` in any minute (Telegram's FAQ numbers are
 *   the Telegram adapter's defaults). One message at a time per chat, so a chat's messages arrive in order.
 * - priorities: a lane is `interactive` (someone just asked) or `digest` (scheduled); interactive goes first,
 *   also inside a chat whose digest is half sent.
 * - fairness: within a priority, the lane with the fewest messages left goes first, then the oldest. A list that
 *   has started is therefore finished before new ones start (a user's list goes out contiguously, and the median
 *   person waits for ~half the backlog instead of all of it), and a one-message reply is not queued behind
 *   hundreds of lists. In one chat, the lane that is sending keeps the chat until it is done (or idle for
 *   `yieldMs`), so two lists in a group do not interleave.
 * - 429: when a send reports "retry after N s" (`retryAfterOf`), its chat pauses N s (every chat, when several
 *   chats got one within a second: a global flood wait) and the message is retried first in its lane.
 * - `reserve(lane)`: waits for the lane's next slot and holds it for the lane's next `send` — digests write their
 *   "in flight" marker after the slot is granted, so a part still queued when the process dies is not mistaken
 *   for one that may have arrived.
 *
 * The outbox holds nothing durable: a digest resumes from its run record in the store after a crash (core/digest),
 * an interactive list that was queued when the process died is lost with the request that asked for it.
 *
 * Files: outbox.ts (the scheduler: grants, sends, 429 retries), lanes.ts (its base: lanes, chats, order, per-chat
 * limits, stats), types.ts (the shapes), stats.ts (wait percentiles, the `/status` line); this module re-exports them.
 *
 * @example
 * const outbox = new Outbox({ name: 'telegram', limits: { perSecond: 30, chatIntervalMs: 1000, chatBurst: 3, groupPerMinute: 20 } });
 * await outbox.send({ chat: 'telegram:42', list: 'imp_1', size: 6 }, () => api.sendMessage(42, 'hi'));
 */
import { OutboxLanes } from './lanes.js';
import {
  OutboxClosedError,
  prune,
  settle,
  type Chat,
  type Job,
  type Lane,
  type Mark,
  type OutboxLane,
} from './types.js';

export {
  LIST_PRIORITIES,
  NO_LIMITS,
  OutboxClosedError,
  type ListPriority,
  type OutboxLane,
  type OutboxLimits,
  type OutboxOptions,
  type OutboxStats,
} from './types.js';
export { describeOutbox } from './stats.js';

export class Outbox extends OutboxLanes {
  /** Sends in the last second (global window). */
  private readonly window: Mark[] = [];
  private globalPausedUntil = 0;
  private readonly recent429: { chat: string; at: number }[] = [];
  private wake: { at: number; timer: { cancel(): void } } | undefined;
  private pumping = false;
  private pumpQueued = false;
  private closed = false;

  /** Sends `fn` when its turn comes; resolves or rejects with it (after flood-wait retries). */
  send<T>(lane: OutboxLane, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new OutboxClosedError(this.o.name));
    const l = this.laneOf(lane);
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        run: fn,
        resolve: resolve as (v: unknown) => void,
        reject,
        enqueuedAt: this.now(),
        attempts: 0,
      };
      if (l.reserved) {
        // The slot was granted by `reserve`: go now.
        l.reserved.cancel();
        l.reserved = undefined;
        job.marks = l.reservedMarks;
        l.reservedMarks = undefined;
        this.execute(l, job);
        return;
      }
      this.enqueue(l, job, false);
    });
  }

  /**
   * Resolves when `lane` is granted its next message slot, and keeps the slot for the lane's next `send`
   * (released after `reserveTimeoutMs` if none comes).
   */
  reserve(lane: OutboxLane): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError(this.o.name));
    const l = this.laneOf(lane);
    if (l.reserved) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.enqueue(
        l,
        { run: undefined, resolve: resolve as (v: unknown) => void, reject, enqueuedAt: this.now(), attempts: 0 },
        false,
      );
    });
  }

  /** The list is complete (or stopped): an unused reservation is released and its chat goes to the next lane at once. */
  finish(lane: OutboxLane): void {
    if (!lane.list) return;
    const l = this.lanes.get(this.keyOf(lane));
    if (!l || l.jobs.length > 0) return;
    if (l.reserved) {
      l.reserved.cancel();
      l.reserved = undefined;
      settle(l.reservedMarks, this.now());
      l.reservedMarks = undefined;
      l.chat.busy = false;
    }
    this.drop(l);
    this.requestPump();
  }

  /** A 429 the platform client waited out itself (discord.js): counted in the stats. */
  noteRateLimited(): void {
    this.rateLimited++;
  }

  /** Rejects every waiting message (`OutboxClosedError`); messages in flight finish. */
  close(): void {
    this.closed = true;
    this.wake?.timer.cancel();
    this.wake = undefined;
    for (const l of this.ready) {
      for (const j of l.jobs.splice(0)) j.reject(new OutboxClosedError(this.o.name));
    }
    this.ready.clear();
  }

  private enqueue(l: Lane, job: Job, first: boolean): void {
    if (first) l.jobs.unshift(job);
    else l.jobs.push(job);
    this.ready.add(l);
    this.requestPump();
  }

  // ---------------------------------------------------------------- scheduling

  /** Coalesces the pumps asked for in one turn of the event loop (a burst of enqueues costs one pass). */
  private requestPump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /**
   * Grants every slot the limits allow now: one pass over the lanes with a waiting message collects those whose
   * chat may send, then grants them best first while the global window has room (O(n log n) per pass, so a
   * backlog of thousands of digest lanes stays cheap), and arms a timer for the earliest moment another may go.
   */
  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      const now = this.now();
      let wakeAt = Infinity;
      const { perSecond } = this.limits;
      let room = Infinity;
      if (perSecond > 0) {
        const free = prune(this.window, now, 1000);
        room = perSecond - this.window.length;
        if (room <= 0) wakeAt = free;
      }
      if (this.globalPausedUntil > now) {
        room = 0;
        wakeAt = Math.min(wakeAt, this.globalPausedUntil);
      }
      if (room > 0) {
        const eligible: Lane[] = [];
        for (const l of this.ready) {
          const c = l.chat;
          if (c.busy) continue;
          const ownerUntil = this.blockedByOwner(l, now);
          if (ownerUntil > 0) {
            if (ownerUntil !== Infinity) wakeAt = Math.min(wakeAt, ownerUntil);
            continue;
          }
          const at = this.chatReadyAt(c, now);
          if (at > now) {
            wakeAt = Math.min(wakeAt, at);
            continue;
          }
          eligible.push(l);
        }
        eligible.sort((x, y) => (this.better(x, y) ? -1 : this.better(y, x) ? 1 : 0));
        let granted = 0;
        for (const l of eligible) {
          if (granted >= room) {
            // Out of room in the window: the next slot opens when the oldest answered send leaves it.
            if (perSecond > 0) wakeAt = Math.min(wakeAt, prune(this.window, now, 1000));
            break;
          }
          if (l.chat.busy || l.jobs.length === 0) continue; // another lane of the chat went first
          this.grant(l, now);
          granted++;
        }
      }
      this.sweep();
      this.schedule(wakeAt);
    } finally {
      this.pumping = false;
    }
  }

  private schedule(at: number): void {
    if (at === Infinity) return;
    if (this.wake && this.wake.at <= at) return;
    this.wake?.timer.cancel();
    const delay = Math.max(0, at - this.now());
    this.wake = {
      at,
      timer: this.setTimer(() => {
        this.wake = undefined;
        this.pump();
      }, delay),
    };
  }

  private grant(l: Lane, now: number): void {
    const job = l.jobs.shift()!;
    if (l.jobs.length === 0) this.ready.delete(l);
    const c = l.chat;
    const marks: Mark[] = [];
    if (this.limits.perSecond > 0) {
      const m = { at: now, open: true };
      this.window.push(m);
      marks.push(m);
    }
    if (this.limits.chatIntervalMs > 0) c.tokens -= 1;
    if (c.group && this.limits.groupPerMinute > 0) {
      const m = { at: now, open: true };
      c.minute.push(m);
      marks.push(m);
    }
    job.marks = marks;
    this.waits[l.priority].push(now - job.enqueuedAt);
    this.noteSlow(l, now - job.enqueuedAt);
    if (!job.run) {
      // A reservation: the chat stays busy until the lane's next send (or the reservation lapses).
      c.busy = true;
      c.owner = l;
      l.lastAt = now;
      l.reservedMarks = job.marks;
      l.reserved = this.setTimer(() => {
        if (!l.reserved) return;
        l.reserved = undefined;
        settle(l.reservedMarks, this.now());
        l.reservedMarks = undefined;
        c.busy = false;
        this.requestPump();
      }, this.o.reserveTimeoutMs ?? 10_000);
      job.resolve(undefined);
      return;
    }
    this.execute(l, job);
  }

  private execute(l: Lane, job: Job): void {
    const c = l.chat;
    c.busy = true;
    c.owner = l;
    l.sent++;
    l.lastAt = this.now();
    this.inFlight++;
    const answered = () => {
      const t = this.now();
      settle(job.marks, t);
      // The chat's burst refills from the answer on (the platform saw the message at most then).
      if (this.limits.chatIntervalMs > 0) c.tokensAt = Math.max(c.tokensAt, t);
    };
    Promise.resolve()
      .then(job.run!)
      .then(
        (v) => {
          answered();
          this.inFlight--;
          this.sent++;
          c.busy = false;
          l.lastAt = this.now();
          if (l.sent >= l.size && l.jobs.length === 0) this.drop(l);
          job.resolve(v);
          this.requestPump();
        },
        (e: unknown) => {
          answered();
          this.inFlight--;
          c.busy = false;
          l.lastAt = this.now();
          const wait = this.o.retryAfterOf?.(e);
          job.attempts++;
          if (
            wait !== undefined &&
            !this.closed &&
            job.attempts < (this.o.maxAttempts ?? 4) &&
            wait <= (this.o.maxRetryAfterSeconds ?? 120)
          ) {
            l.sent--;
            this.floodWait(c, wait);
            this.enqueue(l, job, true);
            return;
          }
          if (l.sent >= l.size && l.jobs.length === 0) this.drop(l);
          job.reject(e);
          this.requestPump();
        },
      );
  }

  private floodWait(c: Chat, seconds: number): void {
    const now = this.now();
    const until = now + Math.max(1, seconds) * 1000;
    this.rateLimited++;
    c.pausedUntil = Math.max(c.pausedUntil, until);
    while (this.recent429.length > 0 && this.recent429[0]!.at <= now - 1000) this.recent429.shift();
    this.recent429.push({ chat: c.key, at: now });
    const global = new Set(this.recent429.map((r) => r.chat)).size > 1;
    if (global) this.globalPausedUntil = Math.max(this.globalPausedUntil, until);
    this.log.warn(
      { outbox: this.o.name, chat: c.key, retryAfter: seconds, global },
      global
        ? `${this.o.name} answered 429 for several chats: every send waits ${seconds} s (its flood wait); if this repeats, lower the ${this.o.name} rate limits in the configuration`
        : `${this.o.name} answered 429 for one chat: that chat waits ${seconds} s, the others go on`,
    );
  }
}
