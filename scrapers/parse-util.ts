/**
 * Small parsing helpers shared by the source plugins: counts ("1.2만", "12.3K viewers",
 * "조회수 1,234회"), the largest of several image sizes, and JSON embedded in script tags.
 * Dates live in dates.ts (one extractor for every source).
 */

const UNITS: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9, 천: 1e3, 만: 1e4, 억: 1e8 };

/**
 * The first number in a display count, with its unit.
 * @example parseCount('1.2만회') // 12000
 * @example parseCount('12.3K viewers') // 12300
 * @example parseCount('No views') // undefined
 */
export function parseCount(text: string | undefined | null): number | undefined {
  if (!text) return undefined;
  const m = /(\d[\d,]*(?:\.\d+)?)\s*([kmb천만억])?/iu.exec(text.replace(/\u00a0/g, ' '));
  if (!m) return undefined;
  const n = Number(m[1]!.replace(/,/g, ''));
  if (!Number.isFinite(n)) return undefined;
  const unit = m[2] ? (UNITS[m[2].toLowerCase()] ?? 1) : 1;
  return Math.round(n * unit);
}

/**
 * The JSON object literal assigned after `marker` in a script (e.g. `var ytInitialData = {...};`),
 * found by scanning balanced braces (string- and escape-aware). Undefined when absent or invalid.
 */
export function extractJsonAfter(source: string, marker: string | RegExp): unknown {
  let start: number;
  if (typeof marker === 'string') {
    const at = source.indexOf(marker);
    if (at < 0) return undefined;
    start = source.indexOf('{', at + marker.length);
  } else {
    const m = marker.exec(source);
    if (!m) return undefined;
    start = source.indexOf('{', m.index + m[0].length);
  }
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < source.length; i++) {
    const ch = source.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
      continue;
    }
    if (ch === 34) inString = true;
    else if (ch === 123 /* { */) depth++;
    else if (ch === 125 /* } */) {
      depth--;
      if (depth === 0) {
        try {
          return JSON.parse(source.slice(start, i + 1));
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}

/** Every object under `root` (depth-first, bounded) that has the key `key`; yields the value at that key. */
export function* findKey(root: unknown, key: string, maxNodes = 200_000): Generator<unknown> {
  const stack: unknown[] = [root];
  let seen = 0;
  while (stack.length && seen++ < maxNodes) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
    } else if (node && typeof node === 'object') {
      const rec = node as Record<string, unknown>;
      if (key in rec) yield rec[key];
      const vals = Object.values(rec);
      for (let i = vals.length - 1; i >= 0; i--) {
        const v = vals[i];
        if (v && typeof v === 'object') stack.push(v);
      }
    }
  }
}

/** Text of YouTube-style text objects: `{ simpleText }` or `{ runs: [{ text }] }` or `{ content }`. */
export function ytText(x: unknown): string | undefined {
  if (!x || typeof x !== 'object') return typeof x === 'string' ? x : undefined;
  const o = x as { simpleText?: unknown; runs?: unknown; content?: unknown };
  if (typeof o.simpleText === 'string') return o.simpleText;
  if (typeof o.content === 'string') return o.content;
  if (Array.isArray(o.runs))
    return o.runs
      .map((r) =>
        r && typeof r === 'object' && typeof (r as { text?: unknown }).text === 'string'
          ? (r as { text: string }).text
          : '',
      )
      .join('');
  return undefined;
}

/** Safe nested property access by path. */
export function at(root: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

export const str = (x: unknown): string | undefined => (typeof x === 'string' && x.trim() ? x.trim() : undefined);
export const num = (x: unknown): number | undefined => {
  const n = typeof x === 'string' ? Number(x) : x;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

export interface ImageCandidate {
  url: string;
  width?: number;
  height?: number;
  /** Bytes, when a feed gives `fileSize` but no dimensions. */
  bytes?: number;
}

/**
 * The largest image of a list of sizes: by pixels when dimensions are known, else by bytes, else
 * the last one (YouTube, Instagram and most feeds list sizes smallest first).
 * @example largestImage([{ url: 'a', width: 140 }, { url: 'b', width: 460 }]) // { url: 'b', width: 460 }
 */
export function largestImage<T extends ImageCandidate>(candidates: readonly (T | undefined)[]): T | undefined {
  const list = candidates.filter((c): c is T => !!c && typeof c.url === 'string' && c.url.trim() !== '');
  if (list.length === 0) return undefined;
  const area = (c: T) => (c.width ?? 0) * (c.height ?? c.width ?? 0);
  if (list.some((c) => area(c) > 0)) return list.reduce((best, c) => (area(c) > area(best) ? c : best));
  if (list.some((c) => (c.bytes ?? 0) > 0))
    return list.reduce((best, c) => ((c.bytes ?? 0) > (best.bytes ?? 0) ? c : best));
  return list[list.length - 1];
}
