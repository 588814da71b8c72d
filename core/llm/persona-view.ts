/**
 * How `/persona` shows where each term came from ("from our chat", "from your reactions", "from the
 * LLM", "added by you"), and which terms a chat reply may say it noted: only terms the persona
 * actually holds after the update (a term the user removed with `/persona remove` is not added
 * back by an ordinary mention, so the reply must not claim it was noted).
 */
import type { Interest, Lang, Persona } from '../domain.js';
import { t, type MessageKey } from '../messages.js';
import type { MessageAnalysis } from '../persona.js';
import { normalizeTerm } from './persona-extract.js';

const ORIGIN_KEYS: Record<Interest['source'], MessageKey> = {
  message: 'persona.origin.message',
  feedback: 'persona.origin.feedback',
  llm: 'persona.origin.llm',
  user: 'persona.origin.user',
};
const ORDER: Interest['source'][] = ['user', 'message', 'feedback', 'llm'];

/**
 * Terms grouped by origin, strongest first within a group: "chess, go (from our chat); jazz (from the LLM)".
 * @example
 * termsWithOrigin(persona.interests, 'en', 10);
 */
export function termsWithOrigin(list: readonly Interest[], lang: Lang, max = 10): string {
  const top = [...list].sort((a, b) => b.weight - a.weight).slice(0, max);
  return ORDER.map((source) => {
    const terms = top.filter((i) => i.source === source).map((i) => i.term);
    return terms.length ? `${terms.join(', ')} (${t(lang, ORIGIN_KEYS[source])})` : '';
  })
    .filter(Boolean)
    .join('; ');
}

/** The terms a reply may say were noted: those the persona holds now (interests or dislikes). */
export function notedTerms(terms: readonly string[], persona: Persona, list: 'interests' | 'dislikes'): string[] {
  const held = new Set(persona[list].map((i) => normalizeTerm(i.term)));
  return terms.filter((term) => held.has(normalizeTerm(term)));
}

/**
 * What the reply to a chat message may say it noted: the liked (or, failing explicit likes, the
 * mentioned) terms and the dislikes, each only if the updated persona holds it.
 */
export function notedOf(analysis: MessageAnalysis, persona: Persona): { likes: string[]; dislikes: string[] } {
  const positive = (analysis.likes.length ? analysis.likes : analysis.terms).filter(
    (x) => !analysis.dislikes.includes(x),
  );
  return {
    likes: notedTerms(positive, persona, 'interests'),
    dislikes: notedTerms(analysis.dislikes, persona, 'dislikes'),
  };
}
