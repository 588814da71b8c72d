/**
 * Real Telegram update shapes the bot used to trip on (issue 15 point 5), driven through the real grammY bot
 * against the fake Bot API. Every payload is a fixture in tests/fixtures/platform/telegram/ that names the
 * Bot API section it follows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../infra/store/memory.js';
import {
  BOT_USER,
  groupChat,
  privateChat,
  startFakeTelegram,
  user,
  type FakeTelegram,
  type TgUser,
} from '../helpers/fake-telegram.js';
import { platformFixture } from '../helpers/platform-fixtures.js';
import { TestClock, writeThumb } from '../helpers/telegram-app.js';
import { buttonsOf, msgId, sends, startBot, textOf, userDocOf, type RunningBot } from '../helpers/telegram-harness.js';

const MINA = { id: 5512345678 };
const mina = { ...user(5512345678, 'Mina'), username: 'mina_k' };
const GROUP_ID = -1001234567890;
const BOT = { BOT_ID: BOT_USER.id, BOT_USERNAME: BOT_USER.username };
const mention = `@${BOT_USER.username}`;

describe('Telegram: real update shapes', () => {
  let fake: FakeTelegram;
  let bot: RunningBot;
  const clock = new TestClock(new Date('2026-03-10T01:00:00Z'));

  /** Pushes a fixture's update and waits until the bot handled it; returns the API calls it made. */
  const pushFixture = async (name: string, vars: Record<string, string | number> = {}) => {
    const before = fake.calls.length;
    const { payload } = platformFixture('telegram', name, { ...BOT, ...vars });
    await bot.handled(fake.push(payload));
    return fake.calls.slice(before).filter((c) => c.method !== 'getUpdates');
  };
  /**
   * Delivers a fixture the way a webhook does (grammY's `handleUpdate`, what `webhookCallback` calls): for update
   * kinds the bot does not list in `allowed_updates` — long polling never gets them, but a webhook registered
   * with other settings, or by another deployment, does.
   */
  let nextUpdateId = 900_000;
  const deliverFixture = async (name: string, vars: Record<string, string | number> = {}) => {
    const before = fake.calls.length;
    const { payload } = platformFixture('telegram', name, { ...BOT, ...vars });
    const id = ++nextUpdateId;
    await bot.tg.bot.handleUpdate({ update_id: id, ...payload } as never);
    await bot.handled(id);
    return fake.calls.slice(before).filter((c) => c.method !== 'getUpdates');
  };
  const say = async (from: TgUser, chat: ReturnType<typeof privateChat>, text: string) => {
    const before = fake.calls.length;
    await bot.handled(fake.pushMessage({ from, chat, text }));
    return fake.calls.slice(before);
  };
  /** The item messages of a fresh /recommend in `chat`. */
  const items = async (from: TgUser, chat: ReturnType<typeof privateChat>) =>
    sends(await say(from, chat, '/recommend 3')).filter((c) => buttonsOf(c.payload).length > 0);

  beforeAll(async () => {
    writeThumb();
    fake = await startFakeTelegram();
    bot = await startBot(fake, new MemoryStore(), clock);
  });
  afterAll(async () => {
    await bot?.stop();
    await bot?.app.close();
    await fake?.close();
  });

  describe('messages', () => {
    it("GIVEN a private message that starts with the bot's @username THEN the bot's name is never learned", async () => {
      const calls = await pushFixture('private-self-mention', { MENTION_LENGTH: mention.length });
      expect(sends(calls)).toHaveLength(1);
      const terms = (await userDocOf(bot, MINA))!.persona.interests.map((i) => i.term);
      expect(terms).toEqual(expect.arrayContaining(['jazz', 'vinyl']));
      for (const part of ['deep', 'reco', 'bot', BOT_USER.username]) expect(terms).not.toContain(part);
      expect(textOf(sends(calls)[0]!.payload)).not.toMatch(/deep|reco/i);
    });

    it('GIVEN a legal 4,000-character single word THEN it is no interest, and /persona stays a normal message', async () => {
      const word = 'Zq'.repeat(2000);
      const calls = await pushFixture('private-long-word', { LONG_WORD: word });
      expect(sends(calls)).toHaveLength(1);
      expect(textOf(sends(calls)[0]!.payload)).not.toContain(word.slice(0, 50).toLowerCase());
      const doc = (await userDocOf(bot, { id: 5512345679 }))!;
      expect(doc.persona.interests.every((i) => Array.from(i.term).length <= 40)).toBe(true);
      expect(doc.persona.interests.map((i) => i.term)).not.toContain(word.toLowerCase());
      const joon = { id: 5512345679, is_bot: false as const, first_name: 'Joon', language_code: 'ko' };
      const persona = sends(await say(joon, privateChat(joon), '/persona'));
      expect(persona).toHaveLength(1);
      expect(textOf(persona[0]!.payload).length).toBeLessThan(1000);
    });

    it('GIVEN a reply longer than 4,096 characters THEN it arrives split, every part within the limit, nothing lost', async () => {
      const service = bot.app.core.persona;
      const original = service.persona.bind(service);
      const paragraphs = Array.from({ length: 60 }, (_, i) => `Paragraph ${i}: ${'interest '.repeat(20).trim()}.`);
      const unbroken = 'W'.repeat(5000);
      const text = `${paragraphs.join('\n\n')}\n\n${unbroken}`;
      service.persona = async (actor) => ({ ...(await original(actor)), text });
      try {
        const parts = sends(await say(mina, privateChat(mina), '/persona'));
        expect(parts.length).toBeGreaterThanOrEqual(3);
        for (const p of parts) expect(textOf(p.payload).length).toBeLessThanOrEqual(4096);
        const joined = parts.map((p) => textOf(p.payload)).join('');
        expect(joined.replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
        // Paragraphs are kept whole: no part starts inside one.
        for (const p of parts) expect(textOf(p.payload)).toMatch(/^(Paragraph \d+:|W)/);
      } finally {
        service.persona = original;
      }
    });

    it('GIVEN an edited /recommend THEN no second list is sent; GIVEN an edited text THEN it is not learned twice', async () => {
      expect(sends(await deliverFixture('edited-message-command'))).toHaveLength(0);
      const before = (await userDocOf(bot, MINA))!.persona.messageCount;
      expect(await deliverFixture('edited-message-text')).toHaveLength(0);
      const after = (await userDocOf(bot, MINA))!.persona;
      expect(after.messageCount).toBe(before);
      expect(after.interests.map((i) => i.term)).not.toContain('kimchi');
    });

    it('GIVEN a channel post (no sender, a channel chat) THEN the bot neither answers nor learns', async () => {
      const cmd = `/recommend@${BOT_USER.username}`;
      expect(await deliverFixture('channel-post', { COMMAND_LENGTH: cmd.length })).toHaveLength(0);
      expect(await bot.app.reco.users.findUserId('telegram', '-1001987654321')).toBeUndefined();
    });

    it('GIVEN a reply in a forum topic with a quote, a mention, a hashtag and a link THEN one answer, in reply, learned once', async () => {
      const text = `${mention} also ramen #food https://example.com/ramen`;
      const calls = await pushFixture('group-reply-several-fields', {
        REPLY_TO: 4400,
        MENTION_LENGTH: mention.length,
        HASHTAG_OFFSET: text.indexOf('#food'),
        URL_OFFSET: text.indexOf('https://'),
      });
      const answers = sends(calls);
      expect(answers).toHaveLength(1);
      expect(answers[0]!.payload.reply_parameters).toMatchObject({ message_id: 4410 });
      const terms = (await userDocOf(bot, MINA))!.persona.interests.map((i) => i.term);
      expect(terms).toContain('ramen');
      for (const part of ['deep', 'reco']) expect(terms).not.toContain(part);
    });
  });

  describe('my_chat_member', () => {
    it('GIVEN a person blocks the bot THEN their digest is unsubscribed', async () => {
      await say(mina, privateChat(mina), '/digest on');
      const chat = { platform: 'telegram' as const, chatId: String(mina.id), kind: 'private' as const };
      expect((await bot.app.digests.getSchedule(chat))?.enabled).toBe(true);
      expect(await pushFixture('my-chat-member-blocked')).toHaveLength(0);
      expect((await bot.app.digests.getSchedule(chat))?.enabled).toBe(false);
    });

    it('GIVEN the bot added to a group or made a channel admin THEN the updates are handled quietly', async () => {
      expect(await pushFixture('my-chat-member-added-to-group')).toHaveLength(0);
      expect(await pushFixture('my-chat-member-channel-admin')).toHaveLength(0);
    });
  });

  describe('reactions', () => {
    it('GIVEN an anonymous admin (actor_chat) reacts THEN nobody gets feedback and nothing breaks', async () => {
      const group = groupChat(GROUP_ID, 'Weekend club');
      const [first] = await items(mina, group);
      await pushFixture('reaction-anonymous', { MESSAGE_ID: msgId(first!) });
      expect(await bot.app.reco.users.findUserId('telegram', String(GROUP_ID))).toBeUndefined();
      const doc = (await userDocOf(bot, MINA))!;
      const itemId = (await bot.app.reco.users.getMessageRef('telegram', String(GROUP_ID), String(msgId(first!))))!
        .itemIds[0]!;
      expect(doc.feedback[itemId]).toBeUndefined();
    });

    it('GIVEN custom-emoji and paid reactions THEN they count as nothing; mixed with 👍→👎 THEN the emoji change counts', async () => {
      const [a, b] = await items(mina, privateChat(mina));
      const vars = (m: number) => ({ CHAT_ID: mina.id, USER_ID: mina.id, MESSAGE_ID: m });
      const itemOf = async (m: number) =>
        (await bot.app.reco.users.getMessageRef('telegram', String(mina.id), String(m)))!.itemIds[0]!;
      await pushFixture('reaction-custom-emoji', vars(msgId(a!)));
      await pushFixture('reaction-paid', vars(msgId(a!)));
      expect((await userDocOf(bot, MINA))!.feedback[await itemOf(msgId(a!))]).toBeUndefined();

      await bot.handled(
        fake.pushReaction({ user: mina, chat: privateChat(mina), messageId: msgId(b!), old: [], new: ['👍'] }),
      );
      expect((await userDocOf(bot, MINA))!.feedback[await itemOf(msgId(b!))]?.signal).toBe('like');
      await pushFixture('reaction-mixed', vars(msgId(b!)));
      expect((await userDocOf(bot, MINA))!.feedback[await itemOf(msgId(b!))]?.signal).toBe('dislike');
    });
  });

  describe('callback queries: every press is answered', () => {
    const answerOf = (calls: { method: string; payload: Record<string, unknown> }[]) =>
      calls.filter((c) => c.method === 'answerCallbackQuery');

    it('GIVEN stale callback data from an older version THEN "this button is no longer valid"', async () => {
      const answers = answerOf(await pushFixture('callback-stale'));
      expect(answers).toHaveLength(1);
      expect(answers[0]!.payload).toMatchObject({
        callback_query_id: '4382736418234923511',
        text: 'This button is no longer valid.',
      });
    });

    it('GIVEN a game button (no data) THEN it is answered too', async () => {
      const answers = answerOf(await pushFixture('callback-game'));
      expect(answers).toHaveLength(1);
      expect(answers[0]!.payload.text).toBe('This button is no longer valid.');
    });

    it('GIVEN a press on an inline message (inline_message_id, no chat) THEN it is answered, in Korean', async () => {
      const answers = answerOf(await pushFixture('callback-inline'));
      expect(answers).toHaveLength(1);
      expect(String(answers[0]!.payload.text)).toMatch(/버튼/);
    });

    it('GIVEN a Korean user presses an unknown button THEN the answer is in Korean', async () => {
      const ko = user(5512340000, 'Min', 'ko');
      const before = fake.calls.length;
      const cb = fake.pushCallback({ from: ko, message: { message_id: 1, chat: privateChat(ko) }, data: 'zz:unknown' });
      await bot.handled(cb.updateId);
      const answers = answerOf(fake.calls.slice(before));
      expect(answers).toHaveLength(1);
      expect(answers[0]!.payload.text).toBe('더 이상 유효하지 않은 버튼이에요.');
    });
  });
});
