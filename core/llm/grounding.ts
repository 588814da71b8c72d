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
 */
import type { Category, Evidence, Lang } from '../domain.js';
import { categoryName } from '../messages.js';
import { evidenceNumbers, numberPhrases, type EvidenceNumbers } from './numbers.js';
import {
  CLAIMS,
  GATES,
  type ClaimKind,
  type Gate,
  type GroundingVocabularies,
  type GroundingVocabulary,
  type Phrase,
  type Unit,
} from './vocabulary.js';
import {
  firstInvisible,
  isInvisible,
  QUOTE_CLOSE,
  hasHangul,
  QUOTE_OPEN,
  lookAlikeWord,
  normalizeText,
  suffixAfter,
  tokenMatches,
  tokenize,
  wordsOf,
  englishForms,
  type Token,
} from './words.js';

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

const TLDS =
  'com|net|org|io|co|kr|jp|cn|ru|uk|de|fr|me|ly|gg|tv|xyz|info|biz|app|dev|link|site|online|example|top|click|live|shop|store|blog|news|page|one|ai|to|sh|cc|us|eu|in|tk|ml|ga|cf|gq|zip|mov|onion|bit|tiny|kakao|naver';
const URLISH = new RegExp(
  String.raw`(?:\b[a-z][a-z0-9+.-]*:\/\/|\bwww\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:${TLDS})\b(?!\.[a-z]{2,}\w)|\[[^\]]*\]\([^)]*\)|\bmailto:|\bt\.me\/|\bdiscord\.gg\b)`,
  'i',
);
const MARKUP = /[<>`{}|]|\*\*|__|@everyone|@here|\]\(|^#|\n|\r/;
const CONTROL = /[\p{Cc}]/u;

/** Strings quoted in a sentence: '…' (not apostrophes), "…", “…”, ‘…’, 「…」, 『…』, «…», 《…》, 〈…〉. */
export function quotedStrings(s: string): { text: string; index: number; length: number }[] {
  const patterns = [
    /(?<![A-Za-z0-9])['‘]([^'‘’\n]{1,300}?)['’](?![A-Za-z])/g,
    /"([^"\n]{1,300}?)"/g,
    /“([^”\n]{1,300}?)”/g,
    /「([^」\n]{1,300}?)」/g,
    /『([^』\n]{1,300}?)』/g,
    /«([^»\n]{1,300}?)»/g,
    /《([^》\n]{1,300}?)》/g,
    /〈([^〉\n]{1,300}?)〉/g,
  ];
  const out: { text: string; index: number; length: number }[] = [];
  for (const p of patterns)
    for (const m of s.matchAll(p)) {
      // A quote inside another (a title with "…" quoted in '…') belongs to the outer one.
      if (out.some((o) => m.index >= o.index && m.index < o.index + o.length)) continue;
      out.push({ text: m[1] ?? '', index: m.index, length: m[0].length });
    }
  return out.sort((a, b) => a.index - b.index);
}

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

// ---------------------------------------------------------------- the compiled facts of one check

interface Term {
  words: string[];
  kinds: Set<EvidenceKind>;
}

interface Span {
  start: number;
  end: number;
  kinds: Set<EvidenceKind>;
  /** The last word of the matched term (for its Korean ending). */
  lastWord?: string;
}

interface Occurrence {
  start: number;
  end: number;
}

/** What may stand nearest a claim of each kind. */
function supports(kind: ClaimKind, kinds: ReadonlySet<EvidenceKind>, facts: GroundingFacts): boolean {
  const cat = kinds.has('category') && facts.flags.likedCategory;
  switch (kind) {
    case 'interest':
      return kinds.has('interest') || kinds.has('topic') || kinds.has('liked') || cat;
    case 'liked':
      return kinds.has('liked') || cat;
    case 'request':
      return kinds.has('topic');
  }
}

/**
 * Unquoted terms: interest/request terms (and their content words), category and source names,
 * and the content words of titles and liked titles (never a whole title sentence: a title word
 * outside quotes is held to the same frame rules as a user's term).
 */
function termsOf(facts: GroundingFacts, vocab: GroundingVocabulary): Term[] {
  const byKey = new Map<string, Term>();
  const add = (words: string[], kind: EvidenceKind): void => {
    if (words.length === 0) return;
    const key = words.join(' ');
    const t = byKey.get(key) ?? { words, kinds: new Set<EvidenceKind>() };
    t.kinds.add(kind);
    byKey.set(key, t);
  };
  const content = (w: string): boolean => Array.from(w).length >= 2 && !vocab.termStopwords.has(w) && !/^\d/.test(w);
  for (const s of facts.strings) {
    const words =
      s.kind === 'source' ? wordsOf(s.text.replace(/^rss:/i, '').replace(/[-_:.]+/g, ' ')) : wordsOf(s.text);
    if (s.kind === 'title' || s.kind === 'liked') {
      for (const raw of words) {
        if (vocab.titleWordExcludeEndings.some((e) => raw.length > e.length && raw.endsWith(e))) continue;
        const w = stripParticle(raw, vocab);
        if (!content(w)) continue;
        add([w], s.kind);
      }
      continue;
    }
    add(words, s.kind);
    // A content word of a multi-word interest/request term ("handhelds" of "retro handhelds").
    if ((s.kind === 'interest' || s.kind === 'topic') && words.length > 1) {
      for (const w of words) if (content(w)) add([w], s.kind);
    }
  }
  for (const id of facts.sources) for (const name of vocab.sourceNames[id] ?? []) add(wordsOf(name), 'source');
  return [...byKey.values()];
}

/** A Korean word without its particle ("지시를" → "지시"), when it ends in one. */
function stripParticle(word: string, vocab: GroundingVocabulary): string {
  for (let k = 1; k < word.length; k++) {
    const stem = word.slice(0, word.length - k);
    if (hasHangul(word) && vocab.termSuffixes.has(word.slice(stem.length)) && stem.length >= 1) {
      // Prefer the longest particle that leaves a stem of at least one syllable.
      let best = stem;
      for (let j = k + 1; j < word.length; j++) {
        const st = word.slice(0, word.length - j);
        if (vocab.termSuffixes.has(word.slice(st.length))) best = st;
      }
      return best;
    }
  }
  return word;
}

/** Title parts between separators (": ", " — ", " | ", brackets, commas). */
function segmentsOf(text: string): string[][] {
  return normalizeText(text)
    .split(/\s[-–—|·/]\s|[:—–|·…[\]()",]/)
    .map((s) => wordsOf(s))
    .filter((w) => w.length > 0);
}

function isPrefix(q: readonly string[], s: readonly string[], truncated: boolean): boolean {
  if (q.length === 0 || q.length > s.length) return false;
  return q.every((w, i) =>
    i === q.length - 1 && truncated ? s[i]!.startsWith(w) : w === s[i] || tokenMatches(w, s[i]!, new Set([''])),
  );
}

/** What a quoted string is in the evidence (empty: not in the evidence). */
function quoteKinds(quoted: string, facts: GroundingFacts, terms: readonly Term[]): Set<EvidenceKind> {
  const truncated = /(?:…|\.\.\.)\s*$/.test(quoted);
  const q = wordsOf(quoted.replace(/(?:…|\.\.\.)\s*$/, ''));
  const kinds = new Set<EvidenceKind>();
  if (q.length === 0) return kinds;
  const same = (a: readonly string[], b: readonly string[]): boolean =>
    a.length === b.length && a.every((w, i) => tokenMatches(w, b[i]!, new Set([''])));
  for (const s of facts.strings) {
    const words = wordsOf(s.text);
    if (same(q, words)) kinds.add(s.kind);
    else if (
      (s.kind === 'title' || s.kind === 'liked') &&
      [words, ...segmentsOf(s.text)].some((seg) => isPrefix(q, seg, truncated))
    )
      kinds.add(s.kind);
  }
  for (const t of terms) if (same(q, t.words)) for (const k of t.kinds) kinds.add(k);
  if (kinds.size === 0) {
    // A list of terms in one quote ('football, son'), as the topic template writes it.
    const parts = normalizeText(quoted)
      .split(/\s*(?:,|&|\band\b|\bor\b|및)\s*/)
      .map(wordsOf)
      .filter((p) => p.length > 0);
    const matched = parts.map((p) => terms.find((t) => same(p, t.words)));
    if (parts.length > 1 && matched.every((m) => m !== undefined))
      for (const m of matched) for (const k of m!.kinds) kinds.add(k);
  }
  return kinds;
}

/** Where `phrase` occurs at position i (→ end index), each word carrying an allowed ending. */
function phraseAt(tokens: readonly Token[], i: number, phrase: Phrase, suffixes: ReadonlySet<string>): number {
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
function startingAt(token: Token, phrases: readonly Phrase[]): Phrase[] {
  if (token.punct || token.symbol || token.quote !== undefined) return [];
  const index = indexOf(phrases);
  const keys = hasHangul(token.text)
    ? Array.from({ length: token.text.length }, (_, k) => token.text.slice(0, k + 1))
    : englishForms(token.text);
  return [...new Set(keys.flatMap((k) => index.get(k) ?? []))];
}

function occurrences(
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

const inside = (o: Occurrence, outer: readonly Occurrence[]): boolean =>
  outer.some((x) => x.start <= o.start && x.end >= o.end && x.end - x.start > o.end - o.start);

/** Longest term match at i, or undefined. */
function termAt(
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
function evidenceSpans(
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

const reject = (reason: string, word?: string): GroundingResult =>
  word === undefined ? { ok: false, reason } : { ok: false, reason, word };

/** Number spans at i: digits or number words equal to an evidence number, with an optional unit. */
function numberEnds(
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

function unitOf(token: string, vocab: GroundingVocabulary): Unit | undefined {
  const direct = vocab.units.get(token);
  if (direct) return direct;
  for (const [word, unit] of vocab.units) if (tokenMatches(token, word, vocab.termSuffixes)) return unit;
  return undefined;
}

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

function checkClaims(
  tokens: readonly Token[],
  spans: readonly Span[],
  facts: GroundingFacts,
  vocab: GroundingVocabulary,
  lang: Lang,
  openOcc: readonly Occurrence[],
  framed: Set<Span>,
): GroundingResult | undefined {
  const countWords = (from: number, to: number): number => tokens.slice(from, to).filter((t) => !t.punct).length;
  const hasPunct = (from: number, to: number, stopsOnly: boolean): boolean =>
    tokens.slice(from, to).some((t) => t.punct && (!stopsOnly || t.stop));
  const all = CLAIMS.flatMap((kind) =>
    occurrences(tokens, vocab.claims[kind], vocab.wordSuffixes).map((o) => ({ ...o, kind })),
  );
  for (const kind of CLAIMS) {
    for (const o of all.filter((c) => c.kind === kind)) {
      // Inside a longer claim ("you" of "you liked") or an open gated phrase (새로운 관심사): not a claim of its own.
      if (inside(o, openOcc) || inside(o, all)) continue;
      const words = tokens
        .slice(o.start, o.end)
        .map((t) => t.text)
        .join(' ');
      if (kind === 'liked' && !facts.flags.liked)
        return reject('claims the user liked something; the evidence does not', words);
      if (spans.some((s) => s.start <= o.start && s.end >= o.end)) continue; // the claim word is itself evidence
      const forward = spans.find(
        (s) => s.start >= o.end && !hasPunct(o.end, s.start, false) && countWords(o.end, s.start) <= 4,
      );
      const backward = [...spans]
        .reverse()
        .find((s) => s.end <= o.start && !hasPunct(s.end, o.start, lang === 'en') && countWords(s.end, o.start) <= 3);
      let pick: Span | undefined;
      if (lang === 'ko') {
        // Korean: the object precedes the claim (축구를 좋아하셔서, 축구 좋아하시는 분); an adnominal claim
        // with nothing right before it takes the noun right after it (좋아하시는 축구, 말씀하신 주제).
        const lastTok = tokens[o.end - 1]!.text;
        const adnominal = vocab.adnominalEndings.some((e) => lastTok.endsWith(e));
        const before = backward && countWords(backward.end, o.start) === 0 ? backward : undefined;
        const after = forward && countWords(o.end, forward.start) === 0 ? forward : undefined;
        pick = adnominal ? (before ?? after ?? backward ?? forward) : backward;
      } else {
        const fd = forward ? countWords(o.end, forward.start) : Infinity;
        const bd = backward ? countWords(backward.end, o.start) : Infinity;
        pick = fd <= bd ? forward : backward;
      }
      if (!pick) {
        // "because you liked similar stories": the liked fact holds (checked above) and names no evidence.
        if (kind === 'liked') continue;
        return reject('claims something about the user without naming the evidence', words);
      }
      // A compound of adjacent spans ("the Zelda games") is one object: one supporting member suffices.
      const compound = (s: Span): Span[] => {
        const out = [s];
        for (let k = spans.indexOf(s) - 1; k >= 0 && spans[k]!.end === out[0]!.start; k--) out.unshift(spans[k]!);
        for (let k = spans.indexOf(s) + 1; k < spans.length && spans[k]!.start === out.at(-1)!.end; k++)
          out.push(spans[k]!);
        return out;
      };
      const list = listOf(pick, pick === forward ? 1 : -1, tokens, spans, vocab);
      const bad = list.find((s) => !compound(s).some((c) => supports(kind, c.kinds, facts)));
      if (bad) {
        const named = tokens
          .slice(bad.start, bad.end)
          .map((t) => t.text)
          .join(' ');
        return reject(`claims "${words}" about something the evidence does not support`, named);
      }
      for (const s of list) framed.add(s);
    }
  }
  return undefined;
}

/** A span and the spans joined to it by list words ("zelda and 'X'", "축구와 야구"). */
function listOf(
  first: Span,
  dir: 1 | -1,
  tokens: readonly Token[],
  spans: readonly Span[],
  vocab: GroundingVocabulary,
): Span[] {
  const out = [first];
  let cur = first;
  for (;;) {
    const idx = spans.indexOf(cur);
    const next = spans[idx + dir];
    if (!next) break;
    const [a, b] = dir === 1 ? [cur.end, next.start] : [next.end, cur.start];
    const between = tokens.slice(a, b);
    const joinedByEnding = (): boolean => {
      const left = dir === 1 ? cur : next;
      const lastTok = tokens[left.end - 1]!;
      return ['와', '과', '랑', '이랑', '하고'].some((j) => lastTok.text.endsWith(j) && lastTok.text.length > j.length);
    };
    const joined =
      (between.length > 0 &&
        between.some((t) => vocab.listJoiners.has(t.text)) &&
        between.every((t) => vocab.listJoiners.has(t.text) || vocab.listFillers.has(t.text))) ||
      (between.length === 0 && joinedByEnding());
    if (!joined) break;
    out.push(next);
    cur = next;
  }
  return out;
}

/** A user's term as the subject or complement of a statement ("the bot is hacked", "봇이 해킹이에요"). */
function checkSubjects(
  tokens: readonly Token[],
  spans: readonly Span[],
  vocab: GroundingVocabulary,
  framedByClaim: ReadonlySet<Span>,
): GroundingResult | undefined {
  // Unquoted user terms and title words (category and source names are the code's own words); a term a
  // checked claim about the user names ("retro handhelds are your thing", "pizza, as you asked") is framed by it.
  const userTerm = (s: Span | undefined): boolean =>
    s !== undefined &&
    tokens[s.start]!.quote === undefined &&
    !s.kinds.has('category') &&
    !s.kinds.has('source') &&
    !framedByClaim.has(s);
  const spanEndingAt = (i: number): Span | undefined => spans.find((s) => s.end === i);
  const spanStartingAt = (i: number): Span | undefined => spans.find((s) => s.start === i);
  // A user's term stands in an "about" frame: "about zelda", "zelda fans", "축구를 …", "축구 이야기",
  // or in a list after one ("about zelda, 축구 and jazz").
  const licensed = new Set<Span>();
  for (const [k, s] of spans.entries()) {
    const prev = tokens[s.start - 1];
    const next = tokens[s.end];
    const before = spans[k - 1];
    const inList =
      prev !== undefined &&
      (prev.text === ',' || vocab.listJoiners.has(prev.text)) &&
      before !== undefined &&
      before.end === s.start - 1 &&
      (licensed.has(before) || !userTerm(before));
    const named = tokens
      .slice(s.start, s.end)
      .map((t) => t.text)
      .join(' ');
    if (userTerm(s) && !inList) {
      if (vocab.lang === 'en') {
        const ok = (prev && vocab.termBefore.has(prev.text)) || (next && vocab.termAfter.has(next.text));
        if (!ok) return reject('uses a user\'s term outside an "about" frame', named);
      } else {
        // Korean: a bare term (no particle) is followed by the word it modifies, follows a word of ours,
        // or starts a list ("zelda, 축구 이야기").
        const bare = suffixAfter(tokens[s.end - 1]!.text, s.lastWord ?? '') === '';
        const afterOurs = prev !== undefined && !prev.punct && !spans.some((o) => o.end === s.start);
        const listed = next?.text === ',' && spans[k + 1]?.start === s.end + 1;
        if (bare && (!next || next.punct) && !afterOurs && !listed)
          return reject('uses a user\'s term outside an "about" frame', named);
      }
    }
    if (userTerm(s) && vocab.lang === 'ko') {
      // Clause-final, a term may end in a copula (축구예요) but not become a verb (이어져요, 해킹됐어요).
      const ending = suffixAfter(tokens[s.end - 1]!.text, s.lastWord ?? '');
      const next2 = tokens[s.end];
      if ((!next2 || next2.punct) && ending !== '' && !vocab.copulaEndings.has(ending))
        return reject("uses a user's term or a title word as a predicate", named);
    }
    licensed.add(s);
  }
  for (let i = 0; i < tokens.length; i++) {
    if (!vocab.copulas.has(tokens[i]!.text)) continue;
    const next = tokens[i + 1]?.text ?? '';
    if ((userTerm(spanEndingAt(i)) && !vocab.copulaExemptNext.has(next)) || userTerm(spanStartingAt(i + 1)))
      return reject("makes a user's term the subject or complement of a statement", tokens[i]!.text);
  }
  // Korean: a term with a subject particle whose predicate is another term with a copula ending.
  let subject: Span | undefined;
  for (const s of spans) {
    if (s.start > 0 && subject && tokens.slice(subject.end, s.start).some((t) => t.stop)) subject = undefined;
    if (!userTerm(s)) continue;
    const lastTok = tokens[s.end - 1]!.text;
    const ending = suffixAfter(lastTok, s.lastWord ?? lastTok);
    if (subject && vocab.copulaEndings.has(ending))
      return reject("makes a user's term the subject or complement of a statement", lastTok);
    if (vocab.subjectParticles.has(ending)) subject = s;
  }
  return undefined;
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
