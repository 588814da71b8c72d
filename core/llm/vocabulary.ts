/**
 * The closed vocabularies of the grounding checker, one per language, kept as data in
 * `prompts/grounding-<lang>.json` (see docs/LLM.md "Grounding"). This module validates the data
 * (zod) and compiles it into sets the checker looks words up in; the files are read at the edge
 * (`infra/llm/prompts.ts` `loadGroundingVocabularies`), the same way as the prompt files.
 */
import { z } from 'zod';
import { LANGS, type Lang } from '../domain.js';
import { RecoError } from '../errors.js';

/** Facts a gated phrase states; it passes only when the evidence has the fact. */
export const GATES = ['popular', 'fresh', 'today', 'yesterday', 'exploration'] as const;
export type Gate = (typeof GATES)[number];
/** Statements about the user: each must name an evidence term of a matching kind. */
export const CLAIMS = ['interest', 'liked', 'request'] as const;
export type ClaimKind = (typeof CLAIMS)[number];
/** Units an age can be stated in. */
export const UNITS = ['hour', 'minute', 'day', 'week', 'month'] as const;
export type Unit = (typeof UNITS)[number];

const phrases = z.array(z.string().min(1)).default([]);

export const GroundingVocabularySchema = z.object({
  lang: z.enum(LANGS),
  version: z.number().int().positive(),
  words: phrases,
  gated: z.object(Object.fromEntries(GATES.map((g) => [g, phrases])) as Record<Gate, typeof phrases>),
  claims: z.object(Object.fromEntries(CLAIMS.map((c) => [c, phrases])) as Record<ClaimKind, typeof phrases>),
  copulas: phrases,
  /** Words after a copula that make it describe the item ("… was posted", "… is about"), not the term before it. */
  copulaExemptNext: phrases,
  /** Korean: endings of a claim word whose object follows it (좋아하시는 축구, 말씀하신 주제). */
  adnominalEndings: phrases,
  /** Korean: title words with these endings are predicates, never usable outside quotes (해킹되었다고, 말하세요). */
  titleWordExcludeEndings: phrases,
  /** English: a user's term must follow one of these words or be followed by one of `termAfter` ("about zelda", "zelda fans"). */
  termBefore: phrases,
  termAfter: phrases,
  units: z.object(Object.fromEntries(UNITS.map((u) => [u, phrases])) as Record<Unit, typeof phrases>),
  listJoiners: phrases,
  listFillers: phrases,
  termStopwords: phrases,
  /** Korean: particles (josa) an evidence term or a vocabulary noun may carry. */
  particles: phrases,
  /** Korean: copula endings (이에요, 예요, 입니다, …) an evidence term or a noun may carry. */
  copulaEndings: phrases,
  /** Korean: verb/adjective endings a vocabulary stem may carry (never an evidence term). */
  verbEndings: phrases,
  /** Korean: subject particles (이, 가, 께서). */
  subjectParticles: phrases,
  /** Display names of source ids in this language (`naver-news` → "naver news", "네이버 뉴스"). */
  sourceNames: z.record(z.string(), z.array(z.string().min(1))).default({}),
  persona: z
    .object({
      verbs: phrases,
      pronouns: phrases,
      verbEndings: phrases,
      instructionWords: phrases,
    })
    .default({ verbs: [], pronouns: [], verbEndings: [], instructionWords: [] }),
});
export type GroundingVocabularyData = z.infer<typeof GroundingVocabularySchema>;

/** A phrase as normalised tokens; a word ending in `$` matches only exactly (no ending). */
export type Phrase = readonly string[];

/** The compiled vocabulary of one language. */
export interface GroundingVocabulary {
  lang: Lang;
  version: number;
  words: Phrase[];
  gated: Record<Gate, Phrase[]>;
  claims: Record<ClaimKind, Phrase[]>;
  copulas: ReadonlySet<string>;
  copulaExemptNext: ReadonlySet<string>;
  titleWordExcludeEndings: readonly string[];
  termBefore: ReadonlySet<string>;
  termAfter: ReadonlySet<string>;
  adnominalEndings: readonly string[];
  /** Unit word → unit ("hours" → hour, "시간" → hour). */
  units: ReadonlyMap<string, Unit>;
  listJoiners: ReadonlySet<string>;
  listFillers: ReadonlySet<string>;
  termStopwords: ReadonlySet<string>;
  /** Endings an evidence term may carry (Korean particles + copula endings; empty for English). */
  termSuffixes: ReadonlySet<string>;
  /** Endings a vocabulary stem may carry (the above + verb endings). */
  wordSuffixes: ReadonlySet<string>;
  copulaEndings: ReadonlySet<string>;
  subjectParticles: ReadonlySet<string>;
  sourceNames: Readonly<Record<string, readonly string[]>>;
  persona: {
    verbs: ReadonlySet<string>;
    pronouns: ReadonlySet<string>;
    verbEndings: readonly string[];
    instructionWords: readonly string[];
  };
}

const lower = (s: string): string => s.normalize('NFKC').toLowerCase().replace(/’/g, "'").trim();
const toPhrase = (s: string): Phrase => lower(s).split(/\s+/).filter(Boolean);

/** Validates and compiles one vocabulary (throws RecoError INTERNAL on malformed data). */
export function compileGroundingVocabulary(raw: unknown, file = '<inline>'): GroundingVocabulary {
  const parsed = GroundingVocabularySchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new RecoError('INTERNAL', `Grounding vocabulary ${file} is malformed: ${issues.join('; ')}`, {
      details: { file },
    });
  }
  const d = parsed.data;
  const set = (list: readonly string[]): ReadonlySet<string> => new Set(list.map(lower));
  const termSuffixes = new Set(['', ...d.particles.map(lower), ...d.copulaEndings.map(lower)]);
  return {
    lang: d.lang,
    version: d.version,
    words: d.words.map(toPhrase),
    gated: Object.fromEntries(GATES.map((g) => [g, d.gated[g].map(toPhrase)])) as Record<Gate, Phrase[]>,
    claims: Object.fromEntries(CLAIMS.map((c) => [c, d.claims[c].map(toPhrase)])) as Record<ClaimKind, Phrase[]>,
    copulas: set(d.copulas),
    copulaExemptNext: set(d.copulaExemptNext),
    titleWordExcludeEndings: d.titleWordExcludeEndings.map(lower),
    termBefore: set(d.termBefore),
    termAfter: set(d.termAfter),
    adnominalEndings: d.adnominalEndings.map(lower),
    units: new Map(UNITS.flatMap((u) => d.units[u].map((w) => [lower(w), u] as const))),
    listJoiners: set(d.listJoiners),
    listFillers: set(d.listFillers),
    termStopwords: set(d.termStopwords),
    termSuffixes,
    wordSuffixes: new Set([...termSuffixes, ...d.verbEndings.map(lower)]),
    copulaEndings: set(d.copulaEndings),
    subjectParticles: set(d.subjectParticles),
    sourceNames: d.sourceNames,
    persona: {
      verbs: set(d.persona.verbs),
      pronouns: set(d.persona.pronouns),
      verbEndings: d.persona.verbEndings.map(lower),
      instructionWords: d.persona.instructionWords.map(lower),
    },
  };
}

export type GroundingVocabularies = Record<Lang, GroundingVocabulary>;

/**
 * Compiles the vocabulary files of every language (read at the edge by `infra/llm/prompts.ts`
 * `loadGroundingVocabularies`): `files[lang]` is the parsed JSON and the file name for error messages.
 */
export function compileGroundingVocabularies(
  files: Readonly<Record<Lang, { file: string; raw: unknown }>>,
): GroundingVocabularies {
  const out: Partial<GroundingVocabularies> = {};
  for (const lang of LANGS) {
    const { file, raw } = files[lang];
    const vocab = compileGroundingVocabulary(raw, file);
    if (vocab.lang !== lang) throw new RecoError('INTERNAL', `${file} declares lang "${vocab.lang}"`);
    out[lang] = vocab;
  }
  return out as GroundingVocabularies;
}
