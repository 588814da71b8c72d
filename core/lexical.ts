/**
 * The built-in lexical text encoder: TF-IDF-weighted, signed feature hashing of words and
 * character n-grams. It needs no model files, works for Korean and English alike (syllable
 * bigrams/trigrams catch Korean compounds, Latin trigrams catch inflections), and is the default
 * until the ONNX SBERT encoder's files are present (see models/encoders.ts).
 */
import type { TextEncoder } from './ports.js';
import { fnv1a, terms } from './text.js';
import { normalizeInPlace } from './vectors.js';

export interface LexicalModel {
  dim: number;
  /** Number of documents the IDF was fitted on (0 = not fitted: idf 1 everywhere). */
  docs: number;
  /** Document frequency per bucket. */
  df: number[];
}

function features(text: string, emit: (feature: string, weight: number) => void): void {
  // Content words only: stopwords' n-grams would make unrelated texts look alike.
  for (const w of terms(text)) {
    emit(`w:${w}`, 2);
    const chars = Array.from(w);
    if (/[\uAC00-\uD7A3]/.test(w)) {
      // Syllable bigrams catch Korean compounds ("축구대표팀" shares "축구" with "축구").
      for (let i = 0; i + 2 <= chars.length; i++) emit(`k2:${chars[i]}${chars[i + 1]}`, 1);
    } else if (chars.length > 5) {
      // A 5-letter prefix is a cheap stem (footballer ~ football) without the noise of many n-grams.
      emit(`p5:${chars.slice(0, 5).join('')}`, 1);
    }
  }
}

export class LexicalEncoder implements TextEncoder {
  readonly dim: number;
  readonly label = 'lexical (hashed character n-grams, built-in)';
  private idf: Float32Array;
  private model: LexicalModel;
  private _id: string;

  constructor(model: Partial<LexicalModel> & { dim?: number } = {}) {
    this.dim = model.dim ?? 1024;
    this.model = { dim: this.dim, docs: model.docs ?? 0, df: model.df ?? [] };
    this.idf = this.computeIdf();
    this._id = this.computeId();
  }

  get id(): string {
    return this._id;
  }

  /** Fits the IDF on a corpus and returns the model to persist; changes `id`. */
  fit(corpus: readonly string[]): LexicalModel {
    const df = new Array<number>(this.dim).fill(0);
    for (const doc of corpus) {
      const seen = new Set<number>();
      features(doc, (f) => seen.add(fnv1a(f) % this.dim));
      for (const b of seen) df[b]!++;
    }
    this.model = { dim: this.dim, docs: corpus.length, df };
    this.idf = this.computeIdf();
    this._id = this.computeId();
    return this.model;
  }

  get fitted(): LexicalModel {
    return this.model;
  }

  async encode(texts: readonly string[]): Promise<Float32Array> {
    return this.encodeSync(texts);
  }

  encodeSync(texts: readonly string[]): Float32Array {
    const out = new Float32Array(texts.length * this.dim);
    const counts = new Map<number, number>();
    texts.forEach((text, row) => {
      counts.clear();
      features(text, (f, w) => {
        const h = fnv1a(f);
        const bucket = h % this.dim;
        const sign = (h >>> 31) & 1 ? -1 : 1;
        counts.set(bucket, (counts.get(bucket) ?? 0) + sign * w);
      });
      const off = row * this.dim;
      for (const [b, c] of counts) {
        const tf = Math.sign(c) * (1 + Math.log(Math.abs(c) + 1e-9 < 1 ? 1 : Math.abs(c)));
        out[off + b] = tf * this.idf[b]!;
      }
      normalizeInPlace(out, off, this.dim);
    });
    return out;
  }

  private computeIdf(): Float32Array {
    const idf = new Float32Array(this.dim).fill(1);
    if (this.model.docs > 0) {
      for (let b = 0; b < this.dim; b++) idf[b] = Math.log((this.model.docs + 1) / ((this.model.df[b] ?? 0) + 1)) + 1;
    }
    return idf;
  }

  private computeId(): string {
    const sig = fnv1a(`${this.model.docs}:${this.model.df.join(',')}`)
      .toString(16)
      .padStart(8, '0');
    return `lexical-v1:${this.dim}:${sig}`;
  }
}
