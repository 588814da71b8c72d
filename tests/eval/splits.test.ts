import { describe, expect, it } from 'vitest';
import { generateSynthetic, type Interactions } from '../../core/eval/datasets.js';
import { coldStartSplit, leaveOneOutSplit, randomSplit, splitCounts } from '../../core/eval/splits.js';

const ds = generateSynthetic({ users: 150, items: 200, perUser: 14, seed: 11 });
const pairs = (x: Interactions) => new Set(Array.from(x.user, (u, r) => `${u}:${x.item[r]}`));

function expectNoLeak(train: Interactions, ...others: Interactions[]): void {
  const t = pairs(train);
  for (const o of others) for (const p of pairs(o)) expect(t.has(p), `pair ${p} is in training too`).toBe(false);
}

describe('splits', () => {
  it('RecBole-style counts for 8:1:1', () => {
    expect(splitCounts(10, [0.8, 0.1, 0.1])).toEqual([8, 1, 1]);
    expect(splitCounts(5, [0.8, 0.1, 0.1])).toEqual([3, 1, 1]);
    expect(splitCounts(2, [0.8, 0.1, 0.1])).toEqual([1, 0, 1]);
    expect(splitCounts(1, [0.8, 0.1, 0.1])).toEqual([1, 0, 0]);
  });

  it('random 8:1:1 per user: no test or validation pair in training, all rows used, seeded', () => {
    const s = randomSplit(ds, { seed: 5 });
    expectNoLeak(s.train, s.valid, s.test);
    expectNoLeak(s.valid, s.test);
    expect(s.train.length + s.valid.length + s.test.length).toBe(ds.interactions.length);
    expect(s.train.length / ds.interactions.length).toBeGreaterThan(0.7);
    expect([...randomSplit(ds, { seed: 5 }).test.item]).toEqual([...s.test.item]);
    expect([...randomSplit(ds, { seed: 6 }).test.item]).not.toEqual([...s.test.item]);
  });

  it('temporal leave-one-out: test is each user’s last like, training is strictly earlier', () => {
    const s = leaveOneOutSplit(ds);
    expectNoLeak(s.train, s.valid, s.test);
    const lastTrain = new Map<number, number>();
    for (let r = 0; r < s.train.length; r++)
      lastTrain.set(s.train.user[r]!, Math.max(lastTrain.get(s.train.user[r]!) ?? -Infinity, s.train.time[r]!));
    const testLikes = new Map<number, number>();
    for (let r = 0; r < s.test.length; r++) {
      const u = s.test.user[r]!;
      expect(s.test.time[r]!).toBeGreaterThanOrEqual(lastTrain.get(u) ?? -Infinity);
      if (s.test.signal[r] === 1) testLikes.set(u, (testLikes.get(u) ?? 0) + 1);
    }
    for (const n of testLikes.values()) expect(n).toBe(1);
    expect(testLikes.size).toBeGreaterThan(100);
  });

  it('user cold start: held-out users have no training rows at all', () => {
    const s = coldStartSplit(ds, { seed: 9, coldTestShare: 0.2, coldValidShare: 0.1 });
    const trainUsers = new Set(s.train.user);
    for (const u of s.test.user) expect(trainUsers.has(u)).toBe(false);
    for (const u of s.valid.user) expect(trainUsers.has(u)).toBe(false);
    expect(s.coldUsers.length).toBe(Math.round(0.2 * 150) + Math.round(0.1 * 150));
    for (const u of s.coldUsers) expect(trainUsers.has(u)).toBe(false);
    expectNoLeak(s.train, s.valid, s.test);
  });
});
