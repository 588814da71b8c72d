/**
 * The shape of a persona extraction: what the model must return (zod) and how it is cleaned (normalised terms,
 * known languages, allow-listed attributes). Used by the extractor (core/llm/persona-extract.ts) and the merge
 * rules (core/llm/persona-merge.ts).
 */
import { z } from 'zod';
import { LANGS, type Lang } from '../domain.js';

/** Attribute keys an extraction may set (anything else is dropped). */
export const ATTRIBUTE_KEYS = ['ageBand', 'occupation', 'location', 'lifeStage'] as const;
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
