/**
 * The late-LLM edit path on Telegram: with the LLM answering after `LLM_REPLY_WAIT_MS`, the item messages
 * go out with the template lines, then each is edited to the LLM's line (editMessageCaption for photos,
 * editMessageText for text messages), keeping its buttons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../infra/store/memory.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';
import {
  privateChat,
  startFakeTelegram,
  user,
  type FakeTelegram,
  type RecordedCall,
} from '../helpers/fake-telegram.js';
import { TestClock, writeThumb } from '../helpers/telegram-app.js';
import { buttonsOf, startBot, textOf, type RunningBot, sends, msgId } from '../helpers/telegram-harness.js';

/** Lines the grounding checker accepts for any item (no claims, names, numbers or quotes). */
const LLM_LINES = ['A solid pick that suits your taste well.', 'Another pick chosen with care for you.'];

const alice = user(301, 'Alice');

describe('Telegram: LLM explanations that arrive after the reply are edited in', () => {
  let fake: FakeTelegram;
  let llm: FakeOpenAI;
  let bot: RunningBot;
  const clock = new TestClock(new Date('2026-03-10T01:00:00Z'));

  /** Scripts one slow LLM answer, held until `release()` (the reply has been sent by then). */
  function slowAnswer(lines: string[]): { release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    llm.script({ delayMs: 300, gate, content: JSON.stringify({ lines: lines.map((text, i) => ({ i, text })) }) });
    return { release };
  }

  /** Waits for the edit of each item message to its LLM line → the edit calls, in item order. */
  async function editsFor(items: RecordedCall[], from: number): Promise<RecordedCall[]> {
    const find = (c: RecordedCall, i: number) =>
      fake.calls
        .slice(from)
        .find(
          (e) =>
            (e.method === 'editMessageText' || e.method === 'editMessageCaption') &&
            Number(e.payload.message_id) === msgId(c) &&
            textOf(e.payload).includes(`<i>${LLM_LINES[i]}</i>`),
        );
    await fake.waitFor(() => items.every((c, i) => find(c, i)), 15_000, 'the LLM edits');
    return items.map((c, i) => find(c, i)!);
  }

  beforeAll(async () => {
    writeThumb();
    fake = await startFakeTelegram();
    llm = await FakeOpenAI.start();
    bot = await startBot(fake, new MemoryStore(), clock, {
      env: {
        LLM_BASE_URL: llm.baseUrl,
        LLM_API_KEY: 'test-key',
        LLM_MODEL: 'fake-model',
        LLM_REPLY_WAIT_MS: '50',
        LLM_MAX_RETRIES: '0',
      },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await bot?.app.close();
    await fake?.close();
    await llm?.close();
  });

  it('/recommend: template lines first, then editMessageCaption / editMessageText with the LLM lines', async () => {
    const answer = slowAnswer(LLM_LINES);
    const before = fake.calls.length;
    await bot.handled(
      fake.pushMessage({
        from: alice,
        chat: privateChat(alice),
        text: '/recommend rust linux kernel typescript release 2',
      }),
    );
    const items = sends(fake.calls.slice(before)).slice(1);
    expect(items).toHaveLength(2);
    expect(llm.requests).toHaveLength(1); // one call for the whole list
    // Sent with the templates: the reply did not wait for the LLM.
    for (const c of items) expect(LLM_LINES.some((l) => textOf(c.payload).includes(l))).toBe(false);
    // The fixture gives this topic one photo (an https thumbnail) and one text item: both edit methods are covered.
    expect(items.map((c) => c.method).sort()).toEqual(['sendMessage', 'sendPhoto']);

    const from = fake.calls.length;
    answer.release();
    const edits = await editsFor(items, from);
    for (const [i, e] of edits.entries()) {
      expect(e.method).toBe(items[i]!.method === 'sendPhoto' ? 'editMessageCaption' : 'editMessageText');
      expect(String(e.payload.chat_id)).toBe(String(alice.id));
      expect(buttonsOf(e.payload)).toEqual(buttonsOf(items[i]!.payload)); // the buttons stay
      expect(e.payload.parse_mode).toBe('HTML');
      // a text item keeps its large link preview
      if (e.method === 'editMessageText')
        expect(e.payload.link_preview_options).toEqual(items[i]!.payload.link_preview_options);
      // the rest of the message is unchanged: only the explanation line differs
      const sentLines = textOf(items[i]!.payload).split('\n');
      const editLines = textOf(e.payload).split('\n');
      expect(editLines.filter((l) => !sentLines.includes(l))).toEqual([`<i>${LLM_LINES[i]}</i>`]);
    }
  });

  it('"More like this": the same edit path', async () => {
    // Nothing scripted for this /recommend: the fake's fallback (a 500) or the prompt cache answers it.
    const before = fake.calls.length;
    await bot.handled(fake.pushMessage({ from: alice, chat: privateChat(alice), text: '/recommend 2' }));
    const base = sends(fake.calls.slice(before)).slice(1);
    const answer = slowAnswer(LLM_LINES);
    const mark = fake.calls.length;
    const cb = fake.pushCallback({
      from: alice,
      message: { message_id: msgId(base[0]!), chat: privateChat(alice) },
      data: buttonsOf(base[0]!.payload).find((b) => b.callback_data.startsWith('mr:'))!.callback_data,
    });
    await bot.handled(cb.updateId);
    const out = sends(fake.calls.slice(mark));
    expect(textOf(out[0]!.payload)).toMatch(/^More like "/);
    const items = out.slice(1, 3);
    for (const c of items) expect(LLM_LINES.some((l) => textOf(c.payload).includes(l))).toBe(false);
    const from = fake.calls.length;
    answer.release();
    expect(await editsFor(items, from)).toHaveLength(2);
  });
});
