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
 */
import type { ContentItem, Evidence, Impression, Lang, MessageRef, Platform } from '../domain.js';
import type { Layout } from '../filters/settings.js';
import type { ListPriority } from '../outbox/outbox.js';
import type { Clock, KeyValueStore, Logger, StoreWrite } from '../ports.js';
import { storeCall } from '../store/call.js';
import { NS_IMPRESSIONS, NS_MESSAGES } from '../store/namespaces.js';
import { LIMITS, messageKey, pushCapped, recordShown, type UserDoc } from '../users/doc.js';

export type { ListPriority } from '../outbox/outbox.js';

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

/** Keys in NS_MESSAGES of a chat's "list in progress" marker (never a message key: those start with a platform). */
export function pendingListKey(platform: Platform, chatId: string): string {
  return `pending:${platform}:${chatId}`;
}

/** A list being sent to a chat whose refs are not all written yet. */
export interface PendingList {
  impressionId: string;
  itemIds: string[];
  /** ISO time after which the marker no longer holds (it is also stored with a TTL). */
  until: string;
}

/** How long interim refs live when the final commit never comes (a crash): reactions keep working for a day. */
const INTERIM_REF_TTL_MS = 24 * 3600_000;
/** How long a marker holds after the last interim write. */
const MARKER_TTL_MS = 60_000;
/** The longest a reaction elsewhere waits for a ref while the chat's marker is live. */
const RESOLVE_WAIT_MS = 15_000;

/**
 * Messages sent by this process whose mapping is not stored yet, and (with a store) the way a reaction on any
 * process finds the item of a message whose list is still being sent.
 */
export class PendingMessages {
  private readonly refs = new Map<string, MessageRef>();

  constructor(
    private readonly o: {
      store?: KeyValueStore;
      clock?: Clock;
      /** Waits between polls (ms); tests pass their own. */
      sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {}

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

  /**
   * The ref of a message that has none in the store yet: this process's pending one, else — when the chat has
   * a live "list in progress" marker (`marker`: read by the caller in its first round trip, see `markerKey`) —
   * with `byItem` (a button that names its item) a ref with the list's items at once, otherwise the stored ref
   * as soon as the sending process writes it (polled, at most 15 s). No store call when no list is in progress.
   */
  async resolve(
    platform: Platform,
    chatId: string,
    messageId: string,
    opts: { byItem?: boolean; marker: unknown },
  ): Promise<MessageRef | undefined> {
    const local = this.get(platform, chatId, messageId);
    const store = this.o.store;
    if (local || !store) return local;
    const now = () => (this.o.clock ?? { now: () => new Date() }).now().getTime();
    const live = (m: unknown): m is PendingList =>
      typeof m === 'object' && m !== null && Date.parse((m as PendingList).until) > now();
    let marker = opts.marker;
    if (!live(marker)) return undefined;
    if (opts.byItem) return this.fromMarker(platform, chatId, messageId, marker, now());
    const sleep = this.o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    // At most ~15 s of polls (200 ms doubling to 2 s), counted in polls so a frozen test clock cannot spin.
    let waited = 0;
    let delay = 200;
    while (live(marker) && waited + delay <= RESOLVE_WAIT_MS) {
      waited += delay;
      await sleep(delay);
      delay = Math.min(delay * 2, 2000);
      const mine = this.get(platform, chatId, messageId);
      if (mine) return mine;
      const read = await storeCall(() =>
        store.readBatch([
          { ns: NS_MESSAGES, key: messageKey(platform, chatId, messageId) },
          { ns: NS_MESSAGES, key: pendingListKey(platform, chatId) },
        ]),
      );
      const ref = read.values[0] as MessageRef | undefined;
      if (ref) return ref;
      marker = read.values[1];
    }
    return undefined;
  }

  /** The marker key to read with a message's key (one round trip) before calling `resolve`. */
  static markerKey(platform: Platform, chatId: string): { ns: string; key: string } {
    return { ns: NS_MESSAGES, key: pendingListKey(platform, chatId) };
  }

  private fromMarker(platform: Platform, chatId: string, messageId: string, m: PendingList, at: number): MessageRef {
    return {
      platform,
      chatId,
      messageId,
      itemIds: [...m.itemIds],
      impressionId: m.impressionId,
      at: new Date(at).toISOString(),
    };
  }
}

/**
 * Writes a list's refs while it is being sent (see the file comment): after the first ref has waited
 * `flushAfterMs`, then after twice that, and so on; each write carries every ref not written yet (with a TTL)
 * and refreshes the chat's marker.
 */
class InterimRefs {
  private unflushed: MessageRef[] = [];
  private oldest = 0;
  private delay: number;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  flushes = 0;

  constructor(
    private readonly o: {
      store: KeyValueStore;
      clock: Clock;
      logger: Logger;
      flushAfterMs: number;
      target: DeliveryTarget;
      impressionId: string;
      itemIds: string[];
    },
  ) {
    this.delay = o.flushAfterMs;
  }

  private extra: StoreWrite[] = [];

  add(refs: readonly MessageRef[], writes: readonly StoreWrite[] = []): void {
    this.extra.push(...writes);
    if (refs.length === 0) return;
    const now = this.o.clock.now().getTime();
    if (this.unflushed.length === 0) this.oldest = now;
    this.unflushed.push(...refs);
    if (now - this.oldest >= this.delay) this.flush();
    else this.arm(this.oldest + this.delay - now);
  }

  private arm(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.unflushed.length === 0) return;
      // Judged on the injected clock, like `add`: the timer only makes sure a list stuck in the outbox is seen.
      const wait = this.oldest + this.delay - this.o.clock.now().getTime();
      if (wait <= 0) this.flush();
      else this.arm(wait);
    }, ms);
    this.timer.unref?.();
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const refs = this.unflushed;
    const extra = this.extra;
    this.unflushed = [];
    this.extra = [];
    this.delay *= 2;
    this.flushes++;
    const { target, impressionId, itemIds, clock, store } = this.o;
    const marker: PendingList = {
      impressionId,
      itemIds,
      until: new Date(clock.now().getTime() + MARKER_TTL_MS).toISOString(),
    };
    const writes: StoreWrite[] = [
      ...extra,
      ...refs.map((r): StoreWrite => ({
        op: 'set',
        ns: NS_MESSAGES,
        key: messageKey(r.platform, r.chatId, r.messageId),
        value: r,
        ttlMs: INTERIM_REF_TTL_MS,
      })),
      {
        op: 'set',
        ns: NS_MESSAGES,
        key: pendingListKey(target.platform, target.chatId),
        value: marker,
        ttlMs: MARKER_TTL_MS,
      },
    ];
    // In order: a later batch never lands before an earlier one. A failed batch is only logged — the final
    // commit writes every ref again.
    this.writing = this.writing.then(() =>
      storeCall(() => store.writeBatch(writes)).then(
        () => undefined,
        (e: unknown) =>
          this.o.logger.warn(
            { err: e, chat: target.chatId },
            'could not write the refs of a list still being sent; reactions on other processes wait for the final write',
          ),
      ),
    );
  }

  /** Stops the timer and waits for writes in flight (before the final commit, which must land last). */
  async settle(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
  }
}

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
