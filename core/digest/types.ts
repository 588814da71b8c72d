/** The digest's records: a chat's schedule, a day's run (plan + what was sent), and the delivery outcomes. */
import type { Lang, Platform } from '../domain.js';
import type { ListSender } from '../recommend/delivery.js';
import type { Actor } from '../users/doc.js';
import type { Layout } from '../filters/settings.js';
import type { SlotPlan } from './spread.js';

/** How often a definitely refused part is retried before it is given up. */
export const MAX_PART_FAILURES = 5;

export interface DigestChat {
  platform: Platform;
  chatId: string;
  kind: 'private' | 'group';
}

export interface DigestSchedule extends DigestChat {
  enabled: boolean;
  /** `HH:MM`, local time. */
  time: string;
  /** IANA time zone. */
  tz: string;
  lang: Lang;
  /** Private chats: the person the digest is for. */
  owner?: Actor;
  /** The last local date (YYYY-MM-DD) planned or deliberately skipped. Only moves forward. */
  lastDate?: string;
  /** A local date whose run is planned but not finished (resume it). */
  pending?: string;
  /** When the pending run goes out (ISO): its slot, its place in the slot's window, after quiet hours. */
  sendAt?: string;
  disabledReason?: 'user' | 'blocked';
  updatedAt: string;
}

export type DigestPart =
  | { kind: 'intro'; text: string }
  | { kind: 'item'; itemId: string; position: number; explanation: string; header?: string };

export type PartResult =
  /** `chatId`: where the message landed when not the schedule's chat (a Discord forum post). */
  { status: 'sent'; messageId: string; chatId?: string } | { status: 'unknown' } | { status: 'failed'; error: string };

export interface DigestRun {
  chatKey: string;
  date: string;
  state: 'sending' | 'done' | 'cancelled';
  lang: Lang;
  subjectUserId: string;
  impressionId: string;
  /** Whether the impression and the message mapping were recorded (with the run's last write). */
  impressionRecorded: boolean;
  parts: DigestPart[];
  results: (PartResult | null)[];
  inflight?: number;
  failures: number;
  plannedAt: string;
  /** When it goes out (ISO; absent on runs planned before spreading existed: at once). */
  sendAt?: string;
  /** The layout the digest asks the platform for (absent: cards). */
  layout?: Layout;
  completedAt?: string;
  /** Which process planned it (diagnostics). */
  plannedBy: string;
}

/** What a sender throws so the state machine knows whether the message may have arrived. */
export class DeliveryError extends Error {
  constructor(
    /** blocked: the chat refuses the bot (unsubscribe). rejected: definitely not delivered (retry later). ambiguous: may have arrived. */
    readonly kind: 'blocked' | 'rejected' | 'ambiguous',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

/**
 * A platform's list sender, as digests use it: the intro is the list header (`sendHeader` must return its
 * message id), each item an item message. A digest planned in the compact layout goes out through the
 * sender's `sendCompact` (the same renderer as `/layout compact` lists: the intro and every item in one
 * numbered message); a sender without it sends cards. Failures are `DeliveryError`s (anything else counts as
 * ambiguous).
 */
export interface DigestSender extends ListSender {
  readonly platform: Platform;
  sendHeader(...args: Parameters<NonNullable<ListSender['sendHeader']>>): Promise<{ messageIds: string[] }>;
}

export type ChatOutcome =
  | 'delivered'
  | 'already-done'
  | 'not-due'
  | 'locked'
  | 'lost-lock'
  | 'retry-later'
  | 'blocked'
  | 'disabled'
  | 'empty'
  /** Planned ahead of its slot; it goes out at `sendAt`. */
  | 'planned'
  /** Due, but the chat is in quiet hours: it goes out once they end. */
  | 'quiet';

/** Outcomes after which a chat's digest is worth another try soon (a job retries with backoff). */
export const RETRY_OUTCOMES: readonly ChatOutcome[] = ['retry-later', 'locked', 'lost-lock'];

export interface TickReport {
  at: string;
  /** Chats whose digest was due to go out at `at` (delivered, resumed, refused, held by quiet hours, …). */
  due: number;
  /** Chats planned ahead of their slot by this tick. */
  planned?: number;
  outcomes: Record<string, ChatOutcome>;
}

/** What a scan finds: digests to plan now (with their slot's layout and spread), and planned ones due to go out. */
export interface DigestScan {
  plan: { chat: DigestChat; date: string; slot: SlotPlan }[];
  send: { chat: DigestChat; date: string; sendAt: string }[];
}

export function chatKeyOf(c: { platform: Platform; chatId: string }): string {
  return `${c.platform}:${c.chatId}`;
}
