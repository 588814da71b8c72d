/** Keyword matching over the catalog's inverted index (exact terms, and substrings for Korean compounds). */
import { rowTermsOf, type CatalogIndex } from '../../catalog/catalog.js';

/** Per index version: term → rows (exact and substring matches merged), so a term scans the vocabulary once. */
const termMemo = new WeakMap<CatalogIndex, Map<string, Int32Array>>();
const TERM_MEMO_MAX = 4096;

/** Rows whose terms contain `term` (exact, or as a substring for terms of 2+ characters — Korean compounds). */
export function rowsMatching(index: CatalogIndex, term: string): Int32Array[] {
  let memo = termMemo.get(index);
  if (!memo) termMemo.set(index, (memo = new Map()));
  let rows = memo.get(term);
  if (!rows) {
    const exact = index.termRows.get(term);
    const parts: Int32Array[] = exact ? [exact] : [];
    if (Array.from(term).length >= 2) {
      for (const [t, r] of index.termRows) if (t !== term && t.includes(term)) parts.push(r);
    }
    rows = parts.length === 1 ? parts[0]! : Int32Array.from(new Set(parts.flatMap((p) => Array.from(p))));
    if (memo.size >= TERM_MEMO_MAX) memo.clear();
    memo.set(term, rows);
  }
  return rows.length > 0 ? [rows] : [];
}

export function matchedTerms(index: CatalogIndex, row: number, list: readonly string[]): string[] {
  if (list.length === 0) return [];
  const rowTerms = rowTermsOf(index, row);
  return list.filter((t) => {
    if (rowTerms.has(t)) return true;
    if (Array.from(t).length < 2) return false;
    for (const rt of rowTerms) if (rt.includes(t)) return true;
    return false;
  });
}
