/**
 * The fake Bot API's sending limits (tests/helpers/fake-telegram.ts, reconstructed from Telegram's Bots FAQ):
 * past ~1 message per second in one chat (after a short burst) or 20 per minute in one group, a send is refused
 * with 429 and `retry_after`, as Telegram does. The digest benchmark relies on these (the 30/s overall window
 * is exercised by tests/telegram/delivery.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TELEGRAM_LIMITS, startFakeTelegram, type FakeTelegram } from '../helpers/fake-telegram.js';

describe('fake Telegram limits', () => {
  let fake: FakeTelegram;
  afterEach(async () => fake?.close());

  const send = async (chatId: number) => {
    const res = await fetch(`${fake.apiRoot}/bot${fake.token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: chatId, text: 'hi' }),
    });
    return { status: res.status, body: (await res.json()) as { parameters?: { retry_after?: number } } };
  };

  it('GIVEN a burst to one chat THEN the 4th message is refused with 429 retry_after', async () => {
    // The per-chat bucket refilled so slowly that a slow machine cannot refill it during the test.
    fake = await startFakeTelegram(undefined, { limits: { ...TELEGRAM_LIMITS, chatPerSecond: 0.001 } });
    const out = [];
    for (let i = 0; i < 4; i++) out.push(await send(42));
    expect(out.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    expect(out[3]!.status).toBe(429);
    expect(out[3]!.body.parameters?.retry_after).toBeGreaterThanOrEqual(1);
    expect(fake.floodRefusals).toBe(1);
    expect(fake.delivered(42)).toHaveLength(3);
  });

  it('GIVEN a group past its messages per minute THEN the next one is refused, other chats are not', async () => {
    fake = await startFakeTelegram(undefined, { limits: { ...TELEGRAM_LIMITS, groupPerMinute: 2, chatBurst: 10 } });
    const group = [await send(-100), await send(-100), await send(-100)];
    expect(group.map((r) => r.status)).toEqual([200, 200, 429]);
    expect(group[2]!.body.parameters?.retry_after).toBeGreaterThan(1); // the minute's window, not a second
    expect((await send(42)).status).toBe(200);
    expect(fake.floodRefusals).toBe(1);
  });

  it('GIVEN no limits option THEN nothing is refused (the other tests keep their behaviour)', async () => {
    fake = await startFakeTelegram();
    const out = await Promise.all(Array.from({ length: 40 }, () => send(7)));
    expect(out.every((r) => r.status === 200)).toBe(true);
  });
});
