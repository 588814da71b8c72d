/** The digest's records: a chat's schedule, a day's run (plan + what was sent), and the delivery outcomes. */
import type { Lang, Platform } from '../domain.js';
import type { ListSender } from '../recommend/delivery.js';
import type { Actor } from '../users/doc.js';

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
 * message id), each item an item message. Failures are `DeliveryError`s (anything else counts as ambiguous).
 */
export interface DigestSender extends ListSender {
  readonly platform: Platform;
  sendHeader(...args: Parameters<NonNullable<ListSender['sendHeader']>>): Promise<{ messageIds: string[] }>;
}

export type ChatOutcome =
  'delivered' | 'already-done' | 'not-due' | 'locked' | 'lost-lock' | 'retry-later' | 'blocked' | 'disabled' | 'empty';

export interface TickReport {
  at: string;
  due: number;
  outcomes: Record<string, ChatOutcome>;
}

export function chatKeyOf(c: { platform: Platform; chatId: string }): string {
  return `${c.platform}:${c.chatId}`;
}
