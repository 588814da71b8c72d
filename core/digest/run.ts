/**
 * Delivering a planned digest exactly once per message, through the platform's list sender:
 * before each send the part index is written as `inflight`; after it, the message id. A resumed run skips
 * recorded parts. A part left `inflight` by a crash or an ambiguous network error is NOT sent again (it may
 * have arrived). A definite refusal clears `inflight` and is retried on the next tick (at most
 * `MAX_PART_FAILURES` times). A `blocked` chat unsubscribes and cancels the run. When the run ends, the
 * impression, every message → item mapping and the subject's document are written with the run's final
 * state in ONE batch (the list-delivery flow's `record`).
 */
import type { CatalogService } from '../catalog/catalog.js';
import type { ContentItem, Impression, MessageRef } from '../domain.js';
import type { Clock, KeyValueStore, Logger, StoreWrite } from '../ports.js';
import type { DeliveryTarget, ListDelivery, ListItemView, ListToSend } from '../recommend/delivery.js';
import { storeCall } from '../store/call.js';
import { NS_DIGEST } from '../store/namespaces.js';
import type { UserRepository } from '../users/repository.js';
import {
  DeliveryError,
  MAX_PART_FAILURES,
  type ChatOutcome,
  type DigestRun,
  type DigestSchedule,
  type DigestSender,
} from './types.js';

export interface RunDeliveryOptions {
  store: KeyValueStore;
  users: UserRepository;
  catalog: CatalogService;
  delivery: ListDelivery;
  clock: Clock;
  logger: Logger;
  owner: string;
  lockTtlMs: number;
  getSchedule: (s: DigestSchedule) => Promise<DigestSchedule | undefined>;
  saveSchedule: (s: DigestSchedule) => Promise<void>;
}

export function runKey(run: Pick<DigestRun, 'chatKey' | 'date'>): string {
  return `run:${run.chatKey}:${run.date}`;
}

export class RunDelivery {
  constructor(private readonly o: RunDeliveryOptions) {}

  async saveRun(run: DigestRun): Promise<void> {
    await storeCall(() => this.o.store.set(NS_DIGEST, runKey(run), run));
  }

  /** Sends the parts not sent yet, under the chat's lock (renewed before every send). */
  async deliver(run: DigestRun, s: DigestSchedule, sender: DigestSender, lock: string): Promise<ChatOutcome> {
    const target: DeliveryTarget = { platform: s.platform, chatId: s.chatId };
    if (run.parts.length === 0) {
      await this.finish(run, s, target);
      return 'empty';
    }
    // One outbox lane for the whole run, behind interactive lists (core/outbox).
    const list: ListToSend = {
      lang: run.lang,
      header: '',
      items: [],
      ...(run.layout ? { layout: run.layout } : {}),
      priority: 'digest',
      id: run.impressionId,
      parts: run.parts.length,
    };
    // Compact while nothing of it went out yet (a part only refused, or an item gone from the catalog, is not "out").
    const nothingOut = !run.results.some((r) => r && r.status !== 'failed');
    if (run.layout === 'compact' && sender.sendCompact && (run.inflight === 0 || nothingOut)) {
      // One message: one outbox slot (the lane's size 1).
      const one = { ...list, parts: 1 };
      try {
        return await this.deliverCompact(run, s, sender, lock, target, one);
      } finally {
        sender.finish?.(target, one);
      }
    }
    try {
      return await this.deliverCards(run, s, sender, lock, target, list);
    } finally {
      // Every way out (done, refused, blocked, lost lock) hands the chat's outbox lane on at once.
      sender.finish?.(target, list);
    }
  }

  /** The cards layout: the intro, then one message per item, each part recorded before and after it is sent. */
  private async deliverCards(
    run: DigestRun,
    s: DigestSchedule,
    sender: DigestSender,
    lock: string,
    target: DeliveryTarget,
    list: ListToSend,
  ): Promise<ChatOutcome> {
    const o = this.o;
    for (let i = 0; i < run.parts.length; i++) {
      if (run.results[i]) continue;
      if (run.inflight === i) {
        // A crash or an ambiguous error while this part was being sent: it may have arrived. Never repeat.
        run.results[i] = { status: 'unknown' };
        delete run.inflight;
        await this.saveRun(run);
        o.logger.warn(
          { chat: run.chatKey, date: run.date, part: i },
          'digest part state unknown after a crash; not sent again',
        );
        continue;
      }
      // Wait for the outbox's slot BEFORE renewing the lock and writing `inflight`: a part still queued when the
      // process dies is then not taken for one that may have arrived, and the lock is fresh when it is sent.
      await sender.ready?.(target, list);
      // Fencing: renew the lock; if another process took it over (ours expired), stop here.
      if (!(await storeCall(() => o.store.acquireLock(lock, o.owner, o.lockTtlMs)))) {
        sender.finish?.(target, list);
        return 'lost-lock';
      }
      const part = run.parts[i]!;
      let item: ContentItem | undefined;
      if (part.kind === 'item') {
        item = this.itemOf(part.itemId);
        if (!item) {
          run.results[i] = { status: 'failed', error: 'item no longer in the catalog' };
          await this.saveRun(run);
          continue;
        }
      }
      run.inflight = i;
      await this.saveRun(run);
      let messageId: string;
      let landedIn: string | undefined;
      try {
        if (part.kind === 'intro') {
          const out = await sender.sendHeader(target, { ...list, header: part.text });
          messageId = out.messageIds[0] ?? '';
        } else {
          const view: ListItemView = {
            position: part.position,
            item: item!,
            explanation: part.explanation,
            ...(part.header ? { header: part.header } : {}),
          };
          const out = await sender.sendItem(target, view, { ...list, items: [view] });
          messageId = out.messageIds[0] ?? '';
          landedIn = out.chatId;
          const at = landedIn ? { ...target, chatId: landedIn } : target;
          for (const m of out.messageIds) o.delivery.pending.add(this.ref(run, at, m, [part.itemId]));
        }
      } catch (e) {
        const stop = await this.failed(e, run, s, target, [i]);
        if (stop) return stop;
        continue;
      }
      run.results[i] = { status: 'sent', messageId, ...(landedIn ? { chatId: landedIn } : {}) };
      delete run.inflight;
      run.failures = 0;
      await this.saveRun(run);
    }
    sender.finish?.(target, list);
    await this.finish(run, s, target);
    return 'delivered';
  }

  /** The compact layout: the intro and every item in one numbered message (`sendCompact`), recorded as one step. */
  private async deliverCompact(
    run: DigestRun,
    s: DigestSchedule,
    sender: DigestSender,
    lock: string,
    target: DeliveryTarget,
    list: ListToSend,
  ): Promise<ChatOutcome> {
    const o = this.o;
    const all = run.parts.map((_, i) => i);
    if (run.inflight === 0) {
      // The list may have arrived before a crash or an ambiguous error: never repeat it.
      for (const i of all) run.results[i] ??= { status: 'unknown' };
      delete run.inflight;
      await this.saveRun(run);
      o.logger.warn(
        { chat: run.chatKey, date: run.date },
        'compact digest state unknown after a crash; not sent again',
      );
      await this.finish(run, s, target);
      return 'delivered';
    }
    // As for cards: the outbox's slot first, then the lock, then `inflight` (see deliverCards).
    await sender.ready?.(target, list);
    if (!(await storeCall(() => o.store.acquireLock(lock, o.owner, o.lockTtlMs)))) return 'lost-lock';
    const views: ListItemView[] = [];
    let header = '';
    run.parts.forEach((part, i) => {
      if (part.kind === 'intro') header = part.text;
      else {
        const item = this.itemOf(part.itemId);
        if (!item) run.results[i] = { status: 'failed', error: 'item no longer in the catalog' };
        else
          views.push({
            position: part.position,
            item,
            explanation: part.explanation,
            ...(part.header ? { header: part.header } : {}),
          });
      }
    });
    run.inflight = 0;
    await this.saveRun(run);
    let out: { messageIds: string[] }[];
    try {
      out = await sender.sendCompact!(target, { ...list, header, items: views });
      // One mapping per message (a long list may take several): each carries the items rendered in it.
      const byMessage = new Map<string, string[]>();
      views.forEach((v, k) => {
        for (const m of out[k]?.messageIds ?? []) byMessage.set(m, [...(byMessage.get(m) ?? []), v.item.id]);
      });
      for (const [m, ids] of byMessage) o.delivery.pending.add(this.ref(run, target, m, ids));
    } catch (e) {
      const stop = await this.failed(
        e,
        run,
        s,
        target,
        all.filter((i) => !run.results[i]),
      );
      if (stop) return stop;
      await this.finish(run, s, target);
      return 'delivered';
    }
    // Each item part records the message that carries it; the intro, the list's first message.
    const messageOf = new Map(views.map((v, k) => [v.position, out[k]?.messageIds[0] ?? '']));
    run.parts.forEach((part, i) => {
      if (run.results[i]) return;
      const messageId = part.kind === 'item' ? (messageOf.get(part.position) ?? '') : (out[0]?.messageIds[0] ?? '');
      run.results[i] = { status: 'sent', messageId };
    });
    delete run.inflight;
    run.failures = 0;
    await this.saveRun(run);
    await this.finish(run, s, target);
    return 'delivered';
  }

  /**
   * A send failed: `blocked` unsubscribes and cancels; `rejected` retries later (the parts are given up after
   * MAX_PART_FAILURES); anything else may have arrived, so `inflight` stays and the parts are never repeated.
   * Returns the outcome to stop with, or undefined to go on with the next part.
   */
  private async failed(
    e: unknown,
    run: DigestRun,
    s: DigestSchedule,
    target: DeliveryTarget,
    parts: readonly number[],
  ): Promise<ChatOutcome | undefined> {
    const o = this.o;
    const kind = e instanceof DeliveryError ? e.kind : 'ambiguous';
    if (kind === 'blocked') {
      delete run.inflight;
      run.state = 'cancelled';
      run.completedAt = o.clock.now().toISOString();
      await this.record(run, target);
      const fresh = (await o.getSchedule(s)) ?? s;
      fresh.enabled = false;
      fresh.disabledReason = 'blocked';
      delete fresh.pending;
      delete fresh.sendAt;
      fresh.updatedAt = o.clock.now().toISOString();
      await o.saveSchedule(fresh);
      o.logger.info({ chat: run.chatKey }, 'the chat blocked the bot: digest unsubscribed');
      return 'blocked';
    }
    if (kind === 'rejected') {
      delete run.inflight;
      run.failures++;
      if (run.failures >= MAX_PART_FAILURES) {
        for (const i of parts) run.results[i] = { status: 'failed', error: (e as Error).message };
        run.failures = 0;
        await this.saveRun(run);
        return undefined;
      }
      await this.saveRun(run);
      o.logger.warn({ err: e, chat: run.chatKey, part: parts[0] }, 'digest part refused; retried on the next tick');
      return 'retry-later';
    }
    // ambiguous: leave `inflight` as written, so the part is never sent twice.
    o.logger.warn(
      { err: e, chat: run.chatKey, part: parts[0] },
      'digest part may or may not have arrived; it will not be repeated',
    );
    return 'retry-later';
  }

  private itemOf(itemId: string): ContentItem | undefined {
    const index = this.o.catalog.size > 0 ? this.o.catalog.index : undefined;
    const row = index?.rowOf.get(itemId);
    return row === undefined ? undefined : index!.items[row];
  }

  /** Gives up a run that a newer day's digest replaces (its sent parts stay recorded). */
  async supersede(run: DigestRun, target: DeliveryTarget): Promise<void> {
    delete run.inflight;
    run.state = 'cancelled';
    run.completedAt = this.o.clock.now().toISOString();
    await this.record(run, target);
    this.o.logger.warn(
      { chat: run.chatKey, date: run.date },
      "an unfinished digest was replaced by the next day's; its remaining parts are not sent",
    );
  }

  /** Marks the run done (with the impression and message mapping in the same write) and moves the schedule on. */
  async finish(run: DigestRun, s: DigestSchedule, target: DeliveryTarget): Promise<void> {
    run.state = 'done';
    run.completedAt ??= this.o.clock.now().toISOString();
    await this.record(run, target);
    const fresh = (await this.o.getSchedule(s)) ?? s;
    if (fresh.pending === run.date) {
      delete fresh.pending;
      delete fresh.sendAt;
    }
    if (!fresh.lastDate || fresh.lastDate < run.date) fresh.lastDate = run.date;
    await this.o.saveSchedule(fresh);
    this.o.logger.info(
      { chat: run.chatKey, date: run.date, sent: run.results.filter((r) => r?.status === 'sent').length },
      'digest delivered',
    );
  }

  /**
   * Saves the run; the first time a run with items ends, in the same batch as the impression, every sent
   * item message's mapping and the subject's document (shown items, last list, message keys).
   */
  private async record(run: DigestRun, target: DeliveryTarget): Promise<void> {
    const itemIds = run.parts.flatMap((p) => (p.kind === 'item' ? [p.itemId] : []));
    if (run.impressionRecorded || itemIds.length === 0) {
      await this.saveRun(run);
      return;
    }
    const impression: Impression = {
      id: run.impressionId,
      userId: run.subjectUserId,
      platform: target.platform,
      chatId: target.chatId,
      messageIds: [],
      itemIds,
      kind: 'digest',
      at: run.plannedAt,
    };
    // One mapping per message (where it landed: a Discord forum post is its own channel); a compact digest's
    // one message carries all its items.
    const byMessage = new Map<string, { itemIds: string[]; messageId: string; chatId?: string }>();
    run.parts.forEach((p, i) => {
      const r = run.results[i];
      if (p.kind === 'item' && r?.status === 'sent') {
        const key = `${r.chatId ?? ''}\u0000${r.messageId}`;
        const entry = byMessage.get(key) ?? {
          itemIds: [],
          messageId: r.messageId,
          ...(r.chatId ? { chatId: r.chatId } : {}),
        };
        entry.itemIds.push(p.itemId);
        byMessage.set(key, entry);
      }
    });
    const sent = [...byMessage.values()].map((e) => ({
      itemIds: e.itemIds,
      messageIds: [e.messageId],
      ...(e.chatId ? { chatId: e.chatId } : {}),
    }));
    const rec = this.o.delivery.record(impression, target, sent);
    run.impressionRecorded = true;
    const withRun = (): StoreWrite[] => [...rec.writes, { op: 'set', ns: NS_DIGEST, key: runKey(run), value: run }];
    try {
      const session = await this.o.users.openById(run.subjectUserId);
      if (session) await this.o.users.commit(session, (d) => rec.apply(d), withRun);
      else await storeCall(() => this.o.store.writeBatch(withRun()));
    } catch (e) {
      run.impressionRecorded = false;
      throw e;
    } finally {
      this.o.delivery.pending.remove(rec.keys);
    }
  }

  private ref(run: DigestRun, target: DeliveryTarget, messageId: string, itemIds: string[]): MessageRef {
    return {
      platform: target.platform,
      chatId: target.chatId,
      messageId,
      itemIds,
      impressionId: run.impressionId,
      at: this.o.clock.now().toISOString(),
    };
  }
}
