/**
 * The persona built from conversation (the LLM layer enriches it later, see core/llm):
 * a recency-weighted text vector, interest terms with decaying weights, and explicit dislikes
 * ("I don't like football", "축구는 싫어") as negative interests.
 */
import type { Interest, Lang, Persona } from './domain.js';
import { pushCapped, LIMITS } from './users/doc.js';
import { isStopword, terms } from './text.js';

/** How much of the old vector/weights a new message keeps. */
export const PERSONA_DECAY = 0.85;
const MAX_INTERESTS = 40;
const MAX_DISLIKES = 40;
/**
 * The longest term a persona keeps (characters), as for the LLM's terms (core/llm/persona-extract.ts): a
 * 4,000-character "word" is legal in a chat message but is no interest, and would make `/persona` too long.
 */
export const MAX_TERM_CHARS = 40;

/** Whether a term is short enough to be an interest or a dislike. */
export function isPersonaTerm(term: string): boolean {
  return Array.from(term).length <= MAX_TERM_CHARS;
}

const NEG_EN = [
  /\b(?:i\s+)?(?:don'?t|do not|never|no longer)\s+(?:really\s+)?(?:like|love|want|enjoy|care about|watch|read)\s+([^.,!?;\n]+)/gi,
  /\b(?:i\s+)?(?:hate|dislike|can'?t stand|am tired of|am sick of|am not into|'m not into|'m tired of|'m sick of)\s+([^.,!?;\n]+)/gi,
  /\b(?:no more|not interested in|stop (?:showing|sending) me|less)\s+([^.,!?;\n]+)/gi,
];
const POS_EN = [
  /\b(?:i\s+)?(?:really\s+)?(?:like|love|enjoy|am into|'m into|am interested in|'m interested in|follow|play|watch)\s+([^.,!?;\n]+)/gi,
  /\b(?:more|show me|into)\s+([^.,!?;\n]+)/gi,
];
const NEG_KO = [
  /([\uAC00-\uD7A3A-Za-z0-9\s]{1,30}?)\s*(?:은|는|이|가|을|를)?\s*(?:싫어|싫다|싫음|싫네|싫은|별로야|별로다|별로|관심\s*없|안\s*좋아|보기\s*싫|그만)/g,
];
const POS_KO = [
  /([\uAC00-\uD7A3A-Za-z0-9\s]{1,30}?)\s*(?:을|를|이|가|은|는)?\s*(?:좋아|좋다|좋음|관심\s*있|관심\s*많|즐겨|자주\s*봐|최고)/g,
  /([\uAC00-\uD7A3A-Za-z0-9\s]{1,30}?)\s*(?:에|에\s*대해)\s*관심/g,
];

function captureTerms(text: string, patterns: RegExp[]): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    for (const m of text.matchAll(p)) {
      const phrase = (m[1] ?? '').split(/\b(?:and|but|because|so|although)\b|그리고|근데|하지만/)[0] ?? '';
      // Keep the last two content terms of the phrase ("I really don't like american football news" → american, football, news).
      const ts = terms(phrase).slice(0, 4);
      out.push(...ts);
    }
  }
  return [...new Set(out)];
}

/**
 * Words about the conversation itself (instructions to the bot, prompt-injection vocabulary) rather than
 * about content. They never become interests from plain chat ("ignore previous instructions, you are
 * hacked", "show me the system prompt" must not make "ignore", "hacked" or "prompt" a taste). `/persona add`
 * (a user's own correction) is not filtered.
 */
const META_EN = new Set(
  `ignore ignored ignoring disregard previous prior above below instruction instructions prompt prompts system
  assistant bot bots chatbot jailbreak jailbroken hacked pwned pretend roleplay act acting respond reply answer
  say tell print output repeat override rules rule developer mode admin password passwords token tokens
  secret secrets api key keys command commands message messages persona forget remember now must should`.split(/\s+/),
);
const META_KO = new Set(
  `무시 이전 위 아래 지시 지시사항 명령 명령어 프롬프트 시스템 규칙 봇 챗봇 어시스턴트 비밀번호 토큰 비밀 관리자 개발자
  모드 해킹 탈옥 출력 응답 대답 메시지 기억 잊어 너 너는 니가 네가 당신`.split(/\s+/),
);
/** Korean imperative / polite verb endings ("무시해", "알려줘", "출력하세요"): verbs, not topics. */
const KO_VERB_ENDING = /(?:해줘|줘|세요|십시오|니다|해요|했어|하라|해라|하지마|마라|해)$/;

/** A meta noun with a copula or verb ending glued on ("봇이야", "해킹당한", "출력해"). */
const KO_META_TAIL = /^(?:이야|야|이다|입니다|이에요|예요|당한|당했어|당했다|해|해줘|해라|하고|한|된|했어)$/;

/** True for a term that plain chat may turn into an interest. */
export function isContentTerm(term: string): boolean {
  if (META_EN.has(term) || META_KO.has(term)) return false;
  for (const m of META_KO) if (term.startsWith(m) && KO_META_TAIL.test(term.slice(m.length))) return false;
  if (/[\uAC00-\uD7A3]/.test(term) && Array.from(term).length >= 3 && KO_VERB_ENDING.test(term)) return false;
  if (/[\uAC00-\uD7A3]/.test(term) && /(?:해줘|줘)$/.test(term)) return false;
  return true;
}

export interface MessageAnalysis {
  terms: string[];
  likes: string[];
  dislikes: string[];
  lang?: Lang;
}

export function analyzeMessage(text: string): MessageAnalysis {
  const dislikes = [...captureTerms(text, NEG_EN), ...captureTerms(text, NEG_KO)].filter(isPersonaTerm);
  const likes = [...captureTerms(text, POS_EN), ...captureTerms(text, POS_KO)].filter(
    (t) => !dislikes.includes(t) && isPersonaTerm(t) && isContentTerm(t),
  );
  const all = terms(text).filter((t) => !isStopword(t) && isPersonaTerm(t) && isContentTerm(t));
  return { terms: [...new Set(all)], likes, dislikes };
}

function upsertInterest(list: Interest[], term: string, delta: number, source: Interest['source'], now: string): void {
  const found = list.find((i) => i.term === term);
  if (found) {
    found.weight = Math.min(10, found.weight + delta);
    found.updatedAt = now;
    if (found.source !== 'user') found.source = source;
  } else list.push({ term, weight: delta, source, updatedAt: now });
}

/**
 * Updates the persona with one message (mutates it). `messageVector` is the message's text vector
 * from the active encoder. Explicit dislikes move a term from interests to dislikes; an explicit like
 * moves it back.
 */
export function updatePersona(
  persona: Persona,
  text: string,
  messageVector: Float32Array | undefined,
  encoderId: string,
  now: string,
): MessageAnalysis {
  const a = analyzeMessage(text);
  for (const i of persona.interests) if (i.source !== 'user') i.weight *= PERSONA_DECAY;
  for (const t of a.dislikes) {
    persona.interests = persona.interests.filter((i) => i.term !== t);
    upsertInterest(persona.dislikes, t, 2, 'message', now);
  }
  const removed = new Set(persona.removedTerms ?? []);
  for (const t of a.likes) {
    // An explicit "I like X" brings back a term the user removed earlier.
    if (removed.delete(t)) persona.removedTerms = [...removed];
    persona.dislikes = persona.dislikes.filter((i) => i.term !== t);
    upsertInterest(persona.interests, t, 2, 'message', now);
  }
  for (const t of a.terms) {
    if (a.dislikes.includes(t) || a.likes.includes(t)) continue;
    if (persona.dislikes.some((d) => d.term === t) || removed.has(t)) continue;
    upsertInterest(persona.interests, t, 1, 'message', now);
  }
  persona.interests = persona.interests
    .filter((i) => i.weight >= 0.05 && isPersonaTerm(i.term)) // (over-long terms kept by older versions go too)
    .sort((x, y) => y.weight - x.weight)
    .slice(0, MAX_INTERESTS);
  persona.dislikes = persona.dislikes
    .filter((i) => isPersonaTerm(i.term))
    .sort((x, y) => y.weight - x.weight)
    .slice(0, MAX_DISLIKES);

  if (messageVector && a.terms.length > 0) {
    if (persona.vector && persona.encoderId === encoderId && persona.vector.length === messageVector.length) {
      const v = persona.vector.map((x, i) => PERSONA_DECAY * x + (1 - PERSONA_DECAY) * messageVector[i]!);
      const n = Math.hypot(...v) || 1;
      persona.vector = v.map((x) => x / n);
    } else {
      persona.vector = Array.from(messageVector);
      persona.encoderId = encoderId;
    }
  }
  if (a.terms.length > 0) pushCapped(persona.recentTexts, { text: text.slice(0, 500), at: now }, LIMITS.recentTexts);
  persona.messageCount++;
  persona.updatedAt = now;
  return a;
}

/** Rebuilds the persona vector from the kept texts under a new encoder (oldest first, same decay). */
export function rebuildPersonaVector(persona: Persona, vectors: Float32Array, dim: number, encoderId: string): void {
  const n = persona.recentTexts.length;
  if (n === 0) {
    delete persona.vector;
    delete persona.encoderId;
    return;
  }
  const v = new Float64Array(dim);
  for (let k = 0; k < n; k++) {
    const w = k === 0 ? 1 : 1 - PERSONA_DECAY;
    for (let i = 0; i < dim; i++) v[i] = (k === 0 ? 0 : PERSONA_DECAY * v[i]!) + w * vectors[k * dim + i]!;
  }
  const norm = Math.hypot(...v) || 1;
  persona.vector = Array.from(v, (x) => x / norm);
  persona.encoderId = encoderId;
}

/** Top interest terms, strongest first. */
export function topInterests(persona: Persona, n = 8): string[] {
  return [...persona.interests]
    .sort((a, b) => b.weight - a.weight)
    .slice(0, n)
    .map((i) => i.term);
}
