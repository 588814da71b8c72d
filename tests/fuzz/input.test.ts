/**
 * Bounded fuzzing of everything a user can type (seeded, 1,500 inputs per property, in-process) and a
 * bounded concurrency check on one user's document. Nothing here touches the network.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import { parseConsoleLine } from '../../bots/console/parse.js';
import { analyzeMessage } from '../../core/persona.js';
import { sanitizeText, terms } from '../../core/text.js';
import type { Actor } from '../../core/users/doc.js';
import { testApp } from '../helpers/app.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const ALPHABET = [
  ...'abcxyz019 /-=👍👎❤️🔥💩⭐',
  '축구',
  '라면',
  '싫어',
  '좋아',
  '\u0000',
  '\u202E',
  '\u200B',
  '\uFEFF',
  '\uD800', // a lone surrogate
  '\n',
  '\t',
  '/recommend',
  '/persona remove',
  '/more',
  '/explore',
  '/react',
  '-',
  "don't like ",
  'count=',
  'category=',
  '🏽',
  '\uFE0F',
  'ℌ',
  'ｆｕｌｌｗｉｄｔｈ',
  '\u1100\u1161',
];

function randomInput(r: () => number): string {
  const len = Math.floor(r() * 40);
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}

describe('fuzzing user input (bounded)', () => {
  it('GIVEN 1,500 random lines THEN the console parser always returns a value', () => {
    const r = rng(1);
    for (let i = 0; i < 1500; i++) {
      const line = randomInput(r);
      const out = parseConsoleLine(line);
      expect(out.kind).toBeTypeOf('string');
      if (out.kind === 'recommend' && out.count !== undefined) expect(out.count).toBeGreaterThanOrEqual(1);
      if (out.kind === 'react') expect(Number.isInteger(out.position)).toBe(true);
    }
  });

  it('GIVEN 1,500 random texts THEN sanitising, tokenising and persona analysis never throw and stay bounded', () => {
    const r = rng(2);
    for (let i = 0; i < 1500; i++) {
      const text = randomInput(r).repeat(1 + Math.floor(r() * 50));
      const clean = sanitizeText(text, 500);
      expect(Array.from(clean).length).toBeLessThanOrEqual(500);
      expect(clean).not.toMatch(/[\u0000\u202E\u200B\uFEFF]/);
      expect(Array.isArray(terms(clean))).toBe(true);
      const a = analyzeMessage(clean);
      expect(a.likes.every((t) => !a.dislikes.includes(t))).toBe(true);
    }
  });
});

describe('concurrency on one user (bounded, in-process)', () => {
  let app: App;
  beforeAll(async () => {
    app = await testApp();
  });
  afterAll(async () => app.close());

  it('GIVEN 200 concurrent feedback events, half of them redelivered THEN each counts exactly once and none is lost', async () => {
    const actor: Actor = { platform: 'discord', externalId: 'busy' };
    const items = app.catalog.index.items.map((i) => i.id);
    const events = Array.from({ length: 100 }, (_, k) => ({
      itemId: items[k % items.length]!,
      key: `e${k}`,
      signal: (k % 3 ? 'like' : 'dislike') as 'like' | 'dislike',
    }));
    const results = await Promise.all(
      [...events, ...events].map((e) => app.reco.feedback(actor, e.itemId, e.signal, 'button', e.key)),
    );
    const applied = results.filter((r) => r.status === 'applied').length;
    const dupes = results.filter((r) => r.status === 'duplicate').length;
    expect(applied).toBe(100);
    expect(dupes).toBe(100);
    const doc = await app.reco.resolve(actor);
    expect(doc.history).toHaveLength(100);
    // The latest event per item wins.
    const last = new Map(events.map((e) => [e.itemId, e.signal]));
    for (const [itemId, signal] of last) expect(doc.feedback[itemId]?.signal).toBe(signal);
  });

  it('GIVEN many users at once THEN each gets a list and nobody is created twice', async () => {
    const actors: Actor[] = Array.from({ length: 50 }, (_, i) => ({ platform: 'telegram', externalId: `p${i % 25}` }));
    const lists = await Promise.all(actors.map((a) => app.reco.recommend(a, { count: 3 }, { chatId: 'c' })));
    expect(lists.every((l) => l.items.length === 3)).toBe(true);
    const ids = new Set(lists.map((l) => l.userId));
    expect(ids.size).toBe(25);
  });
});
