/**
 * Current topics for the interest picker: the terms most frequent among the catalog's newest items that say
 * something — read from the items' tags (hashtags, game titles, board names) when they have any, else from their
 * text; found in several items, mostly in one category ("election", "롤드컵" rather than "update"), and not a
 * category's own name. Computed once per catalog version.
 */
import { CATEGORIES } from '../domain.js';
import { rowTermsOf, type CatalogIndex } from '../catalog/catalog.js';
import { terms as termsOf } from '../text.js';
import { categoryName } from '../messages.js';

/** How many of the newest items are read. */
export const TOPIC_WINDOW = 500;

const memo = new WeakMap<CatalogIndex, string[]>();
const CATEGORY_WORDS = new Set(
  CATEGORIES.flatMap((c) => [c, categoryName(c, 'en'), categoryName(c, 'ko')].map((x) => x.toLowerCase())),
);

/** Up to `n` current topics, most frequent first. */
export function currentTopics(index: CatalogIndex, n = 8): string[] {
  let all = memo.get(index);
  if (!all) {
    const rows = Array.from(index.items.keys())
      .sort((a, b) => index.publishedMs[b]! - index.publishedMs[a]! || a - b)
      .slice(0, TOPIC_WINDOW);
    const df = new Map<string, number>();
    const byCat = new Map<string, Int32Array>();
    const tagged = rows.some((r) => (index.items[r]!.tags?.length ?? 0) > 0);
    const termsOfRow = (r: number) =>
      tagged ? new Set((index.items[r]!.tags ?? []).flatMap((t) => termsOf(t))) : rowTermsOf(index, r);
    for (const r of rows) {
      for (const term of termsOfRow(r)) {
        if (CATEGORY_WORDS.has(term) || Array.from(term).length < 2 || (/^[a-z]/.test(term) && term.length < 3))
          continue;
        df.set(term, (df.get(term) ?? 0) + 1);
        let c = byCat.get(term);
        if (!c) byCat.set(term, (c = new Int32Array(CATEGORIES.length)));
        c[index.categoryCode[r]!]!++;
      }
    }
    const minDf = Math.max(2, Math.ceil(rows.length / 200));
    all = [...df.entries()]
      .filter(([term, f]) => f >= minDf && f <= rows.length * 0.3 && Math.max(...byCat.get(term)!) >= 0.6 * f)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([term]) => term);
    memo.set(index, all);
  }
  return all.slice(0, n);
}
