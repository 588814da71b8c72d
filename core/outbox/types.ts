/**
 * The outbox's shapes: priorities, limits, lanes (what a send belongs to), options and stats; and the internal
 * records the scheduler keeps (jobs, chats, lanes, sliding-window marks). The scheduler: outbox.ts.
 */
/** Who waits for a message: someone who just asked, or a scheduled digest. */
import type { Logger } from '../ports.js';

export type ListPriority = 'interactive' | 'digest';
export const LIST_PRIORITIES: readonly ListPriority[] = ['interactive', 'digest'];
export const RANK: Record<ListPriority, number> = { interactive: 0, digest: 1 };

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

export interface Job {
  run: (() => Promise<unknown>) | undefined; // undefined: a reservation
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  enqueuedAt: number;
  attempts: number;
  /** The window marks of the current attempt (moved to the answer's time). */
  marks?: Mark[] | undefined;
}

export interface Chat {
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
export interface Mark {
  at: number;
  /** Granted and not answered yet: it stays in every window until it is. */
  open: boolean;
}

/**
 * Drops answered marks older than `span`; answers when the oldest remaining answered mark leaves the window
 * (Infinity when only open marks remain: an answer wakes the scheduler).
 */
/** An answered (or abandoned) send: counted from now on, for `span` more. */
export function settle(marks: readonly Mark[] | undefined, now: number): void {
  for (const m of marks ?? []) {
    m.at = Math.max(m.at, now);
    m.open = false;
  }
}

export function prune(marks: Mark[], now: number, span: number): number {
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

export interface Lane {
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
