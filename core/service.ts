/**
 * `DeepReco`: the one object chat adapters talk to. Adapters parse platform input, call one method
 * here, and format the result; they hold no state of their own (all of it is in the store).
 *
 * @example
 * const reco = new DeepReco({ store, catalog, settings, logger });
 * await reco.init();
 * const actor = { platform: 'console', externalId: 'alice' } as const;
 * await reco.message(actor, 'I love football and 라면');
 * const list = await reco.recommend(actor, { count: 5 }, { chatId: 'console' });
 */
import { randomUUID } from 'node:crypto';
import type {
  Category,
  Evidence,
  FeedbackEvent,
  FeedbackOrigin,
  ContentItem,
  Impression,
  Lang,
  Persona,
  Platform,
  Signal,
  FeedbackState,
} from './domain.js';
import { CatalogService, type CatalogIndex } from './catalog/catalog.js';
import { RecoError, toRecoError } from './errors.js';
import { EmojiTable, applyFeedback, categoryPreferences, dislikedIds, likedIds } from './feedback.js';
import { explainTemplate } from './explain.js';
import { userModelFeatures } from './model-features.js';
import { categoryName, exploreName, t } from './messages.js';
import { rebuildPersonaVector, topInterests, updatePersona } from './persona.js';
import type { Clock, KeyValueStore, LearnedScorer, Logger, MatrixOps, UserFeatures } from './ports.js';
import { systemClock } from './ports.js';
import { rankItems, textQuery, type ItemStats, type RankInput, type Ranked, type ScoringWeights } from './recommend.js';
import { guessLang, sanitizeText } from './text.js';
import {
  LIMITS,
  NS_IDENTITIES,
  NS_IMPRESSIONS,
  NS_MESSAGES,
  UserRepository,
  identityKey,
  pushCapped,
  type Actor,
  type ShownState,
  type UserDoc,
} from './users.js';

export type { Actor } from './users.js';

export interface RecoSettings {
  defaultLang: Lang;
  defaultCount: number;
  maxCount: number;
  defaultExplore: number;
  maxMessageChars: number;
  likeEmojis: readonly string[];
  dislikeEmojis: readonly string[];
  weights: ScoringWeights;
}

/** Rewrites template explanations (the LLM layer). Must return one line per item, or throw. */
export interface ListExplainer {
  readonly id: string;
  explain(
    input: { userId: string; lang: Lang; items: { evidence: Evidence; template: string }[] },
    options: { onImproved?: (lines: string[]) => void },
  ): Promise<string[]>;
}

export interface DeepRecoOptions {
  store: KeyValueStore;
  catalog: CatalogService;
  settings: RecoSettings;
  learned?: LearnedScorer;
  explainer?: ListExplainer;
  /** Faster whole-catalog matrix math (ORT MatMul); the JS loop when absent. */
  matrixOps?: MatrixOps;
  clock?: Clock;
  logger: Logger;
  /** Extra `/status` lines (scraper health, LLM, platform notes). */
  statusLines?: () => Promise<string[]> | string[];
  /** Called after a message updated a persona (the LLM persona extraction schedules itself from here). */
  onMessage?: (userId: string) => void;
  /** Called after a feedback event was applied (the two-tower retrain counts new feedback from here). */
  onFeedback?: (userId: string) => void;
}

export interface RecommendRequest {
  topic?: string;
  /** "More like this one": the item's own text and image vectors become the topic (image → image similarity). */
  likeItemId?: string;
  count?: number;
  category?: Category;
  source?: string;
}

export interface Where {
  chatId: string;
  kind?: Impression['kind'];
  /** Called with better explanation lines when the LLM answers after the reply was sent. */
  onImproved?: (lines: string[]) => void;
}

export interface RecommendedItem {
  position: number;
  item: ContentItem;
  evidence: Evidence;
  explanation: string;
}

export interface RecommendResult {
  userId: string;
  lang: Lang;
  impressionId: string;
  header: string;
  items: RecommendedItem[];
  /** Set when nothing could be recommended: the message to show instead. */
  empty?: string;
}

export type ReactStatus =
  'applied' | 'duplicate' | 'ignored' | 'unknown-message' | 'unknown-item' | 'unknown-emoji' | 'not-shown';

export interface ReactResult {
  status: ReactStatus;
  lang: Lang;
  /** Localised confirmation or reason. */
  message: string;
  item?: ContentItem;
  signal?: Signal | 'none';
}

export interface StatusReport {
  store: string;
  textEncoder: string;
  textEncoderId: string;
  imageEncoder: string;
  learned: string;
  explainer: string;
  catalogSize: number;
  categories: readonly Category[];
  sources: readonly string[];
  users: number;
  extra: string[];
}

/** What a scoring subject is: one user, or a blend (a group digest). */
export interface Subject {
  userId: string;
  lang: Lang;
  platform: Platform;
  persona: Persona;
  feedback: Record<string, FeedbackState>;
  shown: Record<string, ShownState>;
  explore: number;
}

type ForgetHook = (userId: string, doc: UserDoc) => Promise<void>;

export class DeepReco {
  readonly emojis: EmojiTable;
  readonly users: UserRepository;
  readonly catalog: CatalogService;
  private readonly o: DeepRecoOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly stats = new Map<string, { likes: number; dislikes: number }>();
  private readonly forgetHooks: ForgetHook[] = [];
  private userCount = 0;
  private learned: LearnedScorer | undefined;

  constructor(options: DeepRecoOptions) {
    this.o = options;
    this.catalog = options.catalog;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger.child({ module: 'core' });
    this.emojis = new EmojiTable(options.settings.likeEmojis, options.settings.dislikeEmojis);
    this.learned = options.learned;
    this.users = new UserRepository(options.store, this.clock, {
      lang: options.settings.defaultLang,
      explore: options.settings.defaultExplore,
      sharedStore: options.store.description.startsWith('redis'),
    });
  }

  get settings(): RecoSettings {
    return this.o.settings;
  }

  /** Builds the catalog index and the bot-wide reaction counts. */
  async init(): Promise<void> {
    if (this.catalog.size === 0) await this.catalog.refresh();
    this.stats.clear();
    this.userCount = 0;
    for await (const doc of this.users.all()) {
      this.userCount++;
      for (const f of Object.values(doc.feedback)) this.bump(f.itemId, f.signal, 1);
    }
    this.log.info(
      { items: this.catalog.size, users: this.userCount, encoder: this.catalog.textEncoder.label },
      'recommender ready',
    );
  }

  /** Plugs in (or swaps) the learned scorer at run time. */
  setLearnedScorer(scorer: LearnedScorer | undefined): void {
    this.learned = scorer;
  }

  onForget(hook: ForgetHook): void {
    this.forgetHooks.push(hook);
  }

  // ------------------------------------------------------------------ users

  async resolve(actor: Actor): Promise<UserDoc> {
    const before = await this.users.findUserId(actor.platform, actor.externalId);
    const doc = await this.users.resolve(actor);
    if (!before) this.userCount++;
    return doc;
  }

  /** The user's reply language, without creating the user. */
  async langOf(actor: Actor): Promise<Lang> {
    try {
      const id = await this.users.findUserId(actor.platform, actor.externalId);
      const doc = id ? await this.users.get(id) : undefined;
      if (doc) return doc.user.lang;
    } catch {
      /* the store may be down: fall back to the locale */
    }
    return actor.locale?.toLowerCase().startsWith('ko')
      ? 'ko'
      : actor.locale?.toLowerCase().startsWith('en')
        ? 'en'
        : this.o.settings.defaultLang;
  }

  // ------------------------------------------------------------------ conversation

  /** A free-text message: updates the sender's persona. Returns a short acknowledgement. */
  async message(
    actor: Actor,
    raw: string,
  ): Promise<{ lang: Lang; reply: string; terms: string[]; dislikes: string[] }> {
    const text = sanitizeText(raw, this.o.settings.maxMessageChars);
    const doc = await this.resolve(actor);
    if (!text) return { lang: doc.user.lang, reply: t(doc.user.lang, 'message.noted'), terms: [], dislikes: [] };
    const encoder = this.catalog.textEncoder;
    const vec = await encoder.encode([text]).catch((e) => {
      this.log.warn({ err: e, code: 'ENCODER_FAILED' }, 'encoding a message failed; persona terms still updated');
      return undefined;
    });
    const now = this.clock.now().toISOString();
    const result = await this.users.update(doc.user.id, (d) => {
      const analysis = updatePersona(d.persona, text, vec, encoder.id, now);
      const lang = guessLang(text);
      if (lang && Array.from(text).length >= 4) d.user.lang = lang;
      return { analysis, lang: d.user.lang };
    });
    const { analysis, lang } = result;
    try {
      this.o.onMessage?.(doc.user.id);
    } catch (e) {
      this.log.warn({ err: e }, 'a message hook failed; the persona update itself is saved');
    }
    const positive = (analysis.likes.length ? analysis.likes : analysis.terms).filter(
      (x) => !analysis.dislikes.includes(x),
    );
    const parts: string[] = [];
    if (positive.length > 0) parts.push(t(lang, 'message.notedTerms', { list: positive.slice(0, 5).join(', ') }));
    if (analysis.dislikes.length > 0) {
      parts.push(t(lang, 'message.notedDislikes', { list: analysis.dislikes.slice(0, 5).join(', ') }));
    }
    const reply = parts.length > 0 ? parts.join(' ') : t(lang, 'message.noted');
    return { lang, reply, terms: analysis.terms, dislikes: analysis.dislikes };
  }

  // ------------------------------------------------------------------ recommend

  /** The subject for scoring one user. */
  subjectOf(doc: UserDoc, platform: Platform): Subject {
    return {
      userId: doc.user.id,
      lang: doc.user.lang,
      platform,
      persona: doc.persona,
      feedback: doc.feedback,
      shown: doc.shown,
      explore: doc.user.explore,
    };
  }

  /** Ranks the catalog for a subject (one user or a blend). No state is written. */
  async rankFor(
    subject: Subject,
    req: RecommendRequest & { exclude?: ReadonlySet<string>; publishedAfter?: Date },
  ): Promise<{ index: CatalogIndex; ranked: Ranked[] }> {
    // One consistent snapshot: the index and the encoders that made it (a model switch swaps them together).
    const { index, text: textEncoder, image: img } = this.catalog.snapshot();
    const s = this.o.settings;
    const count = Math.max(1, Math.min(s.maxCount, req.count ?? s.defaultCount));
    let topic: { text: string; vector?: Float32Array; imageVector?: Float32Array } | undefined;
    const topicText = req.topic ? sanitizeText(req.topic, 200) : '';
    if (topicText) {
      topic = { text: topicText };
      try {
        topic.vector = await textEncoder.encode([topicText]);
      } catch (e) {
        this.log.warn({ err: e, code: 'ENCODER_FAILED' }, 'topic encoding failed; keyword matching only');
      }
      if (img?.encodeText && index.image) {
        try {
          topic.imageVector = await img.encodeText([topicText]);
        } catch (e) {
          this.log.warn({ err: e, code: 'ENCODER_FAILED' }, 'CLIP text encoding failed; text similarity only');
        }
      }
    }
    let exclude = req.exclude;
    const likeRow = req.likeItemId ? index.rowOf.get(req.likeItemId) : undefined;
    if (likeRow !== undefined) {
      const item = index.items[likeRow]!;
      const d = index.textDim;
      topic = { text: item.title, vector: index.text.slice(likeRow * d, (likeRow + 1) * d) };
      if (index.image && index.hasImage[likeRow]) {
        topic.imageVector = index.image.slice(likeRow * index.imageDim, (likeRow + 1) * index.imageDim);
      }
      exclude = new Set([...(req.exclude ?? []), item.id]);
    }
    let learned: Float32Array | undefined;
    if (this.learned) {
      try {
        learned = await this.learned.scoreAll(this.featuresOf(subject), index.version);
      } catch (e) {
        this.log.warn({ err: e }, 'two-tower scoring failed; content scoring only');
      }
    }
    const input: RankInput = {
      index,
      persona: subject.persona,
      feedback: subject.feedback,
      shown: subject.shown,
      explore: subject.explore,
      count,
      ...(topic ? { topic } : {}),
      ...(req.category ? { category: req.category } : {}),
      ...(req.source ? { source: req.source } : {}),
      ...(learned ? { learned } : {}),
      ...(exclude ? { exclude } : {}),
      ...(req.publishedAfter ? { publishedAfter: req.publishedAfter } : {}),
      stats: this.statsFor(index),
      now: this.clock.now(),
      weights: s.weights,
    };
    if (this.o.matrixOps && index.items.length > 0) {
      try {
        input.textScores = await this.o.matrixOps.matVec(index.text, index.textDim, textQuery(input).q);
      } catch (e) {
        this.log.warn({ err: e }, 'matrix ops failed; scoring with the JS loop');
      }
    }
    const ranked = rankItems(input);
    return { index, ranked };
  }

  /** Explanations for a ranked list: templates, reworded by the LLM when one is configured. */
  async explain(
    userId: string,
    lang: Lang,
    evidence: Evidence[],
    onImproved?: (lines: string[]) => void,
  ): Promise<string[]> {
    const templates = evidence.map((e) => explainTemplate(e, lang));
    const ex = this.o.explainer;
    if (!ex || evidence.length === 0) return templates;
    try {
      const lines = await ex.explain(
        { userId, lang, items: evidence.map((e, i) => ({ evidence: e, template: templates[i]! })) },
        onImproved ? { onImproved } : {},
      );
      return lines.length === templates.length ? lines : templates;
    } catch (e) {
      this.log.warn({ err: e, code: 'LLM_FAILED' }, 'LLM explanations failed; templates used');
      return templates;
    }
  }

  /**
   * Recommends items for the actor and records the impression (durably) before returning, so a
   * reaction to the reply can always be mapped back. Adapters then call `attachMessages`.
   */
  async recommend(actor: Actor, req: RecommendRequest, where: Where): Promise<RecommendResult> {
    let doc = await this.resolve(actor);
    doc = await this.ensurePersonaVector(doc);
    const lang = doc.user.lang;
    const likeRow = req.likeItemId && this.catalog.size > 0 ? this.catalog.index.rowOf.get(req.likeItemId) : undefined;
    const likeTitle = likeRow === undefined ? undefined : this.catalog.index.items[likeRow]?.title;
    const header = likeTitle
      ? t(lang, 'reco.headerMore', { title: sanitizeText(likeTitle, 60) })
      : req.topic
        ? t(lang, 'reco.headerTopic', { topic: sanitizeText(req.topic, 80) })
        : t(lang, 'reco.header');
    if (this.catalog.size === 0) {
      return { userId: doc.user.id, lang, impressionId: '', header, items: [], empty: t(lang, 'error.CATALOG_EMPTY') };
    }
    const { index, ranked } = await this.rankFor(this.subjectOf(doc, actor.platform), req);
    if (ranked.length === 0)
      return { userId: doc.user.id, lang, impressionId: '', header, items: [], empty: t(lang, 'reco.none') };
    const evidence = ranked.map((r) => r.evidence);
    const lines = await this.explain(doc.user.id, lang, evidence, where.onImproved);
    const now = this.clock.now().toISOString();
    const impression: Impression = {
      id: `imp_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      userId: doc.user.id,
      platform: actor.platform,
      chatId: where.chatId,
      messageIds: [],
      itemIds: ranked.map((r) => index.items[r.row]!.id),
      kind: where.kind ?? 'recommend',
      at: now,
      scores: ranked.map((r) => Number(r.score.toFixed(4))),
      ...(req.topic ? { topic: sanitizeText(req.topic, 200) } : {}),
    };
    await this.recordImpression(doc.user.id, impression);
    return {
      userId: doc.user.id,
      lang,
      impressionId: impression.id,
      header,
      items: ranked.map((r, i) => ({
        position: i + 1,
        item: index.items[r.row]!,
        evidence: r.evidence,
        explanation: lines[i]!,
      })),
    };
  }

  /** Saves an impression and marks its items shown to the user (one durable write each). */
  async recordImpression(userId: string, impression: Impression): Promise<void> {
    await this.users.wrapStore(() => this.o.store.set(NS_IMPRESSIONS, impression.id, impression));
    await this.users.update(userId, (d) => {
      pushCapped(d.impressionIds, impression.id, LIMITS.impressions);
      for (const id of impression.itemIds) {
        const prev = d.shown[id];
        d.shown[id] = { count: (prev?.count ?? 0) + 1, lastAt: impression.at };
      }
      const ids = Object.keys(d.shown);
      if (ids.length > LIMITS.shown) {
        ids.sort((a, b) => d.shown[a]!.lastAt.localeCompare(d.shown[b]!.lastAt));
        for (const id of ids.slice(0, ids.length - LIMITS.shown)) delete d.shown[id];
      }
      d.lastLists[`${impression.platform}:${impression.chatId}`] = {
        impressionId: impression.id,
        itemIds: impression.itemIds,
      };
    });
  }

  /** Maps the platform messages that carry an impression's items back to those items. */
  async attachMessages(
    impressionId: string,
    where: { platform: Platform; chatId: string },
    messages: { messageId: string; itemIds: string[] }[],
  ): Promise<void> {
    const impression = await this.users.wrapStore(() => this.o.store.get<Impression>(NS_IMPRESSIONS, impressionId));
    if (!impression) throw new RecoError('NOT_FOUND', `impression ${impressionId} does not exist`);
    const now = this.clock.now().toISOString();
    const keys: string[] = [];
    for (const m of messages) {
      keys.push(
        await this.users.saveMessageRef({
          platform: where.platform,
          chatId: where.chatId,
          messageId: m.messageId,
          itemIds: m.itemIds,
          impressionId,
          at: now,
        }),
      );
    }
    impression.messageIds.push(...messages.map((m) => m.messageId));
    await this.users.wrapStore(() => this.o.store.set(NS_IMPRESSIONS, impressionId, impression));
    await this.users.update(impression.userId, (d) => {
      for (const k of keys) pushCapped(d.messageKeys, k, LIMITS.messageRefs);
    });
  }

  // ------------------------------------------------------------------ feedback

  /**
   * A reaction added to or removed from a bot message, by whoever reacted.
   * `itemId` picks the item when the message carries several (buttons); it must be one of them.
   */
  async reactToMessage(
    actor: Actor,
    ref: { platform: Platform; chatId: string; messageId: string; itemId?: string },
    emoji: string,
    action: 'add' | 'remove',
    opts: { idempotencyKey: string; origin?: FeedbackOrigin },
  ): Promise<ReactResult> {
    const lang = await this.langOf(actor);
    const mref = await this.users.getMessageRef(ref.platform, ref.chatId, ref.messageId);
    if (!mref) return { status: 'unknown-message', lang, message: t(lang, 'error.NOT_FOUND') };
    const itemId = ref.itemId ?? (mref.itemIds.length === 1 ? mref.itemIds[0] : undefined);
    if (!itemId || !mref.itemIds.includes(itemId))
      return { status: 'not-shown', lang, message: t(lang, 'react.notShown') };
    const signal = this.emojis.signalOf(emoji);
    if (!signal) return { status: 'unknown-emoji', lang, message: this.unknownEmoji(lang) };
    return this.feedback(
      actor,
      itemId,
      action === 'add' ? signal : 'none',
      opts.origin ?? 'reaction',
      opts.idempotencyKey,
      { emoji },
    );
  }

  /** The item at `position` (1-based) of the last list shown to the actor in this chat. */
  async listItem(actor: Actor, chatId: string, position: number): Promise<string | undefined> {
    const doc = await this.resolve(actor);
    return doc.lastLists[`${actor.platform}:${chatId}`]?.itemIds[position - 1];
  }

  /** A reaction to item `position` (1-based) of the last list shown in this chat (console, text commands). */
  async reactToListItem(
    actor: Actor,
    chatId: string,
    position: number,
    emoji: string,
    action: 'add' | 'remove',
    idempotencyKey: string,
  ): Promise<ReactResult> {
    const doc = await this.resolve(actor);
    const lang = doc.user.lang;
    const list = doc.lastLists[`${actor.platform}:${chatId}`];
    const itemId = list?.itemIds[position - 1];
    if (!itemId) return { status: 'unknown-item', lang, message: t(lang, 'react.unknownItem', { n: position }) };
    const signal = this.emojis.signalOf(emoji);
    if (!signal) return { status: 'unknown-emoji', lang, message: this.unknownEmoji(lang) };
    return this.feedback(actor, itemId, action === 'add' ? signal : 'none', 'reaction', idempotencyKey, { emoji });
  }

  /**
   * Records feedback on an item. Durable (written to the store) before it resolves — only then may
   * an adapter tell the user it counted. The same idempotency key counts once.
   */
  async feedback(
    actor: Actor,
    itemId: string,
    signal: Signal | 'none',
    origin: FeedbackOrigin,
    idempotencyKey: string,
    opts: { emoji?: string; requireShown?: boolean } = {},
  ): Promise<ReactResult> {
    const doc = await this.resolve(actor);
    const lang = doc.user.lang;
    const index = this.catalog.index;
    const row = index.rowOf.get(itemId);
    const item = row === undefined ? undefined : index.items[row];
    if (!item) return { status: 'unknown-item', lang, message: t(lang, 'error.NOT_FOUND') };
    if (opts.requireShown && !doc.shown[itemId])
      return { status: 'not-shown', lang, message: t(lang, 'react.notShown') };
    const event: FeedbackEvent = {
      userId: doc.user.id,
      itemId,
      signal,
      origin,
      platform: actor.platform,
      at: this.clock.now().toISOString(),
      idempotencyKey,
      ...(opts.emoji ? { emoji: opts.emoji } : {}),
    };
    const outcome = await this.users.update(doc.user.id, (d) => {
      const out = applyFeedback(d, event, this.emojis);
      if (out.kind === 'applied') d.persona.categories = categoryPreferences(d.feedback, (id) => this.categoryOf(id));
      return out;
    });
    if (outcome.kind === 'duplicate') return { status: 'duplicate', lang, message: t(lang, 'react.duplicate'), item };
    if (outcome.kind === 'ignored')
      return {
        status: 'ignored',
        lang,
        message: t(lang, 'react.removed', { title: item.title }),
        item,
        signal: 'none',
      };
    try {
      this.o.onFeedback?.(doc.user.id);
    } catch (e) {
      this.log.warn({ err: e }, 'a feedback hook failed; the feedback itself is saved');
    }
    if (outcome.previous) this.bump(itemId, outcome.previous.signal, -1);
    if (outcome.state) this.bump(itemId, outcome.state.signal, 1);
    const now = outcome.state?.signal ?? 'none';
    const message =
      now === 'like'
        ? t(lang, 'react.liked', { title: item.title })
        : now === 'dislike'
          ? t(lang, 'react.disliked', { title: item.title })
          : t(lang, 'react.removed', { title: item.title });
    return { status: 'applied', lang, message, item, signal: now };
  }

  // ------------------------------------------------------------------ persona, explore, forget

  async persona(actor: Actor): Promise<{ lang: Lang; text: string; persona: Persona }> {
    const doc = await this.resolve(actor);
    return { lang: doc.user.lang, text: this.describePersona(doc), persona: doc.persona };
  }

  describePersona(doc: UserDoc): string {
    const lang = doc.user.lang;
    const p = doc.persona;
    const lines: string[] = [];
    const interests = topInterests(p, 10);
    const likes = likedIds(doc).length;
    const dislikes = dislikedIds(doc).length;
    if (
      interests.length === 0 &&
      p.dislikes.length === 0 &&
      likes + dislikes === 0 &&
      Object.keys(p.attributes).length === 0
    ) {
      lines.push(t(lang, 'persona.empty'));
    } else {
      if (interests.length) lines.push(t(lang, 'persona.interests', { list: interests.join(', ') }));
      if (p.dislikes.length)
        lines.push(
          t(lang, 'persona.dislikes', {
            list: p.dislikes
              .slice(0, 10)
              .map((d) => d.term)
              .join(', '),
          }),
        );
      const cats = Object.entries(p.categories) as [Category, number][];
      const liked = cats
        .filter(([, v]) => v > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([c]) => categoryName(c, lang));
      const avoided = cats
        .filter(([, v]) => v < 0)
        .sort((a, b) => a[1] - b[1])
        .map(([c]) => categoryName(c, lang));
      if (liked.length) lines.push(t(lang, 'persona.categories', { list: liked.join(', ') }));
      if (avoided.length) lines.push(t(lang, 'persona.avoidCategories', { list: avoided.join(', ') }));
      const pr = p.preferences;
      if (pr && pr.formats.length + pr.sources.length + pr.languages.length > 0) {
        lines.push(
          t(lang, 'persona.preferences', { list: [...pr.formats, ...pr.sources, ...pr.languages].join(', ') }),
        );
      }
      const attrs = Object.entries(p.attributes);
      if (attrs.length)
        lines.push(t(lang, 'persona.attributes', { list: attrs.map(([k, v]) => `${k}: ${v}`).join(', ') }));
      lines.push(t(lang, 'persona.feedback', { likes, dislikes }));
    }
    lines.push(t(lang, 'persona.explore', { level: doc.user.explore, name: exploreName(doc.user.explore, lang) }));
    return lines.join('\n');
  }

  /** Removes an interest (or dislike) term the user asks to drop; it will not come back from the LLM either. */
  async removeInterest(actor: Actor, term: string): Promise<{ lang: Lang; removed: boolean; message: string }> {
    const doc = await this.resolve(actor);
    const clean = sanitizeText(term, 100).toLowerCase();
    const removed = await this.users.update(doc.user.id, (d) => {
      const before = d.persona.interests.length + d.persona.dislikes.length;
      d.persona.interests = d.persona.interests.filter((i) => i.term !== clean);
      d.persona.dislikes = d.persona.dislikes.filter((i) => i.term !== clean);
      const removedTerms = new Set(d.persona.removedTerms ?? []);
      removedTerms.add(clean);
      d.persona.removedTerms = [...removedTerms].slice(-200);
      return before !== d.persona.interests.length + d.persona.dislikes.length;
    });
    const lang = doc.user.lang;
    return { lang, removed, message: t(lang, removed ? 'persona.removed' : 'persona.notFound', { term: clean }) };
  }

  async explore(actor: Actor, level?: number): Promise<{ lang: Lang; level: number; message: string }> {
    const doc = await this.resolve(actor);
    const lang = doc.user.lang;
    if (level === undefined)
      return {
        lang,
        level: doc.user.explore,
        message: t(lang, 'explore.current', { level: doc.user.explore, name: exploreName(doc.user.explore, lang) }),
      };
    if (!Number.isInteger(level) || level < 0 || level > 3)
      throw new RecoError('INPUT_INVALID', `explore level must be 0-3, got ${level}`);
    await this.users.update(doc.user.id, (d) => {
      d.user.explore = level;
    });
    return { lang, level, message: t(lang, 'explore.set', { level, name: exploreName(level, lang) }) };
  }

  /**
   * Deletes everything held about the user: persona, feedback, impressions, message mappings,
   * identities, and whatever features registered with `onForget`.
   */
  async forget(actor: Actor): Promise<{ lang: Lang; message: string }> {
    const lang = await this.langOf(actor);
    const userId = await this.users.findUserId(actor.platform, actor.externalId);
    if (!userId) return { lang, message: t(lang, 'forget.done') };
    const doc = await this.users.get(userId);
    const store = this.o.store;
    if (doc) {
      for (const hook of this.forgetHooks) await hook(userId, doc);
      for (const k of doc.messageKeys) await this.users.wrapStore(() => store.delete(NS_MESSAGES, k));
      for (const id of doc.impressionIds) await this.users.wrapStore(() => store.delete(NS_IMPRESSIONS, id));
      for (const idn of doc.user.identities)
        await this.users.wrapStore(() => store.delete(NS_IDENTITIES, identityKey(idn.platform, idn.externalId)));
      for (const f of Object.values(doc.feedback)) this.bump(f.itemId, f.signal, -1);
    }
    await this.users.wrapStore(() => store.delete(NS_IDENTITIES, identityKey(actor.platform, actor.externalId)));
    await this.users.delete(userId);
    this.userCount = Math.max(0, this.userCount - 1);
    this.log.info({ userId }, 'user data deleted on request');
    return { lang, message: t(lang, 'forget.done') };
  }

  // ------------------------------------------------------------------ status & help

  async status(): Promise<StatusReport> {
    const extra = this.o.statusLines ? await this.o.statusLines() : [];
    const idx = this.catalog.size > 0 ? this.catalog.index : undefined;
    return {
      store: this.o.store.description,
      textEncoder: this.catalog.textEncoder.label,
      textEncoderId: this.catalog.textEncoder.id,
      imageEncoder: this.catalog.imageEncoder?.label ?? 'off (no CLIP model files)',
      learned: this.learned?.describe() ?? 'off — no trained two-tower model yet; content scoring only',
      explainer: this.o.explainer ? `LLM (${this.o.explainer.id})` : 'templates (LLM off)',
      catalogSize: this.catalog.size,
      categories: idx?.categories ?? [],
      sources: idx?.sources ?? [],
      users: this.userCount,
      extra,
    };
  }

  formatStatus(s: StatusReport, lang: Lang): string {
    const ko = lang === 'ko';
    return [
      t(lang, 'status.title'),
      `${ko ? '저장소' : 'Store'}: ${s.store}`,
      `${ko ? '텍스트 인코더' : 'Text encoder'}: ${s.textEncoder}`,
      `${ko ? '이미지 인코더' : 'Image encoder'}: ${s.imageEncoder}`,
      `${ko ? '학습 모델' : 'Learned model'}: ${s.learned}`,
      `${ko ? '설명' : 'Explanations'}: ${s.explainer}`,
      `${ko ? '카탈로그' : 'Catalog'}: ${s.catalogSize} ${ko ? '개' : 'items'}, ${s.categories.length} ${ko ? '카테고리' : 'categories'}, ${s.sources.length} ${ko ? '소스' : 'sources'}`,
      `${ko ? '사용자' : 'Users'}: ${s.users}`,
      ...s.extra,
    ].join('\n');
  }

  help(lang: Lang): string {
    return t(lang, 'help.text');
  }

  /** A localised message for an error thrown by any method here (adapters show it to the user). */
  userMessage(e: unknown, lang: Lang): string {
    const err = toRecoError(e);
    const key = `error.${err.code}`;
    return t(
      lang,
      ([
        'error.STORE_UNAVAILABLE',
        'error.STORE_OPEN_FAILED',
        'error.CATALOG_EMPTY',
        'error.CATALOG_CORRUPT',
        'error.INPUT_INVALID',
        'error.NOT_FOUND',
        'error.MISSING_PERMISSION',
      ].includes(key)
        ? key
        : 'error.generic') as Parameters<typeof t>[1],
      err.details as Record<string, string>,
    );
  }

  // ------------------------------------------------------------------ internals

  featuresOf(subject: Subject): UserFeatures {
    const index = this.catalog.index;
    return userModelFeatures(subject, { textEncoderId: index.textEncoderId, has: (id) => index.rowOf.has(id) });
  }

  private async ensurePersonaVector(doc: UserDoc): Promise<UserDoc> {
    const enc = this.catalog.textEncoder;
    const p = doc.persona;
    if (p.recentTexts.length === 0 || p.encoderId === enc.id) return doc;
    try {
      const vecs = await enc.encode(p.recentTexts.map((r) => r.text));
      await this.users.update(doc.user.id, (d) => rebuildPersonaVector(d.persona, vecs, enc.dim, enc.id));
      return (await this.users.get(doc.user.id)) ?? doc;
    } catch (e) {
      this.log.warn({ err: e, code: 'ENCODER_FAILED' }, 'could not rebuild the persona vector under the new encoder');
      return doc;
    }
  }

  /**
   * Keeps the bot-wide reaction counts (the popularity prior) and the user count exact when two users
   * were merged (`/link`): `before` are both users' states, `after` the merged user's.
   */
  feedbackMerged(before: readonly FeedbackState[], after: readonly FeedbackState[]): void {
    for (const f of before) this.bump(f.itemId, f.signal, -1);
    for (const f of after) this.bump(f.itemId, f.signal, 1);
    this.userCount = Math.max(0, this.userCount - 1);
  }

  /** The bot-wide like/dislike counts of one item (for analysis and tests). */
  itemStats(itemId: string): { likes: number; dislikes: number } {
    return { ...(this.stats.get(itemId) ?? { likes: 0, dislikes: 0 }) };
  }

  private categoryOf(itemId: string): Category | undefined {
    const idx = this.catalog.index;
    const r = idx.rowOf.get(itemId);
    return r === undefined ? undefined : idx.items[r]!.category;
  }

  private bump(itemId: string, signal: Signal, delta: number): void {
    const s = this.stats.get(itemId) ?? { likes: 0, dislikes: 0 };
    if (signal === 'like') s.likes = Math.max(0, s.likes + delta);
    else s.dislikes = Math.max(0, s.dislikes + delta);
    this.stats.set(itemId, s);
  }

  private statsFor(index: CatalogIndex): ItemStats {
    const likes = new Float32Array(index.items.length);
    const dislikes = new Float32Array(index.items.length);
    for (const [id, s] of this.stats) {
      const r = index.rowOf.get(id);
      if (r === undefined) continue;
      likes[r] = s.likes;
      dislikes[r] = s.dislikes;
    }
    return { likes, dislikes };
  }

  private unknownEmoji(lang: Lang): string {
    return t(lang, 'react.unknownEmoji', { like: this.emojis.like.join(' '), dislike: this.emojis.dislike.join(' ') });
  }
}
