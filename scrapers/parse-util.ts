/**
 * Small parsing helpers shared by the source plugins: counts ("1.2만", "12.3K viewers",
 * "조회수 1,234회"), relative and Korean local times, and JSON embedded in script tags.
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

const REL_UNITS: [RegExp, number][] = [
  [/^(?:s|sec|secs|second|seconds|초)$/u, 1e3],
  [/^(?:m|min|mins|minute|minutes|분)$/u, 60e3],
  [/^(?:h|hr|hrs|hour|hours|시간)$/u, 3600e3],
  [/^(?:d|day|days|일)$/u, 86400e3],
  [/^(?:w|wk|week|weeks|주|주일)$/u, 7 * 86400e3],
  [/^(?:mo|month|months|개월|달)$/u, 30 * 86400e3],
  [/^(?:y|yr|year|years|년)$/u, 365 * 86400e3],
];

/**
 * "3 hours ago", "Streamed 2 days ago", "1시간전", "3일 전", "방금 전" → ISO time relative to `now`.
 * Undefined when the text is not a relative time.
 */
export function parseRelativeTime(text: string | undefined | null, now: Date): string | undefined {
  if (!text) return undefined;
  const t = text.trim();
  if (/방금|just now|moments? ago/iu.test(t)) return now.toISOString();
  const m = /(\d+)\s*([a-z]+|초|분|시간|일|주일?|개월|달|년)\s*(?:ago|전)/iu.exec(t);
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  const ms = REL_UNITS.find(([re]) => re.test(unit))?.[1];
  if (ms === undefined) return undefined;
  return new Date(now.getTime() - Number(m[1]) * ms).toISOString();
}

/**
 * A Korean site's local time (KST, UTC+9): "2025-11-26 14:03:11", "2025.11.26. 오후 2:03",
 * "2025.11.26", "11-26" (this year), "14:03" (today). Undefined when unrecognised.
 */
export function parseKstTime(text: string | undefined | null, now: Date): string | undefined {
  if (!text) return undefined;
  const t = text.trim();
  const kstNow = new Date(now.getTime() + 9 * 3600e3);
  let y = kstNow.getUTCFullYear();
  let mo = kstNow.getUTCMonth() + 1;
  let d = kstNow.getUTCDate();
  let h = 0;
  let mi = 0;
  let s = 0;
  let matched = false;
  const full = /(\d{4})[-./]\s*(\d{1,2})[-./]\s*(\d{1,2})\.?/u.exec(t);
  const short = /^(\d{1,2})[-./](\d{1,2})(?:\s|$)/u.exec(t);
  if (full) {
    y = Number(full[1]);
    mo = Number(full[2]);
    d = Number(full[3]);
    matched = true;
  } else if (short) {
    mo = Number(short[1]);
    d = Number(short[2]);
    matched = true;
  }
  const time = /(오전|오후|AM|PM)?\s*(\d{1,2}):(\d{2})(?::(\d{2}))?/iu.exec(
    full ? t.slice(full.index + full[0].length) : t,
  );
  if (time) {
    h = Number(time[2]);
    mi = Number(time[3]);
    s = Number(time[4] ?? 0);
    const ampm = time[1]?.toUpperCase();
    if ((ampm === '오후' || ampm === 'PM') && h < 12) h += 12;
    if ((ampm === '오전' || ampm === 'AM') && h === 12) h = 0;
    matched = true;
  }
  if (!matched) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s) - 9 * 3600e3;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** Any recognised time: ISO / RFC 2822, relative, or Korean local. */
export function parseAnyTime(text: string | undefined | null, now: Date): string | undefined {
  if (!text) return undefined;
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}T/.test(t) || /^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4}/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  return parseRelativeTime(t, now) ?? parseKstTime(t, now);
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
