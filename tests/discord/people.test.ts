/**
 * Per-person data: /forget (confirm button; only the caller can press it; nothing else changes),
 * /persona isolation, conversation from DMs and @mentions, /explore and /link.
 */
import { describe, expect, it } from 'vitest';
import { NS_IDENTITIES, NS_IMPRESSIONS, NS_MESSAGES, NS_USERS } from '../../core/store/namespaces.js';
import { FakeDiscord, type FakeMessage } from '../helpers/fake-discord.js';
import { docOf, nextEvent, type Bot, withDiscordBot, EPHEMERAL } from './harness.js';
import { react, recommend, runCommand } from './flows.js';

async function snapshot(bot: Bot): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const ns of [NS_USERS, NS_IDENTITIES, NS_MESSAGES, NS_IMPRESSIONS]) {
    out[ns] = {};
    for await (const k of bot.app.store.keys(ns)) out[ns]![k] = JSON.stringify(await bot.app.store.get(ns, k));
  }
  return out;
}

describe('discord per-person data', () => {
  let fake!: FakeDiscord;
  let bot!: Bot;
  withDiscordBot((f, b) => {
    fake = f;
    bot = b;
  });

  it('learns from DMs and @mentions (mention stripped), ignores other channel chatter and bots', async () => {
    const dm = fake.dmChannelOf(fake.users.alice);
    const from = fake.mark();
    let done = nextEvent<{ userId: string; replied: boolean }>(
      bot.discord.events,
      'message',
      (m) => m.userId === fake.users.alice.id,
    );
    fake.userMessage({ user: fake.users.alice, channel: dm, content: 'I love football and ramen' });
    expect((await done).replied).toBe(true);
    const reply = fake.requests
      .slice(from)
      .find((r) => r.method === 'POST' && r.path === `/channels/${dm.id}/messages`)!;
    expect(reply.body.content).toMatch(/football|ramen/);
    const alice = (await docOf(bot.app, fake.users.alice.id))!;
    expect(alice.persona.interests.map((i) => i.term)).toEqual(expect.arrayContaining(['football', 'ramen']));

    // chatter without a mention and other bots are ignored; a mention is answered in the channel
    fake.userMessage({ user: fake.users.carol, channel: fake.textChannel, content: 'I love jazz' });
    fake.userMessage({
      user: fake.users.otherBot,
      channel: fake.textChannel,
      content: `<@${fake.bot.id}> I love jazz`,
      mentionBot: true,
    });
    done = nextEvent(bot.discord.events, 'message', (m) => m.userId === fake.users.bob.id);
    fake.userMessage({
      user: fake.users.bob,
      channel: fake.textChannel,
      content: `<@${fake.bot.id}> I really like jazz piano`,
      mentionBot: true,
    });
    await done;
    const bob = (await docOf(bot.app, fake.users.bob.id))!;
    expect(bob.persona.interests.map((i) => i.term)).toContain('jazz');
    expect(bob.persona.recentTexts.map((x) => x.text)).toEqual(['I really like jazz piano']);
    expect(await docOf(bot.app, fake.users.carol.id)).toBeUndefined();
    expect(await docOf(bot.app, fake.users.otherBot.id)).toBeUndefined();
  });

  it('/persona shows only the caller’s data (ephemeral) and removes one of their interests', async () => {
    const run = await runCommand(bot, {
      name: 'persona',
      user: fake.users.bob,
      options: [{ name: 'remove', type: 3, value: 'jazz' }],
    });
    const cb = run.requests.find((r) => r.path.endsWith('/callback'))!;
    expect(cb.body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(cb.body.data.content).toContain('Removed "jazz"');
    expect(cb.body.data.content).not.toMatch(/football|ramen/); // alice's interests
    expect((await docOf(bot.app, fake.users.bob.id))!.persona.interests.map((i) => i.term)).not.toContain('jazz');
    expect((await docOf(bot.app, fake.users.alice.id))!.persona.interests.map((i) => i.term)).toContain('football');
  });

  it('/explore sets the caller’s level only', async () => {
    const run = await runCommand(bot, {
      name: 'explore',
      user: fake.users.bob,
      options: [{ name: 'level', type: 4, value: 3 }],
    });
    expect(run.requests[0]!.body.data.content).toContain('adventurous');
    expect((await docOf(bot.app, fake.users.bob.id))!.user.explore).toBe(3);
    expect((await docOf(bot.app, fake.users.alice.id))!.user.explore).toBe(1);
  });

  it('/forget: a confirm button only the caller can press; deletes all of the caller and nothing else', async () => {
    // both have recommendations, reactions and message mappings
    const a = await recommend(bot, { user: fake.users.alice, count: 2 });
    const b = await recommend(bot, { user: fake.users.bob, count: 2 });
    await react(bot, { user: fake.users.alice, channelId: b.channelId, messageId: b.messageIds[0]!, emoji: '👍' });
    await react(bot, { user: fake.users.bob, channelId: a.channelId, messageId: a.messageIds[0]!, emoji: '👎' });

    const ask = await runCommand(bot, { name: 'forget', user: fake.users.alice });
    const cb = ask.requests.find((r) => r.path.endsWith('/callback'))!;
    expect(cb.query.get('with_response')).toBe('true');
    expect(cb.body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    const buttons = cb.body.data.components[0].components;
    expect(buttons.map((x: any) => x.label)).toEqual(['Delete everything', 'Cancel']);
    const confirmMsg = [...fake.messages.values()].find(
      (m) => (m.components as any[])[0]?.components?.[0]?.custom_id === buttons[0].custom_id,
    ) as FakeMessage;

    // bob presses alice's button: refused, nothing deleted
    let done = nextEvent(
      bot.discord.events,
      'command',
      (c: any) => c.name === 'button:forget' && c.userId === fake.users.bob.id,
    );
    let from = fake.mark();
    fake.buttonPress({ user: fake.users.bob, message: confirmMsg, customId: buttons[0].custom_id });
    await done;
    const refused = fake.requests.slice(from).find((r) => r.path.endsWith('/callback'))!;
    expect(refused.body.type).toBe(4);
    expect(refused.body.data.content).toContain('Only the person who ran this command');
    expect(await docOf(bot.app, fake.users.alice.id)).toBeDefined();

    const aliceDoc = (await docOf(bot.app, fake.users.alice.id))!;
    const before = await snapshot(bot);
    done = nextEvent(
      bot.discord.events,
      'command',
      (c: any) => c.name === 'button:forget' && c.userId === fake.users.alice.id,
    );
    from = fake.mark();
    fake.buttonPress({ user: fake.users.alice, message: confirmMsg, customId: buttons[0].custom_id });
    await done;
    const update = fake.requests.slice(from).find((r) => r.path.endsWith('/callback'))!;
    expect(update.body.type).toBe(7);
    expect(update.body.data.content).toContain('forgotten everything');
    expect(update.body.data.components).toEqual([]);

    // nothing of alice is left …
    expect(await docOf(bot.app, fake.users.alice.id)).toBeUndefined();
    const after = await snapshot(bot);
    const all = JSON.stringify(after);
    expect(all).not.toContain(aliceDoc.user.id);
    expect(all).not.toContain(fake.users.alice.id);
    // … and everything else is exactly as before (alice's own keys removed)
    const aliceKeys = new Set([
      `users:${aliceDoc.user.id}`,
      `identities:discord:${fake.users.alice.id}`,
      ...aliceDoc.impressionIds.map((i) => `impressions:${i}`),
      ...aliceDoc.messageKeys.map((k) => `messages:${k}`),
    ]);
    const expected: Record<string, Record<string, string>> = {};
    for (const [ns, entries] of Object.entries(before)) {
      expected[ns] = Object.fromEntries(Object.entries(entries).filter(([k]) => !aliceKeys.has(`${ns}:${k}`)));
    }
    expect(after).toEqual(expected);
    expect((await docOf(bot.app, fake.users.bob.id))!.feedback[a.itemIds[0]!]?.signal).toBe('dislike');
  });

  it('/link: a code on one account, redeemed by another, merges them into one user', async () => {
    const carolCode = await runCommand(bot, { name: 'link', user: fake.users.carol });
    const text: string = carolCode.requests[0]!.body.data.content;
    const code = text.match(/([A-Z2-9]{4}-[A-Z2-9]{4})/)![1]!;
    const redeem = await runCommand(bot, {
      name: 'link',
      user: fake.users.bob,
      options: [{ name: 'code', type: 3, value: code }],
    });
    expect(redeem.requests[0]!.body.data.content).toContain('Linked');
    expect(await bot.app.reco.users.findUserId('discord', fake.users.bob.id)).toBe(
      await bot.app.reco.users.findUserId('discord', fake.users.carol.id),
    );
  });
});
