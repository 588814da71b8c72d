/**
 * Every user-facing string, by identifier, in Korean and English: `t()`, `errorMessage()` and the category
 * names. The tables live in messages/en.ts and messages/ko.ts (kept in step by the type: a key missing in one
 * language fails typechecking).
 */
import type { Category, Lang } from './domain.js';
import type { ErrorCode } from './errors.js';
import { en, type MessageKey as Key } from './messages/en.js';
import { ko } from './messages/ko.js';

const tables: Record<Lang, Record<Key, string>> = { en, ko };

export type MessageKey = Key;

/** Formats a message: `t('ko', 'react.liked', { title })`. Unknown placeholders are left as is. */
export function t(lang: Lang, key: MessageKey, vars: Record<string, string | number> = {}): string {
  const template = tables[lang][key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

/**
 * The user's message for an error code: the table's `error.<CODE>` entry when it has one (codes a user can
 * act on or should know about), else the generic apology. Which codes have a message is decided here, by
 * the table, and nowhere else.
 */
export function errorMessage(lang: Lang, code: ErrorCode, vars: Record<string, unknown> = {}): string {
  const key = `error.${code}` as MessageKey;
  const strings: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(vars)) if (typeof v === 'string' || typeof v === 'number') strings[k] = v;
  return key in en ? t(lang, key, strings) : t(lang, 'error.generic');
}

const CATEGORY_NAMES: Record<Category, { en: string; ko: string }> = {
  news: { en: 'news', ko: '뉴스' },
  tech: { en: 'tech', ko: 'IT/기술' },
  games: { en: 'games', ko: '게임' },
  sports: { en: 'sports', ko: '스포츠' },
  entertainment: { en: 'entertainment', ko: '연예' },
  music: { en: 'music', ko: '음악' },
  food: { en: 'food', ko: '음식' },
  travel: { en: 'travel', ko: '여행' },
  fashion: { en: 'fashion', ko: '패션' },
  science: { en: 'science', ko: '과학' },
  finance: { en: 'finance', ko: '경제' },
  lifestyle: { en: 'lifestyle', ko: '라이프스타일' },
};

export function categoryName(category: Category, lang: Lang): string {
  return CATEGORY_NAMES[category][lang];
}

/** Category from an English or Korean name ("sports", "스포츠"); undefined when unknown. */
export function parseCategory(input: string): Category | undefined {
  const s = input.trim().toLowerCase();
  for (const [c, names] of Object.entries(CATEGORY_NAMES) as [Category, { en: string; ko: string }][]) {
    if (s === c || s === names.en || s === names.ko.toLowerCase()) return c;
  }
  return undefined;
}

export function exploreName(level: number, lang: Lang): string {
  return t(lang, `explore.${Math.max(0, Math.min(3, level))}` as MessageKey);
}
