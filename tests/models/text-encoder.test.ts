import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRecoError } from '../../core/errors.js';
import { OrtRuntime } from '../../models/runtime.js';
import { OnnxTextEncoder } from '../../models/text-encoder.js';
import { maxAbsDiff, rowNorm, tinyModels } from './helpers.js';

const noCuda = { cudaProviderLibrary: () => undefined, gpuVisible: () => false };
const tiny = tinyModels('text');
const runtime = new OrtRuntime({ device: 'cpu', probe: noCuda });
let enc: OnnxTextEncoder;

beforeAll(async () => {
  enc = await OnnxTextEncoder.load({ modelDir: tiny.text.dir, name: tiny.text.name, runtime, batchSize: 4 });
});
afterAll(async () => {
  await runtime.release();
  tiny.cleanup();
});

const LONG = Array.from({ length: 60 }, (_, i) =>
  i % 2 ? '오늘 날씨 좋아요' : 'recommend me some good music and news',
).join(' ');

describe('OnnxTextEncoder', () => {
  it('reads id, dimension and max length from the model folder and the registry', () => {
    expect(enc.dim).toBe(32);
    expect(enc.id).toBe('sbert:paraphrase-multilingual-MiniLM-L12-v2:32');
    expect(enc.maxLength).toBe(128); // registry max_seq_length
    expect(enc.label).toContain('cpu');
  });

  it('tokenises Korean and English with tokenizer.json (special tokens, pieces, unknowns)', () => {
    const [ko, en, unk] = enc.tokenize(['빨간 운동화 추천해줘', 'red sneakers', '없는 xyz']);
    // <s>=0 ▁빨간 ▁운동 화 ▁추천 해 줘 </s>=2 — the real XLM-R template
    expect(ko![0]).toBe(0);
    expect(ko![ko!.length - 1]).toBe(2);
    expect(ko).toHaveLength(8);
    expect(en).toHaveLength(4);
    expect(unk).toContain(3); // <unk>
  });

  it('truncates at the max length and keeps the closing special token', async () => {
    const short = await OnnxTextEncoder.load({ modelDir: tiny.text.dir, name: tiny.text.name, runtime, maxLength: 6 });
    const [ids] = short.tokenize([LONG]);
    expect(ids).toHaveLength(6);
    expect(ids![0]).toBe(0);
    expect(ids![5]).toBe(2);
    expect(ids!.slice(1, 5)).toEqual(enc.tokenize([LONG])[0]!.slice(1, 5));
  });

  it('mean pooling ignores padding: a text alone and in a batch beside a much longer text give the same vector', async () => {
    const alone = await enc.encode(['빨간 운동화']);
    const batch = await enc.encode(['빨간 운동화', LONG]);
    expect(enc.tokenize([LONG])[0]!.length).toBeGreaterThan(50);
    expect(maxAbsDiff(alone, batch.subarray(0, enc.dim))).toBeLessThan(1e-5);
  });

  it('pooling is the attention-masked mean of last_hidden_state, then L2-normalised (checked against the raw model)', async () => {
    const [ids] = enc.tokenize(['hello world']);
    const session = await ort.InferenceSession.create(join(tiny.text.dir, 'onnx/model.onnx'));
    const L = ids!.length;
    const feeds = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids!.map(BigInt)), [1, L]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(L).fill(1n), [1, L]),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(L), [1, L]),
    };
    const hs = (await session.run(feeds)).last_hidden_state!.data as Float32Array;
    const expected = new Float32Array(32);
    for (let t = 0; t < L; t++) for (let k = 0; k < 32; k++) expected[k]! += hs[t * 32 + k]! / L;
    const norm = Math.hypot(...expected);
    for (let k = 0; k < 32; k++) expected[k]! /= norm;
    const got = await enc.encode(['hello world']);
    expect(maxAbsDiff(got, expected)).toBeLessThan(1e-6);
    await session.release();
  });

  it('returns L2-normalised rows', async () => {
    const m = await enc.encode(['a', '고양이 사진', LONG, '']);
    for (let r = 0; r < 4; r++) expect(rowNorm(m, enc.dim, r)).toBeCloseTo(1, 5);
  });

  it('batches: many texts across several batches keep their order and match one-by-one encoding', async () => {
    const texts = Array.from(
      { length: 11 },
      (_, i) => `${'news '.repeat(i % 5)}movie ${i % 3 ? '영화' : 'music'} ${'게임 '.repeat(i)}`,
    );
    const all = await enc.encode(texts); // batch size 4 → 3 batches, sorted by length inside
    for (let i = 0; i < texts.length; i++) {
      const one = await enc.encode([texts[i]!]);
      expect(maxAbsDiff(all.subarray(i * enc.dim, (i + 1) * enc.dim), one)).toBeLessThan(1e-5);
    }
    expect(await enc.encode([])).toHaveLength(0);
  });

  it('different texts give different vectors; the same text the same vector', async () => {
    const m = await enc.encode(['red sneakers', '고양이 사진', 'red sneakers']);
    const d = enc.dim;
    expect(maxAbsDiff(m.subarray(0, d), m.subarray(2 * d, 3 * d))).toBe(0);
    expect(maxAbsDiff(m.subarray(0, d), m.subarray(d, 2 * d))).toBeGreaterThan(0.05);
  });

  it('runs XLM-R style exports without token_type_ids', async () => {
    const x = await OnnxTextEncoder.load({ modelDir: tiny.xlmr.dir, name: tiny.xlmr.name, runtime });
    expect(x.dim).toBe(24);
    const m = await x.encode(['빨간 운동화', 'red sneakers']);
    expect(rowNorm(m, 24, 1)).toBeCloseTo(1, 5);
  });

  it('uses the quantized file when only it is present', async () => {
    const dir = join(tiny.dir, 'quant-only');
    cpSync(tiny.text.dir, dir, { recursive: true });
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'onnx/model.onnx'));
    const q = await OnnxTextEncoder.load({ modelDir: dir, name: tiny.text.name, runtime });
    expect(q.id).toBe('sbert:paraphrase-multilingual-MiniLM-L12-v2-quantized:32');
    expect(q.modelPath).toContain('model_quantized.onnx');
  });
});

describe('corrupt or truncated model files', () => {
  it('a truncated model.onnx gives MODEL_FILE_INVALID naming the file', async () => {
    const dir = join(tiny.dir, 'truncated');
    cpSync(tiny.text.dir, dir, { recursive: true });
    const file = join(dir, 'onnx/model.onnx');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const err = await OnnxTextEncoder.load({ modelDir: dir, name: 'x', runtime }).catch((e: unknown) => e);
    expect(isRecoError(err, 'MODEL_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toContain(file);
  });

  it('garbage bytes in model.onnx give MODEL_FILE_INVALID naming the file', async () => {
    const dir = join(tiny.dir, 'garbage');
    cpSync(tiny.text.dir, dir, { recursive: true });
    const file = join(dir, 'onnx/model.onnx');
    writeFileSync(file, Buffer.from('this is not a protobuf model at all'.repeat(10)));
    const err = await OnnxTextEncoder.load({ modelDir: dir, name: 'x', runtime }).catch((e: unknown) => e);
    expect(isRecoError(err, 'MODEL_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toContain(file);
  });

  it('a size that disagrees with .pull-manifest.json is reported as truncated before loading', async () => {
    const dir = join(tiny.dir, 'manifest');
    cpSync(tiny.text.dir, dir, { recursive: true });
    const file = join(dir, 'onnx/model.onnx');
    const size = readFileSync(file).length;
    writeFileSync(
      join(dir, '.pull-manifest.json'),
      JSON.stringify({ files: [{ path: 'onnx/model.onnx', size: size + 100 }] }),
    );
    const err = await OnnxTextEncoder.load({ modelDir: dir, name: 'x', runtime }).catch((e: unknown) => e);
    expect(isRecoError(err, 'MODEL_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/truncated or corrupt.*\.pull-manifest\.json/);
    expect((err as Error).message).toContain(file);
  });

  it('a corrupt tokenizer.json gives MODEL_FILE_INVALID naming it', async () => {
    const dir = join(tiny.dir, 'badtok');
    cpSync(tiny.text.dir, dir, { recursive: true });
    const file = join(dir, 'tokenizer.json');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.slice(0, 200));
    const err = await OnnxTextEncoder.load({ modelDir: dir, name: 'x', runtime }).catch((e: unknown) => e);
    expect(isRecoError(err, 'MODEL_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toContain(file);
    copyFileSync(join(tiny.text.dir, 'tokenizer.json'), file);
  });
});
