/**
 * Matching hard filters ("mutes") against text, Unicode-aware, with no regular expression ever built from user
 * input: patterns are literal text with two wildcards, `*` (any run of characters inside one word) and `?` (one
 * character), matched by a two-pointer glob matcher in O(|pattern| · |word|) time at worst (no backtracking
 * explosion whatever the input).
 *
 * Normalisation (both sides): NFKC (full-width Ｆｏｏｔｂａｌｌ, half-width ﾃｽﾄ and compatibility jamo fold to their
 * ordinary forms), lower-casing and a few full case folds JavaScript's `toLowerCase` misses (ß → ss, ς → σ, ſ → s).
 *
 * Words: runs of letters, marks and digits, split where the script changes between Hangul and anything else
 * ("LG전자" → "lg", "전자"), so a Latin brand glued to Korean text is still its own word.
 *
 * What a word pattern matches (decided for users of both languages, and documented in docs/FILTERS.md):
 * - Latin and other space-separated scripts: whole words only ("cat" never mutes "category"), plus the English
 *   plural/possessive forms `-s`/`-es` ("goal" mutes "goals"). `foot*` matches every word starting with foot.
 * - Hangul, Han, kana and Thai (no spaces inside compounds): a pattern of two or more characters matches anywhere
 *   inside a word — "축구" mutes "축구경기", "프로축구" and "축구를". A one-syllable pattern ("골") matches only
 *   the whole word or the word with a particle ("골", "골을"), so it cannot mute half the catalog.
 * - Several words ("premier league"): the words in a row, each by the rules above.
 */
/** Korean particles a one-syllable pattern may carry ("골을", "골은"). */
const PARTICLES = new Set([
  '은',
  '는',
  '이',
  '가',
  '을',
  '를',
  '의',
  '에',
  '도',
  '로',
  '으로',
  '와',
  '과',
  '만',
  '에서',
  '에게',
  '까지',
  '부터',
  '처럼',
  '보다',
  '이나',
  '랑',
  '이랑',
  '하고',
]);

/** Longest pattern accepted (characters). */
export const MAX_PATTERN_CHARS = 64;
/** Most words in one pattern. */
export const MAX_PATTERN_WORDS = 6;

/** NFKC + case folding (the comparison form of every pattern and every text). */
export function foldText(s: string): string {
  return s.normalize('NFKC').toLowerCase().replace(/ß/g, 'ss').replace(/ς/g, 'σ').replace(/ſ/g, 's').normalize('NFKC');
}

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const HANGUL_CHAR = /[\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F]/;
const UNSPACED_CHAR =
  /[\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;

/** Splits a run of word characters where the script changes between Hangul and anything else (wildcards stay). */
function splitAtHangul(run: string): string[] {
  const out: string[] = [];
  let cur = '';
  let hangul: boolean | undefined;
  for (const c of run) {
    if (c === '*' || c === '?' || /\p{M}/u.test(c)) {
      cur += c;
      continue;
    }
    const h = HANGUL_CHAR.test(c);
    if (hangul !== undefined && h !== hangul && cur) {
      out.push(cur);
      cur = '';
    }
    hangul = h;
    cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

/** Words of a folded text (see the module comment). A constant expression, never one made from input. */
export function wordsOf(folded: string): string[] {
  const out: string[] = [];
  for (const m of folded.matchAll(WORD)) out.push(...splitAtHangul(m[0]));
  return out;
}

/**
 * Glob match of a whole word: `*` any run (possibly empty), `?` exactly one character (code point). Iterative
 * two-pointer algorithm: remembers only the last `*`, so the work is bounded by |pattern| · |word|.
 */
export function globMatch(pattern: readonly string[], word: readonly string[]): boolean {
  let p = 0,
    w = 0,
    star = -1,
    mark = 0;
  while (w < word.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === word[w]))) {
      p++;
      w++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = w;
    } else if (star >= 0) {
      p = star + 1;
      w = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** One word of a pattern, ready to test words. */
interface WordTest {
  (word: string): boolean;
}

function isUnspaced(chars: readonly string[]): boolean {
  return chars.length > 0 && chars.every((c) => UNSPACED_CHAR.test(c));
}

function wordTest(token: string): WordTest {
  const chars = Array.from(token);
  if (chars.includes('*') || chars.includes('?')) {
    return (word) => globMatch(chars, Array.from(word));
  }
  if (isUnspaced(chars)) {
    if (chars.length >= 2) return (word) => word.includes(token);
    const hangul = HANGUL_CHAR.test(token);
    return (word) => word === token || (hangul && word.startsWith(token) && PARTICLES.has(word.slice(token.length)));
  }
  const latin = /^[a-z]+$/.test(token) && token.length >= 3;
  return (word) => word === token || (latin && (word === `${token}s` || word === `${token}es`));
}

/** A compiled word/phrase pattern: `test(words)` over a text's words. */
export interface PhraseMatcher {
  readonly pattern: string;
  test(words: readonly string[]): boolean;
}

/** Why a pattern was refused (a message id suffix for the user). */
export type PatternProblem = 'empty' | 'too-long' | 'too-many-words' | 'too-broad';

/**
 * Checks and folds a word pattern. Refused: empty, longer than MAX_PATTERN_CHARS, more than MAX_PATTERN_WORDS
 * words, or fewer than two literal characters (`*`, `a*`: it would mute nearly everything).
 */
export function checkWordPattern(raw: string): { ok: true; folded: string } | { ok: false; problem: PatternProblem } {
  const trimmed = raw.trim();
  if (!trimmed) return { ok: false, problem: 'empty' };
  if (Array.from(trimmed).length > MAX_PATTERN_CHARS) return { ok: false, problem: 'too-long' };
  const folded = foldText(trimmed).replace(/\s+/g, ' ').trim();
  const tokens = patternTokens(folded);
  if (tokens.length === 0) return { ok: false, problem: 'empty' };
  if (tokens.length > MAX_PATTERN_WORDS) return { ok: false, problem: 'too-many-words' };
  const literal = Array.from(tokens.join('').replace(/[*?]/g, ''));
  // One Hangul/Han character alone is a whole-word pattern ("골"); otherwise at least two literal characters.
  const singleUnspaced = tokens.length === 1 && !/[*?]/.test(tokens[0]!) && isUnspaced(literal);
  if (literal.length < 2 && !singleUnspaced) return { ok: false, problem: 'too-broad' };
  return { ok: true, folded: tokens.join(' ') };
}

/** The words of a folded pattern: word characters plus the two wildcards, split like text. */
function patternTokens(folded: string): string[] {
  return folded
    .split(/[^\p{L}\p{M}\p{N}*?]+/u)
    .filter(Boolean)
    .flatMap(splitAtHangul);
}

/** Compiles a checked (folded) word pattern into a matcher over words. */
export function compilePhrase(folded: string): PhraseMatcher {
  const tests = patternTokens(folded).map(wordTest);
  return {
    pattern: folded,
    test(words) {
      const k = tests.length;
      if (k === 0) return false;
      for (let i = 0; i + k <= words.length; i++) {
        let all = true;
        for (let j = 0; j < k; j++) {
          if (!tests[j]!(words[i + j]!)) {
            all = false;
            break;
          }
        }
        if (all) return true;
      }
      return false;
    },
  };
}

/** Glob match of a whole identifier (a source id such as `rss:my-feed`), folded. */
export function globWhole(patternFolded: string, value: string): boolean {
  return globMatch(Array.from(patternFolded), Array.from(foldText(value)));
}
