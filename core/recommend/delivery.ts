/**
 * The one list-delivery flow, used by `/recommend`, "more like this" and digests on every platform:
 * plan (core) → send each item through the adapter's `ListSender` (whose platform outbox decides when each
 * message goes, by `ListToSend.priority`) → map every sent message to its items in ONE batched write together
 * with the user document (`UserRepository.commit`).
 *
 * While a list is on its way, its messages must already lead to their items — on this process and on the
 * others (a Telegram webhook behind a load balancer, Discord shards), and after a crash mid-list:
 * - this process: the messages sent are kept in `pending` at once;
 * - every process: a list that is still going after `flushAfterMs` (it waits in the platform's outbox) writes
 *   the refs sent so far in one batch, with a TTL, plus a "list in progress" marker for the chat; each next
 *   interim batch waits twice as long as the one before, so a list that takes T seconds costs about
 *   log2(T) extra writes, not one per item. The final commit writes the refs for good and drops the marker.
 * - a reaction elsewhere that finds no ref while the chat's marker is live waits for the next batch
 *   (`PendingMessages.resolve`); a button that names its item resolves from the marker at once.
 *
 * The `ListSender` port and its shapes live in list-sender.ts, the pending and interim refs in pending-refs.ts
 * (both re-exported here).
 */
import type { Evidence, Impression, MessageRef } from '../domain.js';
import type { Clock, KeyValueStore, Logger, StoreWrite } from '../ports.js';
import { NS_IMPRESSIONS, NS_MESSAGES } from '../store/namespaces.js';
import { LIMITS, messageKey, pushCapped, recordShown, type UserDoc } from '../users/doc.js';
import type { DeliveryTarget, ListItemView, ListSender, ListToSend, SentItem } from './list-sender.js';
import { InterimRefs, PendingMessages, pendingListKey } from './pending-refs.js';

export type { ListPriority } from '../outbox/outbox.js';
export type {
  DeliveryTarget,
  ItemTranslation,
  ListItemView,
  ListSender,
  ListToSend,
  SentItem,
  SentMessage,
} from './list-sender.js';
export { PendingMessages, pendingListKey, type PendingList } from './pending-refs.js';

export interface ListDeliveryOptions {
  clock: Clock;
  logger: Logger;
  /** Where interim refs go while a list is being sent; without one only the final commit writes them. */
  store?: KeyValueStore;
  /** The first interim write happens when a sent message's ref has waited this long (default 1000 ms). */
  flushAfterMs?: number;
}

export interface SendOutcome {
  sent: SentItem[];
  error?: unknown;
  /** Writes the sender returned with its messages (media references): record them with the list. */
  writes: StoreWrite[];
  /** Interim ref writes made while sending (each one store round trip). */
  interimWrites: number;
}

export class ListDelivery {
  readonly pending: PendingMessages;

  constructor(private readonly o: ListDeliveryOptions) {
    this.pending = new PendingMessages({ ...(o.store ? { store: o.store } : {}), clock: o.clock });
  }

  /**
   * Sends the header and every item, in order (`list.id` becomes the impression id, `list.priority` defaults to
   * interactive). `improved()` gives the LLM's better lines when they came before an item was sent. Stops at the
   * first failure and returns it with what was sent.
   */
  async send(
    target: DeliveryTarget,
    list: ListToSend,
    sender: ListSender,
    impression: Pick<Impression, 'id' | 'itemIds'> | string,
    improved: () => string[] | undefined = () => undefined,
  ): Promise<SendOutcome> {
    const impressionId = typeof impression === 'string' ? impression : impression.id;
    list.id ??= impressionId;
    list.priority ??= 'interactive';
    const sent: SentItem[] = [];
    const writes: StoreWrite[] = [];
    const at = this.o.clock.now().toISOString();
    const interim = this.o.store
      ? new InterimRefs({
          store: this.o.store,
          clock: this.o.clock,
          logger: this.o.logger,
          flushAfterMs: this.o.flushAfterMs ?? 1000,
          target,
          impressionId,
          itemIds: typeof impression === 'string' ? list.items.map((v) => v.item.id) : impression.itemIds,
        })
      : undefined;
    const mapPending = (messageId: string, views: readonly ListItemView[], chatId = target.chatId): MessageRef => {
      const ref: MessageRef = {
        platform: target.platform,
        chatId,
        messageId,
        itemIds: views.map((v) => v.item.id),
        impressionId,
        at,
        ...(views.some((v) => v.evidence) ? { evidence: views.map((v) => v.evidence ?? null) } : {}),
      };
      this.pending.add(ref);
      return ref;
    };
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
        interim?.add([...byMessage].map(([m, vs]) => mapPending(m, vs)));
        return { sent, writes, interimWrites: interim?.flushes ?? 0 };
      }
      await sender.sendHeader?.(target, list);
      for (const [i, view] of list.items.entries()) {
        const explanation = improved()?.[i] || view.explanation;
        const out = await sender.sendItem(target, { ...view, explanation }, list);
        const refs = out.messageIds.map((messageId) => mapPending(messageId, [view], out.chatId));
        if (out.writes) writes.push(...out.writes);
        interim?.add(refs, out.writes);
        sent.push({
          ...sentOf({ ...view, explanation }, out.messageIds),
          ...(out.chatId ? { chatId: out.chatId } : {}),
        });
      }
      return { sent, writes, interimWrites: interim?.flushes ?? 0 };
    } catch (error) {
      return { sent, error, writes, interimWrites: interim?.flushes ?? 0 };
    } finally {
      await interim?.settle();
      sender.finish?.(target, list);
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
      /** Where they landed when not `target.chatId`. */
      chatId?: string;
    })[],
    opts: { interim?: boolean; writes?: readonly StoreWrite[] } = {},
  ): { writes: StoreWrite[]; keys: string[]; apply: (d: UserDoc) => void } {
    const at = this.o.clock.now().toISOString();
    const writes: StoreWrite[] = [];
    const keys: string[] = [];
    const messageIds: string[] = [];
    // One mapping per message; a compact message carries several items (and their evidence, for "why?").
    const byMessage = new Map<
      string,
      { chatId: string; messageId: string; itemIds: string[]; evidence: (Evidence | null)[] }
    >();
    for (const s of sent) {
      const ids = 'itemIds' in s ? [...s.itemIds] : [s.itemId];
      const ev = 'evidence' in s ? (s.evidence as Evidence | undefined) : undefined;
      const chatId = s.chatId ?? target.chatId;
      for (const messageId of s.messageIds) {
        const key = messageKey(target.platform, chatId, messageId);
        const entry = byMessage.get(key) ?? { chatId, messageId, itemIds: [], evidence: [] };
        for (const id of ids) {
          entry.itemIds.push(id);
          entry.evidence.push(ids.length === 1 ? (ev ?? null) : null);
        }
        byMessage.set(key, entry);
      }
    }
    for (const [key, entry] of byMessage) {
      const ref: MessageRef = {
        platform: target.platform,
        chatId: entry.chatId,
        messageId: entry.messageId,
        itemIds: entry.itemIds,
        impressionId: impression.id,
        at,
        ...(entry.evidence.some(Boolean) ? { evidence: entry.evidence } : {}),
      };
      writes.push({ op: 'set', ns: NS_MESSAGES, key, value: ref });
      keys.push(key);
      messageIds.push(entry.messageId);
    }
    const full: Impression = { ...impression, messageIds: [...impression.messageIds, ...messageIds] };
    writes.unshift({ op: 'set', ns: NS_IMPRESSIONS, key: impression.id, value: full });
    // Interim writes left a "list in progress" marker: the list is recorded now.
    if (opts.interim)
      writes.push({ op: 'delete', ns: NS_MESSAGES, key: pendingListKey(target.platform, target.chatId) });
    // What the sender asked to store with its messages (media references).
    if (opts.writes) writes.push(...opts.writes);
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
