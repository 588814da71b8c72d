/**
 * What an LLM sentence may state (core/llm/grounding.ts checks it): the evidence strings by kind, the numbers and
 * which gated facts hold (`factsOf`), and the checker's result and option types.
 */
import type { Category, Evidence, Lang } from '../domain.js';
import { categoryName } from '../messages.js';
import { evidenceNumbers, type EvidenceNumbers } from './numbers.js';
import type { Gate } from './vocabulary.js';

export interface GroundingOptions {
  /** Maximum characters (code points) per sentence. Default: 200 for English, 140 for Korean. */
  maxChars?: number;
  /** Minimum characters. Default 6. */
  minChars?: number;
}

export type GroundingResult =
  | { ok: true; text: string }
  /** `word`: the first word the checker could not account for (or the word a rule is about). */
  | { ok: false; reason: string; word?: string };

export type EvidenceKind = 'title' | 'liked' | 'interest' | 'topic' | 'category' | 'source';

/** What a sentence may state: the evidence strings by kind, the numbers, and which facts hold. */
export interface GroundingFacts {
  strings: { text: string; kind: EvidenceKind }[];
  /** Source ids; their display names come from the vocabulary. */
  sources: string[];
  numbers: EvidenceNumbers;
  flags: Record<Gate, boolean> & { liked: boolean; likedCategory: boolean };
  /** Trusted template sentences (code-generated from the same evidence): accepted as they are. */
  templates: string[];
}

export const DEFAULT_MAX_CHARS: Record<Lang, number> = { en: 200, ko: 140 };
/** Items at most this old may be called new/fresh. */
export const FRESH_HOURS = 48;
/** Items younger than this may be called today's. */
export const TODAY_HOURS = 24;

/**
 * The facts of one or more evidence records (a digest intro is checked against all its items),
 * plus the trusted template sentences.
 */
export function factsOf(evidence: Evidence | readonly Evidence[], templates: readonly string[] = []): GroundingFacts {
  const list = Array.isArray(evidence) ? (evidence as readonly Evidence[]) : [evidence as Evidence];
  const strings: GroundingFacts['strings'] = [];
  const add = (text: string, kind: EvidenceKind): void => {
    if (text.trim()) strings.push({ text, kind });
  };
  const cat = (c: Category): void => {
    for (const name of new Set([c, categoryName(c, 'en'), categoryName(c, 'ko')])) add(name, 'category');
  };
  const flags: GroundingFacts['flags'] = {
    popular: false,
    fresh: false,
    today: false,
    yesterday: false,
    exploration: false,
    liked: false,
    likedCategory: false,
  };
  for (const e of list) {
    add(e.title, 'title');
    for (const l of e.likedSimilar) add(l.title, 'liked');
    for (const t of e.interests) add(t, 'interest');
    for (const t of e.topicTerms) add(t, 'topic');
    cat(e.category);
    add(e.source, 'source');
    const age = Math.max(0, e.ageHours);
    flags.popular ||= e.popular;
    flags.fresh ||= age <= FRESH_HOURS;
    flags.today ||= age < TODAY_HOURS;
    flags.yesterday ||= age >= 12 && age <= FRESH_HOURS;
    flags.exploration ||= e.exploration;
    flags.likedCategory ||= e.likedCategory;
    flags.liked ||= e.likedSimilar.length > 0 || e.likedCategory;
  }
  return {
    strings,
    sources: [...new Set(list.map((e) => e.source))],
    numbers: evidenceNumbers(list),
    flags,
    templates: [...templates],
  };
}

/** A rejection with its reason (and the word it is about). */
export const reject = (reason: string, word?: string): GroundingResult =>
  word === undefined ? { ok: false, reason } : { ok: false, reason, word };
