/**
 * The composition root as a process: `bots/main.ts` with a Telegram token (pointed at the fake Bot API on
 * 127.0.0.1) starts the Telegram adapter instead of the console, answers /recommend, and stops cleanly on
 * SIGTERM. Proves main.ts wires config → store → core → adapter the way `npm start` runs it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateChat, startFakeTelegram, user, type FakeTelegram } from '../helpers/fake-telegram.js';

let tg: FakeTelegram;
const dataDir = mkdtempSync(join(process.cwd(), 'tests/.tmp/e2e-main-tg-'));

beforeAll(async () => {
  tg = await startFakeTelegram();
});
afterAll(async () => {
  await tg?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start with a Telegram token', () => {
  it('GIVEN TELEGRAM_TOKEN THEN main starts the Telegram adapter, answers /recommend and exits on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bots/main.ts'], {
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        TELEGRAM_TOKEN: tg.token,
        TELEGRAM_API_ROOT: tg.apiRoot,
        DISCORD_TOKEN: '',
        REDIS_URL: '',
        BOT_MODE: 'auto',
        SCRAPE_INTERVAL_MINUTES: '0',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await tg.waitForCall('getUpdates', 1, 60_000);
      expect(tg.allowedUpdates()).toContain('message_reaction');
      const alice = user(501, 'alice');
      tg.pushMessage({ from: alice, chat: privateChat(alice), text: '/recommend ramen' });
      await tg.waitFor(
        (calls) => calls.filter((c) => /send(Message|Photo)/.test(c.method)).length >= 3,
        60_000,
        'items sent',
      );
      const sent = tg.delivered(alice.id);
      expect(sent.length).toBeGreaterThanOrEqual(3);
      expect(JSON.stringify(sent.map((c) => c.payload))).toMatch(/ramen|라면/i);
      expect(stderr).toContain('Telegram adapter started');
      expect(stderr).not.toContain(tg.token);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('GIVEN BOT_MODE=all with stdin not a terminal (systemd, containers) THEN the end of console input ends only the console: Telegram keeps answering until SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bots/main.ts'], {
      env: {
        ...process.env,
        DATA_DIR: join(dataDir, 'all'),
        TELEGRAM_TOKEN: tg.token,
        TELEGRAM_API_ROOT: tg.apiRoot,
        DISCORD_TOKEN: '',
        REDIS_URL: '',
        BOT_MODE: 'all',
        SCRAPE_INTERVAL_MINUTES: '0',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'], // stdin is /dev/null: the console reads end of input at once
    });
    let stderr = '';
    const consoleEnded = new Promise<void>((resolve) =>
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (stderr.includes('the console adapter ended')) resolve();
      }),
    );
    child.stdout.resume();
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        exitCode = code;
        resolve(code);
      }),
    );
    try {
      await Promise.race([consoleEnded, exited.then(() => Promise.reject(new Error(`main exited: ${stderr}`)))]);
      const bob = user(502, 'bob');
      const before = tg.delivered(bob.id).length;
      tg.pushMessage({ from: bob, chat: privateChat(bob), text: '/help' });
      await tg.waitFor(() => tg.delivered(bob.id).length > before, 60_000, 'an answer after the console ended');
      expect(exitCode).toBeUndefined();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
