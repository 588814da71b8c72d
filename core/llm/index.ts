/**
 * The LLM layer, wired: `createLlmServices` builds the budget, cache, client, explainer and persona
 * extractor around a chat model (or none: then every call answers with the templates at once).
 *
 * @example
 * const model = createChatModel(config, logger); // infra/llm/openai.ts; undefined when unconfigured
 * const llm = createLlmServices({ model, store, config, logger, clock, prompts: loadPrompts(), vocabularies: loadGroundingVocabularies() });
 * const lines = await llm.explainer.explainList(user, user.lang, items, { onImproved: (l) => editMessage(l) });
 */
import type { Config } from '../config.js';
import { systemClock, type ChatModel, type Clock, type KeyValueStore, type Logger } from '../ports.js';
import { TokenBudget } from './budget.js';
import { DEFAULT_CACHE_TTL_MS, PromptCache } from './cache.js';
import { LlmClient } from './client.js';
import { LlmExplainer } from './explain.js';
import { GroundingChecker } from './grounding.js';
import type { GroundingVocabularies } from './vocabulary.js';
import { PersonaExtractor } from './persona-extract.js';
import type { PromptTemplate } from './prompt.js';

export interface LlmServices {
  client: LlmClient;
  budget: TokenBudget;
  explainer: LlmExplainer;
  extractor: PersonaExtractor;
  checker: GroundingChecker;
  /** True when a chat model is configured. */
  enabled: boolean;
}

export interface LlmServicesDeps {
  model: ChatModel | undefined;
  store: KeyValueStore;
  config: Pick<Config, 'LLM_REPLY_WAIT_MS' | 'LLM_DAILY_TOKENS_PER_USER' | 'LLM_DAILY_TOKENS_TOTAL'>;
  logger: Logger;
  clock?: Clock;
  /** The prompt templates (read from `prompts/` at the edge: infra/llm/prompts.ts). */
  prompts: ReadonlyMap<string, PromptTemplate>;
  /** The grounding checker's vocabularies (read from `prompts/` at the edge: infra/llm/prompts.ts). */
  vocabularies: GroundingVocabularies;
  cacheTtlMs?: number;
}

export function createLlmServices(deps: LlmServicesDeps): LlmServices {
  const clock = deps.clock ?? systemClock;
  const budget = TokenBudget.fromConfig(deps.config, deps.store, clock, deps.logger);
  const vocabularies = deps.vocabularies;
  const checker = new GroundingChecker(vocabularies);
  const client = new LlmClient({
    model: deps.model,
    prompts: deps.prompts,
    budget,
    cache: new PromptCache(deps.store, deps.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS),
    logger: deps.logger,
  });
  return {
    client,
    budget,
    explainer: new LlmExplainer(client, { replyWaitMs: deps.config.LLM_REPLY_WAIT_MS, logger: deps.logger, checker }),
    extractor: new PersonaExtractor(client, { logger: deps.logger, vocabularies }),
    checker,
    enabled: client.enabled,
  };
}

export { TokenBudget, NS_LLM_BUDGET } from './budget.js';
export { PromptCache, NS_LLM_CACHE } from './cache.js';
export { LlmClient } from './client.js';
export { LlmExplainer, type ExplainItem, type ExplainOptions, type IntroRequest } from './explain.js';
export {
  PersonaExtractor,
  ExtractionScheduler,
  mergeExtraction,
  correctPersona,
  removeInterest,
  isTermBlocked,
  type PersonaCorrection,
  type PersonaExtraction,
} from './persona-extract.js';
export { checkSentence, factsOf, GroundingChecker } from './grounding.js';
export { compileGroundingVocabularies, type GroundingVocabularies } from './vocabulary.js';
