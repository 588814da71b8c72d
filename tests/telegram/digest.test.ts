/**
 * Daily digests end to end: real grammY bots on one SQLite file, the fake Bot API, a controlled clock.
 * Exactly once per chat per local date across restarts, a crash half-way, clock jumps and two processes;
 * 403 unsubscribes; 429 retry_after is respected. Also the webhook mode with its secret token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../infra/store/sqlite.js';
import {
  startFakeTelegram,
  privateChat,
  user,
  type FakeTelegram,
  type RecordedCall,
} from '../helpers/fake-telegram.js';
import { TestClock } from '../helpers/telegram-app.js';
import { startBot, textOf, userDocOf, type RunningBot } from '../helpers/telegram-harness.js';

const alice = user(201, 'Alice');
const seoul = (local: string) => new Date(`${local}+09:00`).toISOString();
const SIZE = 4; // DIGEST_SIZE in the harness → intro + 4 items

describe('Telegram daily digest, exactly once', () => {
  let fake: FakeTelegram;
  let dir: string;
  const bots: RunningBot[] = [];
  let clock: TestClock;

  const open = () => SqliteStore.open(join(dir, 'data'), { purgeIntervalMs: 0 });
  const boot = async (opts: Parameters<typeof startBot>[3] = {}) => {
    const b = await startBot(fake, await open(), clock, opts);
    bots.push(b);
    return b;
  };
  const halt = async (b: RunningBot) => {
    await b.stop();
    await b.app.close();
    bots.splice(bots.indexOf(b), 1);
  };
  /** Digest messages delivered to Alice (successful sends, and dropped-but-delivered ones), after the setup reply. */
  let baseline = 0;
  const digestMsgs = (): RecordedCall[] => fake.delivered(alice.id).filter((c) => c.n > baseline);
  const urls = (cs: RecordedCall[]) => cs.flatMap((c) => /href="([^"]+)"/.exec(textOf(c.payload))?.[1] ?? []);

  const subscribe = async (b: RunningBot, text = '/digest 08:00 Asia/Seoul') => {
    const id = fake.pushMessage({ from: alice, chat: privateChat(alice), text });
    await b.handled(id);
    const reply = fake.delivered(alice.id).at(-1)!;
    baseline = reply.n;
    return textOf(reply.payload);
  };

  const setup = async () => {
    dir = mkdtempSync(join('tests/.tmp', 'tg-digest-'));
    fake = await startFakeTelegram();
    clock = new TestClock(new Date(seoul('2026-03-10T07:30:00')));
  };

  afterEach(async () => {
    for (const b of [...bots]) await halt(b);
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is delivered once when the bot restarts at the due minute (and late when it was down at the slot)', async () => {
    await setup();
    const b1 = await boot();
    await b1.handled(fake.pushMessage({ from: alice, chat: privateChat(alice), text: 'I love football' }));
    expect(await subscribe(b1)).toBe(
      'Daily digest is on: every day at 08:00 (Asia/Seoul). Next one: 2026-03-10 08:00.',
    );
    await halt(b1); // down at the slot

    clock.set(seoul('2026-03-10T08:00:00'));
    await boot({ digestIntervalMs: 60_000 }); // the start-up tick catches up
    await fake.waitFor(() => digestMsgs().length === 1 + SIZE, 20_000, 'the digest');
    const first = digestMsgs();
    expect(textOf(first[0]!.payload)).toMatch(/^Good morning! Your digest for 2026-03-10: 4 fresh picks/);
    expect(textOf(first[1]!.payload)).toContain('📌');
    expect(new Set(urls(first)).size).toBe(SIZE);

    // Restart again within the same minute: nothing more.
    await halt(bots[0]!);
    const b3 = await boot({ digestIntervalMs: 60_000 });
    const report = await b3.tg.tick();
    expect(report.due).toBe(0);
    expect(digestMsgs()).toHaveLength(1 + SIZE);
  });

  it('resumes after a crash half-way through sending, never repeating a message', async () => {
    await setup();
    const b1 = await boot();
    await subscribe(b1);
    clock.set(seoul('2026-03-10T08:00:00'));
    // After 2 digest messages the Bot API refuses (400) — then the process "crashes".
    let sent = 0;
    const failAfter = (k: number) => (p: Record<string, unknown>) =>
      String(p.chat_id) === String(alice.id) && ++sent > k ? { code: 400 as const } : undefined;
    fake.script('sendMessage', failAfter(2));
    fake.script('sendPhoto', failAfter(2));
    expect((await b1.tg.tick()).outcomes[`telegram:${alice.id}`]).toBe('retry-later');
    expect(digestMsgs()).toHaveLength(2);
    await halt(b1);

    // Restart: it resumes; this time the connection drops on the next message (it did arrive).
    sent = 0;
    fake.script('sendMessage', (p) => (String(p.chat_id) === String(alice.id) && ++sent === 1 ? 'drop' : undefined));
    fake.script('sendPhoto', (p) => (String(p.chat_id) === String(alice.id) && ++sent === 1 ? 'drop' : undefined));
    const b2 = await boot();
    expect((await b2.tg.tick()).outcomes[`telegram:${alice.id}`]).toBe('retry-later');
    await halt(b2);
    fake.script('sendMessage', undefined);
    fake.script('sendPhoto', undefined);

    const b3 = await boot();
    expect((await b3.tg.tick()).outcomes[`telegram:${alice.id}`]).toBe('delivered');
    const msgs = digestMsgs();
    expect(msgs).toHaveLength(1 + SIZE); // 2 + 1 dropped-but-delivered + 2: every part exactly once
    expect(msgs.filter((m) => m.dropped)).toHaveLength(1);
    expect(new Set(msgs.map((m) => textOf(m.payload))).size).toBe(1 + SIZE);
    const run = (await b3.tg.digest.getRun({ platform: 'telegram', chatId: String(alice.id) }, '2026-03-10'))!;
    expect(run.results.map((r) => r?.status)).toEqual(['sent', 'sent', 'unknown', 'sent', 'sent']);
    expect((await b3.tg.tick()).due).toBe(0);
  });

  it('a clock jump backwards or forwards across midnight neither repeats nor skips a day', async () => {
    await setup();
    const b = await boot();
    await subscribe(b);
    clock.set(seoul('2026-03-10T08:00:00'));
    await b.tg.tick();
    expect(digestMsgs()).toHaveLength(1 + SIZE);
    clock.set(seoul('2026-03-09T23:59:00')); // back across midnight
    expect((await b.tg.tick()).due).toBe(0);
    clock.set(seoul('2026-03-10T23:00:00'));
    expect((await b.tg.tick()).due).toBe(0);
    clock.set(seoul('2026-03-11T07:59:00')); // forward, before the slot
    expect((await b.tg.tick()).due).toBe(0);
    clock.set(seoul('2026-03-11T09:15:00')); // forward past the slot
    expect((await b.tg.tick()).outcomes[`telegram:${alice.id}`]).toBe('delivered');
    clock.set(seoul('2026-03-11T08:30:00')); // back within the day
    expect((await b.tg.tick()).due).toBe(0);
    const all = digestMsgs();
    expect(all).toHaveLength(2 * (1 + SIZE));
    expect(new Set(urls(all)).size).toBe(2 * SIZE); // day 2 only has items not shown on day 1
  });

  it('GIVEN /layout compact THEN the digest is ONE numbered message (sections kept) and "👍 2" as a reply likes item 2', async () => {
    await setup();
    const b = await boot();
    await b.handled(fake.pushMessage({ from: alice, chat: privateChat(alice), text: '/layout compact' }));
    await subscribe(b);
    clock.set(seoul('2026-03-10T08:00:00'));
    expect((await b.tg.tick()).outcomes[`telegram:${alice.id}`]).toBe('delivered');
    const msgs = digestMsgs();
    expect(msgs).toHaveLength(1);
    const text = textOf(msgs[0]!.payload);
    expect(text).toMatch(/^<b>Good morning! Your digest for 2026-03-10: 4 fresh picks/);
    for (let n = 1; n <= SIZE; n++) expect(text).toContain(`${n}.`);
    expect(text.match(/href="/g)).toHaveLength(SIZE);
    expect(text).toMatch(/<u>[^<]+<\/u>\s*<b>1\.<\/b>/); // the first section's header above item 1
    const kb = (msgs[0]!.payload.reply_markup as { inline_keyboard: unknown[][] }).inline_keyboard;
    expect(kb).toHaveLength(SIZE); // a row of buttons per item
    const messageId = (msgs[0]!.result as { message_id: number }).message_id;
    const ref = await b.app.reco.users.getMessageRef('telegram', String(alice.id), String(messageId));
    expect(ref?.itemIds).toHaveLength(SIZE);
    await b.handled(
      fake.pushMessage({
        from: alice,
        chat: privateChat(alice),
        text: '👍 2',
        replyTo: { message_id: messageId, from: { id: 123456, is_bot: true, first_name: 'bot' } },
      }),
    );
    const doc = (await userDocOf(b, alice))!;
    expect(doc.feedback[ref!.itemIds[1]!]?.signal).toBe('like');
    expect(Object.keys(doc.feedback)).toEqual([ref!.itemIds[1]!]);
  });

  it('two bot processes sharing one store deliver it once', async () => {
    await setup();
    const b1 = await boot();
    await subscribe(b1);
    const b2 = await boot();
    clock.set(seoul('2026-03-10T08:00:00'));
    const [r1, r2] = await Promise.all([b1.tg.tick(), b2.tg.tick()]);
    const outcomes = [r1.outcomes[`telegram:${alice.id}`], r2.outcomes[`telegram:${alice.id}`]];
    expect(outcomes).toContain('delivered');
    expect(outcomes.filter((o) => o === 'delivered')).toHaveLength(1);
    expect(digestMsgs()).toHaveLength(1 + SIZE);
    expect((await b1.tg.tick()).due + (await b2.tg.tick()).due).toBe(0);
  });

  it('a user who blocked the bot (403) is unsubscribed', async () => {
    await setup();
    const b = await boot();
    await subscribe(b);
    clock.set(seoul('2026-03-10T08:00:00'));
    fake.script('sendMessage', (p) => (String(p.chat_id) === String(alice.id) ? { code: 403 } : undefined));
    expect((await b.tg.tick()).outcomes[`telegram:${alice.id}`]).toBe('blocked');
    const s = (await b.tg.digest.getSchedule({ platform: 'telegram', chatId: String(alice.id) }))!;
    expect(s).toMatchObject({ enabled: false, disabledReason: 'blocked' });
    fake.script('sendMessage', undefined);
    clock.set(seoul('2026-03-11T08:00:00'));
    expect((await b.tg.tick()).due).toBe(0);
    expect(digestMsgs()).toHaveLength(0);
  });

  it('respects 429 retry_after (auto-retry) and still delivers once', async () => {
    await setup();
    const b = await boot();
    await subscribe(b);
    clock.set(seoul('2026-03-10T08:00:00'));
    let limited = false;
    fake.script('sendMessage', (p) => {
      if (String(p.chat_id) !== String(alice.id) || limited) return undefined;
      limited = true;
      return { code: 429, retryAfter: 1 };
    });
    expect((await b.tg.tick()).outcomes[`telegram:${alice.id}`]).toBe('delivered');
    const toAlice = fake.calls.filter(
      (c) => c.method === 'sendMessage' && String(c.payload.chat_id) === String(alice.id) && c.n > baseline,
    );
    expect(toAlice[0]!.error?.error_code).toBe(429);
    expect(toAlice[1]!.ok).toBe(true);
    expect(toAlice[1]!.at - toAlice[0]!.at).toBeGreaterThanOrEqual(990);
    expect(textOf(toAlice[1]!.payload)).toBe(textOf(toAlice[0]!.payload));
    expect(digestMsgs()).toHaveLength(1 + SIZE);
  });

  it('webhook mode: registers the webhook with a secret and rejects requests without it', async () => {
    await setup();
    const b = await boot({
      env: { TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/tg/hook', TELEGRAM_WEBHOOK_SECRET: 's3cret-token' },
      webhookHost: '127.0.0.1',
      webhookPort: 0,
    });
    expect(fake.webhook()).toEqual({ url: 'https://bot.example.com/tg/hook', secret: 's3cret-token' });
    const setWebhook = fake.calls.find((c) => c.method === 'setWebhook')!;
    expect(setWebhook.payload.allowed_updates).toEqual(expect.arrayContaining(['message_reaction', 'callback_query']));
    expect(fake.calls.some((c) => c.method === 'getUpdates')).toBe(false);
    const url = `http://127.0.0.1:${b.tg.webhookPort}/tg/hook`;
    const update = (id: number) =>
      JSON.stringify({
        update_id: id,
        message: {
          message_id: 1,
          date: 1,
          from: alice,
          chat: privateChat(alice),
          text: '/help',
          entities: [{ type: 'bot_command', offset: 0, length: 5 }],
        },
      });
    const bad = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'wrong' },
      body: update(1),
    });
    expect(bad.status).toBe(401);
    const good = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 's3cret-token' },
      body: update(2),
    });
    expect(good.status).toBe(200);
    await b.handled(2);
    expect(textOf(fake.delivered(alice.id).at(-1)!.payload)).toMatch(/^Commands:/);
    expect(fake.delivered(alice.id)).toHaveLength(1);
  });
});
