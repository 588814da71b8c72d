import { describe, expect, it } from 'vitest';
import type { TextEncoder } from '../../core/ports.js';
import {
  EmbeddingCache,
  contentHash,
  decodeVector,
  encodeVector,
  fromHalf,
  toHalf,
} from '../../models/embedding-cache.js';
import { EmbedQueue } from '../../models/embed-queue.js';
import { maxAbsDiff, memoryStore } from './helpers.js';

/** A deterministic fake encoder that counts the texts it was asked to encode. */
function countingEncoder(id: string, dim = 8): TextEncoder & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    id,
    dim,
    label: id,
    calls,
    async encode(texts) {
      calls.push([...texts]);
      const out = new Float32Array(texts.length * dim);
      texts.forEach((t, r) => {
        for (let k = 0; k < dim; k++) out[r * dim + k] = Math.sin((t.length + 1) * (k + 1) + id.length);
      });
      return out;
    },
  };
}

describe('vector bytes', () => {
  it('float32 round-trips exactly as 4 bytes per value', () => {
    const v = new Float32Array([0, 1, -1, 0.1, 3.4e38, -1e-30, 123.456]);
    const bytes = encodeVector(v, 'float32');
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.byteLength).toBe(v.length * 4);
    expect(Array.from(decodeVector(bytes, 'float32'))).toEqual(Array.from(v));
  });

  it('float16 halves the size and keeps unit-vector values within 1e-3', () => {
    const v = new Float32Array(384).map((_, i) => Math.sin(i) / 14);
    const bytes = encodeVector(v, 'float16');
    expect(bytes.byteLength).toBe(768);
    expect(maxAbsDiff(decodeVector(bytes, 'float16'), v)).toBeLessThan(1e-3);
    expect(fromHalf(toHalf(1))).toBe(1);
    expect(fromHalf(toHalf(-2.5))).toBe(-2.5);
    expect(fromHalf(toHalf(65504))).toBe(65504);
    expect(fromHalf(toHalf(1e6))).toBe(Infinity);
    expect(fromHalf(toHalf(0.1))).toBeCloseTo(0.1, 4);
    expect(fromHalf(toHalf(1e-6))).toBeCloseTo(1e-6, 7); // subnormal
  });
});

describe('EmbeddingCache', () => {
  it('stores bytes under emb:<model id> keyed by content hash, and hits on the second call', async () => {
    const store = memoryStore();
    const cache = new EmbeddingCache(store);
    const enc = countingEncoder('sbert:a:8');
    const texts = ['빨간 운동화', 'red sneakers', 'news today'];
    const first = await cache.encodeTexts(enc, texts);
    expect(first).toMatchObject({ hits: 0, misses: 3 });
    const stored = await store.get<unknown>('emb:sbert:a:8', contentHash('red sneakers'));
    expect(stored).toBeInstanceOf(Uint8Array);
    const second = await cache.encodeTexts(enc, [...texts, 'one more']);
    expect(second).toMatchObject({ hits: 3, misses: 1 });
    expect(enc.calls).toEqual([texts, ['one more']]);
    expect(maxAbsDiff(second.vectors.subarray(0, 24), first.vectors)).toBe(0);
  });

  it('a model change misses and re-embeds, while the old vectors stay readable', async () => {
    const store = memoryStore();
    const cache = new EmbeddingCache(store, { dtype: 'float16' });
    const oldEnc = countingEncoder('sbert:old:8');
    const newEnc = countingEncoder('sbert:new-model:8');
    const texts = ['a', 'bb', 'ccc'];
    const oldVectors = (await cache.encodeTexts(oldEnc, texts)).vectors;
    const r = await cache.encodeTexts(newEnc, texts);
    expect(r.misses).toBe(3);
    expect(newEnc.calls).toHaveLength(1);
    const hashes = texts.map((t) => contentHash(t));
    const stillOld = await cache.getMany('sbert:old:8', hashes, 8);
    expect(stillOld.every((v) => v !== undefined)).toBe(true);
    expect(maxAbsDiff(stillOld[1]!, oldVectors.subarray(8, 16))).toBeLessThan(1e-3);
    expect(maxAbsDiff(r.vectors, oldVectors)).toBeGreaterThan(0.01);
    // entries of another dimension are misses
    expect((await cache.getMany('sbert:old:8', hashes, 16)).every((v) => v === undefined)).toBe(true);
  });

  it('re-embedding in the background through the queue fills the new namespace', async () => {
    const store = memoryStore();
    const cache = new EmbeddingCache(store);
    const queue = new EmbedQueue({ batchSize: 2 });
    const enc = countingEncoder('sbert:new:8');
    const texts = ['1', '22', '333', '4444', '55555'];
    const progress: number[] = [];
    const m = await queue.ingestTexts(enc, texts, { cache, onProgress: (p) => progress.push(p.done) });
    expect(progress).toEqual([2, 4, 5]);
    expect(enc.calls.map((c) => c.length)).toEqual([2, 2, 1]);
    const cached = await cache.getMany(
      enc.id,
      texts.map((t) => contentHash(t)),
      8,
    );
    expect(maxAbsDiff(cached[4]!, m.subarray(32, 40))).toBe(0);
  });
});

describe('EmbedQueue', () => {
  it('a chat-path request runs before queued ingest batches', async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstBatchGate = new Promise<void>((r) => (releaseFirst = r));
    const enc: TextEncoder = {
      id: 'x',
      dim: 1,
      label: 'x',
      async encode(texts) {
        order.push(texts[0]!);
        if (texts[0] === 'ingest-0') await firstBatchGate; // hold the running batch until the chat request is queued
        return new Float32Array(texts.length);
      },
    };
    const queue = new EmbedQueue({ batchSize: 1 });
    const ingest = queue.ingestTexts(
      enc,
      Array.from({ length: 6 }, (_, i) => `ingest-${i}`),
    );
    // wait until the first ingest batch is running
    for (let i = 0; i < 1000 && order.length === 0; i++) await new Promise<void>((r) => setImmediate(r));
    expect(order).toEqual(['ingest-0']);
    const chat = queue.encodeInteractive(enc, ['chat']);
    releaseFirst();
    await Promise.all([ingest, chat]);
    expect(order[0]).toBe('ingest-0');
    expect(order[1]).toBe('chat');
    expect(order).toHaveLength(7);
    expect(queue.pending).toBe(0);
  });
});
