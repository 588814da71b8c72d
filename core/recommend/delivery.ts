/**
 * The one list-delivery flow, used by `/recommend`, "more like this" and digests on every platform:
 * plan (core) → send each item through the adapter's `ListSender` → map every sent message to its items
 * in ONE batched write together with the user document (`UserRepository.commit`).
 *
 * While a list is on its way, the messages already sent are kept in `pending` (this process), so a
 * reaction or button press that arrives before the batched write still finds its item.
 */
import type { ContentItem, Evidence, Impression, Lang, MessageRef, Platform } from '../domain.js';
import type { Clock, Logger, StoreWrite } from '../ports.js';
import { NS_IMPRESSIONS, NS_MESSAGES } from '../store/namespaces.js';
import { LIMITS, messageKey, pushCapped, recordShown, type UserDoc } from '../users/doc.js';

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
}

export interface ListToSend {
  lang: Lang;
  header: string;
  items: ListItemView[];
  /** The layout asked for (`compact`: one message with numbered items; absent: the chat's/platform's default). */
  layout?: 'compact' | 'cards';
  /** Sending priority: `digest` lists wait behind interactive replies in the outbox (absent: interactive). */
  priority?: 'interactive' | 'digest';
}

export interface SentItem {
  position: number;
  itemId: string;
  /** The platform messages that carry the item (one per item on Discord and Telegram). */
  messageIds: string[];
  /** The explanation the item was sent with. */
  explanation: string;
}

/** What an adapter implements to show lists. Only `sendItem` is required. */
export interface ListSender {
  /**
   * Opens the list (a header message; a digest's intro) and may return its message ids. Platforms that put
   * the header into the first item leave it out.
   */
  sendHeader?(target: DeliveryTarget, list: ListToSend): Promise<{ messageIds: string[] } | void>;
  /** Sends one item; resolves with the platform message ids that carry it. */
  sendItem(target: DeliveryTarget, item: ListItemView, list: ListToSend): Promise<{ messageIds: string[] }>;
  /** After the message → item mapping is stored: the place for the bot's own 👍/👎 (they must find their item). */
  afterRecorded?(target: DeliveryTarget, sent: readonly SentItem[], list: ListToSend): Promise<void>;
  /** A better explanation (the LLM) arrived for an item already sent: edit it in. */
  editItem?(target: DeliveryTarget, sent: SentItem, item: ListItemView, list: ListToSend): Promise<void>;
  /** Nothing to show: say why (`text` is in the user's language). */
  sendEmpty?(target: DeliveryTarget, text: string, lang: Lang): Promise<void>;
}

/** Messages sent by this process whose mapping is not stored yet. */
export class PendingMessages {
  private readonly refs = new Map<string, MessageRef>();

  add(ref: MessageRef): string {
    const key = messageKey(ref.platform, ref.chatId, ref.messageId);
    this.refs.set(key, ref);
    return key;
  }

  get(platform: Platform, chatId: string, messageId: string): MessageRef | undefined {
    return this.refs.get(messageKey(platform, chatId, messageId));
  }

  remove(keys: readonly string[]): void {
    for (const k of keys) this.refs.delete(k);
  }
}

export class ListDelivery {
  readonly pending = new PendingMessages();

  constructor(private readonly o: { clock: Clock; logger: Logger }) {}

  /**
   * Sends the header and every item, in order. `improved()` gives the LLM's better lines when they came
   * before an item was sent. Stops at the first failure and returns it with what was sent.
   */
  async send(
    target: DeliveryTarget,
    list: ListToSend,
    sender: ListSender,
    impressionId: string,
    improved: () => string[] | undefined = () => undefined,
  ): Promise<{ sent: SentItem[]; error?: unknown }> {
    const sent: SentItem[] = [];
    const at = this.o.clock.now().toISOString();
    try {
      await sender.sendHeader?.(target, list);
      for (const [i, view] of list.items.entries()) {
        const explanation = improved()?.[i] || view.explanation;
        const out = await sender.sendItem(target, { ...view, explanation }, list);
        for (const messageId of out.messageIds)
          this.pending.add({
            platform: target.platform,
            chatId: target.chatId,
            messageId,
            itemIds: [view.item.id],
            impressionId,
            at,
          });
        sent.push({ position: view.position, itemId: view.item.id, messageIds: out.messageIds, explanation });
      }
      return { sent };
    } catch (error) {
      return { sent, error };
    }
  }

  /**
   * The writes that record a delivered list — the impression with its message ids and one `MessageRef` per
   * sent message — and the change to the user document (shown items, last list, message keys). Both go
   * into the one batched commit.
   */
  record(
    impression: Impression,
    target: DeliveryTarget,
    sent: readonly (({ itemId: string } | { itemIds: readonly string[] }) & { messageIds: readonly string[] })[],
  ): { writes: StoreWrite[]; keys: string[]; apply: (d: UserDoc) => void } {
    const at = this.o.clock.now().toISOString();
    const writes: StoreWrite[] = [];
    const keys: string[] = [];
    const messageIds: string[] = [];
    for (const s of sent) {
      for (const messageId of s.messageIds) {
        const ref: MessageRef = {
          platform: target.platform,
          chatId: target.chatId,
          messageId,
          itemIds: 'itemIds' in s ? [...s.itemIds] : [s.itemId],
          impressionId: impression.id,
          at,
        };
        const key = messageKey(target.platform, target.chatId, messageId);
        writes.push({ op: 'set', ns: NS_MESSAGES, key, value: ref });
        keys.push(key);
        messageIds.push(messageId);
      }
    }
    const full: Impression = { ...impression, messageIds: [...impression.messageIds, ...messageIds] };
    writes.unshift({ op: 'set', ns: NS_IMPRESSIONS, key: impression.id, value: full });
    const apply = (d: UserDoc): void => {
      if (!d.impressionIds.includes(impression.id)) recordShown(d, impression);
      for (const k of keys) if (!d.messageKeys.includes(k)) pushCapped(d.messageKeys, k, LIMITS.messageRefs);
    };
    return { writes, keys, apply };
  }

  /** Edits in better explanation lines for items already sent (best effort: an edit that fails keeps the old line). */
  async applyImproved(
    target: DeliveryTarget,
    list: ListToSend,
    sent: readonly SentItem[],
    lines: readonly string[],
    sender: ListSender,
  ): Promise<void> {
    if (!sender.editItem) return;
    for (const s of sent) {
      const i = s.position - 1;
      const view = list.items[i];
      const line = lines[i];
      if (!view || !line || line === s.explanation) continue;
      try {
        await sender.editItem(target, { ...s, explanation: line }, { ...view, explanation: line }, list);
        s.explanation = line;
      } catch (e) {
        this.o.logger.debug({ err: e }, 'could not edit an improved explanation in; the first line stays');
      }
    }
  }
}
