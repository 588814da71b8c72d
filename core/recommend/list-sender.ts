/**
 * The `ListSender` port every chat adapter implements to show lists, and the shapes it sends and answers
 * (`DeliveryTarget`, `ListToSend`, `ListItemView`, `SentMessage`). The flow that drives it: delivery.ts.
 */
import type { ContentItem, Evidence, Lang, Platform } from '../domain.js';
import type { Layout } from '../filters/settings.js';
import type { ListPriority } from '../outbox/outbox.js';
import type { StoreWrite } from '../ports.js';

/** Where a list goes: a chat, optionally a thread in it, optionally as a reply to one message. */
export interface DeliveryTarget {
  platform: Platform;
  chatId: string;
  /** A thread inside the chat (Telegram `message_thread_id`, a Discord thread). */
  threadId?: string;
  /** The platform message the list answers (a reply in groups). */
  replyTo?: string;
}

/** One item of a list as an adapter renders it. */
export interface ListItemView {
  /** 1-based. */
  position: number;
  item: ContentItem;
  /** The scoring evidence (absent for items of a digest resumed from its stored plan). */
  evidence?: Evidence;
  explanation: string;
  /** A section header shown above the item (digests). */
  header?: string;
  /** The title and summary translated into the reader's language (shown marked as a translation). */
  translation?: ItemTranslation;
}

/** An item's title and summary in another language, made by the LLM (core/llm/translate.ts). */
export interface ItemTranslation {
  /** The language translated into. */
  lang: Lang;
  /** The language translated from (`ko`, `en`, or another ISO 639-1 code the text was written in). */
  from: string;
  title: string;
  summary: string;
}

export interface ListToSend {
  lang: Lang;
  header: string;
  items: ListItemView[];
  /**
   * Who waits for it: `interactive` (someone just asked: `/recommend`, "more like this"; the default) goes
   * ahead of `digest` (scheduled) in the platform's outbox.
   */
  priority?: ListPriority;
  /**
   * The list's id (its impression id): the outbox keeps one list's messages together, also when a caller
   * sends it part by part with a new `ListToSend` per call (digests). `ListDelivery.send` sets it.
   */
  id?: string;
  /** How many sends (header + items) the whole list makes when a call carries only part of it (digests). */
  parts?: number;
  /**
   * How the list looks (absent: `cards`). `compact` asks the sender for ONE numbered message with a row of
   * buttons per item (`sendCompact`); a sender without it sends cards.
   */
  layout?: Layout;
}

/** What `sendItem` answers. */
export interface SentMessage {
  /** The platform messages that carry the item. */
  messageIds: string[];
  /**
   * The chat the messages landed in when it is not `target.chatId` — a Discord digest posted in a forum post
   * (a thread of its own): reactions there come from that channel, so the refs are keyed by it.
   */
  chatId?: string;
  /** Store writes that belong with the message (a reference to media it uploaded, see media.ts). */
  writes?: StoreWrite[];
}

export interface SentItem {
  position: number;
  itemId: string;
  /** The platform messages that carry the item (one per item on Discord and Telegram). */
  messageIds: string[];
  /** The explanation the item was sent with. */
  explanation: string;
  /** Where the messages landed when not the target chat (see `SentMessage.chatId`). */
  chatId?: string;
  /** The scoring evidence, kept with the message mapping for "why?". */
  evidence?: Evidence;
}

/** What an adapter implements to show lists. Only `sendItem` is required. */
export interface ListSender {
  /**
   * Opens the list (a header message; a digest's intro) and may return its message ids. Platforms that put
   * the header into the first item leave it out.
   */
  sendHeader?(target: DeliveryTarget, list: ListToSend): Promise<{ messageIds: string[] } | void>;
  /**
   * Sends one item; resolves with the platform message ids that carry it, and store writes that belong with
   * the message (a reference to media it uploaded, see media.ts), stored with the list's refs.
   */
  sendItem(target: DeliveryTarget, item: ListItemView, list: ListToSend): Promise<SentMessage>;
  /**
   * The compact layout: the header and every item in one numbered message (or as few as the platform allows),
   * a row of buttons per item. Resolves with the message ids that carry each item, in item order.
   */
  sendCompact?(target: DeliveryTarget, list: ListToSend): Promise<{ messageIds: string[] }[]>;
  /** Compact layout: better explanation lines arrived; re-render the list's message(s) in place. */
  editCompact?(target: DeliveryTarget, sent: readonly SentItem[], list: ListToSend): Promise<void>;
  /** After the message → item mapping is stored: the place for the bot's own 👍/👎 (they must find their item). */
  afterRecorded?(target: DeliveryTarget, sent: readonly SentItem[], list: ListToSend): Promise<void>;
  /** A better explanation (the LLM) arrived for an item already sent: edit it in. */
  editItem?(target: DeliveryTarget, sent: SentItem, item: ListItemView, list: ListToSend): Promise<void>;
  /** Nothing to show: say why (`text` is in the user's language). */
  sendEmpty?(target: DeliveryTarget, text: string, lang: Lang): Promise<void>;
  /**
   * Resolves when the platform's outbox grants this list its next message, and keeps that slot for the next
   * `sendHeader`/`sendItem` of the list. Digests call it before writing their "in flight" marker, so a part that
   * was still waiting in the queue when the process died is not taken for one that may have arrived.
   */
  ready?(target: DeliveryTarget, list: ListToSend): Promise<void>;
  /** The list is done (or stopped early): the outbox hands the chat to the next list at once. */
  finish?(target: DeliveryTarget, list: ListToSend): void;
}
