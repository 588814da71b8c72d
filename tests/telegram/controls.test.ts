/**
 * Controls on Telegram, through grammY against the fake Bot API (and the fake OpenAI server for translation):
 * chat-wide filters set by a group admin (getChatMember) on top of a member's own, forged item-action callbacks,
 * the compact layout with "👍 N" replies, and translation cached per item and language (one LLM call for two
 * readers, charged to the first reader's budget).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemRef } from '../../bots/telegram/shared.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';
import { groupChat, privateChat, startFakeTelegram, user, type FakeTelegram } from '../helpers/fake-telegram.js';
import { TestClock, writeThumb } from '../helpers/telegram-app.js';
import { buttonsOf, msgId, sends, startBot, textOf, userDocOf, type RunningBot } from '../helpers/telegram-harness.js';

const alice = user(501, 'Alice');
const bob = user(502, 'Bob');
const minji = user(503, 'Minji', 'ko');
const jun = user(504, 'Jun', 'ko');
const group = groupChat(-100777);

describe('Telegram controls', () => {
  let fake: FakeTelegram;
  let llm: FakeOpenAI;
  let bot: RunningBot;
  const clock = new TestClock(new Date('2026-03-10T01:00:00Z'));

  const say = async (from: typeof alice, chat: ReturnType<typeof privateChat>, text: string, replyTo?: number) => {
    const before = fake.calls.length;
    const id = fake.pushMessage({
      from,
      chat,
      text,
      ...(replyTo ? { replyTo: { message_id: replyTo, from: { id: 123456, is_bot: true, first_name: 'bot' } } } : {}),
    });
    await bot.handled(id);
    return fake.calls.slice(before);
  };
  const sources = async (calls: typeof fake.calls, chatId: number) => {
    const out: string[] = [];
    for (const c of sends(calls).filter((x) => buttonsOf(x.payload).length > 0)) {
      const ref = await bot.app.reco.users.getMessageRef('telegram', String(chatId), String(msgId(c)));
      for (const id of ref?.itemIds ?? [])
        out.push(bot.app.catalog.index.items[bot.app.catalog.index.rowOf.get(id)!]!.source);
    }
    return out;
  };

  beforeAll(async () => {
    writeThumb();
    fake = await startFakeTelegram();
    llm = await FakeOpenAI.start();
    bot = await startBot(fake, new MemoryStore(), clock, {
      env: {
        LLM_BASE_URL: llm.baseUrl,
        LLM_API_KEY: 'test-key',
        LLM_MODEL: 'fake-model',
        LLM_REPLY_WAIT_MS: '5000',
        LLM_MAX_RETRIES: '0',
        // Two new readers must get the same plain list for the shared-translation check: the elicitation
        // bandit (Thompson sampling, per person) would give each a different one.
        RECO_ELICITATION: 'off',
      },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await bot?.app.close();
    await fake?.close();
    await llm?.close();
  });

  it('GIVEN a group admin’s /mute THEN it holds for every member; a member’s own /mute is theirs; /filters shows the group’s', async () => {
    fake.setMemberStatus(alice.id, 'administrator');
    const before = await sources(await say(bob, group, '/recommend 8'), group.id);
    expect(before).toContain('rss:test');
    const muted = sends(await say(alice, group, '/mute source:rss:test'));
    expect(textOf(muted[0]!.payload)).toMatch(/in this chat: nobody here will be shown it/);
    const own = sends(await say(bob, group, '/mute category:music'));
    expect(textOf(own[0]!.payload)).toMatch(/I will never show it to you/);
    for (let i = 0; i < 5; i++) {
      const shown = await sources(await say(bob, group, '/recommend 5'), group.id);
      expect(shown.length).toBeGreaterThan(0);
      expect(shown).not.toContain('rss:test');
    }
    const list = sends(await say(bob, group, '/filters'));
    expect(textOf(list[0]!.payload)).toMatch(/This chat's filters[\s\S]*source rss:test/);
    expect(textOf(list[0]!.payload)).not.toMatch(/music/); // a member's own filters are not listed to the group
    // In a private chat the group's filter does not apply (it is the group's), bob's own does.
    const dm = privateChat(bob);
    const items = await say(bob, dm, '/recommend 10');
    expect((await sources(items, bob.id)).length).toBeGreaterThan(0);
    const doc = (await userDocOf(bot, bob))!;
    expect(doc.ext.filters).toEqual([expect.objectContaining({ kind: 'category', pattern: 'music' })]);
    // Learning is untouched by filters.
    expect(doc.persona.dislikes).toEqual([]);
  });

  it('GIVEN a forged or foreign item-action callback THEN it is refused, answered, and nothing changes', async () => {
    const dm = privateChat(alice);
    const calls = await say(alice, dm, '/recommend 2');
    const item = sends(calls).find((c) => buttonsOf(c.payload).length > 0)!;
    const mute = buttonsOf(item.payload).find((b) => b.callback_data.startsWith('ia:s:'))!.callback_data;
    const forged = mute.slice(0, -3) + 'AAA';
    const before = fake.calls.length;
    const cb = fake.pushCallback({ from: alice, message: { message_id: msgId(item), chat: dm }, data: forged });
    await bot.handled(cb.updateId);
    const answer = fake.calls.slice(before).find((c) => c.method === 'answerCallbackQuery')!;
    expect(answer.payload.text).toMatch(/not valid/);
    // A valid button replayed in another chat is refused too (the signature binds the chat).
    const cb2 = fake.pushCallback({
      from: alice,
      message: { message_id: msgId(item), chat: privateChat(bob) },
      data: mute,
    });
    await bot.handled(cb2.updateId);
    expect((await userDocOf(bot, alice))?.ext.filters ?? []).toEqual([]);
    // The real press works and answers.
    const before3 = fake.calls.length;
    const ok = fake.pushCallback({ from: alice, message: { message_id: msgId(item), chat: dm }, data: mute });
    await bot.handled(ok.updateId);
    expect(String(fake.calls.slice(before3).find((c) => c.method === 'answerCallbackQuery')!.payload.text)).toMatch(
      /Muted source/,
    );
  });

  it('GIVEN /layout compact THEN one message with a row of buttons per item, and "👍 2" as a reply likes item 2', async () => {
    const dm = privateChat(bob);
    expect(textOf(sends(await say(bob, dm, '/layout compact'))[0]!.payload)).toMatch(/compact/);
    const calls = await say(bob, dm, '/recommend 3');
    const lists = sends(calls).filter((c) => buttonsOf(c.payload).length > 0);
    expect(lists).toHaveLength(1);
    const kb = (lists[0]!.payload.reply_markup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard;
    expect(kb).toHaveLength(3);
    for (const row of kb)
      expect(row.map((b) => b.callback_data.slice(0, 3))).toEqual(['fb:', 'fb:', 'ia:', 'ia:', 'mr:']);
    for (const row of kb) for (const b of row) expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);
    const ref = await bot.app.reco.users.getMessageRef('telegram', String(dm.id), String(msgId(lists[0]!)));
    expect(ref?.itemIds).toHaveLength(3);
    expect(kb[1]![0]!.callback_data).toContain(`:${itemRef(ref!.itemIds[1]!)}:`);
    await say(bob, dm, '👍 2', msgId(lists[0]!));
    const doc = (await userDocOf(bot, bob))!;
    expect(doc.feedback[ref!.itemIds[1]!]?.signal).toBe('like');
    expect(doc.feedback[ref!.itemIds[0]!]).toBeUndefined();
    // A 👍 reaction on the compact message cannot say which item: nothing is recorded.
    const id = fake.pushReaction({ user: bob, chat: dm, messageId: msgId(lists[0]!), old: [], new: ['👍'] });
    await bot.handled(id);
    const after = (await userDocOf(bot, bob))!;
    expect(Object.keys(after.feedback)).toEqual([ref!.itemIds[1]!]);
  });

  it('GIVEN /translate on for two Korean readers THEN English items are translated once (one LLM call), cached per item and language, shown marked with the original kept', async () => {
    const translated = (n: number) =>
      JSON.stringify({
        items: Array.from({ length: n }, (_, i) => ({
          i,
          title: `번역된 제목 ${i + 1}`,
          summary: `번역된 요약 ${i + 1}`,
        })),
      });
    const isTranslation = (r: { body: { messages?: { content: string }[] } }) =>
      String(r.body.messages?.[0]?.content ?? '').startsWith('You translate');
    llm.reset();
    for (const who of [minji, jun]) await say(who, privateChat(who), '/translate on');
    llm.script({ content: translated(2) });
    const first = await say(minji, privateChat(minji), '/recommend 2');
    expect(llm.requests.filter(isTranslation)).toHaveLength(1);
    const items = sends(first).filter((c) => buttonsOf(c.payload).length > 0);
    expect(items).toHaveLength(2);
    for (const c of items) {
      expect(textOf(c.payload)).toMatch(/🌐 번역된 제목 \d/);
      expect(textOf(c.payload)).toMatch(/🌐 영어에서 번역 · 원문: /);
    }
    const second = await say(jun, privateChat(jun), '/recommend 2');
    expect(llm.requests.filter(isTranslation)).toHaveLength(1); // served from the store
    for (const c of sends(second).filter((x) => buttonsOf(x.payload).length > 0))
      expect(textOf(c.payload)).toMatch(/🌐 번역된 제목 \d/);
    const minjiId = (await userDocOf(bot, minji))!.user.id;
    const usage = await bot.app.llm.budget.usage(minjiId);
    expect(usage.user).toBeGreaterThan(0);
    // The evidence (and so every explanation) keeps the original title.
    const ref = await bot.app.reco.users.getMessageRef('telegram', String(minji.id), String(msgId(items[0]!)));
    const item = bot.app.catalog.index.items[bot.app.catalog.index.rowOf.get(ref!.itemIds[0]!)!]!;
    expect(ref?.evidence?.[0]?.title).toBe(item.title);
  });
});
