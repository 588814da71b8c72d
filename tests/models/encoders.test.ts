import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../core/config.js';
import { isRecoError } from '../../core/errors.js';
import type { TextEncoder } from '../../core/ports.js';
import { createEncoders } from '../../models/encoders.js';
import { recordingLogger, tempDir, tinyModels } from './helpers.js';

const none = { cudaProviderLibrary: () => undefined, gpuVisible: () => false };
const fallbackText: TextEncoder = {
  id: 'lexical-v1:512',
  dim: 512,
  label: 'lexical (hashed words, 512-d)',
  encode: async (texts) => new Float32Array(texts.length * 512),
};
const tiny = tinyModels('encoders');
const empty = tempDir('encoders-empty');
afterAll(() => {
  tiny.cleanup();
  empty.cleanup();
});

describe('createEncoders', () => {
  it('ENCODER=auto without files: lexical fallback, and the notes and logs name the exact pull commands', async () => {
    const logger = recordingLogger();
    const config = defaultConfig({ MODELS_DIR: empty.dir });
    const enc = await createEncoders({ config, logger, fallbackText, probe: none });
    expect(enc.text).toBe(fallbackText);
    expect(enc.image).toBeUndefined();
    expect(enc.runtime).toBeUndefined();
    const all = enc.notes.join('\n');
    expect(all).toContain('npm run models:pull -- paraphrase-multilingual-MiniLM-L12-v2');
    expect(all).toContain('npm run models:pull -- clip-vit-b32');
    expect(all).toContain('lexical (hashed words, 512-d) (fallback)');
    const warns = logger.lines
      .filter((l) => l.level === 'warn')
      .map((l) => l.msg)
      .join('\n');
    expect(warns).toContain('npm run models:pull -- paraphrase-multilingual-MiniLM-L12-v2');
    expect(warns).toContain('npm run models:pull -- clip-vit-b32');
  });

  it('ENCODER=auto with files: ONNX text and CLIP image encoders, device noted', async () => {
    const logger = recordingLogger();
    const config = defaultConfig({ MODELS_DIR: tiny.dir, EMBED_BATCH_SIZE: '8' });
    const enc = await createEncoders({ config, logger, fallbackText, probe: none });
    expect(enc.text.id).toBe('sbert:paraphrase-multilingual-MiniLM-L12-v2:32');
    expect(enc.image?.id).toBe('clip:clip-vit-b32:16');
    expect(enc.notes.join('\n')).toMatch(/onnxruntime device: cpu/);
    expect(enc.notes[0]).toContain('SBERT paraphrase-multilingual-MiniLM-L12-v2');
    expect((await enc.text.encode(['빨간 운동화'])).length).toBe(32);
    await enc.runtime?.release();
  });

  it('TEXT_MODEL selects another registry model (the seed’s XLM-R)', async () => {
    const config = defaultConfig({
      MODELS_DIR: tiny.dir,
      TEXT_MODEL: 'xlm-r-100langs-bert-base-nli-stsb-mean-tokens',
      IMAGE_MODEL: '',
    });
    const enc = await createEncoders({ config, logger: recordingLogger(), fallbackText, probe: none });
    expect(enc.text.id).toBe('sbert:xlm-r-100langs-bert-base-nli-stsb-mean-tokens:24');
    expect(enc.image).toBeUndefined();
    expect(enc.notes).toContain('image encoder: off (IMAGE_MODEL is empty)');
    await enc.runtime?.release();
  });

  it('ENCODER=lexical uses the fallback even when files exist', async () => {
    const enc = await createEncoders({
      config: defaultConfig({ MODELS_DIR: tiny.dir, ENCODER: 'lexical' }),
      logger: recordingLogger(),
      fallbackText,
      probe: none,
    });
    expect(enc.text).toBe(fallbackText);
    expect(enc.image).toBeUndefined();
    expect(enc.notes[0]).toContain('ENCODER=lexical');
  });

  it('ENCODER=onnx without files fails at start with the command', async () => {
    const err = await createEncoders({
      config: defaultConfig({ MODELS_DIR: empty.dir, ENCODER: 'onnx' }),
      logger: recordingLogger(),
      fallbackText,
      probe: none,
    }).catch((e: unknown) => e);
    expect(isRecoError(err, 'MODEL_FILE_INVALID')).toBe(true);
    expect((err as Error).message).toContain('npm run models:pull -- paraphrase-multilingual-MiniLM-L12-v2');
  });

  it('ENCODER=auto with a corrupt model falls back, logging an error that names the file', async () => {
    const dir = join(tiny.dir, '..', `${tiny.dir.split('/').pop()}-corrupt`);
    mkdirSync(dir, { recursive: true });
    cpSync(
      join(tiny.dir, 'paraphrase-multilingual-MiniLM-L12-v2'),
      join(dir, 'paraphrase-multilingual-MiniLM-L12-v2'),
      { recursive: true },
    );
    const file = join(dir, 'paraphrase-multilingual-MiniLM-L12-v2', 'onnx', 'model.onnx');
    writeFileSync(file, Buffer.alloc(1000, 7));
    const logger = recordingLogger();
    const enc = await createEncoders({
      config: defaultConfig({ MODELS_DIR: dir, IMAGE_MODEL: '' }),
      logger,
      fallbackText,
      probe: none,
    });
    expect(enc.text).toBe(fallbackText);
    const error = logger.lines.find((l) => l.level === 'error');
    expect(error?.msg).toContain(file);
    expect(error?.msg).toContain('npm run models:pull -- paraphrase-multilingual-MiniLM-L12-v2');
    await enc.runtime?.release();
    const { rmSync } = await import('node:fs');
    rmSync(dir, { recursive: true, force: true });
  });

  it('ORT_DEVICE=cuda without CUDA fails at start with a clear error, even with ENCODER=auto', async () => {
    const err = await createEncoders({
      config: defaultConfig({ MODELS_DIR: tiny.dir, ORT_DEVICE: 'cuda' }),
      logger: recordingLogger(),
      fallbackText,
      probe: none,
    }).catch((e: unknown) => e);
    expect(isRecoError(err, 'ENCODER_FAILED')).toBe(true);
    expect((err as Error).message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  });
});
