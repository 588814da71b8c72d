/**
 * The one list-delivery flow, used by `/recommend`, "more like this" and digests on every platform:
 * plan (core) → send each item through the adapter's `ListSender` → map every sent message to its items
 * in ONE batched write together with the user document (`UserRepository.commit`).
 *
 * While a list is on its way, the messages already sent are kept in `pending` (this process), so a
 * reaction or button press that arrives before the batched write still finds its item.
 */
import type { ContentItem, Evidence, Impression, Lang, MessageRef, Platform } from '../domain.js';
import type { Layout } from '../filters/settings.js';
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
   * How the list looks (absent: `cards`). `compact` asks the sender for ONE numbered message with a row of
   * buttons per item (`sendCompact`); a sender without it sends cards.
   */
  layout?: Layout;
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
  /** Sends one item; resolves with the platform message ids that carry it. */
  sendItem(target: DeliveryTarget, item: ListItemView, list: ListToSend): Promise<{ messageIds: string[] }>;
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
    const mapPending = (messageId: string, views: readonly ListItemView[]) =>
      this.pending.add({
        platform: target.platform,
        chatId: target.chatId,
        messageId,
        itemIds: views.map((v) => v.item.id),
        impressionId,
        at,
        ...(views.some((v) => v.evidence) ? { evidence: views.map((v) => v.evidence ?? null) } : {}),
      });
    try {
      if (list.layout === 'compact' && sender.sendCompact) {
        const lines = improved();
        const views = list.items.map((v, i) => ({ ...v, explanation: lines?.[i] || v.explanation }));
        const out = await sender.sendCompact(target, { ...list, items: views });
        const byMessage = new Map<string, ListItemView[]>();
        views.forEach((view, i) => {
          const messageIds = out[i]?.messageIds ?? [];
          for (const m of messageIds) byMessage.set(m, [...(byMessage.get(m) ?? []), view]);
          sent.push(sentOf(view, messageIds));
        });
        for (const [m, vs] of byMessage) mapPending(m, vs);
        return { sent };
      }
      await sender.sendHeader?.(target, list);
      for (const [i, view] of list.items.entries()) {
        const explanation = improved()?.[i] || view.explanation;
        const out = await sender.sendItem(target, { ...view, explanation }, list);
        for (const messageId of out.messageIds) mapPending(messageId, [view]);
        sent.push(sentOf({ ...view, explanation }, out.messageIds));
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
    sent: readonly (({ itemId: string; evidence?: Evidence } | { itemIds: readonly string[] }) & {
      messageIds: readonly string[];
    })[],
  ): { writes: StoreWrite[]; keys: string[]; apply: (d: UserDoc) => void } {
    const at = this.o.clock.now().toISOString();
    const writes: StoreWrite[] = [];
    const keys: string[] = [];
    const messageIds: string[] = [];
    // One mapping per message; a compact message carries several items (and their evidence, for "why?").
    const byMessage = new Map<string, { itemIds: string[]; evidence: (Evidence | null)[] }>();
    for (const s of sent) {
      const ids = 'itemIds' in s ? [...s.itemIds] : [s.itemId];
      const ev = 'evidence' in s ? (s.evidence as Evidence | undefined) : undefined;
      for (const messageId of s.messageIds) {
        const entry = byMessage.get(messageId) ?? { itemIds: [], evidence: [] };
        for (const id of ids) {
          entry.itemIds.push(id);
          entry.evidence.push(ids.length === 1 ? (ev ?? null) : null);
        }
        byMessage.set(messageId, entry);
      }
    }
    for (const [messageId, entry] of byMessage) {
      const ref: MessageRef = {
        platform: target.platform,
        chatId: target.chatId,
        messageId,
        itemIds: entry.itemIds,
        impressionId: impression.id,
        at,
        ...(entry.evidence.some(Boolean) ? { evidence: entry.evidence } : {}),
      };
      const key = messageKey(target.platform, target.chatId, messageId);
      writes.push({ op: 'set', ns: NS_MESSAGES, key, value: ref });
      keys.push(key);
      messageIds.push(messageId);
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
    if (list.layout === 'compact' && sender.editCompact) {
      if (!lines.some((l, i) => l && l !== sent[i]?.explanation)) return;
      const items = list.items.map((v, i) => ({ ...v, explanation: lines[i] || v.explanation }));
      try {
        await sender.editCompact(target, sent, { ...list, items });
        sent.forEach((s, i) => (s.explanation = items[i]?.explanation ?? s.explanation));
      } catch (e) {
        this.o.logger.debug(
          { err: e },
          'could not edit improved explanations into a compact list; the first lines stay',
        );
      }
      return;
    }
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

function sentOf(view: ListItemView, messageIds: string[]): SentItem {
  return {
    position: view.position,
    itemId: view.item.id,
    messageIds,
    explanation: view.explanation,
    ...(view.evidence ? { evidence: view.evidence } : {}),
  };
}
