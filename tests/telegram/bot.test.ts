/**
 * End to end: the real grammY bot (runner long polling, throttler, auto-retry) against the fake Bot API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../infra/store/memory.js';
import {
  startFakeTelegram,
  groupChat,
  privateChat,
  user,
  type FakeTelegram,
  type RecordedCall,
} from '../helpers/fake-telegram.js';
import { TestClock, writeThumb } from '../helpers/telegram-app.js';
import { buttonsOf, startBot, textOf, type RunningBot, sends, msgId, userDocOf } from '../helpers/telegram-harness.js';

const alice = user(101, 'Alice');
const bob = user(102, 'Bob', 'ko');
const carol = user(103, 'Carol');
const group = groupChat(-1001);

describe('Telegram bot (grammY + fake Bot API)', () => {
  let fake: FakeTelegram;
  let bot: RunningBot;
  const clock = new TestClock(new Date('2026-03-10T01:00:00Z'));

  /** Pushes a command/message and waits until the bot handled it. */
  const say = async (
    from: typeof alice,
    chat: ReturnType<typeof privateChat>,
    text: string,
    extra: { replyTo?: { message_id: number; from: unknown } } = {},
  ) => {
    const before = fake.calls.length;
    const id = fake.pushMessage({ from, chat, text, ...extra });
    await bot.handled(id);
    return fake.calls.slice(before);
  };
  const userDoc = (u: typeof alice) => userDocOf(bot, u);

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

  it('registers commands in Korean and English and asks for message_reaction updates', async () => {
    const cmds = fake.calls.filter((c) => c.method === 'setMyCommands');
    expect(cmds.map((c) => c.payload.language_code ?? 'default').sort()).toEqual(['default', 'en', 'ko']);
    const ko = cmds.find((c) => c.payload.language_code === 'ko')!;
    const names = (ko.payload.commands as { command: string; description: string }[]).map((c) => c.command);
    expect(names).toEqual([
      'recommend',
      'digest',
      'quiet',
      'persona',
      'interests',
      'mute',
      'unmute',
      'filters',
      'layout',
      'translate',
      'explore',
      'link',
      'forget',
      'status',
      'help',
      'subscribe',
      'unsubscribe',
      'sources',
    ]);
    expect((ko.payload.commands as { description: string }[])[0]!.description).toBe('추천 받기 [주제]');
    await fake.waitForCall('getUpdates', 1);
    expect(fake.allowedUpdates()).toEqual(expect.arrayContaining(['message', 'callback_query', 'message_reaction']));
    expect(fake.calls.some((c) => c.method === 'deleteWebhook')).toBe(true);
  });

  it('/recommend → items with buttons → a button press and a reaction → the next /recommend reflects both', async () => {
    await say(alice, privateChat(alice), 'I love football and baseball');
    const first = sends(await say(alice, privateChat(alice), '/recommend'));
    expect(textOf(first[0]!.payload)).toBe('Recommendations for you');
    const items = first.slice(1);
    expect(items).toHaveLength(5);
    for (const c of items) {
      const b = buttonsOf(c.payload);
      expect(b.map((x) => x.text)).toEqual(['👍', '👎', '🔎 More like this', '❓ Why?', '🔇 Mute source']);
      expect(b.every((x) => Buffer.byteLength(x.callback_data) <= 64)).toBe(true);
    }
    const urlOf = (c: RecordedCall) => /href="([^"]+)"/.exec(textOf(c.payload))![1]!;
    const [x, y] = [items[0]!, items[1]!];
    const xId = (await bot.app.reco.users.getMessageRef('telegram', String(alice.id), String(msgId(x))))!.itemIds[0]!;
    const yId = (await bot.app.reco.users.getMessageRef('telegram', String(alice.id), String(msgId(y))))!.itemIds[0]!;

    // 👍 button on X
    const press = fake.pushCallback({
      from: alice,
      message: { message_id: msgId(x), chat: privateChat(alice) },
      data: buttonsOf(x.payload)[0]!.callback_data,
    });
    const ans = await fake.waitFor((cs) =>
      cs.some((c) => c.method === 'answerCallbackQuery' && c.payload.callback_query_id === press.callbackId),
    );
    void ans;
    const answer = fake.calls.find(
      (c) => c.method === 'answerCallbackQuery' && c.payload.callback_query_id === press.callbackId,
    )!;
    expect(String(answer.payload.text)).toMatch(/^Noted: you like/);
    // 👎 reaction on Y
    await bot.handled(
      fake.pushReaction({ user: alice, chat: privateChat(alice), messageId: msgId(y), old: [], new: ['👎'] }),
    );

    let doc = (await userDoc(alice))!;
    expect(doc.feedback[xId]).toMatchObject({ signal: 'like', origin: 'button' });
    expect(doc.feedback[yId]).toMatchObject({ signal: 'dislike', origin: 'reaction' });
    const xCat = bot.app.catalog.index.items[bot.app.catalog.index.rowOf.get(xId)!]!.category;

    const second = sends(await say(alice, privateChat(alice), '/recommend')).slice(1);
    expect(second).toHaveLength(5);
    const secondUrls = second.map(urlOf);
    expect(secondUrls).not.toContain(urlOf(x));
    expect(secondUrls).not.toContain(urlOf(y));
    const secondIds = await Promise.all(
      second.map(
        async (c) =>
          (await bot.app.reco.users.getMessageRef('telegram', String(alice.id), String(msgId(c))))!.itemIds[0]!,
      ),
    );
    const cats = secondIds.map((id) => bot.app.catalog.index.items[bot.app.catalog.index.rowOf.get(id)!]!.category);
    const yCat = bot.app.catalog.index.items[bot.app.catalog.index.rowOf.get(yId)!]!.category;
    if (xCat !== yCat) {
      // The liked category rises, the disliked one is learned as negative.
      expect(cats).toContain(xCat);
      expect(doc.persona.categories[xCat]).toBeGreaterThan(0);
      expect(doc.persona.categories[yCat]).toBeLessThan(0);
    }

    // A changed reaction replaces the earlier one; a removed one undoes it.
    await bot.handled(
      fake.pushReaction({ user: alice, chat: privateChat(alice), messageId: msgId(y), old: ['👎'], new: ['❤'] }),
    );
    doc = (await userDoc(alice))!;
    expect(doc.feedback[yId]).toMatchObject({ signal: 'like', origin: 'reaction' });
    await bot.handled(
      fake.pushReaction({ user: alice, chat: privateChat(alice), messageId: msgId(y), old: ['❤'], new: [] }),
    );
    doc = (await userDoc(alice))!;
    expect(doc.feedback[yId]).toBeUndefined();
    // Pressing the active button again undoes it; the same press delivered twice counts once.
    const again = fake.pushCallback({
      from: alice,
      message: { message_id: msgId(x), chat: privateChat(alice) },
      data: buttonsOf(x.payload)[0]!.callback_data,
    });
    await bot.handled(again.updateId);
    expect((await userDoc(alice))!.feedback[xId]).toBeUndefined();
  });

  it('sends a photo with caption for https and local thumbnails, a link preview otherwise', async () => {
    const calls = sends(await say(alice, privateChat(alice), '/recommend city council budget'));
    const local = calls.find((c) => c.method === 'sendPhoto' && (c.payload.photo as { file?: boolean })?.file);
    expect(local, 'the local thumbnail goes up as a file (multipart)').toBeDefined();
    expect(textOf(local!.payload)).toContain('City council budget');
    expect(buttonsOf(local!.payload)).toHaveLength(5);
    const text = calls.find((c) => c.method === 'sendMessage' && c.payload.link_preview_options);
    expect(text).toBeDefined();
  });

  it('rejects forged callbacks: bad signature, replay from another chat, an item not in that message', async () => {
    const list = sends(await say(carol, privateChat(carol), '/recommend')).slice(1);
    const [m1, m2] = [list[0]!, list[1]!];
    const good = buttonsOf(m1.payload)[0]!.callback_data;
    const answerOf = async (cb: { callbackId: string }) => {
      await fake.waitFor((cs) =>
        cs.some((c) => c.method === 'answerCallbackQuery' && c.payload.callback_query_id === cb.callbackId),
      );
      return fake.calls.find(
        (c) => c.method === 'answerCallbackQuery' && c.payload.callback_query_id === cb.callbackId,
      )!.payload;
    };
    // 1. hand-made data
    const forged = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(
      await answerOf(
        fake.pushCallback({ from: carol, message: { message_id: msgId(m1), chat: privateChat(carol) }, data: forged }),
      ),
    ).toMatchObject({ text: 'This button is not valid.', show_alert: true });
    // 2. Carol's button data replayed by Bob on a message in his own chat
    expect(
      (
        await answerOf(
          fake.pushCallback({ from: bob, message: { message_id: msgId(m1), chat: privateChat(bob) }, data: good }),
        )
      ).text,
    ).toBe('유효하지 않은 버튼이에요.');
    // 3. a genuine button of message 1 sent with message 2: that item was not shown in message 2
    expect(
      (
        await answerOf(
          fake.pushCallback({ from: carol, message: { message_id: msgId(m2), chat: privateChat(carol) }, data: good }),
        )
      ).text,
    ).toBe('That item was not shown to you.');
    expect(Object.keys((await userDoc(carol))!.feedback)).toEqual([]);
    expect(await userDoc(bob)).toBeUndefined();
  });

  it('groups: /cmd@botname, other bots’ commands and plain chatter are ignored, feedback is per reacting user', async () => {
    const before = fake.calls.length;
    await say(alice, group, '/recommend@other_bot');
    await say(alice, group, 'I love jazz'); // not addressed to the bot (privacy)
    const own = sends(await say(alice, group, '/recommend@deep_reco_bot'));
    expect(sends(fake.calls.slice(before)).length).toBe(own.length);
    expect(own.every((c) => String(c.payload.chat_id) === String(group.id))).toBe(true);
    expect(own.length).toBe(6);
    expect((await userDoc(alice))!.persona.interests.map((i) => i.term)).not.toContain('jazz');
    const mention = sends(await say(alice, group, '@deep_reco_bot I love jazz'));
    expect(textOf(mention[0]!.payload)).toMatch(/jazz/);

    // Bob presses 👍 on Alice's list: it counts for Bob, not Alice.
    const item = own[1]!;
    const cb = fake.pushCallback({
      from: bob,
      message: { message_id: msgId(item), chat: group },
      data: buttonsOf(item.payload)[0]!.callback_data,
    });
    await bot.handled(cb.updateId);
    const itemId = (await bot.app.reco.users.getMessageRef('telegram', String(group.id), String(msgId(item))))!
      .itemIds[0]!;
    expect((await userDoc(bob))!.feedback[itemId]?.signal).toBe('like');
    expect((await userDoc(alice))!.feedback[itemId]).toBeUndefined();
    // …and Bob joins the group digest blend.
    expect(await bot.tg.digest.members({ platform: 'telegram', chatId: String(group.id) })).toContain(
      `telegram:${bob.id}`,
    );

    // Only admins change the group digest.
    expect(textOf(sends(await say(bob, group, '/digest@deep_reco_bot on'))[0]!.payload)).toBe(
      '그룹 다이제스트는 그룹 관리자만 바꿀 수 있어요.',
    );
    fake.setMemberStatus(alice.id, 'administrator');
    expect(textOf(sends(await say(alice, group, '/digest@deep_reco_bot 09:30 Europe/London'))[0]!.payload)).toMatch(
      /^Daily digest is on: every day at 09:30 \(Europe\/London\)/,
    );
  });

  it('/link merges the Telegram identity with a console identity (both directions)', async () => {
    const reply = textOf(sends(await say(alice, privateChat(alice), '/link'))[0]!.payload);
    const code = /link code: ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(reply)![1]!;
    const aliceId = (await userDoc(alice))!.user.id;
    const res = await bot.tg.links.redeem({ platform: 'console', externalId: 'alice-console' }, code);
    expect(res.status).toBe('linked');
    expect(await bot.app.reco.users.findUserId('console', 'alice-console')).toBe(aliceId);

    const fromConsole = await bot.tg.links.createCode({ platform: 'console', externalId: 'dave' });
    const dave = user(104, 'Dave');
    expect(
      textOf(sends(await say(dave, privateChat(dave), `/link ${fromConsole.code.toLowerCase()}`))[0]!.payload),
    ).toMatch(/^Linked!/);
    expect(await bot.app.reco.users.findUserId('telegram', '104')).toBe(
      await bot.app.reco.users.findUserId('console', 'dave'),
    );
    // A code typed again is spent; /link in a group never shows a code.
    expect(textOf(sends(await say(dave, privateChat(dave), `/link ${fromConsole.code}`))[0]!.payload)).toMatch(
      /not valid/,
    );
    expect(textOf(sends(await say(alice, group, '/link@deep_reco_bot'))[0]!.payload)).toMatch(/private chat/);
  });

  it('/forget asks, only the asker can confirm, and then everything is gone', async () => {
    await say(bob, privateChat(bob), '/recommend');
    expect(await userDoc(bob)).toBeDefined();
    const ask = sends(await say(bob, group, '/forget@deep_reco_bot'))[0]!;
    expect(textOf(ask.payload)).toMatch(/삭제/);
    const [yes] = buttonsOf(ask.payload);
    const steal = fake.pushCallback({
      from: carol,
      message: { message_id: msgId(ask), chat: group },
      data: yes!.callback_data,
    });
    await bot.handled(steal.updateId);
    expect(
      fake.calls.find((c) => c.method === 'answerCallbackQuery' && c.payload.callback_query_id === steal.callbackId)!
        .payload.text,
    ).toBe('This button is for someone else.');
    expect(await userDoc(carol)).toBeDefined();
    const ok = fake.pushCallback({
      from: bob,
      message: { message_id: msgId(ask), chat: group },
      data: yes!.callback_data,
    });
    await bot.handled(ok.updateId);
    const edit = fake.calls.filter((c) => c.method === 'editMessageText').at(-1)!;
    expect(textOf(edit.payload)).toBe('완료했어요. 당신에 대한 모든 정보를 잊었어요.');
    expect(await userDoc(bob)).toBeUndefined();
    expect(await bot.tg.digest.members({ platform: 'telegram', chatId: String(group.id) })).not.toContain(
      `telegram:${bob.id}`,
    );
  });

  it('/help, /status, /persona, /explore answer; unknown commands get a hint', async () => {
    expect(textOf(sends(await say(alice, privateChat(alice), '/help'))[0]!.payload)).toMatch(/\/digest on \| off/);
    expect(textOf(sends(await say(alice, privateChat(alice), '/status'))[0]!.payload)).toMatch(
      /Telegram: @deep_reco_bot, long polling/,
    );
    expect(textOf(sends(await say(alice, privateChat(alice), '/persona'))[0]!.payload)).toMatch(/football/);
    expect(textOf(sends(await say(alice, privateChat(alice), '/explore 3'))[0]!.payload)).toMatch(
      /Exploration level set to 3/,
    );
    expect(textOf(sends(await say(alice, privateChat(alice), '/nope'))[0]!.payload)).toMatch(
      /Unknown command "\/nope"/,
    );
  });
});
