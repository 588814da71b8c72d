/**
 * "More like this" on Discord: the button under each item embed answers, in the channel and for whoever
 * pressed it, with a list like `/recommend`'s built around that item (the item itself left out); a
 * custom id naming an item that is not on the pressed message is refused.
 */
import { describe, expect, it } from 'vitest';
import { NS_IMPRESSIONS } from '../../core/store/namespaces.js';
import type { Impression } from '../../core/domain.js';
import { FakeDiscord } from '../helpers/fake-discord.js';
import { docOf, type Bot, withDiscordBot, EPHEMERAL } from './harness.js';
import { moreButtonOf, pressButton, recommend, runCommand } from './flows.js';

describe('discord "More like this"', () => {
  let fake!: FakeDiscord;
  let bot!: Bot;
  withDiscordBot((f, b) => {
    fake = f;
    bot = b;
  });

  const titleOf = (itemId: string) => bot.app.catalog.index.items[bot.app.catalog.index.rowOf.get(itemId)!]!.title;

  it('puts a "More like this" button (more:<itemId>) under every item embed', async () => {
    const run = await recommend(bot, { user: fake.users.alice, count: 3 });
    expect(run.messageIds).toHaveLength(3);
    run.messageIds.forEach((m, i) => {
      expect(moreButtonOf(bot, m)).toEqual({ customId: `more:${run.itemIds[i]}`, label: 'More like this' });
    });
    // the button travels with the first send of each message (the deferred reply's edit and the follow-ups)
    const sends = run.requests.filter(
      (r) => (r.method === 'PATCH' || r.method === 'POST') && r.path.startsWith('/webhooks/'),
    );
    expect(sends.map((r) => r.body.components[0].components[0].custom_id)).toEqual(
      run.itemIds.map((id) => `more:${id}`),
    );
  });

  it('a press answers in the channel, for the presser: "More like …", without the pressed item, mapped, with 👍/👎', async () => {
    const run = await recommend(bot, { user: fake.users.alice, count: 3 });
    const [m1] = run.messageIds as [string];
    const [i1] = run.itemIds as [string];
    const bobBefore = await docOf(bot.app, fake.users.bob.id);
    expect(bobBefore?.lastLists ?? {}).toEqual({});

    const more = await pressButton(bot, {
      user: fake.users.bob,
      messageId: m1,
      customId: moreButtonOf(bot, m1).customId,
    });
    expect(more.report.ok).toBe(true);
    const callback = more.requests.find((r) => r.path.endsWith('/callback'))!;
    expect(callback.body.type).toBe(5); // deferred, public: reactions need a non-ephemeral message
    expect(Number(callback.body.data?.flags ?? 0) & EPHEMERAL).toBe(0);
    const first = more.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original'))!;
    expect(first.body.content).toContain(`More like "${titleOf(i1)}"`);
    expect(first.body.embeds[0].title).toMatch(/^1\. /);
    expect(first.body.embeds[0].fields.map((f: { name: string }) => f.name)).toEqual(['Source', 'Category', 'Why']);

    // a list like /recommend's: several items, never the pressed one, each mapped and given 👍/👎
    expect(more.messageIds.length).toBeGreaterThanOrEqual(3);
    expect(more.itemIds).not.toContain(i1);
    expect(more.itemIds).not.toContain('?');
    expect(new Set(more.itemIds).size).toBe(more.itemIds.length);
    expect(more.reactionPuts).toHaveLength(more.messageIds.length * 2);
    for (const [k, m] of more.messageIds.entries()) {
      expect(moreButtonOf(bot, m).customId).toBe(`more:${more.itemIds[k]}`);
    }

    // … recorded for bob (the presser), not for alice
    const bob = (await docOf(bot.app, fake.users.bob.id))!;
    const ref = (await bot.app.reco.users.getMessageRef('discord', fake.textChannel.id, more.messageIds[0]!))!;
    const imp = (await bot.app.store.get<Impression>(NS_IMPRESSIONS, ref.impressionId!))!;
    expect(imp.userId).toBe(bob.user.id);
    expect(bob.lastLists[`discord:${fake.textChannel.id}`]?.itemIds).toEqual(more.itemIds);
    const alice = (await docOf(bot.app, fake.users.alice.id))!;
    expect(alice.lastLists[`discord:${fake.textChannel.id}`]?.itemIds).toEqual(run.itemIds);

    // and a "More like this" on the new list works the same way
    const again = await pressButton(bot, {
      user: fake.users.bob,
      messageId: more.messageIds[0]!,
      customId: moreButtonOf(bot, more.messageIds[0]!).customId,
    });
    expect(again.itemIds).not.toContain(more.itemIds[0]);
    expect(again.itemIds.length).toBeGreaterThan(0);
  });

  it('labels the button and answers in the presser’s language (Korean)', async () => {
    const minji = { ...fake.users.carol, id: '900000000000002002', username: 'minji', global_name: 'Minji' };
    const run = await recommend(bot, { user: minji, count: 2, locale: 'ko' });
    expect(moreButtonOf(bot, run.messageIds[0]!).label).toBe('비슷한 콘텐츠 더 보기');
    const more = await pressButton(bot, {
      user: minji,
      messageId: run.messageIds[1]!,
      customId: moreButtonOf(bot, run.messageIds[1]!).customId,
      locale: 'ko',
    });
    const first = more.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original'))!;
    expect(first.body.content).toContain(`"${titleOf(run.itemIds[1]!)}"와(과) 비슷한 콘텐츠`);
    expect(moreButtonOf(bot, more.messageIds[0]!).label).toBe('비슷한 콘텐츠 더 보기');
    expect(more.itemIds).not.toContain(run.itemIds[1]);
  });

  it('refuses a custom id whose item is not on the pressed message (ephemeral, no list, nothing recorded)', async () => {
    const run = await recommend(bot, { user: fake.users.alice, count: 3 });
    const [m1] = run.messageIds as [string];
    const [, i2] = run.itemIds as [string, string];
    const carolBefore = await docOf(bot.app, fake.users.carol.id);

    for (const customId of [`more:${i2}`, 'more:no-such-item', 'more:']) {
      const forged = await pressButton(bot, { user: fake.users.carol, messageId: m1, customId });
      expect(forged.report.ok).toBe(true);
      const cb = forged.requests.filter((r) => r.path.endsWith('/callback'));
      expect(cb).toHaveLength(1);
      expect(cb[0]!.body.type).toBe(4);
      expect(cb[0]!.body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(cb[0]!.body.data.content).toBe('That item was not shown to you.');
      expect(forged.requests.filter((r) => r.path.startsWith('/webhooks/'))).toEqual([]);
      expect(forged.messageIds).toEqual([]);
    }
    // a genuine button pressed on a message that carries no recommendation is refused too
    await runCommand(bot, { name: 'help', user: fake.users.carol });
    const helpMessage = [...fake.messages.values()].find((m) => m.content.startsWith('Commands:'))!;
    const help = await pressButton(bot, {
      user: fake.users.carol,
      messageId: helpMessage.id,
      customId: `more:${run.itemIds[0]}`,
    });
    expect(help.requests.find((r) => r.path.endsWith('/callback'))!.body.data.content).toBe(
      'That item was not shown to you.',
    );
    expect((await docOf(bot.app, fake.users.carol.id))?.lastLists ?? {}).toEqual(carolBefore?.lastLists ?? {});
  });
});
