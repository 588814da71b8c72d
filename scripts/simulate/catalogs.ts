/**
 * The simulator's catalogs: the built-in catalog (as the bot ships it) and a synthetic one of any size in the
 * same row format (scripts/bench/catalog-gen.ts: skewed categories, a topic vocabulary per category, Zipf-like
 * terms, invented names), both as `ContentItem`s at a fixed time.
 */
import { loadBuiltinCatalog } from '../../infra/catalog/builtin.js';
import type { ContentItem } from '../../core/domain.js';
import { generateRows } from '../bench/catalog-gen.js';

export interface SimCatalog {
  name: string;
  items: ContentItem[];
}

export function builtinCatalog(now: Date): SimCatalog {
  return { name: 'builtin', items: loadBuiltinCatalog({ now }) };
}

export function syntheticCatalog(n: number, now: Date, seed = 42): SimCatalog {
  const at = now.getTime();
  const items = generateRows(n, seed).map((r): ContentItem => {
    const publishedAt = new Date(at - r.ageHours * 3_600_000).toISOString();
    return {
      id: r.id,
      url: r.url,
      canonicalUrl: r.url,
      title: r.title,
      summary: r.summary,
      category: r.category,
      source: r.source,
      lang: r.lang,
      publishedAt,
      fetchedAt: now.toISOString(),
      popularity: { ...r.popularity },
      ...(r.tags ? { tags: [...r.tags] } : {}),
    };
  });
  return { name: `synthetic-${n}`, items };
}
