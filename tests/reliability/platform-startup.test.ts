/**
 * Start-up against a chat platform that cannot be reached, and the Telegram webhook's front door.
 * - `bots/main.ts` as a process with Telegram (or Discord) pointed at a closed port on 127.0.0.1: the first
 *   failure is a warning with its cause at once, retries with a growing delay are logged, and the process
 *   exits with code 4 naming PLATFORM_START_TIMEOUT_MS once that limit has passed.
 * - A server that accepts connections and never answers (a black hole): each attempt is bounded.
 * - Webhook mode: listens on TELEGRAM_WEBHOOK_HOST (127.0.0.1 by default); a body that is not an update gets
 *   400 (413 when too large), never 500, and the bot keeps answering real updates.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Bot } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWithRetry } from '../../bots/startup.js';
import { isRecoError } from '../../core/errors.js';
import type { Logger } from '../../core/ports.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { privateChat, startFakeTelegram, user, type FakeTelegram } from '../helpers/fake-telegram.js';
import { TestClock } from '../helpers/telegram-app.js';
import { startBot, textOf } from '../helpers/telegram-harness.js';

const tmp = mkdtempSync(join(process.cwd(), 'tests/.tmp/rel-startup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function closedPort(): Promise<number> {
  return new Promise((res) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => res(typeof addr === 'object' && addr !== null ? addr.port : 1));
    });
  });
}

interface LogLine {
  level: number;
  msg: string;
  attempt?: number;
  cause?: string;
  retryInMs?: number;
  time?: number;
}

/** Runs bots/main.ts until it exits (bounded), returning its exit code and JSON log lines. */
function runMain(
  env: Record<string, string>,
  ms = 90_000,
): Promise<{ code: number | null; lines: LogLine[]; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bots/main.ts'], {
      env: {
        ...process.env,
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        DISCORD_TOKEN: '',
        TELEGRAM_TOKEN: '',
        REDIS_URL: '',
        SCRAPE_INTERVAL_MINUTES: '0',
        BOT_MODE: 'auto',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const lines: LogLine[] = [];
      for (const l of err.split('\n')) {
        try {
          lines.push(JSON.parse(l) as LogLine);
        } catch {
          /* plain text line */
        }
      }
      resolve({ code, lines, err });
    });
  });
}

describe('start-up against an unreachable platform', () => {
  it('GIVEN the Telegram API refuses connections THEN a warning with the cause at once, visible backoff, and exit 4 after PLATFORM_START_TIMEOUT_MS', async () => {
    const port = await closedPort();
    const r = await runMain({
      TELEGRAM_TOKEN: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      TELEGRAM_API_ROOT: `http://127.0.0.1:${port}`,
      PLATFORM_START_TIMEOUT_MS: '3500',
      DATA_DIR: join(tmp, 'tg'),
    });
    expect(r.code).toBe(4);
    const warns = r.lines.filter((l) => l.level === 40 && l.attempt !== undefined);
    expect(warns.length).toBeGreaterThanOrEqual(2);
    expect(warns[0]!.attempt).toBe(1);
    expect(warns[0]!.cause).toMatch(/ECONNREFUSED|fetch failed|connect/i);
    expect(warns[0]!.msg).toMatch(/Telegram .*cannot be reached at start/);
    // The delay grows (backoff), and is in the log line.
    expect(warns[1]!.retryInMs!).toBeGreaterThan(warns[0]!.retryInMs!);
    expect(r.err).toMatch(/PLATFORM_START_TIMEOUT_MS/);
    expect(r.err).toMatch(/could not be reached at start: \d+ attempt/);
    expect(r.err).not.toContain('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  });

  it('GIVEN the Discord API refuses connections THEN the same: warning with cause, retries, exit 4', async () => {
    const port = await closedPort();
    const r = await runMain({
      // A token in Discord's shape (base64 of an id, then two parts); nothing is sent anywhere but 127.0.0.1.
      DISCORD_TOKEN: `${Buffer.from('123456789012345678').toString('base64')}.AAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBB`,
      DISCORD_API_BASE: `http://127.0.0.1:${port}`,
      PLATFORM_START_TIMEOUT_MS: '3500',
      DATA_DIR: join(tmp, 'dc'),
    });
    expect(r.code).toBe(4);
    const warns = r.lines.filter((l) => l.level === 40 && l.attempt !== undefined);
    expect(warns.length).toBeGreaterThanOrEqual(1);
    expect(warns[0]!.msg).toMatch(/Discord .*cannot be reached at start/);
    expect(warns[0]!.cause).toMatch(/ECONNREFUSED|fetch failed|connect/i);
    expect(r.err).toMatch(/PLATFORM_START_TIMEOUT_MS/);
  });

  it('GIVEN a server that accepts connections and never answers THEN each attempt is bounded and start-up gives up with PLATFORM_UNREACHABLE', async () => {
    const sockets: Socket[] = [];
    const hole: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()));
    const addr = hole.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const warnings: Record<string, unknown>[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (o) => void warnings.push(o as Record<string, unknown>),
      error() {},
      child: () => logger,
    };
    const bot = new Bot('123456:AAAA', { client: { apiRoot: `http://127.0.0.1:${port}` } });
    try {
      const started = Date.now();
      const e = await startWithRetry(
        { platform: 'Telegram', logger, limitMs: 1500, attemptTimeoutMs: 300, minDelayMs: 100 },
        (signal) => bot.api.getMe(signal as Parameters<typeof bot.api.getMe>[0]),
      ).catch((x: unknown) => x);
      expect(isRecoError(e, 'PLATFORM_UNREACHABLE')).toBe(true);
      expect(String((e as Error).message)).toMatch(/no answer within 300 ms/);
      expect(warnings.length).toBeGreaterThanOrEqual(2);
      expect(String(warnings[0]!.cause)).toMatch(/no answer within 300 ms/);
      // Bounded: the limit plus at most one attempt, with a generous margin for a busy machine.
      expect(Date.now() - started).toBeLessThan(1500 + 300 + 10_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hole.close(r));
    }
  });
});

describe('Telegram webhook front door', () => {
  let fake: FakeTelegram;
  beforeAll(async () => {
    fake = await startFakeTelegram();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('GIVEN malformed webhook bodies THEN 400 (413 when too large), never 500, on 127.0.0.1 by default, and real updates still work', async () => {
    const clock = new TestClock(new Date('2026-03-10T01:00:00Z'));
    const b = await startBot(fake, new MemoryStore(), clock, {
      env: { TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg/hook', TELEGRAM_WEBHOOK_SECRET: 'wh-secret' },
      webhookPort: 0, // host not given: TELEGRAM_WEBHOOK_HOST's default
    });
    try {
      const url = `http://127.0.0.1:${b.tg.webhookPort}/tg/hook`;
      const post = (body: string, secret = 'wh-secret') =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
          body,
        });
      expect((await post('{not json')).status).toBe(400);
      expect((await post('[1,2,3]')).status).toBe(400);
      expect((await post('null')).status).toBe(400);
      expect((await post('{"update_id":"seven"}')).status).toBe(400);
      expect((await post(JSON.stringify({ update_id: 1, message: { text: 'x'.repeat(2_000_000) } }))).status).toBe(413);
      expect((await post('{not json', 'wrong')).status).toBe(401); // the secret is checked first
      // Not reachable on another local address: it listens on 127.0.0.1 only.
      const other = Object.values(networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
      if (other) {
        const refused = await fetch(`http://${other}:${b.tg.webhookPort}/tg/hook`, { method: 'POST', body: '{}' }).then(
          () => false,
          () => true,
        );
        expect(refused).toBe(true);
      }
      const alice = user(901, 'alice');
      const good = await post(
        JSON.stringify({
          update_id: 2,
          message: {
            message_id: 1,
            date: 1,
            from: alice,
            chat: privateChat(alice),
            text: '/help',
            entities: [{ type: 'bot_command', offset: 0, length: 5 }],
          },
        }),
      );
      expect(good.status).toBe(200);
      await b.handled(2);
      expect(textOf(fake.delivered(alice.id).at(-1)!.payload)).toMatch(/^Commands:/);
    } finally {
      await b.stop();
      await b.app.close();
    }
  });
});
