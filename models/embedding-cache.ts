/**
 * Embedding cache on the `KeyValueStore` port: vectors stored as bytes (little-endian Float32, or Float16 for half
 * the space), never JSON number arrays. Namespace `emb:<encoder id>` (the id names model, variant and dimension), key =
 * SHA-256 of the content. A model change therefore misses everything and re-embeds, while the old model's vectors
 * stay readable under their own namespace until the new ones are complete.
 */
import { createHash } from 'node:crypto';
import type { KeyValueStore, TextEncoder } from '../core/ports.js';

export type VectorDtype = 'float32' | 'float16';

/** Content hash used as the cache key (SHA-256, base64url). */
export function contentHash(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('base64url');
}

// ---------------------------------------------------------------- half floats (IEEE 754 binary16)

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → binary16 bits, round to nearest even; overflow → ±Inf. */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function encodeVector(vector: Float32Array, dtype: VectorDtype): Uint8Array {
  if (dtype === 'float32') {
    const bytes = new Uint8Array(vector.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i]!, true);
    return bytes;
  }
  const bytes = new Uint8Array(vector.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setUint16(i * 2, toHalf(vector[i]!), true);
  return bytes;
}

export function decodeVector(bytes: Uint8Array, dtype: VectorDtype, out?: Float32Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dtype === 'float32' ? bytes.byteLength / 4 : bytes.byteLength / 2;
  const result = out ?? new Float32Array(n);
  if (dtype === 'float32') for (let i = 0; i < n; i++) result[i] = view.getFloat32(i * 4, true);
  else for (let i = 0; i < n; i++) result[i] = fromHalf(view.getUint16(i * 2, true));
  return result;
}

export interface EmbeddingCacheOptions {
  dtype?: VectorDtype;
  /** Entry TTL (default: none). */
  ttlMs?: number;
}

export class EmbeddingCache {
  readonly dtype: VectorDtype;
  private readonly store: KeyValueStore;
  private readonly ttlMs: number | undefined;

  constructor(store: KeyValueStore, options: EmbeddingCacheOptions = {}) {
    this.store = store;
    this.dtype = options.dtype ?? 'float32';
    this.ttlMs = options.ttlMs;
  }

  static namespace(modelId: string): string {
    return `emb:${modelId}`;
  }

  /** One vector per hash, or undefined for misses (also for entries of a different dimension). */
  async getMany(modelId: string, hashes: readonly string[], dim?: number): Promise<(Float32Array | undefined)[]> {
    if (hashes.length === 0) return [];
    const raw = await this.store.getMany<Uint8Array>(EmbeddingCache.namespace(modelId), hashes);
    return raw.map((bytes) => {
      if (!(bytes instanceof Uint8Array)) return undefined;
      const v = decodeVector(bytes, this.dtype);
      return dim !== undefined && v.length !== dim ? undefined : v;
    });
  }

  async putMany(modelId: string, entries: readonly { hash: string; vector: Float32Array }[]): Promise<void> {
    const ns = EmbeddingCache.namespace(modelId);
    await Promise.all(entries.map((e) => this.store.set(ns, e.hash, encodeVector(e.vector, this.dtype), this.ttlMs)));
  }

  /**
   * Vectors for `texts` through the cache: hits are read, misses encoded in one `encode` call and stored.
   * Returns a row-major matrix (texts.length × encoder.dim) and how many were hits.
   */
  async encodeTexts(
    encoder: TextEncoder,
    texts: readonly string[],
  ): Promise<{ vectors: Float32Array; hits: number; misses: number }> {
    const dim = encoder.dim;
    const hashes = texts.map((t) => contentHash(t));
    const cached = await this.getMany(encoder.id, hashes, dim);
    const out = new Float32Array(texts.length * dim);
    const missIdx: number[] = [];
    cached.forEach((v, i) => (v ? out.set(v, i * dim) : missIdx.push(i)));
    if (missIdx.length > 0) {
      const fresh = await encoder.encode(missIdx.map((i) => texts[i]!));
      const entries = missIdx.map((i, k) => {
        const vector = fresh.subarray(k * dim, (k + 1) * dim);
        out.set(vector, i * dim);
        return { hash: hashes[i]!, vector };
      });
      await this.putMany(encoder.id, entries);
    }
    return { vectors: out, hits: texts.length - missIdx.length, misses: missIdx.length };
  }
}
