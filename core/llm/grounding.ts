/**
 * The grounding checker: a POSITIVE check. An LLM sentence passes only when every word in it is
 * accounted for — by the evidence, by a number the evidence holds, or by the small closed
 * vocabulary of connecting words for its language (prompts/grounding-<lang>.json) — and its
 * claims about the user name evidence of the right kind. Anything else falls back to the template.
 *
 * What an accepted sentence is made of (docs/LLM.md states the guarantee and its limits):
 * 1. Quoted spans ('…', "…", “…”, 「…」, …) that are an evidence string: a title or liked title (whole,
 *    or a prefix of it or of one of its parts between separators), or a term / category / source
 *    name (or a list of them). Titles count ONLY when quoted: an unquoted word from a title is not
 *    accounted for, so text injected through a title can appear only verbatim, between quotes.
 * 2. Unquoted evidence terms: interest and request terms (or a content word of one), category and
 *    source names, in any case, with an English plural/possessive or a Korean particle or copula
 *    ending (never a verb ending: a user's term cannot be turned into a statement).
 * 3. Numbers equal to the item's age in the unit they are given in (digits or number words).
 * 4. Words and phrases of the closed vocabulary. "Gated" phrases (popular, new, today, yesterday,
 *    something different to explore) only when the evidence has that fact.
 * 5. Punctuation. No symbols, emoji, links, markup, invisible characters or look-alike letters.
 * Plus three rules over the words: a claim about the user ("you love", "fan of", "좋아하시는",
 * "because you liked") must have, nearest to it, evidence of a kind that supports it (an interest
 * for "you love", a liked title for "you liked", a request term for "you asked for"); a user's term
 * is never the subject or complement of "is/are/has" ("the bot is hacked" with "bot" and
 * "hacked" as interests); in Korean, never a subject (봇이) whose predicate is another term (해킹이에요).
 * The checker is deliberately strict: a false rejection costs only the plainer template line.
 *
 * The parts: grounding-facts.ts (what the evidence allows: `factsOf`), grounding-terms.ts (quotes and evidence
 * terms), grounding-spans.ts (phrase, term and number matching), grounding-rules.ts (claims and subjects). This
 * module is the checker itself (`checkSentence`, `GroundingChecker`) and re-exports the public parts.
 */
import type { Evidence, Lang } from '../domain.js';
import {
  DEFAULT_MAX_CHARS,
  factsOf,
  reject,
  type EvidenceKind,
  type GroundingFacts,
  type GroundingOptions,
  type GroundingResult,
} from './grounding-facts.js';
import { checkClaims, checkSubjects } from './grounding-rules.js';
import {
  evidenceSpans,
  inside,
  numberEnds,
  occurrences,
  phraseAt,
  startingAt,
  termAt,
  unitOf,
  type Occurrence,
  type Span,
} from './grounding-spans.js';
import { quoteKinds, quotedStrings, termsOf } from './grounding-terms.js';
import { numberPhrases } from './numbers.js';
import { CLAIMS, GATES, type GroundingVocabularies, type GroundingVocabulary, type Phrase } from './vocabulary.js';
import {
  firstInvisible,
  isInvisible,
  QUOTE_CLOSE,
  QUOTE_OPEN,
  lookAlikeWord,
  normalizeText,
  tokenize,
  type Token,
} from './words.js';

export {
  DEFAULT_MAX_CHARS,
  factsOf,
  FRESH_HOURS,
  TODAY_HOURS,
  type EvidenceKind,
  type GroundingFacts,
  type GroundingOptions,
  type GroundingResult,
} from './grounding-facts.js';
export { quotedStrings } from './grounding-terms.js';

const TLDS =
  'com|net|org|io|co|kr|jp|cn|ru|uk|de|fr|me|ly|gg|tv|xyz|info|biz|app|dev|link|site|online|example|top|click|live|shop|store|blog|news|page|one|ai|to|sh|cc|us|eu|in|tk|ml|ga|cf|gq|zip|mov|onion|bit|tiny|kakao|naver';
const URLISH = new RegExp(
  String.raw`(?:\b[a-z][a-z0-9+.-]*:\/\/|\bwww\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:${TLDS})\b(?!\.[a-z]{2,}\w)|\[[^\]]*\]\([^)]*\)|\bmailto:|\bt\.me\/|\bdiscord\.gg\b)`,
  'i',
);
const MARKUP = /[<>`{}|]|\*\*|__|@everyone|@here|\]\(|^#|\n|\r/;
const CONTROL = /[\p{Cc}]/u;

/**
 * Checks one candidate sentence against the facts it may state, with the vocabulary of `lang`.
 * @example
 * const vocab = loadGroundingVocabularies();
 * checkSentence("Since you liked 'Zelda', here is more.", factsOf(evidence), 'en', vocab.en);
 */
export function checkSentence(
  candidate: unknown,
  facts: GroundingFacts,
  lang: Lang,
  vocab: GroundingVocabulary,
  options: GroundingOptions = {},
): GroundingResult {
  if (typeof candidate !== 'string') return reject('not a string');
  const invisible = firstInvisible(candidate);
  if (invisible >= 0) {
    const around = candidate.slice(Math.max(0, invisible - 12), invisible + 12);
    return reject(
      'invisible or bidi characters',
      Array.from(around, (ch) => (isInvisible(ch) ? '\u2420' : ch)).join(''),
    );
  }
  const text = candidate
    .normalize('NFKC')
    .replace(/[ \t]+/g, ' ')
    .trim();
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS[lang];
  const minChars = options.minChars ?? 6;
  const length = Array.from(text).length;
  if (length < minChars) return reject('too short');
  if (length > maxChars) return reject(`too long (${length} > ${maxChars})`);
  if (MARKUP.test(text)) return reject('contains markup, a mention or a line break');
  if (CONTROL.test(text)) return reject('control characters');
  if (URLISH.test(text)) return reject('contains a link or domain');
  const lookAlike = lookAlikeWord(text);
  if (lookAlike !== undefined) return reject('look-alike characters (mixed alphabets in one word)', lookAlike);
  if (facts.templates.some((t) => t.normalize('NFKC').trim() === text)) return { ok: true, text };

  const terms = termsOf(facts, vocab);
  // Quoted spans must be evidence; they become single tokens.
  const prepared = text.replace(/([을를이가은는와과])\(([을를이가은는와과])\)/g, '$1').replace(/\((?:으|이)\)/g, '');
  const quotes = quotedStrings(prepared);
  const quoteKindsByIndex: Set<EvidenceKind>[] = [];
  let marked = '';
  let last = 0;
  for (const [k, q] of quotes.entries()) {
    const kinds = quoteKinds(q.text, facts, terms);
    if (kinds.size === 0) return reject('quotes something not in the evidence', q.text.slice(0, 60));
    quoteKindsByIndex.push(kinds);
    marked += `${prepared.slice(last, q.index)} ${QUOTE_OPEN}${k}${QUOTE_CLOSE}`;
    last = q.index + q.length;
  }
  marked += prepared.slice(last);
  if ((marked.match(/["“”「」『』]/g)?.length ?? 0) > 0) return reject('unbalanced quotes');

  let tokens = tokenize(normalizeText(marked));
  const symbol = tokens.find((t) => t.symbol);
  if (symbol) return reject('a symbol the evidence does not account for', symbol.text);
  for (const t of tokens)
    if (t.quote !== undefined && !vocab.termSuffixes.has(t.suffix ?? ''))
      return reject('a quoted title turned into another word', t.suffix);

  // The phrases this sentence may use: plain words, the gates the evidence opens, the claims.
  const open = GATES.filter((g) => facts.flags[g]);
  const closed = GATES.filter((g) => !facts.flags[g]);
  const phraseLists = [vocab.words, ...open.map((g) => vocab.gated[g]), ...CLAIMS.map((c) => vocab.claims[c])];
  const vocabPhrases = phraseLists.flat();
  const numberWords = numberPhrases(facts.numbers.any, lang).map((phrase) => ({
    phrase,
    value: valueOf(phrase, facts, lang),
  }));

  // Hyphenated words that are not a vocabulary or evidence word as a whole count part by part.
  const firstWords = new Set([...vocabPhrases, ...terms.map((t) => t.words)].map((p) => p[0]));
  tokens = tokens.flatMap((t) =>
    t.text.includes('-') && !t.punct && t.quote === undefined && !firstWords.has(t.text)
      ? t.text.split(/(-)/).flatMap((p): Token[] => (p === '-' ? [{ text: '-', punct: true }] : p ? [{ text: p }] : []))
      : [t],
  );

  const vocabWords = new Set([...vocabPhrases.filter((p) => p.length === 1).map((p) => p[0]!), ...vocab.units.keys()]);
  const spans = evidenceSpans(tokens, quoteKindsByIndex, terms, vocab, vocabWords);
  const inTerm = (o: Occurrence): boolean =>
    spans.some((s) => s.start <= o.start && s.end >= o.end && s.kinds.size > 0 && tokens[s.start]!.quote === undefined);

  // Gated facts the evidence does not have.
  const openOcc = occurrences(
    tokens,
    open.flatMap((g) => vocab.gated[g]),
    vocab.wordSuffixes,
  );
  for (const g of closed) {
    for (const o of occurrences(tokens, vocab.gated[g], vocab.wordSuffixes)) {
      if (inside(o, openOcc) || inTerm(o)) continue;
      const words = tokens
        .slice(o.start, o.end)
        .map((t) => t.text)
        .join(' ');
      return reject(`states "${g}" but the evidence does not`, words);
    }
  }

  // Every token accounted for: reachability over spans of punctuation, quotes, numbers, terms, words.
  const reach = new Array<boolean>(tokens.length + 1).fill(false);
  reach[0] = true;
  for (let i = 0; i < tokens.length; i++) {
    if (!reach[i]) continue;
    const t = tokens[i]!;
    const ends: number[] = [];
    if (t.punct || t.quote !== undefined) ends.push(i + 1);
    else {
      ends.push(...numberEnds(tokens, i, facts, vocab, numberWords));
      const term = termAt(tokens, i, terms, vocab);
      if (term) ends.push(term.end);
      for (const list of phraseLists)
        for (const p of startingAt(t, list)) {
          const end = phraseAt(tokens, i, p, vocab.wordSuffixes);
          if (end > 0) ends.push(end);
        }
    }
    for (const e of ends) reach[e] = true;
  }
  if (!reach[tokens.length]) {
    let m = tokens.length;
    while (m > 0 && !reach[m]) m--;
    const word = tokens[m]!.text;
    if (/^\d/.test(word)) return reject('a number the evidence does not hold', word);
    if (unitOf(word, vocab) !== undefined && m > 0)
      return reject('a number the evidence does not hold', `${tokens[m - 1]!.text} ${word}`);
    return reject('a word the evidence does not account for', word);
  }

  // Claims about the user must name evidence that supports them.
  const framedByClaim = new Set<Span>();
  const claimResult = checkClaims(tokens, spans, facts, vocab, lang, openOcc, framedByClaim);
  if (claimResult) return claimResult;
  const subjectResult = checkSubjects(tokens, spans, vocab, framedByClaim);
  if (subjectResult) return subjectResult;
  return { ok: true, text };
}

function valueOf(phrase: Phrase, facts: GroundingFacts, lang: Lang): number {
  for (const n of facts.numbers.any)
    if (numberPhrases(new Set([n]), lang).some((p) => p.join(' ') === phrase.join(' '))) return n;
  return NaN;
}

export interface GroundedLines {
  lines: string[];
  /** Which items fell back to the template, why, the rejected text and the first unaccounted word. */
  rejected: { index: number; reason: string; text?: string; word?: string }[];
}

/** The checker with its vocabularies bound (what the explainer holds). */
export class GroundingChecker {
  constructor(
    readonly vocabularies: GroundingVocabularies,
    private readonly options: GroundingOptions = {},
  ) {}

  check(candidate: unknown, facts: GroundingFacts, lang: Lang): GroundingResult {
    return checkSentence(candidate, facts, lang, this.vocabularies[lang], this.options);
  }

  /**
   * Checks one candidate per item against that item's own evidence and template; a rejected or
   * missing candidate falls back to the template.
   */
  lines(
    items: readonly { evidence: Evidence; template: string }[],
    candidates: readonly (string | undefined)[],
    lang: Lang,
  ): GroundedLines {
    const lines: string[] = [];
    const rejected: GroundedLines['rejected'] = [];
    items.forEach((item, index) => {
      const candidate = candidates[index];
      if (candidate === undefined) {
        lines.push(item.template);
        rejected.push({ index, reason: 'missing' });
        return;
      }
      const result = this.check(candidate, factsOf(item.evidence, [item.template]), lang);
      if (result.ok) lines.push(result.text);
      else {
        lines.push(item.template);
        rejected.push({
          index,
          reason: result.reason,
          text: candidate,
          ...(result.word !== undefined ? { word: result.word } : {}),
        });
      }
    });
    return { lines, rejected };
  }
}
