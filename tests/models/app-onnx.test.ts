/**
 * The whole app on ONNX encoders (tiny generated models with the real input/output signatures): a model
 * change re-embeds the catalog in the background while the lexical encoder serves, then swaps; /status
 * names SBERT and CLIP, built-in thumbnails get CLIP vectors, a topic is matched against text and images,
 * and the next start (vectors cached) serves the new model at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app/compose.js';
import { defaultConfig } from '../../core/config.js';
import { silentLogger } from '../../core/ports.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { tinyModels } from './helpers.js';

const tiny = tinyModels('app-onnx');
let app: App;
const store = new MemoryStore();
const config = defaultConfig({ MODELS_DIR: tiny.dir, ORT_DEVICE: 'cpu', LOG_LEVEL: 'silent' });

beforeAll(async () => {
  app = await createApp({ config, logger: silentLogger, store });
});
afterAll(async () => {
  await app?.close();
  tiny.cleanup();
});

describe('the app on ONNX encoders', () => {
  it('GIVEN a model change THEN the lexical encoder serves until the new vectors are ready, then they swap', async () => {
    // Right after start the previous (lexical) vectors serve and /status says a switch is under way.
    const before = await app.reco.status();
    const r = await app.reco.recommend({ platform: 'console', externalId: 'early' }, { count: 3 }, { chatId: 'c' });
    expect(r.items).toHaveLength(3);
    await app.encodersReady;
    const after = await app.reco.status();
    expect(after.textEncoderId).toMatch(/^sbert:/);
    // The switch needs real encoder work, so it cannot have finished before the first status call.
    expect(before.textEncoderId).toMatch(/^lexical/);
    expect(before.extra.join('\n')).toMatch(/switching to SBERT/);
    expect(after.extra.join('\n')).not.toMatch(/switching to/);
  });

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

  it('GIVEN a restart with the vectors cached THEN the new model serves at once', async () => {
    const again = await createApp({ config, logger: silentLogger, store });
    try {
      expect((await again.reco.status()).textEncoderId).toMatch(/^sbert:/);
      expect(again.catalog.imageEncoder?.id).toMatch(/^clip:/);
    } finally {
      await again.encodersReady;
    }
  });
});
