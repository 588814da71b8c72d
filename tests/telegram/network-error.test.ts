/**
 * A connection the Bot API side drops mid-call (the fake's `drop`: the message is recorded, then the socket is
 * destroyed — what a reset or a proxy timeout looks like to grammY): grammY throws an HttpError whose message
 * says only "Network request … failed"; the sender's message for the operator's log carries the socket's own
 * error too, so the log line says what failed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Bot, HttpError } from 'grammy';
import { networkMessage } from '../../bots/telegram/sender.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/fake-telegram.js';

describe('Telegram network errors', () => {
  let fake: FakeTelegram | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('GIVEN the connection drops during sendMessage THEN the message names the socket error, not only grammY’s', async () => {
    fake = await startFakeTelegram();
    fake.script('sendMessage', () => 'drop');
    const bot = new Bot(fake.token, { client: { apiRoot: fake.apiRoot } });
    const e = await bot.api.sendMessage(1, 'hi').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(HttpError);
    const text = networkMessage(e);
    expect(text).toMatch(/^Network request for 'sendMessage' failed/);
    // node-fetch's FetchError for a destroyed socket: "socket hang up" (ECONNRESET)
    expect(text).toMatch(/ECONNRESET|socket hang up/);
    expect(networkMessage(new Error('plain'))).toBe('plain');
  });
});
