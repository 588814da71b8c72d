/**
 * Matching in a tokenised sentence for the grounding checker: where vocabulary phrases occur, the evidence spans
 * (quotes and unquoted terms), and number spans equal to an evidence number.
 */
import type { EvidenceKind, GroundingFacts } from './grounding-facts.js';
import type { Term } from './grounding-terms.js';
import type { GroundingVocabulary, Phrase, Unit } from './vocabulary.js';
import { englishForms, hasHangul, tokenMatches, type Token } from './words.js';

export interface Span {
  start: number;
  end: number;
  kinds: Set<EvidenceKind>;
  /** The last word of the matched term (for its Korean ending). */
  lastWord?: string;
}

export interface Occurrence {
  start: number;
  end: number;
}

/** Where `phrase` occurs at position i (→ end index), each word carrying an allowed ending. */
export function phraseAt(tokens: readonly Token[], i: number, phrase: Phrase, suffixes: ReadonlySet<string>): number {
  if (i + phrase.length > tokens.length) return -1;
  for (let k = 0; k < phrase.length; k++) {
    const t = tokens[i + k]!;
    if (t.punct || t.symbol || t.quote !== undefined) return -1;
    if (!tokenMatches(t.text, phrase[k]!, suffixes)) return -1;
  }
  return i + phrase.length;
}

/** Phrases by the forms of their first word, so a token is compared only with phrases it can start. */
const indexes = new WeakMap<readonly Phrase[], Map<string, Phrase[]>>();
function indexOf(phrases: readonly Phrase[]): Map<string, Phrase[]> {
  let index = indexes.get(phrases);
  if (!index) {
    index = new Map();
    for (const p of phrases) {
      const first = p[0]!.replace(/\$$/, '');
      for (const key of new Set([first, ...(hasHangul(first) ? [] : englishForms(first))])) {
        const list = index.get(key) ?? [];
        list.push(p);
        index.set(key, list);
      }
    }
    indexes.set(phrases, index);
  }
  return index;
}

/** The phrases of a list that may start at this token (a superset; phraseAt decides). */
export function startingAt(token: Token, phrases: readonly Phrase[]): Phrase[] {
  if (token.punct || token.symbol || token.quote !== undefined) return [];
  const index = indexOf(phrases);
  const keys = hasHangul(token.text)
    ? Array.from({ length: token.text.length }, (_, k) => token.text.slice(0, k + 1))
    : englishForms(token.text);
  return [...new Set(keys.flatMap((k) => index.get(k) ?? []))];
}

export function occurrences(
  tokens: readonly Token[],
  phrases: readonly Phrase[],
  suffixes: ReadonlySet<string>,
): Occurrence[] {
  const out: Occurrence[] = [];
  for (let i = 0; i < tokens.length; i++)
    for (const p of startingAt(tokens[i]!, phrases)) {
      const end = phraseAt(tokens, i, p, suffixes);
      if (end > 0) out.push({ start: i, end });
    }
  return out;
}

export const inside = (o: Occurrence, outer: readonly Occurrence[]): boolean =>
  outer.some((x) => x.start <= o.start && x.end >= o.end && x.end - x.start > o.end - o.start);

/** Longest term match at i, or undefined. */
export function termAt(
  tokens: readonly Token[],
  i: number,
  terms: readonly Term[],
  vocab: GroundingVocabulary,
): Span | undefined {
  let best: Span | undefined;
  for (const t of terms) {
    const end = phraseAt(tokens, i, t.words, vocab.termSuffixes);
    if (end > 0 && (!best || end > best.end))
      best = { start: i, end, kinds: new Set(t.kinds), lastWord: t.words.at(-1)! };
    else if (end > 0 && best && end === best.end) for (const k of t.kinds) best.kinds.add(k);
  }
  return best;
}

/** The evidence spans of a sentence (quotes and unquoted terms), left to right. */
export function evidenceSpans(
  tokens: readonly Token[],
  quoteKindsByIndex: readonly Set<EvidenceKind>[],
  terms: readonly Term[],
  vocab: GroundingVocabulary,
  vocabWords: ReadonlySet<string>,
): Span[] {
  const spans: Span[] = [];
  for (let i = 0; i < tokens.length;) {
    const t = tokens[i]!;
    if (t.quote !== undefined) {
      spans.push({ start: i, end: i + 1, kinds: quoteKindsByIndex[t.quote] ?? new Set() });
      i++;
      continue;
    }
    const span = termAt(tokens, i, terms, vocab);
    // A title word that is also a connecting word or a unit ("highlights", "review", "hours") is that word.
    const titleOnly = span && [...span.kinds].every((k) => k === 'title' || k === 'liked');
    if (span && !(titleOnly && span.end - span.start === 1 && vocabWords.has(span.lastWord ?? ''))) {
      spans.push(span);
      i = span.end;
    } else i++;
  }
  return spans;
}

/** Number spans at i: digits or number words equal to an evidence number, with an optional unit. */
export function numberEnds(
  tokens: readonly Token[],
  i: number,
  facts: GroundingFacts,
  vocab: GroundingVocabulary,
  words: readonly { phrase: Phrase; value: number }[],
): number[] {
  const starts: { end: number; value: number }[] = [];
  const t = tokens[i]!;
  if (/^\d+(?:[.,]\d+)*$/.test(t.text)) starts.push({ end: i + 1, value: Number(t.text.replace(/,/g, '')) });
  for (const w of words) {
    const end = phraseAt(tokens, i, w.phrase, vocab.termSuffixes);
    if (end > 0) starts.push({ end, value: w.value });
  }
  const ends: number[] = [];
  for (const s of starts) {
    const next = tokens[s.end];
    const unit = next && !next.punct ? unitOf(next.text, vocab) : undefined;
    if (unit !== undefined && facts.numbers.byUnit[unit].has(s.value)) ends.push(s.end + 1);
    // "a"/"an" are numbers only before a unit.
    if (facts.numbers.any.has(s.value) && !['a', 'an'].includes(t.text)) ends.push(s.end);
  }
  return ends;
}

export function unitOf(token: string, vocab: GroundingVocabulary): Unit | undefined {
  const direct = vocab.units.get(token);
  if (direct) return direct;
  for (const [word, unit] of vocab.units) if (tokenMatches(token, word, vocab.termSuffixes)) return unit;
  return undefined;
}
