/**
 * Onboarding on Telegram (grammY ↔ fake Bot API): `/start` from someone new is the first contact — an inline
 * multi-select keyboard of the catalog's categories (and current topics), toggles marked ✅ by editing the
 * keyboard, Done seeds the persona and the bandit prior and sends the first list; Skip just thanks. Someone the bot
 * knows gets the help. Buttons are signed and bound to their person.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ONBOARDING_EXT, type OnboardingState } from '../../core/onboarding/state.js';
import { MemoryStore } from '../../infra/store/memory.js';
import {
  privateChat,
  startFakeTelegram,
  user,
  type FakeTelegram,
  type RecordedCall,
  type TgChat,
} from '../helpers/fake-telegram.js';
import { TestClock, writeThumb } from '../helpers/telegram-app.js';
import { buttonsOf, msgId, sends, startBot, textOf, userDocOf, type RunningBot } from '../helpers/telegram-harness.js';

const dana = user(311, 'Dana');
const erin = user(312, 'Erin', 'ko');
const finn = user(313, 'Finn');

describe('Telegram onboarding', () => {
  let fake: FakeTelegram;
  let bot: RunningBot;
  const clock = new TestClock(new Date('2026-03-10T01:00:00Z'));
  const say = async (from: typeof dana, text: string) => {
    const before = fake.calls.length;
    await bot.handled(fake.pushMessage({ from, chat: privateChat(from), text }));
    return fake.calls.slice(before);
  };
  const press = async (from: typeof dana, chat: TgChat, messageId: number, data: string) => {
    const before = fake.calls.length;
    const cb = fake.pushCallback({ from, message: { message_id: messageId, chat }, data });
    await bot.handled(cb.updateId);
    const calls = fake.calls.slice(before);
    return {
      calls,
      answer: calls.find((c) => c.method === 'answerCallbackQuery' && c.payload.callback_query_id === cb.callbackId)
        ?.payload,
    };
  };
  const button = (c: RecordedCall, label: string) => buttonsOf(c.payload).find((b) => b.text.endsWith(label))!;

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

  it('GIVEN /start from someone new THEN a picker of categories with Done and Skip; toggles show ✅; Done seeds and sends the first list', async () => {
    const [picker] = sends(await say(dana, '/start'));
    expect(textOf(picker!.payload)).toMatch(/What are you into/);
    const labels = buttonsOf(picker!.payload).map((b) => b.text);
    expect(labels).toEqual(expect.arrayContaining(['games', 'travel', 'science', '✔️ Done', 'Skip']));
    const chat = privateChat(dana);
    // Toggle games and travel on, science on and off again.
    let markup: RecordedCall | undefined;
    for (const label of ['games', 'travel', 'science', 'science']) {
      const data = button(markup ?? picker!, label).callback_data;
      const { calls, answer } = await press(dana, chat, msgId(picker!), data);
      expect(answer).toBeDefined();
      markup = calls.find((c) => c.method === 'editMessageReplyMarkup');
      expect(markup?.payload.message_id).toBe(msgId(picker!));
    }
    const marked = buttonsOf(markup!.payload).map((b) => b.text);
    expect(marked).toContain('✅ games');
    expect(marked).toContain('✅ travel');
    expect(marked).toContain('science');
    const done = await press(dana, chat, msgId(picker!), button(markup!, 'Done').callback_data);
    const edit = done.calls.find((c) => c.method === 'editMessageText');
    expect(textOf(edit!.payload)).toMatch(/Got it: games, travel/);
    const items = sends(done.calls).filter((c) => buttonsOf(c.payload).some((b) => b.callback_data.startsWith('fb:')));
    expect(items.length).toBe(5);
    const doc = (await userDocOf(bot, dana))!;
    const state = doc.ext[ONBOARDING_EXT] as OnboardingState;
    expect(state.categories?.sort()).toEqual(['games', 'travel']);
    expect(state.doneAt).toBeDefined();
    const shownCats = doc.lastLists[`telegram:${chat.id}`]!.itemIds.map(
      (id) => bot.app.catalog.index.items[bot.app.catalog.index.rowOf.get(id)!]!.category,
    );
    // The first list leans to the picks (a random list of 5 over 12 categories would hold 0.8 of them).
    expect(shownCats.filter((c) => c === 'games' || c === 'travel').length).toBeGreaterThanOrEqual(3);
    // A second /start: Dana is known now — the help, no picker.
    const again = sends(await say(dana, '/start'))[0]!;
    expect(buttonsOf(again.payload)).toHaveLength(0);
    expect(textOf(again.payload)).toMatch(/Commands/);
  });

  it('GIVEN Done with nothing toggled THEN an alert and no list; GIVEN Skip THEN the picker turns into a thank-you (Korean)', async () => {
    const [picker] = sends(await say(erin, '/start'));
    expect(textOf(picker!.payload)).toMatch(/좋아하세요/);
    const chat = privateChat(erin);
    const empty = await press(erin, chat, msgId(picker!), button(picker!, '완료').callback_data);
    expect(empty.answer?.show_alert).toBe(true);
    expect(String(empty.answer?.text)).toMatch(/하나 이상/);
    expect(sends(empty.calls)).toHaveLength(0);
    const skip = await press(erin, chat, msgId(picker!), button(picker!, '건너뛰기').callback_data);
    expect(textOf(skip.calls.find((c) => c.method === 'editMessageText')!.payload)).toMatch(/\/interests/);
    expect(((await userDocOf(bot, erin))!.ext[ONBOARDING_EXT] as OnboardingState).doneAt).toBeDefined();
  });

  it("GIVEN someone else's picker button, or forged data THEN refused and nothing changes", async () => {
    const [picker] = sends(await say(finn, '/interests'));
    const data = button(picker!, 'games').callback_data;
    const stranger = await press(dana, privateChat(finn), msgId(picker!), data);
    expect(String(stranger.answer?.text)).toMatch(/someone else/);
    const forged = await press(finn, privateChat(finn), msgId(picker!), data.replace(/:[^:]+$/, ':AAAAAAAAAAAAAAAA'));
    expect(String(forged.answer?.text)).toMatch(/not valid/);
    expect(((await userDocOf(bot, finn))!.ext[ONBOARDING_EXT] as OnboardingState).selected).toEqual([]);
  });
});
