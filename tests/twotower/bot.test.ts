/**
 * The two-tower model inside the bot: no model → content scoring and /status says so; enough feedback →
 * a background retrain (worker thread) → the new model is swapped in and its scores enter the ranking,
 * including for a user with no history (cold start from the persona).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import type { Actor } from '../../core/users/doc.js';
import { testApp } from '../helpers/app.js';

const dir = mkdtempSync(join(process.cwd(), 'tests/.tmp/two-tower-bot-'));
let app: App;

beforeAll(async () => {
  app = await testApp({ env: { TWO_TOWER_DIR: dir } });
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const FOOD = ['r1', 'r2', 'r3', 'r4', 'k1', 't3'];
const TECH = ['a1', 'a2', 'a3', 'a4', 'g1', 'g4'];

describe('two-tower in the bot', () => {
  it('GIVEN no trained model THEN content scoring serves alone and /status says so', async () => {
    const s = await app.reco.status();
    expect(s.learned).toMatch(/no trained model yet/);
    const r = await app.reco.recommend({ platform: 'console', externalId: 'x' }, { count: 3 }, { chatId: 'c' });
    expect(r.items.every((i) => i.evidence.components.learned === 0)).toBe(true);
  });

  it('GIVEN too little feedback THEN retraining is skipped with a reason', async () => {
    const out = await app.learned.retrain();
    expect(out).toMatchObject({ status: 'skipped' });
  });

  it('GIVEN enough feedback THEN a retrain swaps a model in and its scores reach the ranking, cold start included', async () => {
    for (let u = 0; u < 12; u++) {
      const actor: Actor = { platform: 'telegram', externalId: `u${u}` };
      const likes = u % 2 ? FOOD : TECH;
      const dislikes = u % 2 ? TECH : FOOD;
      await app.reco.message(actor, u % 2 ? 'I love ramen and cooking' : 'I follow AI and esports');
      for (const id of likes.slice(0, 4 + (u % 3))) await app.reco.feedback(actor, id, 'like', 'button', `${u}-${id}`);
      await app.reco.feedback(actor, dislikes[u % 6]!, 'dislike', 'button', `${u}-d`);
    }
    const out = await app.learned.retrain();
    expect(out.status).toBe('trained');
    expect((await app.reco.status()).learned).toMatch(/two-tower/);
    expect((await app.reco.status()).learned).not.toMatch(/no trained model/);

    const newcomer: Actor = { platform: 'console', externalId: 'newcomer' };
    await app.reco.message(newcomer, 'I love ramen and cooking');
    const r = await app.reco.recommend(newcomer, { count: 5 }, { chatId: 'c' });
    expect(r.items.some((i) => i.evidence.components.learned !== 0)).toBe(true);
    // The learned scores separate the planted tastes: food items score higher than tech items for a food persona.
    const features = app.reco.featuresOf(app.reco.subjectOf(await app.reco.resolve(newcomer), 'console'));
    const scores = (await app.learned.scorer.scoreAll(features, app.catalog.index.version))!;
    const mean = (ids: string[]) =>
      ids.reduce((s, id) => s + scores[app.catalog.index.rowOf.get(id)!]!, 0) / ids.length;
    expect(mean(FOOD)).toBeGreaterThan(mean(TECH));
  });

  it('GIVEN another replica holds the training lock THEN this one skips', async () => {
    await app.store.acquireLock('two-tower-retrain', 'other-replica', 60_000);
    try {
      expect(await app.learned.retrain()).toEqual({ status: 'skipped', reason: 'another replica is training' });
    } finally {
      await app.store.releaseLock('two-tower-retrain', 'other-replica');
    }
  });
});
