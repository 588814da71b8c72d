/**
 * The refs of a list still being sent (see delivery.ts): `PendingMessages` (this process's sent messages, and how a
 * reaction on any process finds the item of a message whose list is still going) and `InterimRefs` (the interim
 * batched ref writes with a TTL plus the chat's "list in progress" marker).
 */
import type { MessageRef, Platform } from '../domain.js';
import type { Clock, KeyValueStore, Logger, StoreWrite } from '../ports.js';
import { storeCall } from '../store/call.js';
import { NS_MESSAGES } from '../store/namespaces.js';
import { messageKey } from '../users/doc.js';
import type { DeliveryTarget } from './list-sender.js';

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
export class InterimRefs {
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
