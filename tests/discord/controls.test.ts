/**
 * Controls on Discord, through discord.js against the fake Discord: channel-wide filters need Manage Server or
 * Manage Channels (the interaction's resolved member permissions), item action buttons are checked against the
 * message → items mapping (a forged custom id does nothing), and on a compact list a keycap reaction likes
 * item N while a plain 👍 cannot say which item and counts for none.
 */
import { describe, expect, it } from 'vitest';
import { actionCustomId } from '../../bots/discord/embeds.js';
import { EPHEMERAL, docOf, withDiscordBot, type Bot } from './harness.js';
import { pressButton, react, recommend, runCommand } from './flows.js';
import type { FakeDiscord } from '../helpers/fake-discord.js';

const MANAGE_GUILD = 1n << 5n;

describe('discord controls', () => {
  let fake: FakeDiscord;
  let bot: Bot;
  withDiscordBot((f, b) => {
    fake = f;
    bot = b;
  });
  const answer = (run: { requests: { path: string; body: any }[] }) =>
    run.requests.find((r) => r.path.endsWith('/callback'))?.body;

  it('GIVEN /mute scope:channel THEN only a manager may set it, and then nobody in the channel is shown it', async () => {
    const opts = [
      { name: 'filter', type: 3, value: 'category:food' },
      { name: 'scope', type: 3, value: 'channel' },
    ];
    const refused = await runCommand(bot, { name: 'mute', user: fake.users.bob, options: opts });
    expect(answer(refused).data.content).toMatch(/Only this chat's admins/);
    expect(answer(refused).data.flags).toBe(EPHEMERAL);
    fake.memberPermissions.set(fake.users.alice.id, MANAGE_GUILD);
    const set = await runCommand(bot, { name: 'mute', user: fake.users.alice, options: opts });
    expect(answer(set).data.content).toMatch(/in this chat: nobody here will be shown it/);
    const run = await recommend(bot, { user: fake.users.bob, count: 8 });
    const cats = run.itemIds.map((id) => bot.app.catalog.index.items[bot.app.catalog.index.rowOf.get(id)!]!.category);
    expect(cats.length).toBeGreaterThan(0);
    expect(cats).not.toContain('food');
    const list = await runCommand(bot, { name: 'filters', user: fake.users.bob });
    expect(answer(list).data.content).toMatch(/This chat's filters[\s\S]*category food/);
  });

  it('GIVEN /mute and /unmute autocomplete THEN mute offers catalog sources and categories, unmute only the caller’s own filters', async () => {
    const ask = async (name: string, user: (typeof fake.users)['alice'], value: string) => {
      const from = fake.mark();
      fake.slashCommand({
        name,
        user,
        autocomplete: true,
        options: [{ name: 'filter', type: 3, value, focused: true }],
      });
      const cb = await fake.waitForRequest((r) => r.path.endsWith('/callback') && r.body?.type === 8, { from });
      return cb.body.data.choices as Array<{ name: string; value: string }>;
    };
    expect((await ask('mute', fake.users.alice, 'you')).map((c) => c.value)).toEqual(['source:youtube']);
    expect((await ask('mute', fake.users.alice, 'category:fo')).map((c) => c.value)).toEqual(['category:food']);
    // (the channel's own filters, e.g. one an earlier test set, are offered to everyone in it; a person's are not)
    const values = async (user: (typeof fake.users)['alice']) => (await ask('unmute', user, '')).map((c) => c.value);
    expect(await values(fake.users.alice)).not.toContain('kimchi');
    await runCommand(bot, {
      name: 'mute',
      user: fake.users.alice,
      options: [{ name: 'filter', type: 3, value: 'kimchi' }],
    });
    expect(await values(fake.users.alice)).toContain('kimchi');
    expect(await values(fake.users.bob)).not.toContain('kimchi');
  });

  it('GIVEN item action buttons THEN why? and mute source answer ephemerally; a forged custom id changes nothing', async () => {
    const run = await recommend(bot, { user: fake.users.carol, count: 2 });
    const [m1, m2] = run.messageIds;
    // A button naming an item that is not on this message.
    const forged = await pressButton(bot, {
      user: fake.users.carol,
      messageId: m1!,
      customId: actionCustomId('s', run.itemIds[1]!),
    });
    expect(answer(forged).data.content).toMatch(/not shown to you/);
    expect((await docOf(bot.app, fake.users.carol.id))!.ext.filters ?? []).toEqual([]);
    const why = await pressButton(bot, {
      user: fake.users.carol,
      messageId: m2!,
      customId: actionCustomId('w', run.itemIds[1]!),
    });
    const edit = why.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original'));
    expect(String(edit?.body.content)).toMatch(/^Why "/);
    const mute = await pressButton(bot, {
      user: fake.users.carol,
      messageId: m1!,
      customId: actionCustomId('s', run.itemIds[0]!),
    });
    expect(answer(mute).data.content).toMatch(/Muted source/);
    expect(answer(mute).data.flags).toBe(EPHEMERAL);
  });

  it('GIVEN a compact list THEN one message, five rows of buttons at most, and a keycap reaction likes that item', async () => {
    await runCommand(bot, {
      name: 'layout',
      user: fake.users.bob,
      options: [{ name: 'layout', type: 3, value: 'compact' }],
    });
    const before = new Set(fake.messages.keys());
    await runCommand(bot, { name: 'recommend', user: fake.users.bob, options: [{ name: 'count', type: 4, value: 3 }] });
    const lists = [...fake.messages.values()].filter(
      (m) => !before.has(m.id) && (m.components as unknown[]).length > 0,
    );
    expect(lists).toHaveLength(1);
    expect(lists[0]!.components).toHaveLength(3);
    const ref = await bot.app.reco.users.getMessageRef('discord', lists[0]!.channel_id, lists[0]!.id);
    expect(ref?.itemIds).toHaveLength(3);
    const plain = await react(bot, {
      user: fake.users.bob,
      channelId: lists[0]!.channel_id,
      messageId: lists[0]!.id,
      emoji: '👍',
    });
    expect(plain.status).toBe('not-shown');
    const two = await react(bot, {
      user: fake.users.bob,
      channelId: lists[0]!.channel_id,
      messageId: lists[0]!.id,
      emoji: '2️⃣',
    });
    expect(two.status).toBe('applied');
    const doc = (await docOf(bot.app, fake.users.bob.id))!;
    expect(doc.feedback[ref!.itemIds[1]!]?.signal).toBe('like');
    expect(doc.feedback[ref!.itemIds[0]!]).toBeUndefined();
  });
});
