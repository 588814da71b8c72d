/**
 * Persona extraction: the LLM reads a user's recent messages (as delimited data) and returns
 * structured JSON (validated with zod): interests with weights 0..1, dislikes, languages, preferred
 * formats and sources, and attributes the user volunteered. `mergeExtraction` folds it into the
 * persona with provenance (`source: 'llm'`); what the user set or removed in `/persona` always wins.
 *
 * Also the `/persona` corrections (`removeInterest`, `correctPersona`), shared by every adapter, and
 * `ExtractionScheduler`, which decides when to run an extraction (every N messages or after the user
 * goes quiet, debounced per user).
 */
import { z } from 'zod';
import { LANGS, type Interest, type Lang, type Persona } from '../domain.js';
import type { RecoError, Result } from '../errors.js';
import { silentLogger, type Logger } from '../ports.js';
import type { LlmClient } from './client.js';
import { LANGUAGE_NAMES } from './explain.js';
import { checkPersonaTerm, checkTermShape, type TermCheck } from './persona-terms.js';
import type { GroundingVocabularies } from './vocabulary.js';

/** Attribute keys an extraction may set (anything else is dropped). */
export const ATTRIBUTE_KEYS = ['ageBand', 'occupation', 'location', 'lifeStage'] as const;
/** LLM weights are 0..1; persona weights from messages grow by 1–2 per mention (see core/persona.ts). */
export const LLM_WEIGHT_SCALE = 3;
/** Weight of an interest the user added explicitly. */
export const USER_INTEREST_WEIGHT = 5;
const MAX_INTERESTS = 40;
const MAX_DISLIKES = 40;
const MAX_REMOVED = 200;
const MAX_LIST = 10;

const weighted = z.object({
  term: z.string().min(1).max(80),
  weight: z.coerce.number().min(0).max(1),
});

/** What the model must return (extra keys are ignored; missing lists mean "nothing found"). */
export const PersonaExtractionSchema = z.object({
  interests: z.array(weighted).max(40).default([]),
  dislikes: z.array(weighted).max(40).default([]),
  languages: z.array(z.string().max(40)).max(10).default([]),
  formats: z.array(z.string().max(60)).max(20).default([]),
  sources: z.array(z.string().max(80)).max(20).default([]),
  attributes: z.record(z.string(), z.union([z.string().max(120), z.null()])).default({}),
});
export type PersonaExtractionRaw = z.infer<typeof PersonaExtractionSchema>;

/** A cleaned extraction: normalised terms, known languages, allow-listed attributes. */
export interface PersonaExtraction {
  interests: { term: string; weight: number }[];
  dislikes: { term: string; weight: number }[];
  languages: Lang[];
  formats: string[];
  sources: string[];
  attributes: Partial<Record<(typeof ATTRIBUTE_KEYS)[number], string>>;
}

/** Lower-case, NFKC, collapsed whitespace: the form terms are compared in. */
export function normalizeTerm(term: string): string {
  return term.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

const UNSAFE_TERM =
  /(?:[a-z][a-z0-9+.-]*:\/\/|www\.|\.(?:com|net|org|io|kr|example|ly|gg|me)\b|[<>`{}[\]|@#\n]|ignore|instruction|프롬프트|지시)/i;

function cleanTerm(term: string, maxLength = 40): string | undefined {
  const t = normalizeTerm(term).replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '');
  if (t.length < 1 || Array.from(t).length > maxLength || UNSAFE_TERM.test(t)) return undefined;
  return t;
}

const LANGUAGE_ALIASES: Record<string, Lang> = {
  ko: 'ko',
  kor: 'ko',
  korean: 'ko',
  한국어: 'ko',
  한국말: 'ko',
  en: 'en',
  eng: 'en',
  english: 'en',
  영어: 'en',
};

/** Validates the shape further: drops unsafe or unknown entries (never throws). */
export function cleanExtraction(raw: PersonaExtractionRaw): PersonaExtraction {
  const weightedList = (list: { term: string; weight: number }[]): { term: string; weight: number }[] => {
    const seen = new Map<string, number>();
    for (const { term, weight } of list) {
      const t = cleanTerm(term);
      if (t !== undefined) seen.set(t, Math.max(seen.get(t) ?? 0, weight));
    }
    return [...seen].map(([term, weight]) => ({ term, weight }));
  };
  const plainList = (list: string[]): string[] =>
    [...new Set(list.map((s) => cleanTerm(s)).filter((s): s is string => s !== undefined))].slice(0, MAX_LIST);
  const languages = [
    ...new Set(
      raw.languages
        .map((l) => LANGUAGE_ALIASES[normalizeTerm(l).split(/[-_\s]/)[0] ?? ''] ?? LANGUAGE_ALIASES[normalizeTerm(l)])
        .filter((l): l is Lang => l !== undefined && LANGS.includes(l)),
    ),
  ];
  const attributes: PersonaExtraction['attributes'] = {};
  for (const key of ATTRIBUTE_KEYS) {
    const v = raw.attributes[key];
    if (typeof v !== 'string') continue;
    const cleaned = cleanTerm(v, 60);
    if (cleaned !== undefined) attributes[key] = cleaned;
  }
  const interests = weightedList(raw.interests);
  const dislikes = weightedList(raw.dislikes).filter((d) => !interests.some((i) => i.term === d.term));
  return {
    interests,
    dislikes,
    languages,
    formats: plainList(raw.formats),
    sources: plainList(raw.sources),
    attributes,
  };
}

function iso(now: Date | string): string {
  return typeof now === 'string' ? now : now.toISOString();
}

function sortCap(list: Interest[], cap: number): Interest[] {
  return list.sort((a, b) => b.weight - a.weight).slice(0, cap);
}

function clonePersona(p: Persona): Persona {
  return structuredClone(p);
}

/**
 * Merges an extraction into a persona (returns a new persona; the input is not changed).
 * - Interests/dislikes the user set (`source: 'user'`) are never changed; terms in `removedTerms` are never added.
 * - An existing non-user term keeps the larger weight (LLM weight × LLM_WEIGHT_SCALE); a new one gets `source: 'llm'`.
 * - A term the user now likes moves out of (non-user) dislikes, and vice versa.
 * - Attributes: allow-listed keys, except keys in `lockedAttributes`.
 * - Preferences (languages, formats, sources): the newest non-empty lists win.
 */
export function mergeExtraction(persona: Persona, extraction: PersonaExtraction, now: Date | string): Persona {
  const at = iso(now);
  const p = clonePersona(persona);
  const removed = new Set((p.removedTerms ?? []).map(normalizeTerm));
  const isUser = (list: Interest[], term: string): boolean =>
    list.some((i) => normalizeTerm(i.term) === term && i.source === 'user');

  const apply = (target: 'interests' | 'dislikes', entries: { term: string; weight: number }[]): void => {
    const other = target === 'interests' ? 'dislikes' : 'interests';
    for (const { term, weight } of entries) {
      if (removed.has(term) || isUser(p[other], term)) continue;
      p[other] = p[other].filter((i) => normalizeTerm(i.term) !== term);
      const scaled = Math.round(weight * LLM_WEIGHT_SCALE * 1000) / 1000;
      const found = p[target].find((i) => normalizeTerm(i.term) === term);
      if (found) {
        if (found.source === 'user') continue;
        if (scaled > found.weight) found.weight = scaled;
        found.updatedAt = at;
      } else if (scaled > 0) {
        p[target].push({ term, weight: scaled, source: 'llm', updatedAt: at });
      }
    }
  };
  apply('interests', extraction.interests);
  apply('dislikes', extraction.dislikes);
  p.interests = sortCap(p.interests, MAX_INTERESTS);
  p.dislikes = sortCap(p.dislikes, MAX_DISLIKES);

  const locked = new Set(p.lockedAttributes ?? []);
  for (const [key, value] of Object.entries(extraction.attributes)) {
    if (value !== undefined && !locked.has(key)) p.attributes[key] = value;
  }
  const prev = p.preferences;
  if (extraction.languages.length + extraction.formats.length + extraction.sources.length > 0 || prev) {
    p.preferences = {
      languages: extraction.languages.length > 0 ? extraction.languages : (prev?.languages ?? []),
      formats: extraction.formats.length > 0 ? extraction.formats : (prev?.formats ?? []),
      sources: extraction.sources.length > 0 ? extraction.sources : (prev?.sources ?? []),
      updatedAt:
        extraction.languages.length + extraction.formats.length + extraction.sources.length > 0
          ? at
          : (prev?.updatedAt ?? at),
    };
  }
  p.updatedAt = at;
  return p;
}

/** A `/persona` correction, the same in every adapter. */
export interface PersonaCorrection {
  addInterests?: string[];
  removeInterests?: string[];
  addDislikes?: string[];
  removeDislikes?: string[];
  /** A string sets the attribute, `null` clears it; either way extraction leaves the key alone afterwards. */
  setAttributes?: Record<string, string | null>;
}

/**
 * Applies a user's correction (returns a new persona). Removed terms go on `removedTerms` so no
 * automatic source adds them back; added ones get `source: 'user'` and leave `removedTerms`.
 */
export function correctPersona(persona: Persona, correction: PersonaCorrection, now: Date | string): Persona {
  const at = iso(now);
  const p = clonePersona(persona);
  const removed = new Set((p.removedTerms ?? []).map(normalizeTerm));
  const drop = (key: 'interests' | 'dislikes', terms: string[] | undefined): void => {
    for (const raw of terms ?? []) {
      const term = normalizeTerm(raw);
      if (!term) continue;
      p[key] = p[key].filter((i) => normalizeTerm(i.term) !== term);
      removed.add(term);
    }
  };
  const add = (key: 'interests' | 'dislikes', terms: string[] | undefined): void => {
    const other = key === 'interests' ? 'dislikes' : 'interests';
    for (const raw of terms ?? []) {
      const term = normalizeTerm(raw);
      if (!term) continue;
      removed.delete(term);
      p[other] = p[other].filter((i) => normalizeTerm(i.term) !== term);
      const found = p[key].find((i) => normalizeTerm(i.term) === term);
      if (found) {
        found.source = 'user';
        found.weight = Math.max(found.weight, USER_INTEREST_WEIGHT);
        found.updatedAt = at;
      } else p[key].push({ term, weight: USER_INTEREST_WEIGHT, source: 'user', updatedAt: at });
    }
  };
  drop('interests', correction.removeInterests);
  drop('dislikes', correction.removeDislikes);
  add('interests', correction.addInterests);
  add('dislikes', correction.addDislikes);
  p.interests = sortCap(p.interests, MAX_INTERESTS);
  p.dislikes = sortCap(p.dislikes, MAX_DISLIKES);
  p.removedTerms = [...removed].slice(-MAX_REMOVED);
  if (p.removedTerms.length === 0) delete p.removedTerms;

  if (correction.setAttributes) {
    const locked = new Set(p.lockedAttributes ?? []);
    for (const [key, value] of Object.entries(correction.setAttributes)) {
      if (value === null) delete p.attributes[key];
      else p.attributes[key] = value;
      locked.add(key);
    }
    p.lockedAttributes = [...locked];
  }
  p.updatedAt = at;
  return p;
}

/**
 * `/persona remove <term>`: drops the interest (and a dislike of the same term) and remembers the
 * removal. `removed` says whether the persona had it.
 */
export function removeInterest(
  persona: Persona,
  term: string,
  now: Date | string,
): { persona: Persona; removed: boolean } {
  const t = normalizeTerm(term);
  const had =
    persona.interests.some((i) => normalizeTerm(i.term) === t) ||
    persona.dislikes.some((i) => normalizeTerm(i.term) === t);
  return { persona: correctPersona(persona, { removeInterests: [term], removeDislikes: [term] }, now), removed: had };
}

/** True when automatic sources (messages, feedback, the LLM) may add this term. */
export function isTermBlocked(persona: Persona, term: string): boolean {
  const t = normalizeTerm(term);
  return (persona.removedTerms ?? []).includes(t);
}

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

export interface ExtractionSchedulerOptions {
  /** Run after this many new messages from a user. Default 5. */
  everyMessages?: number;
  /** …or once the user has been quiet this long after at least one new message (ms). Default 120 000. */
  idleMs?: number;
  /** The work: typically load the user doc, `extractor.refresh`, save. */
  run: (userId: string) => Promise<void>;
  logger?: Logger;
}

/**
 * Decides when to extract: after `everyMessages` new messages, or `idleMs` after the last one,
 * whichever comes first; at most one run per user at a time (messages during a run count toward
 * the next one). Timers are unref'd, so they never keep the process alive.
 */
export class ExtractionScheduler {
  private readonly counts = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly options: ExtractionSchedulerOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'llm-persona-scheduler' });
  }

  /** Call after each message a user sends (after the keyword persona update is saved). */
  noteMessage(userId: string): void {
    if (this.closed) return;
    const count = (this.counts.get(userId) ?? 0) + 1;
    this.counts.set(userId, count);
    clearTimeout(this.timers.get(userId));
    this.timers.delete(userId);
    if (count >= (this.options.everyMessages ?? 5)) {
      void this.start(userId);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(userId);
      void this.start(userId);
    }, this.options.idleMs ?? 120_000);
    timer.unref();
    this.timers.set(userId, timer);
  }

  /** Runs any pending extraction now (all users, or one) and waits for running ones. */
  async flush(userId?: string): Promise<void> {
    const users = userId === undefined ? [...new Set([...this.counts.keys(), ...this.running.keys()])] : [userId];
    await Promise.all(
      users.map(async (u) => {
        clearTimeout(this.timers.get(u));
        this.timers.delete(u);
        await this.running.get(u);
        if ((this.counts.get(u) ?? 0) > 0) await this.start(u);
      }),
    );
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private start(userId: string): Promise<void> {
    const current = this.running.get(userId);
    // A run is in progress: messages that arrived since count toward one more run after it.
    if (current)
      return current.then(() => ((this.counts.get(userId) ?? 0) > 0 && !this.closed ? this.start(userId) : undefined));
    this.counts.set(userId, 0);
    const run = this.options
      .run(userId)
      .catch((e: unknown) =>
        this.logger.warn(
          { userId, error: e instanceof Error ? e.message : String(e) },
          'persona extraction run failed',
        ),
      )
      .finally(() => {
        this.running.delete(userId);
        if ((this.counts.get(userId) ?? 0) === 0) this.counts.delete(userId);
        else if (!this.closed && (this.counts.get(userId) ?? 0) >= (this.options.everyMessages ?? 5))
          void this.start(userId);
      });
    this.running.set(userId, run);
    return run;
  }
}
