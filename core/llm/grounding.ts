/**
 * The grounding checker: an LLM sentence may only state what the evidence says.
 *
 * A candidate is rejected (and the template used instead) when it
 * - is empty, multi-line, longer than the cap, or carries markup (links, mentions, code, HTML);
 * - contains a URL or a bare domain (`evil.example`, `www.…`), even one that appears in a title;
 * - quotes anything ('…', "…", 「…」, …) that is not (part of) a title or term from the evidence or template;
 * - names an unquoted multi-word proper name (English Title Case) that is not in the evidence;
 * - contains a number that is not in the evidence or the template;
 * - claims a fact the evidence does not support (popular, new, "you liked …", "you talk about …");
 * - is in the wrong language/script (Korean needs Hangul; English may not carry Hangul outside evidence terms);
 * - reads like an instruction or a call to action ("ignore previous instructions", "click", "구독", …).
 * The checker is deliberately strict: a false rejection costs only a plainer sentence.
 */
import type { Evidence, Lang } from '../domain.js';
import { categoryName } from '../messages.js';

export interface GroundingOptions {
  /** Maximum characters (code points) per sentence. Default: 200 for English, 140 for Korean. */
  maxChars?: number;
  /** Minimum characters. Default 6. */
  minChars?: number;
}

export type GroundingResult = { ok: true; text: string } | { ok: false; reason: string };

/** What a sentence may mention: evidence strings, numbers, and which claims hold. */
export interface GroundingFacts {
  strings: string[];
  numbers: Set<string>;
  popular: boolean;
  fresh: boolean;
  liked: boolean;
  interests: boolean;
}

export const DEFAULT_MAX_CHARS: Record<Lang, number> = { en: 200, ko: 140 };
/** Items at most this old may be called new/fresh. */
export const FRESH_HOURS = 48;

const TLDS =
  'com|net|org|io|co|kr|jp|cn|ru|uk|de|fr|me|ly|gg|tv|xyz|info|biz|app|dev|link|site|online|example|top|click|live|shop|store|blog|news|page|one|ai|to|sh|cc|us|eu|in|tk|ml|ga|cf|gq|zip|mov|onion|bit|tiny|kakao|naver';
const URLISH = new RegExp(
  String.raw`(?:\b[a-z][a-z0-9+.-]*:\/\/|\bwww\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:${TLDS})\b(?!\.[a-z]{2,}\w)|\[[^\]]*\]\([^)]*\)|\bmailto:|\bt\.me\/|\bdiscord\.gg\b)`,
  'i',
);
const MARKUP = /[<>`{}|]|\*\*|__|@everyone|@here|\]\(|^#|\n/;

const INSTRUCTION_PATTERNS: RegExp[] = [
  /\b(?:ignore|disregard|forget|override)\b.{0,40}\b(?:instruction|instructions|prompt|rules|above|previous|prior|earlier)\b/i,
  /\b(?:system|developer)\s*(?:prompt|message|instruction)/i,
  /\b(?:instruction|instructions|jailbreak|prompt injection)\b/i,
  /\b(?:as an ai|language model|i am an ai|i'm an ai)\b/i,
  /^\s*(?:system|assistant|user)\s*:/i,
  /\b(?:click|tap|visit|go to|sign up|subscribe|download|install|follow (?:us|me|this|the link)|dm me|message me|post this|share this|buy now|send (?:me|your))\b/i,
  /\b(?:link|url|website)\b/i,
  /(?:이전|앞의|위의|기존)\s*(?:의\s*)?(?:지시|명령|지침|규칙)/,
  /(?:지시|명령|지침|규칙)\S*\s*(?:을|를)?\s*무시/,
  /무시하(?:고|세요|십시오|라)/,
  /(?:시스템\s*)?프롬프트/,
  /(?:링크|주소|사이트|웹사이트|URL)/i,
  /(?:클릭|방문하|구독|팔로우|다운로드|설치하|가입하|공유하)/,
];

const CLAIMS: {
  name: keyof Pick<GroundingFacts, 'popular' | 'fresh' | 'liked' | 'interests'>;
  en: RegExp;
  ko: RegExp;
}[] = [
  {
    name: 'popular',
    en: /\b(?:popular|trending|viral|hot right now|most[- ](?:viewed|watched|read|liked)|everyone is|blowing up)\b/i,
    ko: /(?:인기|화제|트렌드|핫한|조회수|대세|난리)/,
  },
  {
    name: 'fresh',
    en: /\b(?:new|brand-new|fresh|just (?:out|published|released|posted|dropped)|latest|breaking|today'?s?|this morning)\b/i,
    ko: /(?:최신|새로\s*올라온|방금|오늘|따끈|갓\s*나온|신작|새\s*소식)/,
  },
  {
    name: 'liked',
    en: /\b(?:you(?:'ve| have)? (?:liked|loved|upvoted|enjoyed|reacted)|you gave .{0,20}(?:like|thumbs))\b/i,
    ko: /(?:좋아요를?\s*누르|좋아하셨던|좋아했던|마음에\s*들어\s*하셨던|반응하셨던|추천을?\s*누르)/,
  },
  {
    name: 'interests',
    en: /\b(?:you(?: often| always| frequently)? (?:talk|talked|mention|mentioned|said|told me|chat)|your interest)\b/i,
    ko: /(?:자주\s*(?:말씀|얘기|이야기|언급)|말씀하신|얘기하신|이야기하신|언급하신)/,
  },
];

const HANGUL = /[\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F]/gu;
const LATIN = /[A-Za-z]/g;
const OTHER_LETTER = /[^\P{L}A-Za-z\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F\u00C0-\u024F]/gu;

/** Lower-case, NFKC, dashes/underscores/colons as spaces, collapsed whitespace, no edge punctuation. */
export function normalizeForMatch(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[-_:/·•|]+/g, ' ')
    .replace(/(?:\.\.\.|…)+/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '')
    .trim();
}

function numbersIn(s: string): string[] {
  return [...s.matchAll(/\d+(?:[.,]\d+)*/g)].map((m) => m[0].replace(/,/g, ''));
}

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
    for (const m of s.matchAll(p)) out.push({ text: m[1] ?? '', index: m.index, length: m[0].length });
  return out;
}

/** The facts of one or more evidence records (plus trusted template sentences). */
export function factsOf(evidence: Evidence | readonly Evidence[], templates: readonly string[] = []): GroundingFacts {
  const list = Array.isArray(evidence) ? (evidence as readonly Evidence[]) : [evidence as Evidence];
  const strings: string[] = [];
  const numbers = new Set<string>();
  let popular = false;
  let fresh = false;
  let liked = false;
  let interests = false;
  for (const e of list) {
    strings.push(
      e.title,
      e.category,
      categoryName(e.category, 'en'),
      categoryName(e.category, 'ko'),
      e.source,
      ...e.interests,
      ...e.topicTerms,
      ...e.likedSimilar.map((l) => l.title),
    );
    const h = Math.max(0, e.ageHours);
    for (const n of [h, h / 24, h * 60]) for (const f of [Math.round, Math.floor, Math.ceil]) numbers.add(String(f(n)));
    for (const l of e.likedSimilar) numbers.add(String(Math.round(l.similarity * 100)));
    popular ||= e.popular;
    fresh ||= e.ageHours <= FRESH_HOURS;
    liked ||= e.likedSimilar.length > 0 || e.likedCategory;
    interests ||= e.interests.length > 0 || e.topicTerms.length > 0;
  }
  for (const t of templates) {
    strings.push(...quotedStrings(t).map((q) => q.text));
    for (const n of numbersIn(t)) numbers.add(n);
  }
  for (const s of strings) for (const n of numbersIn(s)) numbers.add(n);
  return { strings: strings.filter((s) => s.trim().length > 0), numbers, popular, fresh, liked, interests };
}

function isAllowedString(q: string, normalizedAllowed: readonly string[]): boolean {
  const n = normalizeForMatch(q);
  if (n.length === 0) return false;
  return normalizedAllowed.some((a) => a.includes(n));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The sentence without quoted segments and without occurrences of evidence strings (for claim and script checks). */
function residualOf(text: string, facts: GroundingFacts): string {
  let r = text;
  for (const q of quotedStrings(text).sort((a, b) => b.index - a.index))
    r = r.slice(0, q.index) + ' ' + r.slice(q.index + q.length);
  const sorted = [...facts.strings].sort((a, b) => b.length - a.length);
  for (const s of sorted) {
    if (s.trim().length < 2) continue;
    r = r.replace(new RegExp(escapeRegExp(s.trim()), 'giu'), ' ');
  }
  return r;
}

/**
 * Checks one candidate sentence against the facts it may state.
 * @example
 * checkSentence("Because you liked 'Zelda'", factsOf(evidence), 'en'); // { ok: true, text: … } when Zelda is a liked title
 */
export function checkSentence(
  candidate: unknown,
  facts: GroundingFacts,
  lang: Lang,
  options: GroundingOptions = {},
): GroundingResult {
  if (typeof candidate !== 'string') return { ok: false, reason: 'not a string' };
  const text = candidate
    .normalize('NFC')
    .replace(/[ \t]+/g, ' ')
    .trim();
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS[lang];
  const minChars = options.minChars ?? 6;
  const length = Array.from(text).length;
  if (length < minChars) return { ok: false, reason: 'too short' };
  if (length > maxChars) return { ok: false, reason: `too long (${length} > ${maxChars})` };
  if (/[\u0000-\u0008\u000B-\u001F\u007F\u202A-\u202E\u2066-\u2069]/.test(text))
    return { ok: false, reason: 'control characters' };
  if (URLISH.test(text)) return { ok: false, reason: 'contains a link or domain' };
  if (MARKUP.test(text)) return { ok: false, reason: 'contains markup, a mention or a line break' };
  for (const p of INSTRUCTION_PATTERNS)
    if (p.test(text)) return { ok: false, reason: 'instruction-like or call-to-action content' };

  const normalizedAllowed = facts.strings.map(normalizeForMatch).filter((s) => s.length > 0);
  for (const q of quotedStrings(text)) {
    if (!isAllowedString(q.text, normalizedAllowed))
      return { ok: false, reason: `quotes something not in the evidence: "${q.text.slice(0, 60)}"` };
  }
  // Unbalanced double quotes or brackets hint at a mangled or truncated title.
  if ((text.match(/"/g)?.length ?? 0) % 2 === 1) return { ok: false, reason: 'unbalanced quotes' };

  for (const n of numbersIn(text)) {
    if (!facts.numbers.has(n)) return { ok: false, reason: `number not in the evidence: ${n}` };
  }

  const residual = residualOf(text, facts);
  // Unquoted multi-word proper names (English Title Case) must come from the evidence.
  for (const m of residual.matchAll(
    /(?<![\p{L}\d'’&-])[A-Z][\p{L}\d'’&-]*(?:\s+(?:of|the|and|vs\.?|[A-Z0-9][\p{L}\d'’&-]*))*/gu,
  )) {
    const span = m[0].replace(/\s+(?:of|the|and|vs\.?)$/, '');
    const atStart = m.index === 0 || /[.!?:;]\s*$/.test(residual.slice(0, m.index));
    const words = span.split(/\s+/);
    const rest = atStart ? words.slice(1) : words;
    if (rest.filter((w) => /^[A-Z0-9]/.test(w)).length < 2) continue;
    if (!isAllowedString(rest.join(' '), normalizedAllowed))
      return { ok: false, reason: `names something not in the evidence: "${rest.join(' ').slice(0, 60)}"` };
  }

  for (const c of CLAIMS) {
    if (!facts[c.name] && (c.en.test(residual) || c.ko.test(residual)))
      return { ok: false, reason: `claims "${c.name}" without evidence` };
  }

  const hangul = residual.match(HANGUL)?.length ?? 0;
  const latin = residual.match(LATIN)?.length ?? 0;
  const other = residual.match(OTHER_LETTER)?.length ?? 0;
  if (other > 0) return { ok: false, reason: 'wrong script' };
  if (lang === 'ko') {
    if (hangul < 2 || hangul < latin) return { ok: false, reason: 'not Korean' };
  } else if (hangul > 0 || latin < 3) {
    return { ok: false, reason: 'not English' };
  }
  return { ok: true, text };
}

export interface GroundedLines {
  lines: string[];
  /** Which items fell back to the template, and why. */
  rejected: { index: number; reason: string }[];
}

/**
 * Checks one candidate per item against that item's own evidence and template; a rejected or
 * missing candidate falls back to the template.
 */
export function groundLines(
  items: readonly { evidence: Evidence; template: string }[],
  candidates: readonly (string | undefined)[],
  lang: Lang,
  options: GroundingOptions = {},
): GroundedLines {
  const lines: string[] = [];
  const rejected: { index: number; reason: string }[] = [];
  items.forEach((item, index) => {
    const candidate = candidates[index];
    if (candidate === undefined) {
      lines.push(item.template);
      rejected.push({ index, reason: 'missing' });
      return;
    }
    const result = checkSentence(candidate, factsOf(item.evidence, [item.template]), lang, options);
    if (result.ok) lines.push(result.text);
    else {
      lines.push(item.template);
      rejected.push({ index, reason: result.reason });
    }
  });
  return { lines, rejected };
}
