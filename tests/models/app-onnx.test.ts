/**
 * The whole app on ONNX encoders (tiny generated models with the real input/output signatures):
 * /status names SBERT and CLIP, built-in thumbnails get CLIP vectors, and a topic is matched against
 * both the text and the images.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../bots/app.js';
import { defaultConfig } from '../../core/config.js';
import { silentLogger } from '../../core/ports.js';
import { tinyModels } from './helpers.js';

const tiny = tinyModels('app-onnx');
let app: App;

beforeAll(async () => {
  const config = defaultConfig({ MODELS_DIR: tiny.dir, ORT_DEVICE: 'cpu', LOG_LEVEL: 'silent' });
  app = await createApp({ config, logger: silentLogger, memory: true });
});
afterAll(async () => {
  await app?.close();
  tiny.cleanup();
});

describe('the app on ONNX encoders', () => {
  it('GIVEN model files THEN /status names SBERT and CLIP and the catalog has image vectors', async () => {
    const s = await app.reco.status();
    expect(s.textEncoder).toMatch(/SBERT/);
    expect(s.textEncoderId).toMatch(/^sbert:/);
    expect(s.imageEncoder).toMatch(/CLIP/);
    const idx = app.catalog.index;
    expect(idx.image).toBeDefined();
    const withImages = idx.hasImage.reduce((a, b) => a + b, 0);
    expect(withImages).toBe(idx.items.filter((i) => i.thumbnail).length);
    expect(withImages).toBeGreaterThan(300);
  });

  it('GIVEN a topic THEN both the text and the CLIP image similarity enter the scores', async () => {
    const r = await app.reco.recommend(
      { platform: 'console', externalId: 'u' },
      { topic: '빨간 운동화', count: 5 },
      { chatId: 'c' },
    );
    expect(r.items).toHaveLength(5);
    expect(r.items.some((i) => i.evidence.components.image !== 0)).toBe(true);
    expect(r.items.some((i) => i.evidence.components.topic !== 0)).toBe(true);
  });
});
