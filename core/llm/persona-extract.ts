/**
 * Persona extraction: the LLM reads a user's recent messages (as delimited data) and returns
 * structured JSON (validated with zod, core/llm/persona-schema.ts): interests with weights 0..1, dislikes,
 * languages, preferred formats and sources, and attributes the user volunteered. `groundExtraction` keeps only
 * what the messages ground; `mergeExtraction` (core/llm/persona-merge.ts) folds it into the persona with
 * provenance (`source: 'llm'`); what the user set or removed in `/persona` always wins.
 *
 * This module re-exports the schema, the merge rules and `/persona` corrections (`removeInterest`,
 * `correctPersona`), and `ExtractionScheduler` (core/llm/persona-scheduler.ts), which decides when to run an
 * extraction (every N messages or after the user goes quiet, debounced per user).
 */
import type { Lang, Persona } from '../domain.js';
import type { RecoError, Result } from '../errors.js';
import { silentLogger, type Logger } from '../ports.js';
import type { LlmClient } from './client.js';
import { LANGUAGE_NAMES } from './explain.js';
import { mergeExtraction } from './persona-merge.js';
import { ATTRIBUTE_KEYS, cleanExtraction, PersonaExtractionSchema, type PersonaExtraction } from './persona-schema.js';
import { checkPersonaTerm, checkTermShape, type TermCheck } from './persona-terms.js';
import type { GroundingVocabularies } from './vocabulary.js';

export {
  ATTRIBUTE_KEYS,
  cleanExtraction,
  normalizeTerm,
  PersonaExtractionSchema,
  type PersonaExtraction,
  type PersonaExtractionRaw,
} from './persona-schema.js';
export {
  correctPersona,
  isTermBlocked,
  LLM_WEIGHT_SCALE,
  mergeExtraction,
  removeInterest,
  USER_INTEREST_WEIGHT,
  type PersonaCorrection,
} from './persona-merge.js';
export { ExtractionScheduler, type ExtractionSchedulerOptions } from './persona-scheduler.js';

/**
 * Keeps only what the user's own messages ground (core/llm/persona-terms.ts): interests, dislikes
 * and sources must be short noun phrases that occur in the messages; formats and attribute values
 * (which the model may translate: 영상 → video, 30대 → 30s) must be short noun phrases.
 * Returns the grounded extraction and what was dropped, with the reason.
 */
export function groundExtraction(
  extraction: PersonaExtraction,
  messages: readonly string[],
  vocab: GroundingVocabularies,
): { extraction: PersonaExtraction; dropped: { field: string; term: string; reason: string }[] } {
  const dropped: { field: string; term: string; reason: string }[] = [];
  const keep = (field: string, term: string, check: TermCheck): boolean => {
    if (!check.ok) dropped.push({ field, term, reason: check.reason });
    return check.ok;
  };
  const inMessages = (field: string) => (e: { term: string }) =>
    keep(field, e.term, checkPersonaTerm(e.term, messages, vocab));
  const attributes: PersonaExtraction['attributes'] = {};
  for (const [key, value] of Object.entries(extraction.attributes) as [keyof typeof attributes, string][]) {
    if (keep(`attributes.${key}`, value, checkTermShape(value, vocab))) attributes[key] = value;
  }
  return {
    extraction: {
      interests: extraction.interests.filter(inMessages('interests')),
      dislikes: extraction.dislikes.filter(inMessages('dislikes')),
      languages: extraction.languages,
      formats: extraction.formats.filter((f) => keep('formats', f, checkTermShape(f, vocab))),
      sources: extraction.sources.filter((s) => keep('sources', s, checkPersonaTerm(s, messages, vocab))),
      attributes,
    },
    dropped,
  };
}

export interface PersonaExtractorOptions {
  logger?: Logger;
  /** The closed word lists; with them, extracted terms must be grounded in the messages (groundExtraction). */
  vocabularies?: GroundingVocabularies;
  /** How many recent messages the model reads (newest kept). Default 20. */
  maxMessages?: number;
  /** Characters per message. Default 500. */
  maxCharsPerMessage?: number;
}

export class PersonaExtractor {
  private readonly logger: Logger;

  constructor(
    private readonly client: LlmClient,
    private readonly options: PersonaExtractorOptions = {},
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'llm-persona' });
  }

  get enabled(): boolean {
    return this.client.enabled;
  }

  /** Reads the messages (data, never instructions) and returns the cleaned extraction. */
  async extract(
    userId: string,
    lang: Lang,
    messages: readonly string[],
    signal?: AbortSignal,
  ): Promise<Result<PersonaExtraction, RecoError>> {
    const max = this.options.maxMessages ?? 20;
    const perMessage = this.options.maxCharsPerMessage ?? 500;
    const texts = messages.slice(-max).map((m) => Array.from(m).slice(0, perMessage).join(''));
    const result = await this.client.json({
      prompt: 'persona-extract',
      values: { language: LANGUAGE_NAMES[lang], attribute_keys: ATTRIBUTE_KEYS.join(', '), messages: texts },
      schema: PersonaExtractionSchema,
      userId,
      ...(signal ? { signal } : {}),
    });
    if (!result.ok) return result;
    const cleaned = cleanExtraction(result.value);
    if (!this.options.vocabularies) return { ok: true, value: cleaned };
    const grounded = groundExtraction(cleaned, texts, this.options.vocabularies);
    if (grounded.dropped.length > 0) {
      this.logger.debug({ userId, dropped: grounded.dropped }, 'extracted terms not grounded in the messages dropped');
    }
    return { ok: true, value: grounded.extraction };
  }

  /**
   * Extracts from the persona's `recentTexts` and merges. On any LLM failure the persona comes back
   * unchanged (`changed: false`, `error` set).
   */
  async refresh(
    persona: Persona,
    lang: Lang,
    now: Date | string,
    signal?: AbortSignal,
  ): Promise<{ persona: Persona; changed: boolean; error?: RecoError }> {
    if (persona.recentTexts.length === 0 || !this.client.enabled) return { persona, changed: false };
    const result = await this.extract(
      persona.userId,
      lang,
      persona.recentTexts.map((t) => t.text),
      signal,
    );
    if (!result.ok) {
      this.logger.info(
        { userId: persona.userId, reason: result.error.details.reason },
        'persona extraction skipped; persona unchanged',
      );
      return { persona, changed: false, error: result.error };
    }
    const merged = mergeExtraction(persona, result.value, now);
    this.logger.debug(
      { userId: persona.userId, interests: result.value.interests.length, dislikes: result.value.dislikes.length },
      'persona enriched by the LLM',
    );
    return { persona: merged, changed: true };
  }
}
