/**
 * Sentence-transformers text encoder on onnxruntime-node (`TextEncoder` port).
 *
 * Pipeline: tokenizer.json (@huggingface/tokenizers) → truncation at the model's max length → texts sorted by length
 * and cut into batches of EMBED_BATCH_SIZE → dynamic padding per batch → ONNX `last_hidden_state` →
 * attention-masked mean pooling → L2 normalisation. Models that export a pooled `sentence_embedding` output are
 * used as they are (then only normalised).
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { RecoError } from '../core/errors.js';
import type { TextEncoder } from '../core/ports.js';
import { HfTokenizer, firstExisting, l2NormalizeRows, lengthOrder, padBatch, readModelJson } from './hf-files.js';
import { findModel } from './registry.js';
import type { OrtRuntime } from './runtime.js';
import { errorMessage } from './runtime.js';

export const TEXT_MODEL_FILES = ['onnx/model.onnx', 'onnx/model_quantized.onnx'] as const;

export interface OnnxTextEncoderOptions {
  /** `<MODELS_DIR>/<name>`. */
  modelDir: string;
  /** Registry name (for the id and defaults); default: the folder name. */
  name: string;
  runtime: OrtRuntime;
  batchSize?: number;
  /** Override of the maximum tokens per text. */
  maxLength?: number;
  /** ONNX file inside modelDir; default: onnx/model.onnx, else onnx/model_quantized.onnx. */
  modelFile?: string;
}

export class OnnxTextEncoder implements TextEncoder {
  readonly id: string;
  readonly dim: number;
  readonly label: string;
  readonly maxLength: number;
  readonly batchSize: number;
  readonly modelPath: string;
  private readonly session: ort.InferenceSession;
  private readonly tokenizer: HfTokenizer;
  private readonly outputName: string;
  private readonly pooled: boolean;
  private readonly wantsTokenTypes: boolean;

  private constructor(o: {
    id: string;
    dim: number;
    label: string;
    maxLength: number;
    batchSize: number;
    modelPath: string;
    session: ort.InferenceSession;
    tokenizer: HfTokenizer;
    outputName: string;
    pooled: boolean;
  }) {
    this.id = o.id;
    this.dim = o.dim;
    this.label = o.label;
    this.maxLength = o.maxLength;
    this.batchSize = o.batchSize;
    this.modelPath = o.modelPath;
    this.session = o.session;
    this.tokenizer = o.tokenizer;
    this.outputName = o.outputName;
    this.pooled = o.pooled;
    this.wantsTokenTypes = o.session.inputNames.includes('token_type_ids');
  }

  static async load(options: OnnxTextEncoderOptions): Promise<OnnxTextEncoder> {
    const { modelDir, name, runtime } = options;
    const file = options.modelFile ?? firstExisting(modelDir, TEXT_MODEL_FILES);
    if (file === undefined) {
      throw new RecoError(
        'MODEL_FILE_INVALID',
        `no ONNX model in ${modelDir} (looked for ${TEXT_MODEL_FILES.join(', ')})`,
        { details: { file: join(modelDir, TEXT_MODEL_FILES[0]) } },
      );
    }
    const modelPath = join(modelDir, file);
    const tokenizer = HfTokenizer.load(modelDir);
    const session = await runtime.session(modelPath);

    for (const input of session.inputNames) {
      if (!['input_ids', 'attention_mask', 'token_type_ids'].includes(input)) {
        throw new RecoError(
          'ENCODER_FAILED',
          `${modelPath} has an input "${input}" this encoder does not know (expected input_ids, attention_mask, token_type_ids)`,
          { details: { file: modelPath } },
        );
      }
    }
    const pooled = session.outputNames.includes('sentence_embedding');
    const outputName = pooled
      ? 'sentence_embedding'
      : session.outputNames.includes('last_hidden_state')
        ? 'last_hidden_state'
        : undefined;
    if (outputName === undefined) {
      throw new RecoError(
        'ENCODER_FAILED',
        `${modelPath} has neither last_hidden_state nor sentence_embedding among its outputs (${session.outputNames.join(', ')})`,
        { details: { file: modelPath } },
      );
    }
    const meta = session.outputMetadata.find((m) => m.name === outputName);
    const shape = meta && meta.isTensor ? meta.shape : [];
    const lastDim = shape[shape.length - 1];
    const config = readModelJson<Record<string, unknown>>(join(modelDir, 'config.json')) ?? {};
    const dim =
      typeof lastDim === 'number' ? lastDim : typeof config.hidden_size === 'number' ? config.hidden_size : undefined;
    if (dim === undefined)
      throw new RecoError('ENCODER_FAILED', `cannot tell the output size of ${modelPath}`, {
        details: { file: modelPath },
      });

    const entry = findModel(name);
    const stConfig = readModelJson<{ max_seq_length?: number }>(join(modelDir, 'sentence_bert_config.json'));
    const tokConfig = readModelJson<{ model_max_length?: number }>(join(modelDir, 'tokenizer_config.json'));
    const positions = typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : undefined;
    const tokMax =
      tokConfig?.model_max_length !== undefined && tokConfig.model_max_length < 100_000
        ? tokConfig.model_max_length
        : undefined;
    const maxLength = options.maxLength ?? stConfig?.max_seq_length ?? entry?.maxLength ?? tokMax ?? positions ?? 512;

    const quantized = file.includes('quantized');
    const id = `sbert:${name}${quantized ? '-quantized' : ''}:${dim}`;
    const label = `SBERT ${name}${quantized ? ' (quantized)' : ''} — ONNX on ${runtime.device}, ${dim}-d`;
    return new OnnxTextEncoder({
      id,
      dim,
      label,
      maxLength,
      batchSize: options.batchSize ?? 32,
      modelPath,
      session,
      tokenizer,
      outputName,
      pooled,
    });
  }

  /** Token ids per text (with special tokens, truncated) — exposed for tests and diagnostics. */
  tokenize(texts: readonly string[]): number[][] {
    return texts.map((t) => this.tokenizer.encode(t, this.maxLength));
  }

  async encode(texts: readonly string[]): Promise<Float32Array> {
    const n = texts.length;
    const out = new Float32Array(n * this.dim);
    if (n === 0) return out;
    const idLists = this.tokenize(texts);
    const order = lengthOrder(idLists.map((l) => l.length));
    for (let start = 0; start < n; start += this.batchSize) {
      const rows = order.slice(start, start + this.batchSize);
      await this.runBatch(
        rows.map((r) => idLists[r]!),
        rows,
        out,
      );
    }
    return l2NormalizeRows(out, n, this.dim);
  }

  /** Runs one padded batch and writes the pooled (not yet normalised) rows into `out` at `rows`. */
  private async runBatch(idLists: number[][], rows: number[], out: Float32Array): Promise<void> {
    const b = idLists.length;
    const { ids, mask, seqLen } = padBatch(idLists, this.tokenizer.padId);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, [b, seqLen]),
    };
    if (this.session.inputNames.includes('attention_mask'))
      feeds.attention_mask = new ort.Tensor('int64', mask, [b, seqLen]);
    if (this.wantsTokenTypes)
      feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(b * seqLen), [b, seqLen]);
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await this.session.run(feeds, [this.outputName]);
    } catch (e) {
      throw new RecoError('ENCODER_FAILED', `text encoder ${this.id} failed on a batch of ${b}: ${errorMessage(e)}`, {
        cause: e,
        details: { file: this.modelPath },
      });
    }
    const tensor = result[this.outputName]!;
    const data = tensor.data as Float32Array;
    const dim = this.dim;
    if (this.pooled) {
      for (let i = 0; i < b; i++) out.set(data.subarray(i * dim, (i + 1) * dim), rows[i]! * dim);
    } else {
      // attention-masked mean pooling over [b, seqLen, dim]
      for (let i = 0; i < b; i++) {
        const dst = rows[i]! * dim;
        let count = 0;
        for (let t = 0; t < seqLen; t++) {
          if (mask[i * seqLen + t] === 0n) continue;
          count++;
          const src = (i * seqLen + t) * dim;
          for (let k = 0; k < dim; k++) out[dst + k]! += data[src + k]!;
        }
        const inv = 1 / Math.max(count, 1e-9);
        for (let k = 0; k < dim; k++) out[dst + k]! *= inv;
      }
    }
    tensor.dispose();
  }
}
