/**
 * End to end: the app as a process with a real SQLite store — and again with a real Redis — scripted over stdin.
 * talk → /recommend → 👍 one, 👎 another → /recommend shows the effect → kill -9 → restart →
 * persona and feedback are still there → /forget leaves nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyValueStore } from '../../core/ports.js';
import { RedisStore } from '../../infra/store/redis.js';
import { SqliteStore } from '../../infra/store/sqlite.js';
import { ConsoleSession, parseList } from '../helpers/console-session.js';
import { redisAvailable, startRedis, type RedisServer } from '../helpers/redis.js';

const backends = [
  { name: 'SQLite', run: true },
  { name: 'Redis', run: redisAvailable() },
] as const;

describe.each(backends)('console chat, end to end ($name)', ({ name, run }) => {
  const dataDir = mkdtempSync(join(process.cwd(), 'tests/.tmp/e2e-console-'));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    CONSOLE_USER: 'e2e-tester',
    DEFAULT_LANG: 'en',
    DISCORD_TOKEN: '',
    TELEGRAM_TOKEN: '',
    REDIS_URL: '',
    BOT_MODE: 'auto',
  };
  let redis: RedisServer | undefined;
  const openStore = async (): Promise<KeyValueStore> =>
    name === 'Redis' ? RedisStore.open(env.REDIS_URL!) : SqliteStore.open(dataDir);

  beforeAll(async () => {
    if (name === 'Redis' && run) {
      redis = await startRedis({ persistent: true });
      env.REDIS_URL = redis.url;
    }
  });
  afterAll(async () => {
    await redis?.stop();
    if (redis) rmSync(redis.dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  let liked = '';
  let disliked = '';

  it.runIf(run)(
    'GIVEN a conversation and reactions THEN the next /recommend reflects them, and survives kill -9',
    async () => {
      const s = new ConsoleSession(env);
      await s.send('I love ramen and cooking noodles at home', /Got it/);
      const first = parseList(await s.send('/recommend 5', /React with/));
      expect(first).toHaveLength(5);
      liked = first[0]!.title;
      disliked = first[1]!.title;
      expect(await s.send('👍 1', /Noted/)).toContain(liked);
      expect(await s.send('👎 2', /Noted/)).toContain(disliked);
      const second = parseList(await s.send('/recommend 10', /React with/));
      expect(second.map((i) => i.title)).not.toContain(disliked);
      expect(second.map((i) => i.title)).not.toContain(liked);
      // Items like the liked one rise and say so.
      expect(second.some((i) => i.why.includes(`liked '${liked.slice(0, 20)}`))).toBe(true);
      // Feedback was acknowledged, so it must already be durable: kill without a graceful shutdown.
      await s.kill();
    },
  );

  it.runIf(run)('GIVEN a restart THEN persona and feedback are still there', async () => {
    const s = new ConsoleSession(env);
    const persona = await s.send('/persona', /Exploration level/);
    expect(persona).toContain('ramen');
    expect(persona).toContain('1 items with a like and 1 with a dislike');
    const list = parseList(await s.send('/recommend 10', /React with/));
    expect(list.map((i) => i.title)).not.toContain(disliked);
    const status = await s.send('/status', /Users/);
    expect(status).toMatch(name === 'Redis' ? /Store: redis:/ : /Store: sqlite:/);
    expect(status).toMatch(/Text encoder: lexical/);
    expect(status).toMatch(/Catalog: \d{3,} items/);
    expect(await s.end()).toBe(0);
  });

  it.runIf(run)('GIVEN /forget THEN the store holds nothing of the user', async () => {
    const s = new ConsoleSession(env);
    await s.send('/forget', /Are you sure/);
    await s.send('yes', /forgotten everything/);
    expect(await s.send('/persona', /Exploration level/)).toContain("I don't know much about you yet");
    await s.send('/forget --yes', /forgotten everything/);
    expect(await s.end()).toBe(0);

    const store = await openStore();
    try {
      const dump: string[] = [];
      for (const ns of ['users', 'identities', 'messages', 'impressions']) {
        for await (const k of store.keys(ns)) dump.push(`${ns}/${k}=${JSON.stringify(await store.get(ns, k))}`);
      }
      expect(dump).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it.runIf(run)('GIVEN hostile input THEN clear messages and no crash', async () => {
    const s = new ConsoleSession(env);
    expect(await s.send('/frobnicate', /Unknown command/)).toContain('/frobnicate');
    expect(await s.send('👍 99', /no item 99/)).toBeTruthy();
    expect(await s.send('/recommend 0', /Invalid count/)).toBeTruthy();
    expect(await s.send('/explore 9', /Invalid level/)).toBeTruthy();
    await s.send('x'.repeat(2_000_000), /Got it/);
    await s.send('\u0000\u202E\u200B 라면 \u0007', /Got it|알겠어요/);
    expect(await s.send('/recommend category=nonsense', /Invalid category/)).toBeTruthy();
    expect(await s.send('/status', /Users/)).toBeTruthy();
    expect(await s.end()).toBe(0);
  });
});
