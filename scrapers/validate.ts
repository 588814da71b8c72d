/**
 * Validation of parsed items before they are stored: the structural checks below (required strings,
 * known category and language, ISO times, http(s) URLs), then the catalog's zod schema
 * (`core/catalog/schema.ts`, `parseContentItem`).
 */
import { parseContentItem } from '../core/catalog/schema.js';
import type { ContentItem } from '../core/domain.js';
import { LANGS } from '../core/domain.js';
import { isCategory } from './normalize.js';

const isoOk = (s: unknown) => typeof s === 'string' && Number.isFinite(Date.parse(s));
const httpOk = (s: unknown) => typeof s === 'string' && /^https?:\/\/[^\s]+$/i.test(s);

export function structuralProblems(item: ContentItem): string[] {
  const p: string[] = [];
  if (!item.id) p.push('id');
  if (!httpOk(item.url)) p.push('url');
  if (!httpOk(item.canonicalUrl)) p.push('canonicalUrl');
  if (!item.title.trim()) p.push('title');
  if (typeof item.summary !== 'string') p.push('summary');
  if (!isCategory(item.category)) p.push('category');
  if (!item.source) p.push('source');
  if (!(LANGS as readonly string[]).includes(item.lang)) p.push('lang');
  if (item.thumbnail !== undefined && !httpOk(item.thumbnail)) p.push('thumbnail');
  if (!isoOk(item.publishedAt)) p.push('publishedAt');
  if (!isoOk(item.fetchedAt)) p.push('fetchedAt');
  if (!item.popularity || typeof item.popularity !== 'object') p.push('popularity');
  return p;
}

/** Splits items into valid ones (as the schema returns them) and problems. */
export async function validateItems(
  items: readonly ContentItem[],
): Promise<{ valid: ContentItem[]; invalid: { item: ContentItem; problem: string }[] }> {
  const valid: ContentItem[] = [];
  const invalid: { item: ContentItem; problem: string }[] = [];
  for (const item of items) {
    const structural = structuralProblems(item);
    if (structural.length) {
      invalid.push({ item, problem: `invalid ${structural.join(', ')}` });
      continue;
    }
    try {
      valid.push(parseContentItem(item));
    } catch (e) {
      invalid.push({ item, problem: e instanceof Error ? e.message.slice(0, 300) : String(e) });
    }
  }
  return { valid, invalid };
}
