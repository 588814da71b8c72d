/**
 * The evidence as the grounding checker matches it: quoted strings in a sentence, the unquoted terms the evidence
 * allows (interest/request terms and their content words, category and source names, title words), and what a
 * quoted string is in the evidence.
 */
import type { EvidenceKind, GroundingFacts } from './grounding-facts.js';
import type { GroundingVocabulary } from './vocabulary.js';
import { hasHangul, normalizeText, tokenMatches, wordsOf } from './words.js';

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

export interface Term {
  words: string[];
  kinds: Set<EvidenceKind>;
}

/**
 * Unquoted terms: interest/request terms (and their content words), category and source names,
 * and the content words of titles and liked titles (never a whole title sentence: a title word
 * outside quotes is held to the same frame rules as a user's term).
 */
export function termsOf(facts: GroundingFacts, vocab: GroundingVocabulary): Term[] {
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
export function quoteKinds(quoted: string, facts: GroundingFacts, terms: readonly Term[]): Set<EvidenceKind> {
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
