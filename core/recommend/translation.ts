/**
 * Translation of shown items (opt-in, `/translate on`): the port the LLM layer implements, and which items need
 * it. An item needs a translation when the language its text is written in is not one the person reads (their
 * reply language, and any language they told the bot they read).
 */
import type { ContentItem, Lang } from '../domain.js';
import type { UserDoc } from '../users/doc.js';
import type { ItemTranslation } from './delivery.js';

/** Translates items' titles and summaries (cached per item and language). Must not throw for LLM trouble. */
export interface ListTranslator {
  /** Whether translations can be made at all (an LLM is configured). */
  readonly available: boolean;
  /** Translations of `items` into `target`, by item id; items it could not translate are left out. */
  translate(input: {
    userId: string;
    target: Lang;
    items: readonly { item: ContentItem; from: string }[];
  }): Promise<Map<string, ItemTranslation>>;
}

/** Scripts that name a language by themselves (the scrapers only label `ko`/`en`: other scripts are told here). */
const SCRIPTS: readonly [RegExp, string][] = [
  [/[\uAC00-\uD7A3]/gu, 'ko'],
  [/[\p{Script=Hiragana}\p{Script=Katakana}]/gu, 'ja'],
  [/\p{Script=Han}/gu, 'zh'],
  [/\p{Script=Cyrillic}/gu, 'ru'],
  [/\p{Script=Arabic}/gu, 'ar'],
  [/\p{Script=Thai}/gu, 'th'],
  [/\p{Script=Greek}/gu, 'el'],
  [/\p{Script=Hebrew}/gu, 'he'],
  [/\p{Script=Devanagari}/gu, 'hi'],
];

/**
 * The language an item's text is written in: Korean when Hangul dominates, another language by its script
 * (Japanese kana beat Han), and the item's own label otherwise (Latin text: the scrapers' `ko`/`en` guess).
 */
export function textLangOf(item: Pick<ContentItem, 'title' | 'summary' | 'lang'>): string {
  const text = `${item.title} ${item.summary}`.slice(0, 600);
  const letters = text.match(/\p{L}/gu)?.length ?? 0;
  if (letters === 0) return item.lang;
  let best = '',
    bestCount = 0;
  for (const [re, code] of SCRIPTS) {
    const n = text.match(re)?.length ?? 0;
    // Kana mark Japanese even where Han characters are more numerous.
    const weight = code === 'ja' && n > 0 ? n * 4 : n;
    if (weight > bestCount) {
      best = code;
      bestCount = weight;
    }
  }
  return bestCount / letters >= 0.3 ? best : item.lang === 'ko' ? 'en' : item.lang;
}

/** The languages a person reads: the reply language and the ones they said they read (LLM persona). */
export function readsOf(doc: UserDoc): Set<string> {
  return new Set<string>([doc.user.lang, ...(doc.persona.preferences?.languages ?? [])]);
}

/** The items of a list that need a translation for this reader, with the language each is written in. */
export function needingTranslation(
  items: readonly ContentItem[],
  reads: ReadonlySet<string>,
): { item: ContentItem; from: string }[] {
  const out: { item: ContentItem; from: string }[] = [];
  for (const item of items) {
    const from = textLangOf(item);
    if (!reads.has(from)) out.push({ item, from });
  }
  return out;
}
