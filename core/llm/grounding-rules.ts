/**
 * The grounding checker's rules over the words of a sentence: a claim about the user ("you love", "좋아하시는")
 * must have, nearest to it, evidence of a kind that supports it; a user's term is never the subject or complement
 * of a statement, and (in Korean) never a predicate.
 */
import type { Lang } from '../domain.js';
import { reject, type EvidenceKind, type GroundingFacts, type GroundingResult } from './grounding-facts.js';
import { inside, occurrences, type Occurrence, type Span } from './grounding-spans.js';
import { CLAIMS, type ClaimKind, type GroundingVocabulary } from './vocabulary.js';
import { suffixAfter, type Token } from './words.js';

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

export function checkClaims(
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
export function checkSubjects(
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
