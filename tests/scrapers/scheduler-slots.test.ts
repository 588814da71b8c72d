/**
 * Timer-driven sources (people's own sources always; configured ones when no job queue runs them) are fetched once
 * per interval across every process sharing the store, not once per process: two schedulers on one store (as two
 * replicas share one; the lock semantics each store provides across processes are the store contract suite's) and a
 * controlled clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../infra/store/memory.js';
import type { IngestPipeline, RunReport } from '../../scrapers/pipeline.js';
import { ScrapeScheduler } from '../../scrapers/scheduler.js';

/** The part of the pipeline the scheduler uses, counting runs per source (shared by both "replicas"). */
function countingPipeline(sources: string[], runs: Map<string, number>): IngestPipeline {
  const plugins = sources.map((id) => ({ id }));
  return {
    plugins,
    async run(o?: { sources?: string[] }) {
      for (const s of o?.sources ?? []) runs.set(s, (runs.get(s) ?? 0) + 1);
      return { stored: [], sources: [] } as unknown as RunReport;
    },
    async expire() {
      return 0;
    },
    addPlugin(p: { id: string }) {
      plugins.push(p);
    },
    removePlugin(id: string) {
      plugins.splice(
        plugins.findIndex((p) => p.id === id),
        1,
      );
    },
  } as unknown as IngestPipeline;
}

describe('scheduled scraping across replicas', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const c of open.splice(0)) await c.close();
  });

  it('GIVEN two processes scheduling the same sources THEN each source is fetched once per interval, and again the next interval', async () => {
    const store = new MemoryStore();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const runs = new Map<string, number>();
    const sources = ['feed-a', 'feed-b', 'feed-c'];
    const make = () =>
      new ScrapeScheduler({
        pipeline: countingPipeline(sources, runs),
        intervalMinutes: 10,
        maxAgeDays: 0,
        store,
        initialDelayMs: 1_000,
        staggerMs: 1_000,
      });
    const one = make();
    const two = make();
    open.push({ close: () => one.stop() }, { close: () => two.stop() }, store);
    one.start();
    two.start();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(Object.fromEntries(runs)).toEqual({ 'feed-a': 1, 'feed-b': 1, 'feed-c': 1 });
    // Still inside the first interval: nobody fetches again.
    await vi.advanceTimersByTimeAsync(8 * 60_000);
    expect(Object.fromEntries(runs)).toEqual({ 'feed-a': 1, 'feed-b': 1, 'feed-c': 1 });
    // The next interval: once more each, not twice.
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    expect(Object.fromEntries(runs)).toEqual({ 'feed-a': 2, 'feed-b': 2, 'feed-c': 2 });
  });

  it('GIVEN one process THEN its own timer still fetches every interval (the slot never blocks its holder)', async () => {
    const a = new MemoryStore();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const runs = new Map<string, number>();
    const s = new ScrapeScheduler({
      pipeline: countingPipeline(['only'], runs),
      intervalMinutes: 1,
      maxAgeDays: 0,
      store: a,
      initialDelayMs: 0,
      staggerMs: 0,
    });
    open.push({ close: () => s.stop() }, { close: () => a.close() });
    s.start();
    await vi.advanceTimersByTimeAsync(4 * 60_000 + 1_000);
    expect(runs.get('only')).toBe(5);
  });
});
