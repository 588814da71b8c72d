/**
 * The late-LLM edit path on Discord: with the LLM answering after `LLM_REPLY_WAIT_MS`, `/recommend` (and
 * "More like this") send the template lines first, then PATCH each item message with the LLM's lines
 * (`onImproved`), keeping the header, the thumbnail and the "More like this" button.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord, type RecordedRequest } from '../helpers/fake-discord.js';
import { FakeOpenAI } from '../helpers/fake-openai.js';
import { startBot, type Bot } from './harness.js';
import { moreButtonOf, pressButton, recommend } from './flows.js';

/** Lines the grounding checker accepts for any item (no claims, names, numbers or quotes). */
const LLM_LINES = ['A solid pick that suits your taste well.', 'Another pick chosen with care for you.'];

const whyOf = (r: RecordedRequest): string | undefined => r.body?.embeds?.[0]?.fields?.[2]?.value;

describe('discord: LLM explanations that arrive after the reply are edited in', () => {
  let fake: FakeDiscord;
  let llm: FakeOpenAI;
  let bot: Bot;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
    llm = await FakeOpenAI.start();
    bot = await startBot(fake, {
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
    await fake?.close();
    await llm?.close();
  });

  /** Scripts one slow LLM answer, held until `release()` (the reply has been sent by then). */
  function slowAnswer(lines: string[]): { release: () => void } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    llm.script({
      delayMs: 300,
      gate,
      content: JSON.stringify({ lines: lines.map((text, i) => ({ i, text })) }),
    });
    return { release };
  }

  /** Waits for the PATCH of each sent item message that carries its LLM line. */
  async function editsFor(run: { token: string; messageIds: string[] }, from: number): Promise<RecordedRequest[]> {
    return Promise.all(
      run.messageIds.map((id, i) =>
        fake.waitForRequest(
          (r) =>
            r.method === 'PATCH' &&
            r.path.includes(run.token) &&
            (r.path.endsWith(`/messages/${id}`) || (i === 0 && r.path.endsWith('/messages/@original'))) &&
            whyOf(r) === LLM_LINES[i],
          { from },
        ),
      ),
    );
  }

  it('/recommend: template lines first, then one PATCH per item message with the LLM line', async () => {
    const answer = slowAnswer(LLM_LINES);
    const run = await recommend(bot, { user: fake.users.alice, count: 2 });
    expect(run.report.ok).toBe(true);
    expect(run.messageIds).toHaveLength(2);
    expect(llm.requests).toHaveLength(1); // one call for the whole list

    // Sent with the templates: the reply did not wait for the LLM.
    const first = run.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original'))!;
    const followUp = run.requests.find((r) => r.method === 'POST' && r.path.startsWith('/webhooks/'))!;
    const templates = [whyOf(first)!, whyOf(followUp)!];
    expect(templates.every((t) => t.length > 3 && !LLM_LINES.includes(t))).toBe(true);

    const from = fake.mark();
    answer.release();
    const edits = await editsFor(run, from);
    expect(edits[0]!.path).toMatch(/\/messages\/@original$/);
    expect(edits[1]!.path).toBe(`/webhooks/${fake.appId}/${run.token}/messages/${run.messageIds[1]}`);
    // only the embeds change: no re-upload, the header and the button stay
    expect(edits.every((e) => e.files.length === 0 && e.body.attachments === undefined)).toBe(true);
    for (const [i, id] of run.messageIds.entries()) {
      const msg = fake.messages.get(id)!;
      expect((msg.embeds[0] as { fields: { value: string }[] }).fields[2]!.value).toBe(LLM_LINES[i]);
      expect(moreButtonOf(bot, id).customId).toMatch(/^more:/);
    }
    expect(fake.messages.get(run.messageIds[0]!)!.content).toContain('Recommendations for you');
  });

  it('"More like this": the same edit path', async () => {
    // Nothing scripted for this /recommend: the fake's fallback (a 500) or the prompt cache answers it.
    const base = await recommend(bot, { user: fake.users.bob, count: 2 });
    const answer = slowAnswer(LLM_LINES);
    const more = await pressButton(bot, {
      user: fake.users.bob,
      messageId: base.messageIds[0]!,
      customId: moreButtonOf(bot, base.messageIds[0]!).customId,
    });
    expect(more.report.ok).toBe(true);
    const first = more.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original'))!;
    expect(LLM_LINES).not.toContain(whyOf(first));
    const from = fake.mark();
    answer.release();
    const edits = await editsFor({ token: more.token, messageIds: more.messageIds.slice(0, 2) }, from);
    expect(edits).toHaveLength(2);
    expect(fake.messages.get(more.messageIds[0]!)!.content).toContain('More like "');
  });
});
