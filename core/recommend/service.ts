/**
 * `/recommend` and "more like this": plan a list for a person, deliver it through the adapter's
 * `ListSender`, and record it. Store round trips: the identity (with the message a "more like this"
 * button sits on), the user document, and ONE batched write of the impression, every message → item
 * mapping and the user document — three, whatever the list length, when the list goes out within a second.
 * A list that waits in the platform's outbox longer adds interim ref writes while it is being sent (about
 * log2 of its sending time in seconds; see delivery.ts), so reactions on other processes find their items.
 * Planning the list (rank, translate, explain, the impression) is planner.ts; this module delivers and records.
 *
 * @example
 * const res = await recommend.deliver(actor, { topic: 'football' }, { platform: 'telegram', chatId: '42' }, sender);
 */
import type { CatalogService } from '../catalog/catalog.js';
import type { Impression, Lang, MessageRef, Platform } from '../domain.js';
import { asChatSettings, chatSettingsKey, type ChatSettings, type Layout } from '../filters/settings.js';
import { t } from '../messages.js';
import type { Clock, Logger, StoreWrite } from '../ports.js';
import { NS_IMPRESSIONS, NS_MESSAGES } from '../store/namespaces.js';
import { listKey, messageKey, type Actor, type UserDoc } from '../users/doc.js';
import type { UserRepository, UserSession } from '../users/repository.js';
import {
  PendingMessages,
  type DeliveryTarget,
  type ListDelivery,
  type ListSender,
  type ListToSend,
  type SentItem,
} from './delivery.js';
import type { Explanations } from './explanations.js';
import { applyPlan, ListPlanner, type RecommendResult, type Where } from './planner.js';
import type { Ranker, RecommendRequest } from './ranker.js';
import type { ListTranslator } from './translation.js';

export type { RecommendedItem, RecommendResult, Where } from './planner.js';

export interface RecommendServiceOptions {
  users: UserRepository;
  ranker: Ranker;
  explanations: Explanations;
  catalog: CatalogService;
  delivery: ListDelivery;
  clock: Clock;
  logger: Logger;
  /** Translates items for people with `/translate on` (the LLM layer); absent: originals are shown. */
  translator?: ListTranslator;
  /** The layout when neither the chat nor the person chose one (LAYOUT_DEFAULT). */
  defaultLayout?: Layout;
}

export class RecommendService {
  private readonly planner: ListPlanner;

  constructor(private readonly o: RecommendServiceOptions) {
    this.planner = new ListPlanner(o);
  }

  /**
   * Recommends and records the impression (durably) before returning, without sending anything: for
   * callers that show the list themselves. Adapters use `deliver`.
   */
  async recommend(actor: Actor, req: RecommendRequest, where: Where): Promise<RecommendResult> {
    return this.o.users.exclusive(actor, async () => {
      const target = { platform: actor.platform, chatId: where.chatId };
      const session = await this.o.users.open(actor, [chatSettingsKey(target)]);
      const chat = asChatSettings(session.extra[0]);
      const plan = await this.planner.plan(session, actor.platform, req, where, where.onImproved, chat);
      if (!plan.impression) return plan.result;
      const rec = this.o.delivery.record(plan.impression, target, []);
      await this.o.users.commit(
        session,
        (d) => applyPlan(d, plan, rec.apply),
        (_r, d) => ownedBy(rec.writes, d),
      );
      return { ...plan.result, userId: session.userId };
    });
  }

  /** The whole flow: plan, send each item through `sender`, record everything in one batched write. */
  async deliver(
    actor: Actor,
    req: RecommendRequest,
    target: DeliveryTarget,
    sender: ListSender,
  ): Promise<RecommendResult> {
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor, [chatSettingsKey(target)]);
      return this.deliverFor(session, actor.platform, req, target, sender, asChatSettings(session.extra[0]));
    });
  }

  /**
   * "More like this" on a bot message, step 1: finds the item (`pick` chooses it among the message's items,
   * e.g. by the button's data), reading the message with the identity. `not-shown` when the message does not
   * carry it. Step 2, `deliver`, sends the list (three round trips in all).
   */
  async openMore(
    actor: Actor,
    message: { platform: Platform; chatId: string; messageId: string },
    pick: (itemIds: readonly string[]) => string | undefined,
  ): Promise<
    | { status: 'not-shown'; lang: Lang; message: string }
    | {
        status: 'ok';
        lang: Lang;
        itemId: string;
        deliver: (target: DeliveryTarget, sender: ListSender) => Promise<RecommendResult>;
      }
  > {
    const key = messageKey(message.platform, message.chatId, message.messageId);
    const session = await this.o.users.open(actor, [
      { ns: NS_MESSAGES, key },
      PendingMessages.markerKey(message.platform, message.chatId),
      chatSettingsKey(message),
    ]);
    const chat = asChatSettings(session.extra[2]);
    const ref =
      (session.extra[0] as MessageRef | undefined) ??
      (await this.o.delivery.pending.resolve(message.platform, message.chatId, message.messageId, {
        byItem: true,
        marker: session.extra[1],
      }));
    const itemId = ref ? pick(ref.itemIds) : undefined;
    const lang = session.doc.user.lang;
    if (!itemId || !ref?.itemIds.includes(itemId))
      return { status: 'not-shown', lang, message: t(lang, 'react.notShown') };
    return {
      status: 'ok',
      lang,
      itemId,
      deliver: (target, sender) =>
        this.o.users.exclusive(actor, () =>
          this.deliverFor(session, actor.platform, { likeItemId: itemId }, target, sender, chat),
        ),
    };
  }

  /** "More like item N of the last list in this chat" (the console's `/more N`), in three round trips. */
  async moreFromList(
    actor: Actor,
    position: number,
    count: number | undefined,
    target: DeliveryTarget,
    sender: ListSender,
  ): Promise<{ status: 'unknown-item'; lang: Lang; message: string } | { status: 'sent'; result: RecommendResult }> {
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor, [chatSettingsKey(target)]);
      const lang = session.doc.user.lang;
      const itemId =
        session.doc.lastLists[listKey(actor.platform, target.chatId, target.threadId)]?.itemIds[position - 1];
      if (!itemId) return { status: 'unknown-item', lang, message: t(lang, 'react.unknownItem', { n: position }) };
      const req: RecommendRequest = { likeItemId: itemId, ...(count ? { count } : {}) };
      const chat = asChatSettings(session.extra[0]);
      return { status: 'sent', result: await this.deliverFor(session, actor.platform, req, target, sender, chat) };
    });
  }

  private async deliverFor(
    session: UserSession,
    platform: Platform,
    req: RecommendRequest,
    target: DeliveryTarget,
    sender: ListSender,
    chat?: ChatSettings,
  ): Promise<RecommendResult> {
    const delivery = this.o.delivery;
    let improved: string[] | undefined;
    // Set once the list is out and recorded: better lines that arrive later are edited in right away.
    const out: { list?: ListToSend; sent?: SentItem[] } = {};
    const where = { chatId: target.chatId, ...(target.threadId ? { threadId: target.threadId } : {}) };
    const plan = await this.planner.plan(
      session,
      platform,
      req,
      where,
      (lines) => {
        improved = lines;
        if (out.list && out.sent) void delivery.applyImproved(target, out.list, out.sent, lines, sender);
      },
      chat,
    );
    const { result, impression } = plan;
    if (!impression) {
      await sender.sendEmpty?.(target, result.empty ?? t(result.lang, 'reco.none'), result.lang);
      return result;
    }
    const toSend: ListToSend = { lang: result.lang, header: result.header, items: result.items, layout: result.layout };
    const sending = await delivery.send(target, toSend, sender, impression, () => improved);
    const rec = delivery.record(impression, target, sending.sent, {
      interim: sending.interimWrites > 0,
      writes: sending.writes,
    });
    try {
      await this.o.users.commit(
        session,
        (d) => applyPlan(d, plan, rec.apply),
        (_r, d) => ownedBy(rec.writes, d),
      );
    } finally {
      delivery.pending.remove(rec.keys);
    }
    if (sending.error !== undefined) throw sending.error;
    await sender.afterRecorded?.(target, sending.sent, toSend);
    out.list = toSend;
    out.sent = sending.sent;
    if (improved) await delivery.applyImproved(target, toSend, sending.sent, improved, sender);
    return { ...result, userId: session.userId };
  }

  /** Maps messages sent for an impression recorded by `recommend` to their items (callers that send lists themselves). */
  async attachMessages(
    impressionId: string,
    where: { platform: Platform; chatId: string },
    messages: { messageId: string; itemIds: string[] }[],
  ): Promise<void> {
    const impression = await this.o.users.getImpression(impressionId);
    const target = { platform: where.platform, chatId: where.chatId };
    const sent = messages.map((m) => ({ itemIds: m.itemIds, messageIds: [m.messageId] }));
    const rec = this.o.delivery.record(impression, target, sent);
    const session = await this.o.users.openById(impression.userId);
    if (!session) return;
    await this.o.users.commit(
      session,
      (d) => rec.apply(d),
      () => rec.writes,
    );
  }
}

/** The impression belongs to the document finally written (a new person met twice at once is one user). */
function ownedBy(writes: readonly StoreWrite[], d: UserDoc): StoreWrite[] {
  return writes.map((w) =>
    w.op === 'set' && w.ns === NS_IMPRESSIONS ? { ...w, value: { ...(w.value as Impression), userId: d.user.id } } : w,
  );
}
