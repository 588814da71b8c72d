import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  cleanExtraction,
  correctPersona,
  ExtractionScheduler,
  mergeExtraction,
  PersonaExtractionSchema,
  removeInterest,
} from '../../core/llm/persona-extract.js';
import { NS_LLM_BUDGET, TokenBudget } from '../../core/llm/budget.js';
import { PromptCache, promptHash } from '../../core/llm/cache.js';
import { CapturingLogger, fixedClock, MemoryStore, persona } from './support.js';

const now = '2026-03-01T09:00:00.000Z';

function extraction(raw: unknown) {
  return cleanExtraction(PersonaExtractionSchema.parse(raw));
}

describe('mergeExtraction and /persona corrections', () => {
  it('never re-adds a removed interest and never overrides what the user set', () => {
    let p = persona({
      interests: [
        { term: 'football', weight: 4, source: 'message', updatedAt: now },
        { term: 'cooking', weight: 5, source: 'user', updatedAt: now },
      ],
      dislikes: [{ term: 'horror', weight: 5, source: 'user', updatedAt: now }],
    });
    const r = removeInterest(p, 'Football', now);
    expect(r.removed).toBe(true);
    p = r.persona;
    expect(p.interests.map((i) => i.term)).toEqual(['cooking']);
    expect(p.removedTerms).toEqual(['football']);

    const merged = mergeExtraction(
      p,
      extraction({
        interests: [
          { term: 'football', weight: 1 },
          { term: 'horror', weight: 0.9 },
          { term: 'baking', weight: 0.5 },
        ],
        dislikes: [{ term: 'cooking', weight: 1 }],
      }),
      now,
    );
    expect(merged.interests.map((i) => [i.term, i.source])).toEqual([
      ['cooking', 'user'],
      ['baking', 'llm'],
    ]);
    expect(merged.dislikes.map((i) => i.term)).toEqual(['horror']);
    // The input persona is not mutated.
    expect(p.interests).toHaveLength(1);
  });

  it('adding an interest back clears its removal; removing an unknown term says so', () => {
    let p = removeInterest(persona(), 'chess', now);
    expect(p.removed).toBe(false);
    p = { persona: correctPersona(p.persona, { addInterests: ['Chess'] }, now), removed: false };
    expect(p.persona.removedTerms).toBeUndefined();
    expect(p.persona.interests).toEqual([{ term: 'chess', weight: 5, source: 'user', updatedAt: now }]);
    const merged = mergeExtraction(p.persona, extraction({ interests: [{ term: 'chess', weight: 0.2 }] }), now);
    expect(merged.interests).toEqual(p.persona.interests);
  });

  it('locks attributes the user set or cleared', () => {
    const p = correctPersona(
      persona({ attributes: { occupation: 'nurse', ageBand: '30s' } }),
      { setAttributes: { occupation: null } },
      now,
    );
    expect(p.attributes).toEqual({ ageBand: '30s' });
    const merged = mergeExtraction(
      p,
      extraction({ attributes: { occupation: 'doctor', ageBand: '40s', location: 'busan' } }),
      now,
    );
    expect(merged.attributes).toEqual({ ageBand: '40s', location: 'busan' });
  });

  it('moves a term between interests and dislikes when the user changes their mind (non-user entries only)', () => {
    const p = persona({ dislikes: [{ term: 'anime', weight: 2, source: 'message', updatedAt: now }] });
    const merged = mergeExtraction(p, extraction({ interests: [{ term: 'Anime', weight: 0.8 }] }), now);
    expect(merged.dislikes).toEqual([]);
    expect(merged.interests[0]).toMatchObject({ term: 'anime', source: 'llm', weight: 2.4 });
  });

  it('cleans what the model returns: links, instructions, unknown languages and attribute keys', () => {
    const e = extraction({
      interests: [
        { term: 'https://evil.example', weight: 1 },
        { term: '  Retro   Handhelds ', weight: '0.7' },
      ],
      languages: ['ko-KR', 'klingon', 'English'],
      attributes: { ageBand: '20s', password: 'x', occupation: null },
    });
    expect(e.interests).toEqual([{ term: 'retro handhelds', weight: 0.7 }]);
    expect(e.languages).toEqual(['ko', 'en']);
    expect(e.attributes).toEqual({ ageBand: '20s' });
  });
});

describe('ExtractionScheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs after N messages, or after the user goes quiet, one run per user at a time', async () => {
    vi.useFakeTimers();
    const runs: string[] = [];
    let release: (() => void) | undefined;
    const scheduler = new ExtractionScheduler({
      everyMessages: 3,
      idleMs: 60_000,
      run: async (userId) => {
        runs.push(userId);
        if (userId === 'slow') await new Promise<void>((r) => (release = r));
      },
    });
    scheduler.noteMessage('a');
    scheduler.noteMessage('a');
    expect(runs).toEqual([]);
    scheduler.noteMessage('a');
    expect(runs).toEqual(['a']);

    scheduler.noteMessage('b');
    await vi.advanceTimersByTimeAsync(59_000);
    scheduler.noteMessage('b'); // debounced: the idle timer restarts
    await vi.advanceTimersByTimeAsync(59_000);
    expect(runs).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(runs).toEqual(['a', 'b']);

    for (let i = 0; i < 3; i++) scheduler.noteMessage('slow');
    for (let i = 0; i < 3; i++) scheduler.noteMessage('slow'); // during the run
    expect(runs.filter((u) => u === 'slow')).toHaveLength(1);
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.filter((u) => u === 'slow')).toHaveLength(2);
    release?.();
    scheduler.close();
  });
});

describe('TokenBudget', () => {
  it('counts per user and overall per UTC day, with a TTL, and logs exhaustion once', async () => {
    const store = new MemoryStore();
    const clock = fixedClock('2026-03-01T23:00:00.000Z');
    const logger = new CapturingLogger();
    const budget = new TokenBudget(store, { perUser: 100, total: 1000 }, clock, logger);
    expect(await budget.check('u1')).toEqual({ ok: true });
    await Promise.all([budget.record('u1', 60), budget.record('u1', 50)]);
    expect(await budget.usage('u1')).toMatchObject({ day: '2026-03-01', user: 110, total: 110 });
    expect(store.ttlOf(NS_LLM_BUDGET, '2026-03-01:user:u1')).toBeGreaterThan(24 * 3600_000);
    expect(await budget.check('u1')).toMatchObject({ ok: false, scope: 'user' });
    expect(await budget.check('u1')).toMatchObject({ ok: false, scope: 'user' });
    expect(await budget.check('u2')).toEqual({ ok: true });
    expect(logger.find('warn', /exhausted/)).toHaveLength(1);
    clock.set('2026-03-02T00:00:01.000Z');
    expect(await budget.check('u1')).toEqual({ ok: true });
  });

  it('0 means no limit', async () => {
    const budget = new TokenBudget(new MemoryStore(), { perUser: 0, total: 0 });
    await budget.record('u1', 1e9);
    expect(await budget.check('u1')).toEqual({ ok: true });
  });
});

describe('PromptCache', () => {
  it('keys on model, mode and every message; stores with a TTL', async () => {
    const store = new MemoryStore();
    const cache = new PromptCache(store, 1000);
    const a = promptHash('m', [{ role: 'user', content: 'x' }], true);
    expect(promptHash('m', [{ role: 'user', content: 'x' }], true)).toBe(a);
    expect(promptHash('m2', [{ role: 'user', content: 'x' }], true)).not.toBe(a);
    expect(promptHash('m', [{ role: 'user', content: 'y' }], true)).not.toBe(a);
    await cache.set(a, '{"ok":1}');
    expect(await cache.get(a)).toBe('{"ok":1}');
    expect(store.ttlOf('llm-cache', a)).toBeLessThanOrEqual(1000);
  });
});
