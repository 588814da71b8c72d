/** Builds the core's services around one store, catalog and clock (part of the composition root). */
import type { CatalogService } from '../core/catalog/catalog.js';
import { ConversationService } from '../core/conversation/conversation.js';
import { PersonaService } from '../core/conversation/persona-view.js';
import { DigestService, type DigestServiceOptions } from '../core/digest/service.js';
import type { Evidence, Lang } from '../core/domain.js';
import { EmojiTable } from '../core/feedback/apply.js';
import { FeedbackService } from '../core/feedback/service.js';
import { BotStats } from '../core/feedback/stats.js';
import { ControlsService } from '../core/filters/service.js';
import { ForgetService } from '../core/identity/forget.js';
import { IdentityService } from '../core/identity/identity.js';
import { LinkService } from '../core/identity/link.js';
import type { Clock, KeyValueStore, LearnedScorer, Logger, MatrixOps } from '../core/ports.js';
import { ListDelivery } from '../core/recommend/delivery.js';
import { Explanations, type ListExplainer } from '../core/recommend/explanations.js';
import { Ranker, type RecoSettings } from '../core/recommend/ranker.js';
import { RecommendService } from '../core/recommend/service.js';
import { OnboardingService } from '../core/onboarding/service.js';
import { ImageSearchService } from '../core/search/image.js';
import type { ListTranslator } from '../core/recommend/translation.js';
import { WhyService } from '../core/recommend/why.js';
import type { CoreServices } from '../core/service.js';
import type { BudgetUsage } from '../core/llm/budget.js';
import { StatusService } from '../core/status/status.js';
import { UserRepository } from '../core/users/repository.js';

/** The user documents and the bot-wide counts: built first, because background features read users too. */
export function buildUsers(
  store: KeyValueStore,
  clock: Clock,
  settings: Pick<RecoSettings, 'defaultLang' | 'defaultExplore'>,
  opts: { logger?: Logger; statsRefreshMs?: number } = {},
): { users: UserRepository; stats: BotStats } {
  // The counts are shared counters in the store (written in the same batch as the change that moves them).
  const stats = new BotStats({
    store,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.statsRefreshMs !== undefined ? { refreshMs: opts.statsRefreshMs } : {}),
  });
  const users = new UserRepository(store, clock, {
    lang: settings.defaultLang,
    explore: settings.defaultExplore,
    onCreated: () => stats.userCreated(),
    createdWrites: () => stats.userCreatedWrites(),
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  return { users, stats };
}

export interface BuildCoreOptions {
  store: KeyValueStore;
  /** From `buildUsers` (default: built here). */
  people?: { users: UserRepository; stats: BotStats };
  catalog: CatalogService;
  settings: RecoSettings;
  clock: Clock;
  logger: Logger;
  learned?: LearnedScorer;
  explainer?: ListExplainer;
  /** Item translation (the LLM layer); absent: `/translate on` shows originals. */
  translator?: ListTranslator;
  /** Most hard filters per person and per chat (FILTERS_MAX). */
  maxFilters?: number;
  matrixOps?: MatrixOps;
  digest: {
    defaultTime: string;
    defaultTz: string;
    size: number;
    lockTtlMs?: number;
    owner?: string;
    introWriter?: (input: { userId: string; lang: Lang; template: string; evidence: Evidence[] }) => Promise<string>;
  } & Pick<DigestServiceOptions, 'planAheadMinutes' | 'spread' | 'sendConcurrency'>;
  /** Extra `/status` lines. */
  statusLines?: () => Promise<string[]> | string[];
  /** Today's LLM token usage for `/status` (absent without an LLM). */
  llmUsage?: (userId: string | undefined) => Promise<BudgetUsage>;
  onMessage?: (userId: string) => void;
  onFeedback?: (userId: string) => void;
}

export function buildCore(o: BuildCoreOptions): CoreServices {
  const { store, catalog, settings, clock } = o;
  const logger = o.logger.child({ module: 'core' });
  const { users, stats } = o.people ?? buildUsers(store, clock, settings);
  const identity = new IdentityService(users, settings.defaultLang);
  const emojis = new EmojiTable(settings.likeEmojis, settings.dislikeEmojis);
  const ranker = new Ranker({
    catalog,
    settings,
    stats,
    clock,
    logger,
    ...(o.learned ? { learned: o.learned } : {}),
    ...(o.matrixOps ? { matrixOps: o.matrixOps } : {}),
  });
  const explanations = new Explanations(o.explainer, logger);
  const delivery = new ListDelivery({ clock, logger, store });
  const links = new LinkService({ users, identity, stats, catalog, store, clock, logger: o.logger });
  const controls = new ControlsService({
    users,
    store,
    catalog,
    pending: delivery.pending,
    clock,
    translationAvailable: o.translator?.available ?? false,
    ...(o.maxFilters ? { maxFilters: o.maxFilters } : {}),
  });
  const digests = new DigestService({
    users,
    ranker,
    explanations,
    catalog,
    delivery,
    store,
    maxCount: settings.maxCount,
    clock,
    logger: o.logger,
    chatSettings: (chat) => controls.chatSettings(chat),
    ...o.digest,
  });
  const recommend = new RecommendService({
    users,
    ranker,
    explanations,
    catalog,
    delivery,
    clock,
    logger,
    ...(o.translator ? { translator: o.translator } : {}),
    ...(settings.defaultLayout ? { defaultLayout: settings.defaultLayout } : {}),
  });
  return {
    store,
    catalog,
    settings,
    clock,
    logger,
    users,
    identity,
    stats,
    emojis,
    ranker,
    explanations,
    delivery,
    links,
    digests,
    quiet: digests.quiet,
    controls,
    why: new WhyService({ users, controls, ranker, explanations }),
    recommend,
    images: new ImageSearchService({ catalog, recommend, identity, logger }),
    conversation: new ConversationService({
      users,
      catalog,
      maxMessageChars: settings.maxMessageChars,
      clock,
      logger,
      ...(o.onMessage ? { onMessage: o.onMessage } : {}),
    }),
    persona: new PersonaService(users, clock),
    onboarding: new OnboardingService({ users, catalog, clock, logger }),
    feedback: new FeedbackService({
      users,
      catalog,
      emojis,
      stats,
      pending: delivery.pending,
      clock,
      logger,
      observers: [digests.reactionObserver],
      ...(o.onFeedback ? { onFeedback: o.onFeedback } : {}),
    }),
    forget: new ForgetService({ store, users, identity, stats, logger, hooks: [links.forgetHook, digests.forgetHook] }),
    status: new StatusService({
      store,
      catalog,
      ranker,
      explanations,
      stats,
      users,
      ...(o.statusLines ? { lines: o.statusLines } : {}),
      ...(o.llmUsage ? { llmUsage: o.llmUsage } : {}),
    }),
  };
}
