/** `/status`: what the bot runs on (store, encoders, models, catalog, users) plus lines features add. */
import type { CatalogService } from '../catalog/catalog.js';
import type { Category, Lang } from '../domain.js';
import { toRecoError } from '../errors.js';
import type { BotStats } from '../feedback/stats.js';
import { errorMessage, t } from '../messages.js';
import type { BudgetUsage } from '../llm/budget.js';
import { formatLlmUsage } from '../llm/usage.js';
import type { KeyValueStore } from '../ports.js';
import type { Actor } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
import type { Explanations } from '../recommend/explanations.js';
import type { Ranker } from '../recommend/ranker.js';

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
  /** Today's LLM token usage (the asking user's when known, and everyone's); absent without an LLM. */
  llmUsage?: BudgetUsage;
}

export interface StatusServiceOptions {
  store: KeyValueStore;
  catalog: CatalogService;
  ranker: Ranker;
  explanations: Explanations;
  stats: BotStats;
  /** Extra lines (scraper health, LLM, platform notes), gathered at each `/status`. */
  lines?: () => Promise<string[]> | string[];
  /** Finds the asking user (never creates one) for the per-user LLM usage. */
  users?: UserRepository;
  /** Today's LLM token usage for a user (or everyone when undefined); absent without an LLM. */
  llmUsage?: (userId: string | undefined) => Promise<BudgetUsage>;
}

export class StatusService {
  constructor(private readonly o: StatusServiceOptions) {}

  async status(actor?: Actor): Promise<StatusReport> {
    const extra = this.o.lines ? await this.o.lines() : [];
    const userId = actor && this.o.users ? await this.o.users.findUserId(actor.platform, actor.externalId) : undefined;
    const llmUsage = await this.o.llmUsage?.(userId).catch(() => undefined);
    const catalog = this.o.catalog;
    const idx = catalog.size > 0 ? catalog.index : undefined;
    return {
      store: this.o.store.description,
      textEncoder: catalog.textEncoder.label,
      textEncoderId: catalog.textEncoder.id,
      imageEncoder: catalog.imageEncoder?.label ?? 'off (no CLIP model files)',
      learned: this.o.ranker.learnedScorer?.describe() ?? 'off — no trained two-tower model yet; content scoring only',
      explainer: this.o.explanations.describe ?? 'templates (LLM off)',
      catalogSize: catalog.size,
      categories: idx?.categories ?? [],
      sources: idx?.sources ?? [],
      users: this.o.stats.users,
      extra,
      ...(llmUsage ? { llmUsage } : {}),
    };
  }
}

/** The status report in the user's language (labels from the message table). */
export function formatStatus(s: StatusReport, lang: Lang): string {
  return [
    t(lang, 'status.title'),
    t(lang, 'status.store', { value: s.store }),
    t(lang, 'status.textEncoder', { value: s.textEncoder }),
    t(lang, 'status.imageEncoder', { value: s.imageEncoder }),
    t(lang, 'status.learned', { value: s.learned }),
    t(lang, 'status.explainer', { value: s.explainer }),
    t(lang, 'status.catalog', {
      items: s.catalogSize,
      categories: s.categories.length,
      sources: s.sources.length,
    }),
    t(lang, 'status.users', { value: s.users }),
    ...s.extra,
    ...(s.llmUsage ? [formatLlmUsage(s.llmUsage, lang)] : []),
  ].join('\n');
}

/** A localised message for any error a core call threw (adapters show it to the user). */
export function userMessage(e: unknown, lang: Lang): string {
  const err = toRecoError(e);
  return errorMessage(lang, err.code, err.details);
}
