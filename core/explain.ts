/**
 * Template explanations. Facts and wording are kept apart: `reasonsFor` picks the facts from the
 * evidence (and nothing else); `renderReasons` words them in the user's language. The LLM layer
 * (core/llm) only rewords the same reasons.
 */
import type { Evidence, Lang } from './domain.js';
import { categoryName, t } from './messages.js';

export type Reason =
  | { kind: 'liked'; title: string }
  | { kind: 'interests'; terms: string[] }
  | { kind: 'topic'; terms: string[] }
  | { kind: 'category'; category: Evidence['category'] }
  | { kind: 'fresh'; ageHours: number }
  | { kind: 'popular' }
  | { kind: 'explore' }
  | { kind: 'default'; category: Evidence['category'] };

/** The (at most two) strongest reasons, from the evidence only. */
export function reasonsFor(e: Evidence): Reason[] {
  const out: Reason[] = [];
  if (e.topicTerms.length > 0) out.push({ kind: 'topic', terms: e.topicTerms.slice(0, 2) });
  const liked = e.likedSimilar[0];
  // The scorer lists a liked item only where the resemblance stands out (see rankItems).
  if (liked) out.push({ kind: 'liked', title: liked.title });
  if (e.interests.length > 0) out.push({ kind: 'interests', terms: e.interests.slice(0, 2) });
  if (e.exploration && out.length < 2) out.push({ kind: 'explore' });
  if (e.likedCategory && out.length < 2) out.push({ kind: 'category', category: e.category });
  if (e.ageHours < 24 && out.length < 2) out.push({ kind: 'fresh', ageHours: e.ageHours });
  if (e.popular && out.length < 2) out.push({ kind: 'popular' });
  if (out.length === 0) out.push({ kind: 'default', category: e.category });
  return out.slice(0, 2);
}

export function formatAge(hours: number, lang: Lang): string {
  if (hours < 1) return t(lang, 'age.minutes', { n: Math.max(1, Math.round(hours * 60)) });
  if (hours < 48) return t(lang, 'age.hours', { n: Math.round(hours) });
  return t(lang, 'age.days', { n: Math.round(hours / 24) });
}

function shorten(title: string, max = 48): string {
  const chars = Array.from(title);
  return chars.length <= max ? title : `${chars.slice(0, max - 1).join('')}…`;
}

export function renderReason(r: Reason, lang: Lang): string {
  switch (r.kind) {
    case 'liked':
      return t(lang, 'why.liked', { title: shorten(r.title) });
    case 'interests':
      return t(lang, 'why.interests', { terms: r.terms.join(', ') });
    case 'topic':
      return t(lang, 'why.topic', { terms: r.terms.join(', ') });
    case 'category':
      return t(lang, 'why.category', { category: categoryName(r.category, lang) });
    case 'fresh':
      return t(lang, 'why.fresh', { age: formatAge(r.ageHours, lang) });
    case 'popular':
      return t(lang, 'why.popular');
    case 'explore':
      return t(lang, 'why.explore');
    case 'default':
      return t(lang, 'why.default', { category: categoryName(r.category, lang) });
  }
}

export function renderReasons(reasons: readonly Reason[], lang: Lang): string {
  const parts = reasons.map((r) => renderReason(r, lang));
  const sentence = parts.join(t(lang, 'why.join'));
  // Capitalising is a no-op for Hangul, so one rule serves both languages.
  return t(lang, 'why.sentence', { sentence: sentence.charAt(0).toUpperCase() + sentence.slice(1) });
}

/** One short sentence per item, in the user's language, grounded in its evidence. */
export function explainTemplate(e: Evidence, lang: Lang): string {
  return renderReasons(reasonsFor(e), lang);
}
