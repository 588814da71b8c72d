/**
 * Prompt files: `prompts/*.md` (or `.txt`), each versioned and declaring the variables it takes.
 *
 * ```
 * ---
 * id: explain-list
 * version: 2
 * variables: [language, max_chars, items]
 * data: [items]
 * ---
 * ## system
 * Instructions… {{language}} … {{max_chars}}
 * ## user
 * The items: {{items}}
 * ```
 *
 * Rendering takes exactly the declared variables (a missing or undeclared one is an error).
 * Variables listed under `data` are untrusted (user messages, scraped titles): they are rendered
 * as a fenced JSON block labelled `data:<name>`, with every character that could close the fence
 * or look like markup escaped, so nothing inside can end the block or read as an instruction.
 * Plain variables take short values from code only (no newlines, backticks or braces).
 */
import { RecoError } from '../errors.js';
import type { ChatMessage } from '../ports.js';

export interface PromptTemplate {
  id: string;
  version: number;
  variables: readonly string[];
  /** The subset of `variables` that carries untrusted data. */
  data: readonly string[];
  system: string;
  user: string;
  /** Where it was read from (for errors and logs). */
  file: string;
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function promptError(file: string, message: string): RecoError {
  return new RecoError('INTERNAL', `Prompt ${file}: ${message}`, { details: { file } });
}

function parseList(raw: string, file: string, key: string): string[] {
  const m = /^\[(.*)\]$/.exec(raw.trim());
  if (!m) throw promptError(file, `${key} must be a list like [a, b]`);
  const items = (m[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) if (!NAME.test(item)) throw promptError(file, `bad variable name "${item}" in ${key}`);
  return items;
}

/**
 * Parses one prompt file's text. Front matter keys: `id`, `version` (positive integer),
 * `variables: [..]`, optional `data: [..]`; body sections `## system` and `## user`.
 * @throws RecoError INTERNAL when the file is malformed or uses an undeclared placeholder.
 */
export function parsePrompt(text: string, file = '<inline>'): PromptTemplate {
  const normalized = text.replace(/\r\n/g, '\n');
  const fm = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(normalized);
  if (!fm) throw promptError(file, 'missing front matter (--- … ---)');
  const meta: Record<string, string> = {};
  for (const line of (fm[1] ?? '').split('\n')) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const kv = /^([A-Za-z_]+)\s*:\s*(.*)$/.exec(line);
    if (!kv) throw promptError(file, `cannot read front matter line "${line}"`);
    meta[kv[1]!] = kv[2]!.trim();
  }
  const id = meta.id;
  if (!id || !/^[a-z0-9][a-z0-9-]*$/.test(id)) throw promptError(file, 'front matter needs an id (lower-case, dashes)');
  const version = Number(meta.version);
  if (!Number.isInteger(version) || version < 1)
    throw promptError(file, 'front matter needs version: <positive integer>');
  if (meta.variables === undefined) throw promptError(file, 'front matter needs variables: [..]');
  const variables = parseList(meta.variables, file, 'variables');
  const data = meta.data === undefined ? [] : parseList(meta.data, file, 'data');
  for (const d of data) if (!variables.includes(d)) throw promptError(file, `data variable "${d}" is not in variables`);

  const body = fm[2] ?? '';
  const sections = /^## system[ \t]*\n([\s\S]*?)^## user[ \t]*\n([\s\S]*)$/m.exec(body);
  if (!sections) throw promptError(file, 'body needs a "## system" section followed by a "## user" section');
  const system = (sections[1] ?? '').trim();
  const user = (sections[2] ?? '').trim();
  const used = new Set<string>();
  for (const part of [system, user]) for (const m of part.matchAll(PLACEHOLDER)) used.add(m[1]!);
  for (const u of used)
    if (!variables.includes(u)) throw promptError(file, `placeholder {{${u}}} is not declared in variables`);
  for (const v of variables) if (!used.has(v)) throw promptError(file, `variable "${v}" is declared but never used`);
  for (const d of data) {
    if (new RegExp(`\\{\\{\\s*${d}\\s*\\}\\}`).test(system)) {
      throw promptError(file, `data variable "${d}" may only appear in the user section`);
    }
  }
  return { id, version, variables, data, system, user, file };
}

/** Parses prompt files (name → text, as the edge read them) into templates keyed by id. Duplicate ids are an error. */
export function parsePrompts(files: Iterable<readonly [string, string]>): Map<string, PromptTemplate> {
  const out = new Map<string, PromptTemplate>();
  for (const [file, text] of files) {
    const prompt = parsePrompt(text, file);
    if (out.has(prompt.id)) throw promptError(file, `duplicate prompt id "${prompt.id}"`);
    out.set(prompt.id, prompt);
  }
  return out;
}

/** Gets a prompt by id or throws (a missing prompt file is a packaging bug). */
export function requirePrompt(prompts: ReadonlyMap<string, PromptTemplate>, id: string): PromptTemplate {
  const p = prompts.get(id);
  if (!p) throw new RecoError('INTERNAL', `Prompt "${id}" is missing from prompts/`, { details: { id } });
  return p;
}

const ESCAPES: Record<string, string> = {
  '`': '\\u0060',
  '<': '\\u003c',
  '>': '\\u003e',
  '{': '\\u007b',
  '}': '\\u007d',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/**
 * Untrusted data as JSON that cannot break out of its fence: inside JSON strings, backticks, angle
 * brackets, braces, line/paragraph separators and bidi controls become `\uXXXX` escapes (still
 * valid JSON that parses back to the same value).
 */
export function escapeDataJson(value: unknown): string {
  const json = JSON.stringify(value, null, 1) ?? 'null';
  // Escape only inside string literals (structural braces must stay).
  return json.replace(/"(?:[^"\\]|\\.)*"/g, (lit) =>
    lit.replace(
      /[`<>{}\u2028\u2029\u202A-\u202E\u2066-\u2069\u200E\u200F]/g,
      (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    ),
  );
}

/** The opening line of a data block; the closing line is a bare fence. */
export function dataFence(name: string): string {
  return '```json data:' + name;
}

/** Renders one data variable as a delimited block. */
export function dataBlock(name: string, value: unknown): string {
  return `${dataFence(name)}\n${escapeDataJson(value)}\n\`\`\``;
}

/** Extracts the JSON inside the data block `name` of a rendered text (tests and audits). */
export function readDataBlock(text: string, name: string): { json: unknown; start: number; end: number } | undefined {
  const open = dataFence(name) + '\n';
  const start = text.indexOf(open);
  if (start < 0) return undefined;
  const end = text.indexOf('\n```', start + open.length);
  if (end < 0) return undefined;
  return { json: JSON.parse(text.slice(start + open.length, end)), start, end: end + 4 };
}

export type PromptValues = Record<string, unknown>;

/**
 * Renders a prompt into chat messages. Every declared variable must be given, and nothing else.
 * @throws RecoError INTERNAL on a missing/undeclared variable or an unsafe plain value.
 */
export function renderPrompt(prompt: PromptTemplate, values: PromptValues): ChatMessage[] {
  for (const key of Object.keys(values)) {
    if (!prompt.variables.includes(key))
      throw promptError(prompt.file, `undeclared variable "${key}" (prompt ${prompt.id} v${prompt.version})`);
  }
  const rendered: Record<string, string> = {};
  for (const v of prompt.variables) {
    if (!(v in values) || values[v] === undefined)
      throw promptError(prompt.file, `missing variable "${v}" (prompt ${prompt.id} v${prompt.version})`);
    const value = values[v];
    if (prompt.data.includes(v)) {
      rendered[v] = dataBlock(v, value);
    } else {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw promptError(prompt.file, `variable "${v}" must be a string or number`);
      const s = String(value);
      if (/[\n\r`{}]/.test(s) || s.length > 200) {
        throw promptError(
          prompt.file,
          `plain variable "${v}" has an unsafe value; declare it under data: if it is untrusted`,
        );
      }
      rendered[v] = s;
    }
  }
  const fill = (part: string): string => part.replace(PLACEHOLDER, (_, name: string) => rendered[name]!);
  return [
    { role: 'system', content: fill(prompt.system) },
    { role: 'user', content: fill(prompt.user) },
  ];
}
