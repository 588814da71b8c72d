/**
 * End to end with the real discord.js client against the fake Discord: /recommend in a server and in
 * a DM, the bot's own 👍/👎, other people's reactions (each teaches the bot about themselves), redelivery
 * vs a genuine re-add, and the next /recommend of each person reflecting only their own feedback.
 */
import { describe, expect, it } from 'vitest';
import { FakeDiscord } from '../helpers/fake-discord.js';
import { docOf, nextEvent, type Bot, withDiscordBot } from './harness.js';
import { react, recommend } from './flows.js';
import type { ReactionReport } from '../../bots/discord/index.js';

describe('discord /recommend and reactions', () => {
  let fake!: FakeDiscord;
  let bot!: Bot;
  withDiscordBot((f, b) => {
    fake = f;
    bot = b;
  });

  it('registers the slash commands in the configured guild, with Korean localisations', () => {
    const put = fake.requests.find(
      (r) => r.method === 'PUT' && r.path === `/applications/${fake.appId}/guilds/${fake.guildId}/commands`,
    );
    expect(put?.authorized).toBe(true);
    const cmds = fake.commands.get(fake.guildId)!;
    expect(cmds.map((c) => c.name).sort()).toEqual([
      'digest',
      'explore',
      'filters',
      'forget',
      'help',
      'image',
      'interests',
      'layout',
      'link',
      'mute',
      'persona',
      'quiet',
      'recommend',
      'sources',
      'status',
      'subscribe',
      'translate',
      'unmute',
      'unsubscribe',
    ]);
    expect(fake.commands.has('global')).toBe(false);
    const rec = cmds.find((c) => c.name === 'recommend');
    expect(rec.name_localizations).toEqual({ ko: '추천' });
    expect(rec.description_localizations.ko).toMatch(/추천/);
    const category = rec.options.find((o: any) => o.name === 'category');
    expect(category.choices).toHaveLength(12);
    expect(category.choices.find((c: any) => c.value === 'sports').name_localizations).toEqual({ ko: '스포츠' });
    expect(rec.options.find((o: any) => o.name === 'source').autocomplete).toBe(true);
    const persona = cmds.find((c) => c.name === 'persona');
    expect(persona.options[0]).toMatchObject({ name: 'remove', autocomplete: true });
  });

  it('answers /recommend in a server: deferred, one embed message per item, mapped before the bot adds 👍/👎', async () => {
    // At the moment each bot reaction is sent, the message must already map to its item in the store.
    const mappedAtReaction: boolean[] = [];
    fake.onRequest = async (r) => {
      const m = r.path.match(/^\/channels\/(\d+)\/messages\/(\d+)\/reactions\//);
      if (r.method === 'PUT' && m)
        mappedAtReaction.push(!!(await bot.app.reco.users.getMessageRef('discord', m[1]!, m[2]!)));
    };
    const run = await recommend(bot, { user: fake.users.alice, count: 3 });
    fake.onRequest = undefined;
    expect(run.report.ok).toBe(true);
    const callback = run.requests.find((r) => r.path.endsWith('/callback'))!;
    expect(callback.body.type).toBe(5); // deferred: scoring may exceed 3 s
    const edit = run.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original'))!;
    const followups = run.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/webhooks/'));
    expect(followups).toHaveLength(2);
    expect(edit.body.content).toContain('Recommendations for you');
    const embed = edit.body.embeds[0];
    expect(embed.title).toMatch(/^1\. /);
    expect(embed.url).toMatch(/^https:\/\/example\.com\//);
    expect(embed.fields.map((f: any) => f.name)).toEqual(['Source', 'Category', 'Why']);
    expect(embed.fields[2].value.length).toBeGreaterThan(3);
    // 3 messages × (👍, 👎), each mapped first
    expect(run.messageIds).toHaveLength(3);
    expect(run.reactionPuts.map((r) => decodeURIComponent(r.path.split('/')[6]!))).toEqual([
      '👍',
      '👎',
      '👍',
      '👎',
      '👍',
      '👎',
    ]);
    expect(mappedAtReaction).toEqual([true, true, true, true, true, true]);
    expect(new Set(run.itemIds).size).toBe(3);
  });

  it('attaches built-in (local) thumbnails as files and uses https thumbnails as URLs', async () => {
    const run = await recommend(bot, { user: fake.users.carol, topic: 'football transfer premier league', count: 3 });
    const sends = run.requests.filter(
      (r) => (r.method === 'PATCH' || r.method === 'POST') && r.path.startsWith('/webhooks/'),
    );
    const byTitle = (id: string) => sends.find((r) => r.body.embeds?.[0]?.url === `https://example.com/${id}`);
    const f1 = byTitle('f1');
    const f2 = byTitle('f2');
    expect(f1 && f2).toBeTruthy();
    expect(f1!.files.map((f) => f.name)).toEqual([expect.stringMatching(/^thumb-\d\.webp$/)]);
    expect(f1!.body.embeds[0].thumbnail.url).toBe(`attachment://${f1!.files[0]!.name}`);
    expect(f2!.files).toEqual([]);
    expect(f2!.body.embeds[0].thumbnail.url).toBe('https://img.example.com/f2.jpg');
  });

  it('learns from everyone who reacts, only about themselves; redelivery counts once, a re-add counts again', async () => {
    const run = await recommend(bot, { user: fake.users.alice, count: 3 });
    const [m1, m2, m3] = run.messageIds as [string, string, string];
    const [i1, i2, i3] = run.itemIds as [string, string, string];
    const ch = run.channelId;

    // the bot's own reaction events and other bots are ignored
    expect((await react(bot, { user: fake.bot, channelId: ch, messageId: m1, emoji: '👍' })).status).toBe('own');
    expect((await react(bot, { user: fake.users.otherBot, channelId: ch, messageId: m1, emoji: '👍' })).status).toBe(
      'bot',
    );

    const bobLike = await react(bot, { user: fake.users.bob, channelId: ch, messageId: m1, emoji: '👍' });
    expect(bobLike.status).toBe('applied');
    expect((await react(bot, { user: fake.users.bob, channelId: ch, messageId: m2, emoji: '👎' })).status).toBe(
      'applied',
    );

    // a redelivered gateway event (same sequence number in the same session) counts once
    const dup = nextEvent<ReactionReport>(
      bot.discord.events,
      'reaction',
      (r) => r.userId === fake.users.bob.id && r.messageId === m1,
    );
    fake.redeliver('MESSAGE_REACTION_ADD', bobLike.payload, bobLike.seq);
    expect((await dup).status).toBe('duplicate');
    expect((await dup).idempotencyKey).toBe(bobLike.idempotencyKey);

    // carol: add, remove, add again (a genuine re-add counts), remove again
    const c1 = await react(bot, { user: fake.users.carol, channelId: ch, messageId: m3, emoji: '👍' });
    expect(c1.status).toBe('applied');
    expect(
      (await react(bot, { user: fake.users.carol, channelId: ch, messageId: m3, emoji: '👍', remove: true })).status,
    ).toBe('applied');
    expect((await docOf(bot.app, fake.users.carol.id))!.feedback[i3]).toBeUndefined();
    const c3 = await react(bot, { user: fake.users.carol, channelId: ch, messageId: m3, emoji: '👍' });
    expect(c3.status).toBe('applied');
    expect(c3.idempotencyKey).not.toBe(c1.idempotencyKey);
    expect((await docOf(bot.app, fake.users.carol.id))!.feedback[i3]?.signal).toBe('like');
    expect(
      (await react(bot, { user: fake.users.carol, channelId: ch, messageId: m3, emoji: '👍', remove: true })).status,
    ).toBe('applied');

    // reactions on messages that carry no recommendation are ignored quietly
    expect(
      (await react(bot, { user: fake.users.bob, channelId: ch, messageId: '123456789012345678', emoji: '👍' })).status,
    ).toBe('unknown-message');

    const bob = (await docOf(bot.app, fake.users.bob.id))!;
    expect(Object.fromEntries(Object.values(bob.feedback).map((f) => [f.itemId, f.signal]))).toEqual({
      [i1]: 'like',
      [i2]: 'dislike',
    });
    expect((await docOf(bot.app, fake.users.carol.id))!.feedback).toEqual({});
    expect((await docOf(bot.app, fake.users.alice.id))!.feedback).toEqual({}); // alice asked but did not react

    // next /recommend for each: bob's reacted items are gone (the disliked one never comes back) …
    const bobNext = await recommend(bot, { user: fake.users.bob, count: 10 });
    expect(bobNext.itemIds).not.toContain(i2);
    expect(bobNext.itemIds).not.toContain(i1);
    expect(bobNext.itemIds).toHaveLength(6);
    // … while bob's dislike does not hide the item from alice or carol (their lists hold every item)
    const aliceNext = await recommend(bot, { user: fake.users.alice, count: 10 });
    expect(aliceNext.itemIds).toContain(i2);
    expect(aliceNext.itemIds).toHaveLength(8);
    const carolNext = await recommend(bot, { user: fake.users.carol, count: 10 });
    expect(carolNext.itemIds).toContain(i3); // her removed like no longer excludes it
    expect(carolNext.itemIds).toHaveLength(8);
  });

  it('works in a DM: items with 👍/👎, the requester’s reaction counts for them', async () => {
    const dm = fake.dmChannelOf(fake.users.bob);
    const run = await recommend(bot, { user: fake.users.bob, channel: dm, count: 2, topic: 'ramen' });
    expect(run.report.ok).toBe(true);
    expect(run.messageIds).toHaveLength(2);
    expect(run.reactionPuts.every((r) => r.path.startsWith(`/channels/${dm.id}/`))).toBe(true);
    const r = await react(bot, { user: fake.users.bob, channelId: dm.id, messageId: run.messageIds[0]!, emoji: '❤️' });
    expect(r.status).toBe('applied');
    expect((await docOf(bot.app, fake.users.bob.id))!.feedback[run.itemIds[0]!]?.signal).toBe('like');
  });

  it('replies in the user’s locale (Korean)', async () => {
    const run = await recommend(bot, {
      user: { ...fake.users.alice, id: '900000000000002001', username: 'minji' },
      count: 1,
      locale: 'ko',
    });
    const edit = run.requests.find((r) => r.method === 'PATCH')!;
    expect(edit.body.content).toContain('추천 콘텐츠');
    expect(edit.body.embeds[0].fields.map((f: any) => f.name)).toEqual(['출처', '카테고리', '추천 이유']);
  });

  it('autocompletes sources from the catalog and persona terms of the caller only', async () => {
    const from = fake.mark();
    fake.slashCommand({
      name: 'recommend',
      user: fake.users.alice,
      autocomplete: true,
      options: [{ name: 'source', type: 3, value: 'you', focused: true }],
    });
    const cb = await fake.waitForRequest((r) => r.path.endsWith('/callback') && r.body?.type === 8, { from });
    expect(cb.body.data.choices).toEqual([{ name: 'youtube', value: 'youtube' }]);

    await bot.app.reco.message({ platform: 'discord', externalId: fake.users.bob.id }, 'I love jazz piano');
    await bot.app.reco.message({ platform: 'discord', externalId: fake.users.carol.id }, 'I love kimchi fermentation');
    const from2 = fake.mark();
    fake.slashCommand({
      name: 'persona',
      user: fake.users.bob,
      autocomplete: true,
      options: [{ name: 'remove', type: 3, value: '', focused: true }],
    });
    const cb2 = await fake.waitForRequest((r) => r.path.endsWith('/callback') && r.body?.type === 8, { from: from2 });
    const values = cb2.body.data.choices.map((c: any) => c.value);
    expect(values).toContain('jazz');
    expect(values).not.toContain('kimchi');
  });
});
