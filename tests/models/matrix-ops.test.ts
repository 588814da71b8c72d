import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../core/catalog/catalog.js';
import { rankItems, textQuery, type RankInput } from '../../core/recommend.js';
import { emptyPersona } from '../../core/users/doc.js';
import { matVec, normalizeRows } from '../../core/vectors.js';
import { OrtMatrixOps } from '../../models/matrix-ops.js';
import { item } from '../helpers/items.js';
import { settingsFrom } from '../../app/settings.js';
import { defaultConfig } from '../../core/config.js';

const DEFAULT_WEIGHTS = settingsFrom(defaultConfig()).weights;

function rand(n: number, seed: number) {
  let s = seed;
  return Float32Array.from({ length: n }, () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5);
}

let ops: OrtMatrixOps;
beforeAll(async () => {
  ops = await OrtMatrixOps.create();
});
afterAll(async () => {
  await ops.release();
});

describe('onnxruntime matrix ops', () => {
  it('GIVEN large and small matrices THEN the ORT product equals the JS loop', async () => {
    for (const [rows, dim] of [
      [5000, 384],
      [7, 5],
      [3000, 100],
    ] as const) {
      const m = rand(rows * dim, rows);
      const v = rand(dim, dim);
      const a = await ops.matVec(m, dim, v);
      const b = matVec(m, dim, v);
      expect(a).toHaveLength(rows);
      let max = 0;
      for (let i = 0; i < rows; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
      expect(max).toBeLessThan(1e-5);
    }
  });

  it('GIVEN precomputed text scores THEN the ranking is the same as with the JS loop', async () => {
    const n = 6000;
    const dim = 64;
    const now = new Date('2026-11-26T00:00:00Z');
    const items = Array.from({ length: n }, (_, i) =>
      item(`i${i}`, `item ${i} about topic ${i % 17}`, i % 2 ? 'tech' : 'food', { now, ageHours: i % 300 }),
    );
    const index = buildIndex({ items, textEncoderId: 't', textDim: dim, text: normalizeRows(rand(n * dim, 7), dim) });
    const persona = emptyPersona('u', now.toISOString());
    persona.vector = Array.from(normalizeRows(rand(dim, 3), dim));
    persona.encoderId = 't';
    const input: RankInput = {
      index,
      persona,
      feedback: { i5: { itemId: 'i5', signal: 'like', origin: 'reaction', at: '' } },
      shown: {},
      explore: 1,
      count: 10,
      now,
      weights: DEFAULT_WEIGHTS,
    };
    const js = rankItems(input).map((r) => r.row);
    const textScores = await ops.matVec(index.text, dim, textQuery(input).q);
    const viaOrt = rankItems({ ...input, textScores }).map((r) => r.row);
    expect(viaOrt).toEqual(js);
  });
});
