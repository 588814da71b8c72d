/**
 * Planning a list (the first half of `/recommend` and "more like this", service.ts): rank for the person's subject
 * (with the elicitation seed and onboarding picks), translate what they do not read, explain, and prepare the
 * impression. Writes nothing: the service delivers the plan and records it in one batched write.
 */
import { randomUUID } from 'node:crypto';
import type { CatalogService } from '../catalog/catalog.js';
import type { ContentItem, Evidence, Impression, Lang, Platform } from '../domain.js';
import { compileFilters, itemMuted } from '../filters/filters.js';
import { displayPrefs, layoutFor, type ChatSettings, type Layout } from '../filters/settings.js';
import { t } from '../messages.js';
import { rebuildPersonaVector } from '../persona.js';
import type { Clock, Logger } from '../ports.js';
import { sanitizeText } from '../text.js';
import type { UserDoc } from '../users/doc.js';
import type { UserSession } from '../users/repository.js';
import type { Explanations } from './explanations.js';
import { elicitationSeed } from '../elicitation/select.js';
import { onboardingOf } from '../onboarding/state.js';
import type { ItemTranslation } from './list-sender.js';
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

/** What planning needs (a subset of `RecommendServiceOptions`). */
export interface ListPlannerOptions {
  ranker: Ranker;
  explanations: Explanations;
  catalog: CatalogService;
  clock: Clock;
  logger: Logger;
  /** Translates items for people with `/translate on` (the LLM layer); absent: originals are shown. */
  translator?: ListTranslator;
  /** The layout when neither the chat nor the person chose one (LAYOUT_DEFAULT). */
  defaultLayout?: Layout;
}

export interface Plan {
  result: RecommendResult;
  impression?: Impression;
  /** Persona vectors re-encoded under the active encoder (re-applied to a fresh document on a retry). */
  rebuilt?: { vecs: Float32Array; dim: number; encoderId: string };
}

export function applyPlan(d: UserDoc, plan: Plan, record: (d: UserDoc) => void): void {
  const r = plan.rebuilt;
  if (r && d.persona.encoderId !== r.encoderId && d.persona.recentTexts.length * r.dim === r.vecs.length)
    rebuildPersonaVector(d.persona, r.vecs, r.dim, r.encoderId);
  record(d);
}

export class ListPlanner {
  constructor(private readonly o: ListPlannerOptions) {}

  /** Ranks, explains and prepares the impression. Writes nothing. */
  async plan(
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
}
