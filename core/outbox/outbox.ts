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
 * @example
 * const outbox = new Outbox({ name: 'telegram', limits: { perSecond: 30, chatIntervalMs: 1000, chatBurst: 3, groupPerMinute: 20 } });
 * await outbox.send({ chat: 'telegram:42', list: 'imp_1', size: 6 }, () => api.sendMessage(42, 'hi'));
 */
import type { Logger } from '../ports.js';
import { silentLogger } from '../ports.js';

/** Who waits for a message: someone who just asked, or a scheduled digest. */
export type ListPriority = 'interactive' | 'digest';
export const LIST_PRIORITIES: readonly ListPriority[] = ['interactive', 'digest'];
const RANK: Record<ListPriority, number> = { interactive: 0, digest: 1 };

/** A platform's limits; 0 turns a limit off. */
export interface OutboxLimits {
  /** Messages in any 1-second window over all chats. */
  perSecond: number;
  /** Per chat: after a burst of `chatBurst`, one message every `chatIntervalMs`. */
  chatIntervalMs: number;
  chatBurst: number;
  /** Messages in any 60-second window to one group chat. */
  groupPerMinute: number;
}

export const NO_LIMITS: OutboxLimits = { perSecond: 0, chatIntervalMs: 0, chatBurst: 1, groupPerMinute: 0 };

/** What a send belongs to. */
export interface OutboxLane {
  /** The chat the limits count against, unique per platform (`chatId`). */
  chat: string;
  /** A group chat (the per-minute group limit applies). */
  group?: boolean;
  /** Default `interactive`. */
  priority?: ListPriority;
  /** Groups the messages of one list (its impression id). Absent: the message stands alone. */
  list?: string;
  /** How many messages the whole list sends, when known (fewest-left-first). A lane without a list is 1. */
  size?: number;
}

export interface OutboxOptions {
  /** For logs and `/status` (`telegram`, `discord`). */
  name: string;
  limits: OutboxLimits;
  logger?: Logger;
  /** Seconds to wait when a send failed with a flood wait (429); undefined for any other failure. */
  retryAfterOf?: (e: unknown) => number | undefined;
  /** Attempts per message when the platform answers 429 (default 4). */
  maxAttempts?: number;
  /** A flood wait longer than this (s) is not waited out: the send fails (default 120). */
  maxRetryAfterSeconds?: number;
  /** A lane that sends nothing for this long gives its chat to the next lane (default 2000 ms). */
  yieldMs?: number;
  /** A reserved slot not used within this long is released (default 10 000 ms). */
  reserveTimeoutMs?: number;
  /** Log a backlog warning when a message waited longer than this (default 10 s interactive, 10 min digests). */
  slowWaitMs?: Partial<Record<ListPriority, number>>;
  /** Time source and timers (tests drive a virtual clock). */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

export interface OutboxStats {
  name: string;
  /** Messages waiting, by priority. */
  waiting: Record<ListPriority, number>;
  /** Messages handed to the platform and not answered yet. */
  inFlight: number;
  /** How long the oldest waiting message has waited (ms). */
  oldestWaitMs: number;
  /** Time from enqueue to send over the last messages, by priority (ms). */
  wait: Record<ListPriority, { n: number; p50: number; p95: number; max: number }>;
  sent: number;
  /** 429 answers seen and retried. */
  rateLimited: number;
}

/** Thrown to queued sends when the outbox closes. */
export class OutboxClosedError extends Error {
  constructor(name: string) {
    super(`the ${name} outbox is closed (the bot is stopping)`);
    this.name = 'OutboxClosedError';
  }
}

interface Job {
  run: (() => Promise<unknown>) | undefined; // undefined: a reservation
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  enqueuedAt: number;
  attempts: number;
  /** The window marks of the current attempt (moved to the answer's time). */
  marks?: Mark[] | undefined;
}

interface Chat {
  key: string;
  group: boolean;
  busy: boolean;
  tokens: number;
  tokensAt: number;
  /** Sends in the last minute (groups), as `Mark`s. */
  minute: Mark[];
  pausedUntil: number;
  /** The lane that sent last here and is not done: same or lower priority lanes wait for it. */
  owner: Lane | undefined;
  lanes: number;
}

/**
 * A send counted in a sliding window: stamped when granted, then moved to when the platform answered. The
 * platform counts the message when it ARRIVES, somewhere in between; counting it from the answer keeps our
 * windows a little behind the platform's, never ahead of them (else every network delay becomes a 429).
 */
interface Mark {
  at: number;
  /** Granted and not answered yet: it stays in every window until it is. */
  open: boolean;
}

/**
 * Drops answered marks older than `span`; answers when the oldest remaining answered mark leaves the window
 * (Infinity when only open marks remain: an answer wakes the scheduler).
 */
/** An answered (or abandoned) send: counted from now on, for `span` more. */
function settle(marks: readonly Mark[] | undefined, now: number): void {
  for (const m of marks ?? []) {
    m.at = Math.max(m.at, now);
    m.open = false;
  }
}

function prune(marks: Mark[], now: number, span: number): number {
  let w = 0;
  let oldest = Infinity;
  for (const m of marks) {
    if (m.open || m.at > now - span) {
      marks[w++] = m;
      if (!m.open) oldest = Math.min(oldest, m.at);
    }
  }
  marks.length = w;
  return oldest + span;
}

interface Lane {
  key: string;
  chat: Chat;
  rank: number;
  priority: ListPriority;
  seq: number;
  size: number;
  sent: number;
  jobs: Job[];
  lastAt: number;
  reserved: { cancel(): void } | undefined;
  reservedMarks?: Mark[] | undefined;
}

const WAIT_SAMPLES = 512;

class Ring {
  private readonly xs: number[] = [];
  private i = 0;
  push(x: number): void {
    if (this.xs.length < WAIT_SAMPLES) this.xs.push(x);
    else this.xs[this.i++ % WAIT_SAMPLES] = x;
  }
  summary(): { n: number; p50: number; p95: number; max: number } {
    if (this.xs.length === 0) return { n: 0, p50: 0, p95: 0, max: 0 };
    const s = [...this.xs].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
    return { n: s.length, p50: at(0.5), p95: at(0.95), max: s[s.length - 1]! };
  }
}

const defaultTimer = (fn: () => void, ms: number) => {
  const h = setTimeout(fn, ms);
  h.unref?.();
  return { cancel: () => clearTimeout(h) };
};

export class Outbox {
  private readonly limits: OutboxLimits;
  private readonly now: () => number;
  private readonly setTimer: NonNullable<OutboxOptions['setTimer']>;
  private readonly log: Logger;
  private readonly chats = new Map<string, Chat>();
  private readonly lanes = new Map<string, Lane>();
  /** Lanes with a waiting message. */
  private readonly ready = new Set<Lane>();
  /** Sends in the last second (global window). */
  private readonly window: Mark[] = [];
  private globalPausedUntil = 0;
  private readonly recent429: { chat: string; at: number }[] = [];
  private seq = 0;
  private oneOff = 0;
  private inFlight = 0;
  private sent = 0;
  private rateLimited = 0;
  private readonly waits: Record<ListPriority, Ring> = { interactive: new Ring(), digest: new Ring() };
  private wake: { at: number; timer: { cancel(): void } } | undefined;
  private pumping = false;
  private pumpQueued = false;
  private closed = false;
  private lastSweep = 0;
  private lastSlowLog = -Infinity;

  constructor(private readonly o: OutboxOptions) {
    this.limits = o.limits;
    this.now = o.now ?? Date.now;
    this.setTimer = o.setTimer ?? defaultTimer;
    this.log = o.logger ?? silentLogger;
  }

  get name(): string {
    return this.o.name;
  }

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

  stats(): OutboxStats {
    const waiting: Record<ListPriority, number> = { interactive: 0, digest: 0 };
    let oldest = Infinity;
    for (const l of this.ready) {
      waiting[l.priority] += l.jobs.length;
      for (const j of l.jobs) oldest = Math.min(oldest, j.enqueuedAt);
    }
    return {
      name: this.o.name,
      waiting,
      inFlight: this.inFlight,
      oldestWaitMs: oldest === Infinity ? 0 : this.now() - oldest,
      wait: { interactive: this.waits.interactive.summary(), digest: this.waits.digest.summary() },
      sent: this.sent,
      rateLimited: this.rateLimited,
    };
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

  // ---------------------------------------------------------------- lanes and chats

  private keyOf(lane: OutboxLane): string {
    return lane.list ? `${lane.chat}\u0000${lane.list}` : `${lane.chat}\u0000#${++this.oneOff}`;
  }

  private laneOf(spec: OutboxLane): Lane {
    const key = this.keyOf(spec);
    let l = this.lanes.get(key);
    const priority = spec.priority ?? 'interactive';
    if (!l) {
      let chat = this.chats.get(spec.chat);
      if (!chat) {
        chat = {
          key: spec.chat,
          group: spec.group ?? false,
          busy: false,
          tokens: Math.max(1, this.limits.chatBurst),
          tokensAt: this.now(),
          minute: [],
          pausedUntil: 0,
          owner: undefined,
          lanes: 0,
        };
        this.chats.set(spec.chat, chat);
      }
      chat.lanes++;
      l = {
        key,
        chat,
        rank: RANK[priority],
        priority,
        seq: ++this.seq,
        size: spec.list ? (spec.size ?? Infinity) : 1,
        sent: 0,
        jobs: [],
        lastAt: this.now(),
        reserved: undefined,
      };
      this.lanes.set(key, l);
    } else if (RANK[priority] < l.rank) {
      l.rank = RANK[priority];
      l.priority = priority;
    }
    if (spec.size !== undefined && spec.list) l.size = spec.size;
    return l;
  }

  private drop(l: Lane): void {
    if (!this.lanes.delete(l.key)) return;
    this.ready.delete(l);
    const c = l.chat;
    if (c.owner === l) c.owner = undefined;
    c.lanes--;
  }

  private enqueue(l: Lane, job: Job, first: boolean): void {
    if (first) l.jobs.unshift(job);
    else l.jobs.push(job);
    this.ready.add(l);
    this.requestPump();
  }

  /** When the chat may send next (ms timestamp; ≤ now: now). Refills the chat's burst tokens. */
  private chatReadyAt(c: Chat, now: number): number {
    let at = Math.max(now, c.pausedUntil);
    const { chatIntervalMs, chatBurst, groupPerMinute } = this.limits;
    if (chatIntervalMs > 0) {
      c.tokens = Math.min(Math.max(1, chatBurst), c.tokens + (now - c.tokensAt) / chatIntervalMs);
      c.tokensAt = now;
      if (c.tokens < 1) at = Math.max(at, now + Math.ceil((1 - c.tokens) * chatIntervalMs));
    }
    if (c.group && groupPerMinute > 0) {
      const free = prune(c.minute, now, 60_000);
      if (c.minute.length >= groupPerMinute) at = Math.max(at, free);
    }
    return at;
  }

  /** Whether `l` must wait for its chat's current lane (ms timestamp when it may take over, or 0). */
  private blockedByOwner(l: Lane, now: number): number {
    const owner = l.chat.owner;
    if (!owner || owner === l || owner.rank > l.rank) return 0;
    if (!this.lanes.has(owner.key)) {
      l.chat.owner = undefined;
      return 0;
    }
    if (owner.jobs.length > 0 || owner.reserved || owner.chat.busy) return Infinity;
    const until = owner.lastAt + (this.o.yieldMs ?? 2000);
    if (until <= now) {
      this.drop(owner);
      return 0;
    }
    return until;
  }

  private better(a: Lane, b: Lane | undefined): boolean {
    if (!b) return true;
    if (a.rank !== b.rank) return a.rank < b.rank;
    const ra = a.size - a.sent;
    const rb = b.size - b.sent;
    if (ra !== rb) return ra < rb;
    return a.seq < b.seq;
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

  private noteSlow(l: Lane, waited: number): void {
    const limit = this.o.slowWaitMs?.[l.priority] ?? (l.priority === 'digest' ? 600_000 : 10_000);
    const now = this.now();
    if (waited < limit || now - this.lastSlowLog < 30_000) return;
    this.lastSlowLog = now;
    const s = this.stats();
    this.log.warn(
      {
        outbox: this.o.name,
        waitedMs: waited,
        priority: l.priority,
        waiting: s.waiting,
        inFlight: s.inFlight,
        oldestWaitMs: s.oldestWaitMs,
      },
      `${this.o.name} outbox backlog: a ${l.priority} message waited ${(waited / 1000).toFixed(1)} s for the platform's rate limits; more sending capacity needs fewer messages per list (compact layout) or digests spread over a wider window`,
    );
  }

  /** Forgets idle lanes and chats whose limits have recovered (at most once a second). */
  private sweep(): void {
    const now = this.now();
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    const yieldMs = this.o.yieldMs ?? 2000;
    for (const l of this.lanes.values()) {
      if (l.jobs.length === 0 && !l.reserved && !(l.chat.busy && l.chat.owner === l) && now - l.lastAt > yieldMs)
        this.drop(l);
    }
    const refilled = this.limits.chatIntervalMs * Math.max(1, this.limits.chatBurst);
    for (const c of this.chats.values()) {
      if (c.lanes > 0 || c.busy || c.pausedUntil > now) continue;
      if (now - c.tokensAt < refilled) continue;
      if (c.minute.some((m) => m.open || m.at > now - 60_000)) continue;
      this.chats.delete(c.key);
    }
  }
}

/** The outbox's `/status` line: waiting messages, the oldest wait, recent wait percentiles and 429s. */
export function describeOutbox(s: OutboxStats): string {
  const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const waiting = s.waiting.interactive + s.waiting.digest;
  const w = s.wait.interactive;
  const d = s.wait.digest;
  return (
    `Outbox (${s.name}): ${waiting} waiting (${s.waiting.interactive} interactive, ${s.waiting.digest} digest), ` +
    `${s.inFlight} in flight, oldest ${sec(s.oldestWaitMs)}; wait p50/p95 ${sec(w.p50)}/${sec(w.p95)} interactive` +
    (d.n > 0 ? `, ${sec(d.p50)}/${sec(d.p95)} digest` : '') +
    ` (last ${Math.max(w.n, d.n)}); ${s.sent} sent, ${s.rateLimited} flood waits (429)`
  );
}
