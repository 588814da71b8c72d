/**
 * Learning speed, measured the way `npm run simulate` measures it: seeded simulated people with category tastes
 * drive the real console adapter on the built-in catalog and react 👍/👎. Measured (seed 1, 8 rounds, see
 * docs/EVALUATION.md): without the bandit the three people below average 3.3 liked of 5 from round 3 on and fall
 * to 1–3 of 5 after round 5; with it 4.1 and never below 4. The test asserts a safe fraction of that.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../scripts/simulate/catalogs.js';
import { missedRounds } from '../../scripts/simulate/report.js';
import { DEFAULT_SIM_OPTIONS, catalogFacts, simulateUser, type UserCurve } from '../../scripts/simulate/run.js';
import { builtinUsers, type ItemFacts } from '../../scripts/simulate/tastes.js';

const o = { ...DEFAULT_SIM_OPTIONS, rounds: 8, seed: 1 };
const catalog = builtinCatalog(o.now);
const people = builtinUsers().filter((u) => ['fashion+entertainment', 'food+travel', 'music+science'].includes(u.name));
const from3 = (c: UserCurve) => c.liked.slice(2).reduce((a, b) => a + b, 0) / (c.liked.length - 2);

describe('learning speed (simulated people through the console adapter)', () => {
  let facts: Map<string, ItemFacts>;
  beforeAll(async () => {
    facts = await catalogFacts(catalog, o);
  }, 60_000);

  it('GIVEN three category-consistent people THEN the bandit keeps ≥ 3.5 of 5 liked from round 3 on, and beats the MMR-only lists by ≥ 0.4', async () => {
    const off: UserCurve[] = [];
    const bandit: UserCurve[] = [];
    for (const u of people) {
      off.push(await simulateUser(catalog, facts, u, { ...o, policy: 'off' }));
      bandit.push(await simulateUser(catalog, facts, u, { ...o, policy: 'bandit' }));
    }
    const mean = (cs: UserCurve[]) => cs.reduce((a, c) => a + from3(c), 0) / cs.length;
    for (const c of bandit) {
      expect(c.shown.every((n) => n === 5)).toBe(true);
      expect(from3(c), `${c.user}: ${c.liked.join(',')}`).toBeGreaterThanOrEqual(3.5);
      // At most one round below 4 of 5 while liked items remain (measured: none).
      expect(missedRounds(c).length, `${c.user}: ${c.liked.join(',')}`).toBeLessThanOrEqual(1);
    }
    expect(mean(bandit) - mean(off)).toBeGreaterThanOrEqual(0.4);
    // The lists learn at all: round 3 on is well above the catalog's base rate (about 0.8 of 5 liked).
    for (const c of bandit) expect(from3(c)).toBeGreaterThan(3 * 5 * c.baseRate[0]!);
  }, 120_000);
});
