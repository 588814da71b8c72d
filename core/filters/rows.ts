/**
 * The filter step of scoring: a row test for one catalog index and one filter set. Sources and categories are
 * decided per source/category code once (typed arrays, no item objects); word filters read the row's text the
 * first time a row is asked about and remember the answer (per index version and filter set), so exact scoring
 * of a small catalog reads each row once per filter set, and ANN mode reads only its candidates.
 */
import type { CatalogIndex } from '../catalog/catalog.js';
import { CATEGORIES } from '../domain.js';
import { itemWords, sourceMuted, type CompiledFilters } from './filters.js';

/** Filter sets remembered per index version. */
const MEMO_PER_INDEX = 32;

interface RowMemo {
  source: Uint8Array;
  category: Uint8Array;
  /** 0 not asked yet, 1 muted by a word filter, 2 not. */
  words: Uint8Array;
}

const memo = new WeakMap<CatalogIndex, Map<string, RowMemo>>();

function memoFor(index: CatalogIndex, c: CompiledFilters): RowMemo {
  let byKey = memo.get(index);
  if (!byKey) memo.set(index, (byKey = new Map()));
  let m = byKey.get(c.key);
  if (m) {
    byKey.delete(c.key); // most recently used last
    byKey.set(c.key, m);
    return m;
  }
  const source = Uint8Array.from(index.sources, (s) => (sourceMuted(c, s) ? 1 : 0));
  const category = Uint8Array.from(CATEGORIES, (cat) => (c.categories.has(cat) ? 1 : 0));
  m = { source, category, words: new Uint8Array(c.words.length > 0 ? index.items.length : 0) };
  if (byKey.size >= MEMO_PER_INDEX) byKey.delete(byKey.keys().next().value!);
  byKey.set(c.key, m);
  return m;
}

/**
 * `(row) => true` when the row is muted by `c`. Undefined when `c` is empty (nothing to test).
 * @example
 * const muted = mutedRowTest(index, compileFilters(doc.ext.filters));
 * if (muted?.(row)) score[row] = -Infinity;
 */
export function mutedRowTest(index: CatalogIndex, c: CompiledFilters): ((row: number) => boolean) | undefined {
  if (c.size === 0) return undefined;
  const m = memoFor(index, c);
  return (row) => {
    if (m.source[index.sourceCode[row]!] || m.category[index.categoryCode[row]!]) return true;
    if (c.words.length === 0) return false;
    let v = m.words[row]!;
    if (v === 0) {
      const words = itemWords(index.items[row]!);
      v = c.words.some((w) => w.test(words)) ? 1 : 2;
      m.words[row] = v;
    }
    return v === 1;
  };
}
