/**
 * "More like this" on Telegram: the signed inline button next to 👍/👎 sends, for whoever pressed it
 * (`callback_query.from`), a list like `/recommend`'s built around that item, without it. Forged data, data
 * replayed in another chat and an item that is not on the pressed message are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Impression } from '../../core/domain.js';
import { NS_IMPRESSIONS } from '../../core/store/namespaces.js';
import { MemoryStore } from '../../infra/store/memory.js';
import {
  groupChat,
  privateChat,
  startFakeTelegram,
  user,
  type FakeTelegram,
  type RecordedCall,
  type TgChat,
} from '../helpers/fake-telegram.js';
import { TestClock, writeThumb } from '../helpers/telegram-app.js';
import { buttonsOf, startBot, textOf, type RunningBot, sends, msgId, userDocOf } from '../helpers/telegram-harness.js';

const alice = user(201, 'Alice');
const bob = user(202, 'Bob', 'ko');
const carol = user(203, 'Carol');
const group = groupChat(-2001);

describe('Telegram "More like this"', () => {
  let fake: FakeTelegram;
  let bot: RunningBot;
  const clock = new TestClock(new Date('2026-03-10T01:00:00Z'));

  const say = async (from: typeof alice, chat: TgChat, text: string) => {
    const before = fake.calls.length;
    await bot.handled(fake.pushMessage({ from, chat, text }));
    return fake.calls.slice(before);
  };
  const itemOf = async (chat: TgChat, c: RecordedCall) =>
    (await bot.app.reco.users.getMessageRef('telegram', String(chat.id), String(msgId(c))))?.itemIds[0];
  const titleOf = (itemId: string) => bot.app.catalog.index.items[bot.app.catalog.index.rowOf.get(itemId)!]!.title;
  const userDoc = (u: typeof alice) => userDocOf(bot, u);
  /** Presses a button and waits until the update is handled → the calls it made and its answer. */
  const press = async (from: typeof alice, chat: TgChat, message: RecordedCall | number, data: string) => {
    const before = fake.calls.length;
    const cb = fake.pushCallback({
      from,
      message: { message_id: typeof message === 'number' ? message : msgId(message), chat },
      data,
    });
    await bot.handled(cb.updateId);
    const calls = fake.calls.slice(before);
    const answer = calls.find(
      (c) => c.method === 'answerCallbackQuery' && c.payload.callback_query_id === cb.callbackId,
    )?.payload;
    return { calls, answer };
  };
  const moreData = (c: RecordedCall) => buttonsOf(c.payload).find((b) => b.callback_data.startsWith('mr:'))!;

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

  it('a press sends "More like …" to the chat: a list without the pressed item, mapped, with the same buttons', async () => {
    await say(alice, privateChat(alice), 'I love football and baseball');
    const list = sends(await say(alice, privateChat(alice), '/recommend')).slice(1);
    const x = list[0]!;
    const xId = (await itemOf(privateChat(alice), x))!;
    const more = moreData(x);
    expect(more.text).toBe('🔎 More like this');
    expect(Buffer.byteLength(more.callback_data)).toBeLessThanOrEqual(64);

    const { calls, answer } = await press(alice, privateChat(alice), x, more.callback_data);
    expect(answer).toBeDefined();
    expect(answer!.show_alert).toBeUndefined(); // a plain acknowledgement, no alert
    const out = sends(calls);
    expect(textOf(out[0]!.payload)).toBe(`More like "${titleOf(xId)}"`);
    const items = out.slice(1);
    expect(items.length).toBeGreaterThanOrEqual(3);
    const ids = await Promise.all(items.map((c) => itemOf(privateChat(alice), c)));
    expect(ids).not.toContain(undefined);
    expect(ids).not.toContain(xId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of items) {
      expect(String(c.payload.chat_id)).toBe(String(alice.id));
      expect(buttonsOf(c.payload).map((b) => b.text)).toEqual([
        '👍',
        '👎',
        '🔎 More like this',
        '❓ Why?',
        '🔇 Mute source',
      ]);
    }
    expect((await userDoc(alice))!.lastLists[`telegram:${alice.id}`]?.itemIds).toEqual(ids);
  });

  it('in a group, the list is for the presser (in their language), as a reply to the pressed item', async () => {
    const own = sends(await say(alice, group, '/recommend@deep_reco_bot')).slice(1);
    const item = own[1]!;
    const itemId = (await itemOf(group, item))!;
    const aliceList = (await userDoc(alice))!.lastLists[`telegram:${group.id}`]?.itemIds;

    const { calls } = await press(bob, group, item, moreData(item).callback_data);
    const out = sends(calls);
    expect(textOf(out[0]!.payload)).toBe(`"${titleOf(itemId)}"와(과) 비슷한 콘텐츠`);
    expect(out[0]!.payload.reply_parameters).toMatchObject({ message_id: msgId(item) });
    const items = out.slice(1);
    expect(items.length).toBeGreaterThan(0);
    expect(buttonsOf(items[0]!.payload).map((b) => b.text)).toEqual([
      '👍',
      '👎',
      '🔎 비슷한 콘텐츠 더 보기',
      '❓ 추천 이유',
      '🔇 소스 뮤트',
    ]);
    const ref = (await bot.app.reco.users.getMessageRef('telegram', String(group.id), String(msgId(items[0]!))))!;
    const imp = (await bot.app.store.get<Impression>(NS_IMPRESSIONS, ref.impressionId!))!;
    expect(imp.userId).toBe((await userDoc(bob))!.user.id);
    expect(imp.itemIds).not.toContain(itemId);
    // Alice's own last list in the group is untouched.
    expect((await userDoc(alice))!.lastLists[`telegram:${group.id}`]?.itemIds).toEqual(aliceList);
  });

  it('refuses forged data, data replayed in another chat, and an item that is not on the pressed message', async () => {
    const list = sends(await say(carol, privateChat(carol), '/recommend')).slice(1);
    const [m1, m2] = [list[0]!, list[1]!];
    const good = moreData(m1).callback_data;
    const carolBefore = (await userDoc(carol))!.lastLists;
    const refused = async (from: typeof alice, chat: TgChat, message: RecordedCall, data: string) => {
      const r = await press(from, chat, message, data);
      expect(sends(r.calls)).toEqual([]);
      expect(r.answer?.show_alert).toBe(true);
      return r.answer!.text;
    };
    // 1. hand-made data (a changed signature), and a 👍 button's signature moved onto a "more" prefix
    const forged = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await refused(carol, privateChat(carol), m1, forged)).toBe('This button is not valid.');
    const like = buttonsOf(m1.payload)[0]!.callback_data.split(':'); // fb:l:<ref>:<sig>
    expect(await refused(carol, privateChat(carol), m1, `mr:${like[2]}:${like[3]}`)).toBe('This button is not valid.');
    // 2. Carol's button data replayed by Bob on a message in his own chat
    expect(await refused(bob, privateChat(bob), m1, good)).toBe('유효하지 않은 버튼이에요.');
    // 3. a genuine button of message 1 sent with message 2: that item is not on message 2
    expect(await refused(carol, privateChat(carol), m2, good)).toBe('That item was not shown to you.');
    expect((await userDoc(carol))!.lastLists).toEqual(carolBefore);
  });
});
