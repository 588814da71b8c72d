/**
 * `/recommend` and "more like this": plan a list for a person, deliver it through the adapter's
 * `ListSender`, and record it. Store round trips: the identity (with the message a "more like this"
 * button sits on), the user document, and ONE batched write of the impression, every message → item
 * mapping and the user document — three, whatever the list length, when the list goes out within a second.
 * A list that waits in the platform's outbox longer adds interim ref writes while it is being sent (about
 * log2 of its sending time in seconds; see delivery.ts), so reactions on other processes find their items.
 *
 * @example
 * const res = await recommend.deliver(actor, { topic: 'football' }, { platform: 'telegram', chatId: '42' }, sender);
 */
import { randomUUID } from 'node:crypto';
import type { CatalogService } from '../catalog/catalog.js';
import type { ContentItem, Evidence, Impression, Lang, MessageRef, Platform } from '../domain.js';
import { compileFilters, itemMuted } from '../filters/filters.js';
import {
  asChatSettings,
  chatSettingsKey,
  displayPrefs,
  layoutFor,
  type ChatSettings,
  type Layout,
} from '../filters/settings.js';
import { t } from '../messages.js';
import { rebuildPersonaVector } from '../persona.js';
import type { Clock, Logger, StoreWrite } from '../ports.js';
import { NS_IMPRESSIONS, NS_MESSAGES } from '../store/namespaces.js';
import { sanitizeText } from '../text.js';
import { listKey, messageKey, type Actor, type UserDoc } from '../users/doc.js';
import type { UserRepository, UserSession } from '../users/repository.js';
import {
  PendingMessages,
  type DeliveryTarget,
  type ItemTranslation,
  type ListDelivery,
  type ListSender,
  type ListToSend,
  type SentItem,
} from './delivery.js';
import type { Explanations } from './explanations.js';
import { elicitationSeed } from '../elicitation/select.js';
import { onboardingOf } from '../onboarding/state.js';
import type { Ranker, RecommendRequest } from './ranker.js';
import { needingTranslation, readsOf, type ListTranslator } from './translation.js';

export interface RecommendedItem {
  position: number;
  item: ContentItem;
  evidence: Evidence;
  explanation: string;
  /** The title and summary in the reader's language (`/translate on`, an item in a language they do not read). */
  translation?: ItemTranslation;
}

export interface RecommendResult {
  userId: string;
  lang: Lang;
  impressionId: string;
  header: string;
  items: RecommendedItem[];
  /** Set when nothing could be recommended: the message to show instead. */
  empty?: string;
  /** How the list is shown (the chat's choice, else the person's, else the default). */
  layout: Layout;
}

export interface Where {
  chatId: string;
  /** A thread or forum topic in the chat: the list is the thread's last list. */
  threadId?: string;
  kind?: Impression['kind'];
  /** Called with better explanation lines when the LLM answers after the reply was sent. */
  onImproved?: (lines: string[]) => void;
}

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

interface Plan {
  result: RecommendResult;
  impression?: Impression;
  /** Persona vectors re-encoded under the active encoder (re-applied to a fresh document on a retry). */
  rebuilt?: { vecs: Float32Array; dim: number; encoderId: string };
}

export class RecommendService {
  constructor(private readonly o: RecommendServiceOptions) {}

  /**
   * Recommends and records the impression (durably) before returning, without sending anything: for
   * callers that show the list themselves. Adapters use `deliver`.
   */
  async recommend(actor: Actor, req: RecommendRequest, where: Where): Promise<RecommendResult> {
    return this.o.users.exclusive(actor, async () => {
      const target = { platform: actor.platform, chatId: where.chatId };
      const session = await this.o.users.open(actor, [chatSettingsKey(target)]);
      const chat = asChatSettings(session.extra[0]);
      const plan = await this.plan(session, actor.platform, req, where, where.onImproved, chat);
      if (!plan.impression) return plan.result;
      const rec = this.o.delivery.record(plan.impression, target, []);
      await this.o.users.commit(
        session,
        (d) => this.applyPlan(d, plan, rec.apply),
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
    const plan = await this.plan(
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
        (d) => this.applyPlan(d, plan, rec.apply),
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

  private applyPlan(d: UserDoc, plan: Plan, record: (d: UserDoc) => void): void {
    const r = plan.rebuilt;
    if (r && d.persona.encoderId !== r.encoderId && d.persona.recentTexts.length * r.dim === r.vecs.length)
      rebuildPersonaVector(d.persona, r.vecs, r.dim, r.encoderId);
    record(d);
  }

  /** Ranks, explains and prepares the impression. Writes nothing. */
  private async plan(
    session: UserSession,
    platform: Platform,
    req: RecommendRequest,
    where: Where,
    onImproved?: (lines: string[]) => void,
    chat?: ChatSettings,
  ): Promise<Plan> {
    const catalog = this.o.catalog;
    const doc = session.doc;
    const layout = layoutFor(doc, chat, this.o.defaultLayout ?? 'cards');
    const rebuilt = await this.ensurePersonaVector(doc);
    const lang = doc.user.lang;
    const likeRow = req.likeItemId && catalog.size > 0 ? catalog.index.rowOf.get(req.likeItemId) : undefined;
    const likeTitle = likeRow === undefined ? undefined : catalog.index.items[likeRow]?.title;
    const header = likeTitle
      ? t(lang, 'reco.headerMore', { title: sanitizeText(likeTitle, 60) })
      : req.imageVector
        ? req.topic
          ? t(lang, 'image.headerCaption', { caption: sanitizeText(req.topic, 80) })
          : t(lang, 'image.header')
        : req.topic
          ? t(lang, 'reco.headerTopic', { topic: sanitizeText(req.topic, 80) })
          : t(lang, 'reco.header');
    const empty = (text: string): Plan => ({
      result: { userId: doc.user.id, lang, impressionId: '', header, items: [], empty: text, layout },
      ...(rebuilt ? { rebuilt } : {}),
    });
    if (catalog.size === 0) return empty(t(lang, 'error.CATALOG_EMPTY'));
    const { categories: picks, doneAt: pickedAt } = onboardingOf(doc);
    const lastList = doc.lastLists[`${platform}:${where.chatId}`]?.itemIds;
    const subject = {
      ...this.o.ranker.subjectOf(doc, platform, chat, where.chatId),
      // A plain list's categories come from the elicitation bandit (seeded by the person's own state).
      elicitation: {
        seed: elicitationSeed(doc.user, doc.impressionIds.length),
        ...(picks ? { picks } : {}),
        ...(picks && pickedAt ? { pickedAt } : {}),
        ...(lastList ? { lastList } : {}),
      },
    };
    const { index, ranked: scored } = await this.o.ranker.rankFor(subject, req);
    const translations = await this.translations(
      doc,
      scored.map((r) => index.items[r.row]!),
    );
    // A translation is shown text too: an item whose translation names something muted is not shown either.
    const filters = subject.filters?.length ? compileFilters(subject.filters) : undefined;
    const ranked = scored.filter((r) => {
      const tr = translations.get(index.items[r.row]!.id);
      return !(tr && filters && itemMuted(index.items[r.row]!, filters, [tr.title, tr.summary]));
    });
    if (ranked.length === 0) return empty(t(lang, 'reco.none'));
    const evidence = ranked.map((r) => r.evidence);
    const lines = await this.o.explanations.explain(doc.user.id, lang, evidence, onImproved);
    const impression: Impression = {
      id: `imp_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      userId: doc.user.id,
      platform,
      chatId: where.chatId,
      ...(where.threadId ? { threadId: where.threadId } : {}),
      messageIds: [],
      itemIds: ranked.map((r) => index.items[r.row]!.id),
      kind: where.kind ?? 'recommend',
      at: this.o.clock.now().toISOString(),
      scores: ranked.map((r) => Number(r.score.toFixed(4))),
      ...(req.topic ? { topic: sanitizeText(req.topic, 200) } : {}),
    };
    return {
      result: {
        userId: doc.user.id,
        lang,
        impressionId: impression.id,
        header,
        items: ranked.map((r, i) => {
          const translation = translations.get(index.items[r.row]!.id);
          return {
            position: i + 1,
            item: index.items[r.row]!,
            evidence: r.evidence,
            explanation: lines[i]!,
            ...(translation ? { translation } : {}),
          };
        }),
        layout,
      },
      impression,
      ...(rebuilt ? { rebuilt } : {}),
    };
  }

  /** Translations of the items the person does not read, when they turned translation on (empty otherwise). */
  private async translations(doc: UserDoc, items: readonly ContentItem[]): Promise<Map<string, ItemTranslation>> {
    const tr = this.o.translator;
    if (!tr?.available || !displayPrefs(doc).translate) return new Map();
    const need = needingTranslation(items, readsOf(doc));
    if (need.length === 0) return new Map();
    try {
      return await tr.translate({ userId: doc.user.id, target: doc.user.lang, items: need });
    } catch (e) {
      this.o.logger.warn({ err: e, code: 'LLM_FAILED' }, 'translation failed; originals shown');
      return new Map();
    }
  }

  /** Re-encodes the kept messages when the active encoder changed (in memory; written by the commit). */
  private async ensurePersonaVector(doc: UserDoc): Promise<Plan['rebuilt']> {
    const enc = this.o.catalog.textEncoder;
    const p = doc.persona;
    if (p.recentTexts.length === 0 || p.encoderId === enc.id) return undefined;
    try {
      const vecs = await enc.encode(p.recentTexts.map((r) => r.text));
      rebuildPersonaVector(p, vecs, enc.dim, enc.id);
      return { vecs, dim: enc.dim, encoderId: enc.id };
    } catch (e) {
      this.o.logger.warn(
        { err: e, code: 'ENCODER_FAILED' },
        'could not rebuild the persona vector under the new encoder',
      );
      return undefined;
    }
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
