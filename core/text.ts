/**
 * Text utilities shared by the persona, the lexical encoder and the recommender:
 * input sanitising (caps, control characters, odd Unicode), tokenising for Korean and English,
 * and a language guess.
 */
import type { Lang } from './domain.js';

const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF]/g;

/**
 * Makes user or scraped text safe to process: NFC, no control or bidi-override characters,
 * collapsed whitespace, capped at `maxChars` (the cap applies before the expensive work).
 */
export function sanitizeText(input: string, maxChars: number): string {
  // Cap first (with headroom) so a megabyte message never reaches the regexes whole.
  const head = input.length > maxChars * 2 ? input.slice(0, maxChars * 2) : input;
  const cleaned = head.normalize('NFC').replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return Array.from(cleaned).slice(0, maxChars).join('');
}

const HANGUL = /[\uAC00-\uD7A3\u1100-\u11FF\u3130-\u318F]/g;
const LATIN = /[A-Za-z]/g;

/** Korean when Hangul letters are at least a quarter of the letters, English otherwise (undefined: no letters). */
export function guessLang(text: string): Lang | undefined {
  const ko = text.match(HANGUL)?.length ?? 0;
  const en = text.match(LATIN)?.length ?? 0;
  if (ko + en === 0) return undefined;
  return ko / (ko + en) >= 0.25 ? 'ko' : 'en';
}

/** Korean particles and endings stripped from the end of a word ("축구는" → "축구"), longest first. */
const PARTICLES = [
  '에서는',
  '으로는',
  '에게서',
  '이라고',
  '에서',
  '으로',
  '에게',
  '까지',
  '부터',
  '처럼',
  '보다',
  '이랑',
  '하고',
  '이나',
  '라고',
  '에는',
  '와',
  '과',
  '은',
  '는',
  '이',
  '가',
  '을',
  '를',
  '에',
  '의',
  '도',
  '로',
  '랑',
  '나',
  '만',
];

export function stripParticle(word: string): string {
  if (!/[\uAC00-\uD7A3]$/.test(word)) return word;
  for (const p of PARTICLES) {
    if (word.length > p.length + 1 && word.endsWith(p)) return word.slice(0, -p.length);
  }
  return word;
}

const STOP_EN = new Set(
  `a an the and or but if then so of to in on at by for with from about as is are was were be been being am do does did
  i me my we our you your he she it they them their this that these those there here what which who whom whose when where
  why how all any some no not only just very can could should would will shall may might must have has had having
  like love hate want get got really more most much many also too than into over out up down off again new one two
  recommend recommendation show give please thanks thank hi hello hey ok okay yes yeah lol im dont don't cant can't
  stuff things thing something anything lot lots kind sort today now`.split(/\s+/),
);
const STOP_KO = new Set(
  `그리고 그러나 하지만 그래서 그런데 또는 및 이 그 저 것 수 등 좀 잘 더 너무 정말 진짜 아주 많이 조금 요즘 오늘 지금
  나 너 저는 나는 제가 내가 우리 저희 있어 있다 있는 없다 없어 같아 같은 하는 해서 하고 했어 해요 합니다 입니다 이에요 예요
  추천 추천해줘 추천해 보여줘 주세요 해줘 좋아 좋아해 좋아요 싫어 싫어요 별로 관심 관련 거 게 걸 뭐 뭔가
  안녕 안녕하세요 반가워 반가워요 고마워 감사 감사합니다 ㅋㅋ ㅎㅎ`.split(/\s+/),
);

export function isStopword(term: string): boolean {
  return STOP_EN.has(term) || STOP_KO.has(term);
}

/** Lower-cased word tokens (Hangul runs, Latin/digit runs), particles stripped. Keeps stopwords. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\uAC00-\uD7A3]+|[a-z0-9][a-z0-9+#'-]*/g)) {
    const w = stripParticle(m[0].replace(/'s$/, '').replace(/^'+|'+$/g, ''));
    if (w) out.push(w);
  }
  return out;
}

/** Content terms: words minus stopwords, one-letter Latin words and pure numbers. */
export function terms(text: string): string[] {
  return words(text).filter((w) => !isStopword(w) && !/^\d+$/.test(w) && !(w.length < 2 && /^[a-z]/.test(w)));
}

/** Stable 32-bit FNV-1a hash of a string. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
