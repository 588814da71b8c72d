/**
 * `npm run bench:roundtrips [-- --iterations 300 --count 5 --json out.json]`
 *
 * Store round trips and latency of `/recommend` (N items) and of a reaction on a real redis-server
 * (127.0.0.1, started and stopped by this script), through the core flows the adapters use, with an
 * instant list sender (no platform network). Every store call is counted (one call = one Redis round
 * trip). The reaction follows the Discord adapter's path. Written to run on the code before the
 * architecture change too (feature-detected), so the two can be measured side by side.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { defaultConfig } from '../../core/config.js';
import { silentLogger, type KeyValueStore } from '../../core/ports.js';
import { RedisStore } from '../../infra/store/redis.js';
import { startRedis } from '../../tests/helpers/redis.js';
import { topicCatalog } from '../../tests/helpers/items.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '300' },
    count: { type: 'string', default: '5' },
    json: { type: 'string' },
  },
});
const ITER = Number(values.iterations);
const COUNT = Number(values.count);

/** Counts every method call on the store (works on any version of the port). */
function counting(store: KeyValueStore): { store: KeyValueStore; calls: () => number; reset: () => void } {
  let n = 0;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || prop === 'close') return v;
      return (...args: unknown[]) => {
        n++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls: () => n, reset: () => (n = 0) };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** The facade calls this bench makes, in both layouts (`deliver` exists only after the change). */
interface Reco {
  deliver?: (actor: unknown, req: unknown, target: unknown, sender: unknown) => Promise<unknown>;
  recommend(
    actor: unknown,
    req: unknown,
    where: unknown,
  ): Promise<{ impressionId: string; items: { item: { id: string } }[] }>;
  attachMessages(impressionId: string, where: unknown, messages: unknown): Promise<void>;
  reactToMessage(
    actor: unknown,
    ref: unknown,
    emoji: string,
    action: string,
    opts: unknown,
  ): Promise<{ status: string }>;
  message(actor: unknown, text: string): Promise<unknown>;
  users: { getMessageRef(platform: string, chatId: string, messageId: string): Promise<unknown> };
}

async function loadCreateApp(): Promise<
  (o: Record<string, unknown>) => Promise<{ reco: Reco; close(): Promise<void> }>
> {
  const paths = ['../../app/compose.js', '../../bots/app.js'];
  for (const p of paths) {
    try {
      return (await import(p)).createApp;
    } catch {
      /* the other layout */
    }
  }
  throw new Error('no createApp found');
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const raw = await RedisStore.open(redis.url, { keyPrefix: `bench-${Date.now()}` });
  const c = counting(raw);
  const now = new Date('2026-11-26T00:00:00Z');
  const createApp = await loadCreateApp();
  const app = await createApp({
    config: defaultConfig({ LOG_LEVEL: 'silent' }),
    logger: silentLogger,
    store: c.store,
    seedItems: topicCatalog(now),
    now: () => now,
  });
  const reco = app.reco;
  const platform = 'discord' as const;
  const chatId = 'bench-channel';
  let msg = 0;
  const sender = {
    async sendItem() {
      return { messageIds: [`m${++msg}`] };
    },
  };
  const layout = typeof reco.deliver === 'function' ? 'after (one delivery flow)' : 'before (attach per item)';
  /** One `/recommend` as the Discord adapter runs it; returns the item message ids. */
  const recommend = async (actor: { platform: 'discord'; externalId: string }): Promise<string[]> => {
    if (reco.deliver) {
      const first = msg + 1;
      await reco.deliver(actor, { count: COUNT }, { platform, chatId }, sender);
      return Array.from({ length: msg - first + 1 }, (_, i) => `m${first + i}`);
    }
    const res = await reco.recommend(actor, { count: COUNT }, { chatId });
    const ids: string[] = [];
    for (const it of res.items) {
      const id = `m${++msg}`;
      await reco.attachMessages(res.impressionId, { platform, chatId }, [{ messageId: id, itemIds: [it.item.id] }]);
      ids.push(id);
    }
    return ids;
  };
  /** One reaction as the Discord adapter handles it. */
  const react = async (
    actor: { platform: 'discord'; externalId: string },
    messageId: string,
    key: string,
    add: boolean,
  ) => {
    const ref = { platform, chatId, messageId };
    if (typeof reco.deliver !== 'function') await reco.users.getMessageRef(platform, chatId, messageId);
    return reco.reactToMessage(actor, ref, '👍', add ? 'add' : 'remove', { idempotencyKey: key });
  };

  const users = Array.from({ length: 20 }, (_, i) => ({ platform, externalId: `bench-${i}` }));
  for (const u of users) await reco.message(u, 'I love football, ramen and AI news');
  const recoMs: number[] = [];
  const recoTrips: number[] = [];
  const reactMs: number[] = [];
  const reactTrips: number[] = [];
  const shown: string[][] = [];
  for (let i = 0; i < ITER; i++) {
    const u = users[i % users.length]!;
    c.reset();
    const t0 = process.hrtime.bigint();
    shown[i] = await recommend(u);
    recoMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    recoTrips.push(c.calls());
  }
  for (let i = 0; i < ITER; i++) {
    const u = users[i % users.length]!;
    const messageId = shown[i]![0]!;
    c.reset();
    const t0 = process.hrtime.bigint();
    const r = await react(u, messageId, `bench-${i}`, true);
    reactMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    reactTrips.push(c.calls());
    if (r.status !== 'applied' && r.status !== 'duplicate') throw new Error(`reaction ${i}: ${r.status}`);
  }
  const out = {
    layout,
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
    iterations: ITER,
    count: COUNT,
    recommend: {
      p50: pct(recoMs, 50),
      p99: pct(recoMs, 99),
      roundTrips: recoTrips.reduce((a, b) => a + b, 0) / recoTrips.length,
    },
    reaction: {
      p50: pct(reactMs, 50),
      p99: pct(reactMs, 99),
      roundTrips: reactTrips.reduce((a, b) => a + b, 0) / reactTrips.length,
    },
  };
  console.log(`${out.layout} — ${out.machine}; ${ITER} iterations, /recommend of ${COUNT}, Redis on 127.0.0.1`);
  console.log('flow\tround trips\tp50 ms\tp99 ms');
  for (const k of ['recommend', 'reaction'] as const)
    console.log(`${k}\t${out[k].roundTrips.toFixed(1)}\t${out[k].p50.toFixed(2)}\t${out[k].p99.toFixed(2)}`);
  if (values.json) writeFileSync(values.json, JSON.stringify(out, null, 2));
  await app.close();
  await redis.stop();
}

await main();
