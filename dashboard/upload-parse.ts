/**
 * Reading uploaded tables — recommendation lists (user, item, rank | score) and interactions (user, item[, rating]) —
 * from CSV/TSV (a header row; RecBole atomic-file headers such as `user_id:token` are understood), JSON (an array of
 * objects) or JSON Lines. Every problem is an {@link UploadError} naming the file and the line.
 */
import { parse as parseCsv } from 'csv-parse/sync';

export class UploadError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    message: string,
  ) {
    super(line === undefined ? `${file}: ${message}` : `${file}, line ${line}: ${message}`);
    this.name = 'UploadError';
  }
}

/** One data row with the 1-based line it starts on. Values are strings (CSV) or JSON scalars. */
export interface Row {
  line: number;
  fields: Record<string, unknown>;
}

const ALIASES: Record<string, string> = {
  user: 'user',
  userid: 'user',
  user_id: 'user',
  uid: 'user',
  item: 'item',
  itemid: 'item',
  item_id: 'item',
  iid: 'item',
  rank: 'rank',
  position: 'rank',
  score: 'score',
  prediction: 'score',
  rating: 'rating',
  label: 'rating',
};

/** `User_ID:token` → `user`. */
export function canonicalColumn(name: string): string {
  const base = name
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/:[a-z_]+$/, '')
    .replace(/[\s-]+/g, '_');
  return ALIASES[base] ?? ALIASES[base.replace(/_/g, '')] ?? base;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The position in a JSON.parse error message, when Node reports one. */
function jsonErrorOffset(e: unknown): number | undefined {
  const m = /position (\d+)/.exec((e as Error).message);
  return m ? Number(m[1]) : undefined;
}

function objectRow(file: string, value: unknown, line: number): Row {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UploadError(file, line, 'expected an object such as {"user": "u1", "item": "i9", "rank": 1}');
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) fields[canonicalColumn(k)] = v;
  return { line, fields };
}

/**
 * Splits a top-level JSON array into its elements' source text and start offsets, so each element can be parsed
 * (and blamed) on its own line. `problem` is a structural error after the last good element (reported only when
 * every element before it parses). Undefined when the text is not an array.
 */
function splitJsonArray(
  file: string,
  text: string,
): { parts: { start: number; text: string }[]; problem?: UploadError } | undefined {
  let i = 0;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (text[i] !== '[') return undefined;
  const parts: { start: number; text: string }[] = [];
  const fail = (at: number, message: string) => ({ parts, problem: new UploadError(file, lineAt(text, at), message) });
  let depth = 0;
  let inString = false;
  let elementStart = -1;
  for (i = i + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    if (depth === 0 && (ch === ',' || ch === ']')) {
      if (elementStart >= 0) parts.push({ start: elementStart, text: text.slice(elementStart, i) });
      else if (ch === ',' || parts.length > 0) return fail(i, `unexpected "${ch}" (an empty element)`);
      elementStart = -1;
      if (ch === ']') {
        const rest = text.slice(i + 1).search(/\S/);
        return rest < 0 ? { parts } : fail(i + 1 + rest, 'text after the closing "]"');
      }
      continue;
    }
    if (elementStart < 0 && !/\s/.test(ch)) elementStart = i;
    if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
    if (depth < 0) return fail(i, `unbalanced "${ch}"`);
  }
  return fail(text.length, 'the JSON array is not closed (missing "]")');
}

function parseJson(file: string, text: string): Row[] {
  const split = splitJsonArray(file, text);
  if (split) {
    const rows = split.parts.map((p) => {
      const line = lineAt(text, p.start);
      let value: unknown;
      try {
        value = JSON.parse(p.text);
      } catch (e) {
        const off = jsonErrorOffset(e);
        throw new UploadError(
          file,
          off === undefined ? line : lineAt(text, p.start + off),
          `not valid JSON (${(e as Error).message})`,
        );
      }
      return objectRow(file, value, line);
    });
    if (split.problem) throw split.problem;
    return rows;
  }
  // JSON Lines: one object per line, blank lines allowed.
  const rows: Row[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const s = raw.trim();
    if (s === '') return;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (e) {
      throw new UploadError(file, i + 1, `not valid JSON (${(e as Error).message})`);
    }
    rows.push(objectRow(file, value, i + 1));
  });
  return rows;
}

function parseDelimited(file: string, text: string): Row[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(text, {
      info: true,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      delimiter: text.slice(0, text.indexOf('\n') >>> 0).includes('\t') ? '\t' : [',', ';'],
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new UploadError(file, err.lines, err.message.replace(/ on line \d+$/, '').replace(/ at line \d+$/, ''));
  }
  const [header, ...body] = records;
  if (!header) throw new UploadError(file, undefined, 'the file is empty');
  const cols = header.record.map(canonicalColumn);
  return body.map((r) => {
    const fields: Record<string, unknown> = {};
    cols.forEach((c, i) => (fields[c] = r.record[i]));
    return { line: r.info.lines, fields };
  });
}

/** Parses a CSV/TSV or JSON/JSONL upload (decided by its first non-blank character). */
export function parseTable(file: string, text: string): Row[] {
  const first = text.replace(/^\uFEFF/, '').trimStart()[0];
  if (first === undefined) throw new UploadError(file, undefined, 'the file is empty');
  return first === '[' || first === '{' ? parseJson(file, text) : parseDelimited(file, text);
}

/** A non-empty id (string or integer) from a field. */
export function idField(file: string, row: Row, name: string): string {
  const v = row.fields[name];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  throw new UploadError(file, row.line, `the "${name}" column is ${v === undefined ? 'missing' : 'empty'}`);
}

/** A finite number from a field, or undefined when the column is absent. */
export function numberField(file: string, row: Row, name: string): number | undefined {
  const v = row.fields[name];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n))
    throw new UploadError(file, row.line, `"${name}" must be a number, got ${JSON.stringify(v)}`);
  return n;
}
