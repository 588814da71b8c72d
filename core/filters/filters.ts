/**
 * Hard filters ("mutes"): what they are, how a user's text becomes one, and the compiled form scoring tests rows
 * with. A mute is a promise, not a preference: it never changes the persona or any learned weight, and a muted
 * item is excluded before ranking (core/recommend.ts step 4), whatever its score.
 *
 * Kinds: `word` (a word, phrase or glob over the item's title, summary and tags — see match.ts), `source`
 * (a source id such as `youtube` or `rss:*`, glob allowed) and `category` (one of CATEGORIES).
 */
import { CATEGORIES, type Category, type ContentItem, type Lang } from '../domain.js';
import { categoryName, parseCategory } from '../messages.js';
import { sanitizeText } from '../text.js';
import {
  MAX_PATTERN_CHARS,
  checkWordPattern,
  compilePhrase,
  foldText,
  globWhole,
  wordsOf,
  type PatternProblem,
  type PhraseMatcher,
} from './match.js';

export type MuteKind = 'word' | 'source' | 'category';

/** One stored filter (in a user's document, `ext.filters`, or a chat's settings). */
export interface MuteFilter {
  kind: MuteKind;
  /** The comparison form: folded word pattern, folded source pattern, or a category id. */
  pattern: string;
  /** When it was added (ISO-8601). */
  at: string;
}

/** Most filters one user (or one chat) keeps. */
export const MAX_FILTERS = 100;

/** Prefixes that name a kind (`source:youtube`, `카테고리:스포츠`, `word:sports`). */
const KIND_PREFIX: Record<string, MuteKind> = {
  word: 'word',
  w: 'word',
  단어: 'word',
  키워드: 'word',
  source: 'source',
  src: 'source',
  소스: 'source',
  출처: 'source',
  category: 'category',
  cat: 'category',
  카테고리: 'category',
  분야: 'category',
};

export type ParseMuteResult =
  { ok: true; filter: Omit<MuteFilter, 'at'> } | { ok: false; problem: PatternProblem | 'unknown-category' };

/**
 * Reads what a user typed after `/mute`: `source:<id|glob>`, `category:<name>` (English or Korean), `word:<text>`,
 * or bare text — which is a category when it names one exactly ("sports", "스포츠"), a source when it is exactly
 * one of `knownSources` ("youtube"), and a word or phrase otherwise.
 */
export function parseMute(raw: string, knownSources: readonly string[] = []): ParseMuteResult {
  const text = sanitizeText(raw, MAX_PATTERN_CHARS * 2).replace(/^["'“”‘’]+|["'“”‘’]+$/g, '');
  const m = /^([^\s:：]{1,10})\s*[:：]\s*(.+)$/u.exec(text);
  const kind = m ? KIND_PREFIX[m[1]!.toLowerCase()] : undefined;
  const body = (kind ? m![2]! : text).trim();
  if (!body) return { ok: false, problem: 'empty' };
  const asCategory = (): ParseMuteResult => {
    const c = parseCategory(body);
    return c ? { ok: true, filter: { kind: 'category', pattern: c } } : { ok: false, problem: 'unknown-category' };
  };
  const asSource = (): ParseMuteResult => {
    const folded = foldText(body).replace(/\s+/g, '');
    if (Array.from(folded).length > MAX_PATTERN_CHARS) return { ok: false, problem: 'too-long' };
    if (folded.replace(/[*?]/g, '').length < 2) return { ok: false, problem: 'too-broad' };
    return { ok: true, filter: { kind: 'source', pattern: folded } };
  };
  const asWord = (): ParseMuteResult => {
    const checked = checkWordPattern(body);
    return checked.ok ? { ok: true, filter: { kind: 'word', pattern: checked.folded } } : checked;
  };
  if (kind === 'category') return asCategory();
  if (kind === 'source') return asSource();
  if (kind === 'word') return asWord();
  if (parseCategory(body)) return asCategory();
  const folded = foldText(body);
  if (knownSources.some((s) => foldText(s) === folded)) return asSource();
  return asWord();
}

export function sameFilter(a: Omit<MuteFilter, 'at'>, b: Omit<MuteFilter, 'at'>): boolean {
  return a.kind === b.kind && a.pattern === b.pattern;
}

/** A filter as a user reads it: `"football"`, `source youtube`, `category 스포츠`. */
export function describeFilter(f: Omit<MuteFilter, 'at'>, lang: Lang): string {
  if (f.kind === 'category') {
    const c = f.pattern as Category;
    const name = (CATEGORIES as readonly string[]).includes(c) ? categoryName(c, lang) : f.pattern;
    return lang === 'ko' ? `카테고리 ${name}` : `category ${name}`;
  }
  if (f.kind === 'source') return lang === 'ko' ? `소스 ${f.pattern}` : `source ${f.pattern}`;
  return `"${f.pattern}"`;
}

/** Filters compiled for scoring: one key per distinct set (for memoisation), matchers ready. */
export interface CompiledFilters {
  /** Identifies the set (equal sets, equal keys). */
  readonly key: string;
  readonly words: readonly PhraseMatcher[];
  /** Folded source globs. */
  readonly sources: readonly string[];
  readonly categories: ReadonlySet<string>;
  readonly size: number;
}

export function compileFilters(filters: readonly Omit<MuteFilter, 'at'>[]): CompiledFilters {
  const uniq = new Map<string, Omit<MuteFilter, 'at'>>();
  for (const f of filters) uniq.set(`${f.kind}\u0000${f.pattern}`, f);
  const list = [...uniq.values()];
  const key = [...uniq.keys()].sort().join('\u0001');
  return {
    key,
    words: list.filter((f) => f.kind === 'word').map((f) => compilePhrase(f.pattern)),
    sources: list.filter((f) => f.kind === 'source').map((f) => f.pattern),
    categories: new Set(list.filter((f) => f.kind === 'category').map((f) => f.pattern)),
    size: list.length,
  };
}

export function sourceMuted(c: CompiledFilters, source: string): boolean {
  return c.sources.some((p) => globWhole(p, source));
}

/** The words of an item's text as filters see them (title, summary, tags; `extra`: e.g. a translation shown). */
export function itemWords(
  item: Pick<ContentItem, 'title' | 'summary' | 'tags'>,
  extra: readonly string[] = [],
): string[] {
  return wordsOf(foldText([item.title, item.summary, ...(item.tags ?? []), ...extra].join('\n')));
}

/** True when a filter of `c` hides `item` (with `extra` texts that are shown with it, such as its translation). */
export function itemMuted(item: ContentItem, c: CompiledFilters, extra: readonly string[] = []): boolean {
  if (c.size === 0) return false;
  if (c.categories.has(item.category)) return true;
  if (sourceMuted(c, item.source)) return true;
  if (c.words.length === 0) return false;
  const words = itemWords(item, extra);
  return c.words.some((w) => w.test(words));
}
