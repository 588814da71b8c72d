/**
 * The core's services, named by what they do (one folder each), and `DeepReco`: a thin facade over them
 * with one method per user-facing action, for callers that want a single object (the console, tests).
 * The composition root (app/compose.ts) builds `CoreServices`; adapters call the services or the facade,
 * and hold no state of their own (all of it is in the store).
 *
 * @example
 * const reco = new DeepReco(core);
 * const actor = { platform: 'console', externalId: 'alice' } as const;
 * await reco.message(actor, 'I love football and 라면');
 * const list = await reco.recommend(actor, { count: 5 }, { chatId: 'console' });
 */
import type { CatalogService } from './catalog/catalog.js';
import type { ConversationService } from './conversation/conversation.js';
import { describePersona, type PersonaService } from './conversation/persona-view.js';
import type { DigestService } from './digest/service.js';
import type { QuietHoursService } from './digest/quiet.js';
import type { FeedbackOrigin, Lang, Platform, Signal } from './domain.js';
import type { EmojiTable } from './feedback/apply.js';
import type { ControlsService } from './filters/service.js';
import type { FeedbackService, ReactOptions, ReactResult } from './feedback/service.js';
import type { BotStats } from './feedback/stats.js';
import type { ForgetHook, ForgetService } from './identity/forget.js';
import type { IdentityService } from './identity/identity.js';
import type { LinkService } from './identity/link.js';
import { t } from './messages.js';
import type { OnboardingService } from './onboarding/service.js';
import type { ImageSearchService } from './search/image.js';
import type { Clock, KeyValueStore, LearnedScorer, Logger, UserFeatures } from './ports.js';
import type { DeliveryTarget, ListDelivery, ListSender } from './recommend/delivery.js';
import type { Explanations } from './recommend/explanations.js';
import type { Ranker, RecoSettings, RecommendRequest, Subject } from './recommend/ranker.js';
import type { RecommendResult, RecommendService, Where } from './recommend/service.js';
import type { WhyService } from './recommend/why.js';
import { formatStatus, userMessage, type StatusReport, type StatusService } from './status/status.js';
import type { Actor, UserDoc } from './users/doc.js';
import type { UserRepository } from './users/repository.js';

export type { Actor } from './users/doc.js';
export type { ReactResult, ReactStatus } from './feedback/service.js';
export type { RecoSettings, RecommendRequest, Subject } from './recommend/ranker.js';
export type { RecommendedItem, RecommendResult, Where } from './recommend/service.js';
export type { ListExplainer } from './recommend/explanations.js';
export type { StatusReport } from './status/status.js';

/** Everything the core does, as separate services sharing one store, catalog and clock. */
export interface CoreServices {
  store: KeyValueStore;
  catalog: CatalogService;
  settings: RecoSettings;
  clock: Clock;
  logger: Logger;
  users: UserRepository;
  identity: IdentityService;
  stats: BotStats;
  emojis: EmojiTable;
  ranker: Ranker;
  explanations: Explanations;
  delivery: ListDelivery;
  recommend: RecommendService;
  conversation: ConversationService;
  persona: PersonaService;
  feedback: FeedbackService;
  forget: ForgetService;
  status: StatusService;
  links: LinkService;
  digests: DigestService;
  /** The interest picker of first contact and `/interests`. */
  onboarding: OnboardingService;
  /** Search by picture: items that look like a photo a person sent (CLIP image → image), re-ranked. */
  images: ImageSearchService;
  /** Quiet hours per person and per group chat (digests and other proactive messages wait for their end). */
  quiet: QuietHoursService;
  /** Hard filters, list layout and translation choices (`/mute`, `/layout`, `/translate`, "mute this source"). */
  controls: ControlsService;
  /** "Why?" on a shown item: the evidence behind the pick. */
  why: WhyService;
}

export class DeepReco {
  constructor(readonly core: CoreServices) {}

  get users(): UserRepository {
    return this.core.users;
  }
  get catalog(): CatalogService {
    return this.core.catalog;
  }
  get emojis(): EmojiTable {
    return this.core.emojis;
  }
  get settings(): RecoSettings {
    return this.core.settings;
  }

  /** Builds the catalog index (when empty) and the bot-wide counts from the store. */
  async init(): Promise<void> {
    const { catalog, stats, users, logger } = this.core;
    if (catalog.size === 0) await catalog.refresh();
    await stats.load(users.all());
    logger.info({ items: catalog.size, users: stats.users, encoder: catalog.textEncoder.label }, 'recommender ready');
  }

  setLearnedScorer(scorer: LearnedScorer | undefined): void {
    this.core.ranker.setLearnedScorer(scorer);
  }

  onForget(hook: ForgetHook): void {
    this.core.forget.onForget(hook);
  }

  resolve(actor: Actor): Promise<UserDoc> {
    return this.core.identity.resolve(actor);
  }

  langOf(actor: Actor): Promise<Lang> {
    return this.core.identity.langOf(actor);
  }

  message(actor: Actor, raw: string): ReturnType<ConversationService['message']> {
    return this.core.conversation.message(actor, raw);
  }

  recommend(actor: Actor, req: RecommendRequest, where: Where): Promise<RecommendResult> {
    return this.core.recommend.recommend(actor, req, where);
  }

  deliver(actor: Actor, req: RecommendRequest, target: DeliveryTarget, sender: ListSender): Promise<RecommendResult> {
    return this.core.recommend.deliver(actor, req, target, sender);
  }

  attachMessages(
    impressionId: string,
    where: { platform: Platform; chatId: string },
    messages: { messageId: string; itemIds: string[] }[],
  ): Promise<void> {
    return this.core.recommend.attachMessages(impressionId, where, messages);
  }

  reactToMessage(
    actor: Actor,
    ref: { platform: Platform; chatId: string; messageId: string; itemId?: string },
    emoji: string,
    action: 'add' | 'remove',
    opts: ReactOptions,
  ): Promise<ReactResult> {
    return this.core.feedback.react(actor, ref, emoji, action, opts);
  }

  reactToListItem(
    actor: Actor,
    chatId: string,
    position: number,
    emoji: string,
    action: 'add' | 'remove',
    idempotencyKey: string,
  ): Promise<ReactResult> {
    return this.core.feedback.reactToListItem(actor, chatId, position, emoji, action, idempotencyKey);
  }

  listItem(actor: Actor, chatId: string, position: number): Promise<string | undefined> {
    return this.core.feedback.listItem(actor, chatId, position);
  }

  feedback(
    actor: Actor,
    itemId: string,
    signal: Signal | 'none',
    origin: FeedbackOrigin,
    idempotencyKey: string,
    opts: { emoji?: string; requireShown?: boolean } = {},
  ): Promise<ReactResult> {
    return this.core.feedback.feedback(actor, itemId, signal, origin, idempotencyKey, opts);
  }

  persona(actor: Actor): ReturnType<PersonaService['persona']> {
    return this.core.persona.persona(actor);
  }

  describePersona(doc: UserDoc): string {
    return describePersona(doc);
  }

  removeInterest(actor: Actor, term: string): ReturnType<PersonaService['removeInterest']> {
    return this.core.persona.removeInterest(actor, term);
  }

  explore(actor: Actor, level?: number): ReturnType<PersonaService['explore']> {
    return this.core.persona.explore(actor, level);
  }

  forget(actor: Actor): Promise<{ lang: Lang; message: string }> {
    return this.core.forget.forget(actor);
  }

  status(actor?: Actor): Promise<StatusReport> {
    return this.core.status.status(actor);
  }

  formatStatus(s: StatusReport, lang: Lang): string {
    return formatStatus(s, lang);
  }

  help(lang: Lang): string {
    return t(lang, 'help.text');
  }

  /** A localised message for an error thrown by any core call (adapters show it to the user). */
  userMessage(e: unknown, lang: Lang): string {
    return userMessage(e, lang);
  }

  subjectOf(doc: UserDoc, platform: Platform): Subject {
    return this.core.ranker.subjectOf(doc, platform);
  }

  featuresOf(subject: Subject): UserFeatures {
    return this.core.ranker.featuresOf(subject);
  }

  /** The bot-wide like/dislike counts of one item (for analysis and tests). */
  itemStats(itemId: string): { likes: number; dislikes: number } {
    return this.core.stats.itemStats(itemId);
  }
}
