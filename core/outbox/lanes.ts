/**
 * The outbox's book-keeping, the base of `Outbox` (outbox.ts): its lanes and chats (created on first use, dropped
 * when idle), which lane goes first, when a chat may send again under the per-chat limits, and the stats and
 * backlog log. The scheduling (grants, sends, 429 retries) is in outbox.ts.
 */
import type { Logger } from '../ports.js';
import { silentLogger } from '../ports.js';
import { Ring } from './stats.js';
import {
  prune,
  RANK,
  type Chat,
  type Lane,
  type ListPriority,
  type OutboxLane,
  type OutboxLimits,
  type OutboxOptions,
  type OutboxStats,
} from './types.js';

const defaultTimer = (fn: () => void, ms: number) => {
  const h = setTimeout(fn, ms);
  h.unref?.();
  return { cancel: () => clearTimeout(h) };
};

export abstract class OutboxLanes {
  protected readonly limits: OutboxLimits;
  protected readonly now: () => number;
  protected readonly setTimer: NonNullable<OutboxOptions['setTimer']>;
  protected readonly log: Logger;
  protected readonly chats = new Map<string, Chat>();
  protected readonly lanes = new Map<string, Lane>();
  /** Lanes with a waiting message. */
  protected readonly ready = new Set<Lane>();
  protected seq = 0;
  protected oneOff = 0;
  protected inFlight = 0;
  protected sent = 0;
  protected rateLimited = 0;
  protected readonly waits: Record<ListPriority, Ring> = { interactive: new Ring(), digest: new Ring() };
  protected lastSweep = 0;
  protected lastSlowLog = -Infinity;

  constructor(protected readonly o: OutboxOptions) {
    this.limits = o.limits;
    this.now = o.now ?? Date.now;
    this.setTimer = o.setTimer ?? defaultTimer;
    this.log = o.logger ?? silentLogger;
  }

  get name(): string {
    return this.o.name;
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

  // ---------------------------------------------------------------- lanes and chats

  protected keyOf(lane: OutboxLane): string {
    return lane.list ? `${lane.chat}\u0000${lane.list}` : `${lane.chat}\u0000#${++this.oneOff}`;
  }

  protected laneOf(spec: OutboxLane): Lane {
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

  protected drop(l: Lane): void {
    if (!this.lanes.delete(l.key)) return;
    this.ready.delete(l);
    const c = l.chat;
    if (c.owner === l) c.owner = undefined;
    c.lanes--;
  }

  /** When the chat may send next (ms timestamp; ≤ now: now). Refills the chat's burst tokens. */
  protected chatReadyAt(c: Chat, now: number): number {
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
  protected blockedByOwner(l: Lane, now: number): number {
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

  protected better(a: Lane, b: Lane | undefined): boolean {
    if (!b) return true;
    if (a.rank !== b.rank) return a.rank < b.rank;
    const ra = a.size - a.sent;
    const rb = b.size - b.sent;
    if (ra !== rb) return ra < rb;
    return a.seq < b.seq;
  }

  // ---------------------------------------------------------------- scheduling

  protected noteSlow(l: Lane, waited: number): void {
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
  protected sweep(): void {
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
