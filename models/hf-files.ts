/**
 * Reading a Hugging Face model folder: JSON configs and the tokenizer (through @huggingface/tokenizers, which reads
 * tokenizer.json — no hand-written WordPiece/SentencePiece/BPE here), plus batching of token ids into int64 tensors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { RecoError } from '../core/errors.js';

/** Reads a JSON file of a model folder; a missing optional file gives undefined, a broken one MODEL_FILE_INVALID. */
export function readModelJson<T = Record<string, unknown>>(path: string, required: true): T;
export function readModelJson<T = Record<string, unknown>>(path: string, required?: false): T | undefined;
export function readModelJson<T>(path: string, required = false): T | undefined {
  if (!existsSync(path)) {
    if (required)
      throw new RecoError('MODEL_FILE_INVALID', `model file ${path} is missing`, { details: { file: path } });
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new RecoError('MODEL_FILE_INVALID', `model file ${path} is not valid JSON (truncated or corrupt?)`, {
      cause: e,
      details: { file: path },
    });
  }
}

/** The first of `candidates` (relative to `dir`) that exists. */
export function firstExisting(dir: string, candidates: readonly string[]): string | undefined {
  for (const c of candidates) if (existsSync(join(dir, c))) return c;
  return undefined;
}

type TokenValue = string | { content?: string } | null | undefined;
const tokenContent = (t: TokenValue): string | undefined => (typeof t === 'string' ? t : (t?.content ?? undefined));

/** A tokenizer that adds the model's special tokens and truncates to a maximum length the way HF does for one sequence. */
export class HfTokenizer {
  readonly padId: number;
  private readonly tokenizer: Tokenizer;

  private constructor(tokenizer: Tokenizer, padId: number) {
    this.tokenizer = tokenizer;
    this.padId = padId;
  }

  /** Loads `<dir>/tokenizer.json` (+ tokenizer_config.json, config.json for the pad token). */
  static load(dir: string): HfTokenizer {
    const tokenizerPath = join(dir, 'tokenizer.json');
    const json = readModelJson(tokenizerPath, true);
    const tokConfig = readModelJson<Record<string, unknown>>(join(dir, 'tokenizer_config.json')) ?? {};
    const modelConfig = readModelJson<Record<string, unknown>>(join(dir, 'config.json')) ?? {};
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, tokConfig);
    } catch (e) {
      throw new RecoError(
        'MODEL_FILE_INVALID',
        `model file ${tokenizerPath} could not be loaded as a tokenizer: ${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
          details: { file: tokenizerPath },
        },
      );
    }
    const padToken = tokenContent(tokConfig.pad_token as TokenValue);
    const padFromToken = padToken !== undefined ? tokenizer.token_to_id(padToken) : undefined;
    const textConfig = (modelConfig.text_config ?? {}) as Record<string, unknown>;
    const padFromConfig = [modelConfig.pad_token_id, textConfig.pad_token_id, textConfig.eos_token_id].find(
      (v): v is number => typeof v === 'number',
    );
    return new HfTokenizer(tokenizer, padFromToken ?? padFromConfig ?? 0);
  }

  /** Token ids with special tokens; longer than `maxLength` → the content is cut, the special tokens kept. */
  encode(text: string, maxLength: number): number[] {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= maxLength) return ids;
    const plain = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const specials = ids.length - plain.length;
    // where the content starts inside the sequence with specials (1 for `<s> … </s>`, `[CLS] … [SEP]`)
    let start = 0;
    while (start <= specials && ids[start] !== plain[0]) start++;
    if (start > specials) start = Math.min(1, specials);
    const prefix = ids.slice(0, start);
    const suffix = ids.slice(start + plain.length);
    const keep = Math.max(0, maxLength - prefix.length - suffix.length);
    return [...prefix, ...plain.slice(0, keep), ...suffix];
  }

  tokenize(text: string): string[] {
    return this.tokenizer.tokenize(text, { add_special_tokens: true });
  }
}

/** Pads token id lists to the longest one (dynamic padding) → row-major int64 tensors. */
export function padBatch(
  idLists: readonly (readonly number[])[],
  padId: number,
): { ids: BigInt64Array; mask: BigInt64Array; seqLen: number } {
  let seqLen = 1;
  for (const l of idLists) if (l.length > seqLen) seqLen = l.length;
  const n = idLists.length;
  const ids = new BigInt64Array(n * seqLen).fill(BigInt(padId));
  const mask = new BigInt64Array(n * seqLen);
  for (let r = 0; r < n; r++) {
    const l = idLists[r]!;
    const base = r * seqLen;
    for (let t = 0; t < l.length; t++) {
      ids[base + t] = BigInt(l[t]!);
      mask[base + t] = 1n;
    }
  }
  return { ids, mask, seqLen };
}

/** In-place L2 normalisation of `rows` rows of `dim` floats (zero rows stay zero). */
export function l2NormalizeRows(data: Float32Array, rows: number, dim: number): Float32Array {
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += data[base + i]! * data[base + i]!;
    if (sum > 0) {
      const inv = 1 / Math.sqrt(sum);
      for (let i = 0; i < dim; i++) data[base + i]! *= inv;
    }
  }
  return data;
}

/** Row indices sorted by descending length (batches of similar lengths waste less padding). */
export function lengthOrder(lengths: readonly number[]): number[] {
  return lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]! || a - b);
}
