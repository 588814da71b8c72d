/**
 * Normalisation, tokenising and word matching shared by the grounding checker and the persona
 * term check (Korean and English):
 * - NFKC (fullwidth and mathematical letters, ligatures fold to plain letters), lower case, ’ → ';
 * - invisible characters (zero-width, bidi controls, fillers, variation selectors) are found, not kept;
 * - a word that mixes Latin with another alphabet's letters (Cyrillic "а" in "Sаmsung") is a look-alike;
 * - Korean words split into a stem and one ending from a closed list (particles, copula endings,
 *   verb endings: the data in prompts/grounding-ko.json); English words match their singular
 *   (`pluralize`) and possessive forms.
 */
import pluralize from 'pluralize';

/** Code point ranges of invisible characters that are not format (Cf) characters: fillers, joiners, selectors. */
const INVISIBLE_RANGES: readonly [number, number][] = [
  [0x034f, 0x034f], // combining grapheme joiner
  [0x115f, 0x1160], // Hangul choseong/jungseong fillers
  [0x17b4, 0x17b5], // Khmer inherent vowels
  [0x180b, 0x180f], // Mongolian variation selectors
  [0x3164, 0x3164], // Hangul filler
  [0xfe00, 0xfe0f], // variation selectors
  [0xffa0, 0xffa0], // halfwidth Hangul filler
  [0xe0100, 0xe01ef], // variation selectors supplement
];

/** True for zero-width, bidi-control and other format characters, fillers and variation selectors. */
export function isInvisible(ch: string): boolean {
  if (/\p{Cf}/u.test(ch)) return true;
  const cp = ch.codePointAt(0) ?? 0;
  return INVISIBLE_RANGES.some(([a, b]) => cp >= a && cp <= b);
}

/** The index of the first invisible character, or -1. */
export function firstInvisible(s: string): number {
  let i = 0;
  for (const ch of s) {
    if (isInvisible(ch)) return i;
    i += ch.length;
  }
  return -1;
}

const HANGUL = /[\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F]/;

/** NFKC, lower case, straight apostrophes, no invisible characters, collapsed spaces. */
export function normalizeText(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/./gsu, (ch) => (isInvisible(ch) ? '' : ch))
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(/(?<=\p{L})\/(?=\p{L})/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The scripts of the letters in a word. */
function scriptsOf(word: string): Set<string> {
  const out = new Set<string>();
  for (const ch of word) {
    if (!/\p{L}/u.test(ch)) continue;
    if (/\p{Script=Latin}/u.test(ch)) out.add('latin');
    else if (/\p{Script=Hangul}/u.test(ch)) out.add('hangul');
    else if (/\p{Script=Cyrillic}/u.test(ch)) out.add('cyrillic');
    else if (/\p{Script=Greek}/u.test(ch)) out.add('greek');
    else out.add('other');
  }
  return out;
}

/** The first word that mixes Latin letters with Cyrillic, Greek or other non-Hangul letters. */
export function lookAlikeWord(text: string): string | undefined {
  for (const word of text.normalize('NFKC').split(/[^\p{L}\p{N}'’-]+/u)) {
    const s = scriptsOf(word);
    if (s.has('latin') && (s.has('cyrillic') || s.has('greek') || s.has('other'))) return word;
  }
  return undefined;
}

export function hasHangul(s: string): boolean {
  return HANGUL.test(s);
}

/** A token of a sentence: a word, a number, a quoted evidence string (`quote` index) or punctuation. */
export interface Token {
  /** Normalised text (lower case). */
  text: string;
  quote?: number;
  /** Korean ending right after a quote (`'…'를`). */
  suffix?: string;
  punct?: boolean;
  /** Sentence punctuation (. ! ? ; :) or a dash. */
  stop?: boolean;
  /** A character that is neither a letter, a digit nor allowed punctuation ($, %, #, emoji, …). */
  symbol?: boolean;
}

/** Punctuation a sentence may carry; everything else that is not a letter or digit is a symbol. */
const PUNCT = new Set([...'.,!?;:()"\'~·/…—–-', '。', '、', '？', '！', '，']);
const STOPS = new Set([...'.!?;:…—–', '。', '？', '！']);
export const QUOTE_OPEN = '\uE000';
export const QUOTE_CLOSE = '\uE001';

const TOKEN = new RegExp(
  [
    `${QUOTE_OPEN}(\\d+)${QUOTE_CLOSE}([\\p{L}\\p{N}]*)`,
    `\\d+(?:[.,]\\d+)+`,
    `[\\p{L}\\p{N}]+(?:['-][\\p{L}\\p{N}]+)*'?`,
    `\\S`,
  ].join('|'),
  'gu',
);

/**
 * Splits normalised text into tokens. Digits and letters glued together are split ("5시간" →
 * "5", "시간"); quote markers (QUOTE_OPEN n QUOTE_CLOSE) become quote tokens.
 */
export function tokenize(normalized: string): Token[] {
  const out: Token[] = [];
  for (const m of normalized.matchAll(TOKEN)) {
    const text = m[0];
    if (m[1] !== undefined) {
      out.push({ text, quote: Number(m[1]), suffix: m[2] ?? '' });
      continue;
    }
    if (/^[\p{L}\p{N}]/u.test(text)) {
      // "5시간" → "5" + "시간"; "s25" stays one token (Latin and digits).
      const parts = hasHangul(text) ? text.split(/(?<=\d)(?=\p{L})|(?<=\p{L})(?=\d)/u) : [text];
      for (const p of parts) out.push({ text: p });
      continue;
    }
    if (PUNCT.has(text)) out.push({ text, punct: true, stop: STOPS.has(text) });
    else out.push({ text, symbol: true });
  }
  return out;
}

/** Plain word tokens of a string (for comparing titles and terms). */
export function wordsOf(s: string): string[] {
  return tokenize(normalizeText(s))
    .filter((t) => !t.punct && !t.symbol && t.quote === undefined)
    .map((t) => t.text);
}

const formsCache = new Map<string, string[]>();

/** English forms a token may stand for: itself, its singular, without a possessive. */
export function englishForms(token: string): string[] {
  const cached = formsCache.get(token);
  if (cached) return cached;
  const base = token.replace(/'s$|'$/, '');
  const out = new Set([token, base]);
  if (/^[a-z]{3,}$/.test(base)) out.add(pluralize.singular(base));
  const forms = [...out];
  if (formsCache.size > 50_000) formsCache.clear();
  formsCache.set(token, forms);
  return forms;
}

/**
 * Whether `token` is `word` carrying one allowed ending. Hangul tokens split into stem + ending
 * (`suffixes`, Korean particles/endings); others compare English forms (plural, possessive).
 */
export function tokenMatches(token: string, word: string, suffixes: ReadonlySet<string>): boolean {
  if (word.endsWith('$')) return token === word.slice(0, -1);
  if (token === word) return true;
  if (hasHangul(token) || hasHangul(word)) {
    return token.startsWith(word) && suffixes.has(token.slice(word.length));
  }
  if (/^\d/.test(token)) return false;
  const wordForms = englishForms(word);
  return englishForms(token).some((f) => wordForms.includes(f));
}

/** The ending a token carries after `word` ("" when none or not Korean). */
export function suffixAfter(token: string, word: string): string {
  return hasHangul(token) && token.startsWith(word) ? token.slice(word.length) : '';
}
