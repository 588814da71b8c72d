/**
 * Real Discord payload shapes the bot used to trip on (issue 15 point 5), through the real discord.js client
 * against the fake Discord: user installs (context 1/2, authorizing_integration_owners, the app_permissions
 * Discord really sends), the bot's managed role, unknown buttons, threads (type 11), reactions cleared by a
 * moderator, custom emoji with ids, and user objects with fields discord.js does not know. Every payload is a
 * fixture in tests/fixtures/platform/discord/ naming the documentation it follows.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscord } from '../../bots/discord/index.js';
import type { CommandReport, ReactionReport } from '../../bots/discord/index.js';
import { FakeDiscord, type FakeChannel, type FakeMessage, type RecordedRequest } from '../helpers/fake-discord.js';
import { platformFixture } from '../helpers/platform-fixtures.js';
import { react, recommend } from './flows.js';
import { EPHEMERAL, docOf, nextEvent, startBot, type Bot, type LogLine } from './harness.js';

const ADMIN_ADVICE = /ask an admin|관리자에게/i;

describe('discord: real payload shapes', () => {
  let fake: FakeDiscord;
  let bot: Bot;
  const logs: LogLine[] = [];
  const alice = () => fake.users.alice;
  const ids = () => ({
    APP_ID: fake.appId,
    GUILD_ID: fake.guildId,
    USER_ID: alice().id,
    USERNAME: alice().username,
    OTHER_USER_ID: fake.users.bob.id,
    BOT_ROLE_ID: fake.botRoleId,
  });

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    bot = await startBot(fake, {
      logs,
      env: { FEEDBACK_LIKE_EMOJIS: '👍,❤️,<:reco_like:1180000000000000001>', FEEDBACK_DISLIKE_EMOJIS: '👎,reco_meh' },
    });
  });
  afterAll(async () => {
    await bot?.discord.stop(); // the adapter started after the simulated restart
    await bot?.stop();
    await fake?.close();
  });

  /** Dispatches an interaction fixture; resolves when the bot reported it done, with its requests. */
  const interact = async (
    name: string,
    channel: FakeChannel,
    vars: Record<string, unknown> = {},
    report = 'recommend',
  ): Promise<{ token: string; requests: RecordedRequest[]; report: CommandReport }> => {
    const token = `itoken-${randomUUID()}`;
    const { payload } = platformFixture<{ id: string; token: string }>('discord', name, {
      ...ids(),
      INTERACTION_ID: fake.nextId(),
      TOKEN: token,
      CHANNEL_ID: channel.id,
      ...vars,
    });
    const from = fake.mark();
    const done = nextEvent<CommandReport>(bot.discord.events, 'command', (c) => c.name === report);
    fake.dispatchInteraction(payload, channel);
    const r = await done;
    return { token, report: r, requests: fake.requests.slice(from) };
  };
  /** The bot's item messages in a channel (embeds), oldest first. */
  const itemsIn = (channelId: string, since: Set<string>) =>
    fake.messagesIn(channelId).filter((m) => !since.has(m.id) && (m.embeds as unknown[]).length > 0);
  const buttonsOf = (m: FakeMessage) =>
    (m.components as { components: { custom_id: string; emoji?: { name?: string } }[] }[]).flatMap((r) => r.components);
  const contents = (requests: RecordedRequest[]) => JSON.stringify(requests.map((r) => r.body ?? null));

  it('GIVEN registration THEN every command is offered to guild and user installs in every context', () => {
    const cmds = fake.commands.get(fake.guildId)!;
    expect(cmds.length).toBeGreaterThan(5);
    for (const c of cmds) {
      expect(c.integration_types, c.name).toEqual([0, 1]);
      expect(c.contexts, c.name).toEqual([0, 1, 2]);
    }
  });

  describe('user installs', () => {
    it('GIVEN /recommend in a DM between two people (context 2) THEN the list comes as interaction replies with 👍/👎 buttons, no reactions, no admin advice', async () => {
      const dm: FakeChannel = { id: fake.nextId(), type: 1, recipients: [fake.users.bob] };
      const before = new Set(fake.messages.keys());
      const run = await interact('interaction-user-install-dm', dm);
      expect(run.report.ok).toBe(true);
      expect(contents(run.requests)).not.toMatch(ADMIN_ADVICE);
      // Only the interaction's own endpoints: no channel sends, no reactions (the bot is not in that DM).
      expect(run.requests.every((r) => r.path.startsWith('/interactions/') || r.path.startsWith('/webhooks/'))).toBe(
        true,
      );
      const items = itemsIn(dm.id, before);
      expect(items).toHaveLength(2);
      expect(String(items[0]!.content)).toMatch(/Press 👍 or 👎/);
      for (const m of items) {
        const b = buttonsOf(m).map((x) => x.custom_id);
        expect(b.some((x) => x.startsWith('act:l:'))).toBe(true);
        expect(b.filter((x) => x.startsWith('act:d:'))).toHaveLength(1); // one 👎: "less like this"
        expect(b.length).toBeLessThanOrEqual(5); // one action row holds five buttons
        expect(b.some((x) => x.startsWith('more:'))).toBe(true);
      }

      // A 👍 button press (context 2 too) is feedback from the presser, acknowledged ephemerally.
      const target = items[1]!;
      const like = buttonsOf(target).find((x) => x.custom_id.startsWith('act:l:'))!.custom_id;
      const press = await interact('button-press-user-install', dm, { CUSTOM_ID: like, MESSAGE: target }, 'button:act');
      expect(press.report.ok).toBe(true);
      const callback = press.requests.find((r) => r.path.endsWith('/callback'))!;
      expect(callback.body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(callback.body.data.content).toMatch(/^Noted: you like/);
      const itemId = (await bot.app.reco.users.getMessageRef('discord', dm.id, target.id))!.itemIds[0]!;
      expect((await docOf(bot.app, alice().id))!.feedback[itemId]).toMatchObject({ signal: 'like', origin: 'button' });
    });

    it('GIVEN /recommend in a server without the bot (context 0, user install only) THEN no permission refusal and no reactions', async () => {
      const elsewhere: FakeChannel = { id: fake.nextId(), type: 0, guild_id: '1290000000000000077', name: '잡담' };
      const before = new Set(fake.messages.keys());
      const run = await interact('interaction-user-install-guild', elsewhere);
      expect(run.report.ok).toBe(true);
      expect(contents(run.requests)).not.toMatch(ADMIN_ADVICE);
      expect(run.requests.some((r) => r.path.includes('/reactions/'))).toBe(false);
      expect(itemsIn(elsewhere.id, before)).toHaveLength(2);
    });

    it("GIVEN /recommend in the bot's own DM with the app_permissions Discord sends there THEN it is answered and the bot adds its 👍/👎", async () => {
      const dm = fake.dmChannelOf(alice());
      const before = new Set(fake.messages.keys());
      const run = await interact('interaction-bot-dm', dm);
      expect(run.report.ok).toBe(true);
      expect(contents(run.requests)).not.toMatch(ADMIN_ADVICE);
      const items = itemsIn(dm.id, before);
      expect(items).toHaveLength(2);
      for (const m of items) expect(fake.botReactions.has(`${dm.id}:${m.id}:👍`)).toBe(true);
    });
  });

  describe('threads (channel type 11)', () => {
    it('GIVEN /recommend in a thread THEN the items are mapped there; GIVEN a 👍 in it after a restart THEN it counts', async () => {
      const thread = fake.thread('weekend picks');
      const before = new Set(fake.messages.keys());
      const run = await interact('interaction-guild-thread', thread, {
        PARENT_ID: fake.textChannel.id,
        APP_PERMISSIONS: (1760217288526913n | (1n << 13n)).toString(),
      });
      expect(run.report.ok).toBe(true);
      const items = itemsIn(thread.id, before);
      expect(items).toHaveLength(2);
      expect(fake.botReactions.has(`${thread.id}:${items[0]!.id}:👍`)).toBe(true);

      // A new client (a restart) has never seen the thread: the reaction still counts.
      await bot.discord.stop();
      bot.discord = await startDiscord(bot.app);
      const { payload } = platformFixture('discord', 'reaction-add-thread', {
        ...ids(),
        CHANNEL_ID: thread.id,
        MESSAGE_ID: items[0]!.id,
      });
      expect(bot.discord.client.channels.cache.has(thread.id)).toBe(false);
      const done = nextEvent<ReactionReport>(bot.discord.events, 'reaction', (r) => r.messageId === items[0]!.id);
      fake.dispatch('MESSAGE_REACTION_ADD', payload);
      expect((await done).status).toBe('applied');
      const itemId = (await bot.app.reco.users.getMessageRef('discord', thread.id, items[0]!.id))!.itemIds[0]!;
      expect((await docOf(bot.app, alice().id))!.feedback[itemId]?.signal).toBe('like');
    });

    it('GIVEN a mention of the bot in a thread the client never saw THEN the bot answers in the thread', async () => {
      const thread = fake.thread('baseball');
      const { payload } = platformFixture('discord', 'message-thread-mention', {
        ...ids(),
        CHANNEL_ID: thread.id,
        MESSAGE_ID: fake.nextId(),
      });
      const done = nextEvent<{ userId: string; channelId: string; replied: boolean }>(
        bot.discord.events,
        'message',
        (m) => m.channelId === thread.id,
      );
      fake.dispatch('MESSAGE_CREATE', payload);
      expect((await done).replied).toBe(true);
      const terms = (await docOf(bot.app, alice().id))!.persona.interests.map((i) => i.term);
      expect(terms).toEqual(expect.arrayContaining(['baseball', 'kimchi']));
    });
  });

  describe("the bot's managed role", () => {
    const roleMention = async (content: string) => {
      const { payload } = platformFixture('discord', 'message-role-mention', {
        ...ids(),
        CHANNEL_ID: fake.textChannel.id,
        MESSAGE_ID: fake.nextId(),
        CONTENT: content,
      });
      const from = fake.mark();
      const done = nextEvent<{ replied: boolean }>(bot.discord.events, 'message', () => true);
      fake.dispatch('MESSAGE_CREATE', payload);
      expect((await done).replied).toBe(true);
      return fake.requests
        .slice(from)
        .find((r) => r.method === 'POST' && r.path === `/channels/${fake.textChannel.id}/messages`)!;
    };

    it('GIVEN a message mentioning the role (<@&role>) THEN it is answered like a mention and the role id is not learned', async () => {
      const reply = await roleMention(`<@&${fake.botRoleId}> I love vinyl records`);
      expect(reply.body.message_reference).toBeDefined();
      const terms = (await docOf(bot.app, alice().id))!.persona.interests.map((i) => i.term);
      expect(terms).toContain('vinyl');
      expect(terms.some((t) => t.includes(fake.botRoleId))).toBe(false);
    });

    it('GIVEN a role mention without content (no Message Content intent) THEN the answer says how to reach the bot', async () => {
      const reply = await roleMention('');
      expect(String(reply.body.content)).toMatch(/mention me directly/);
    });
  });

  describe('components', () => {
    it('GIVEN a button custom id this version does not know THEN it is acknowledged (ephemeral, in the presser’s language)', async () => {
      const [m] = fake.messagesIn(fake.textChannel.id);
      // Carol has not talked to the bot yet: her Discord locale (ko) decides the language.
      const carol = fake.users.carol;
      const run = await interact(
        'button-unknown',
        fake.textChannel,
        { MESSAGE: m, USER_ID: carol.id, USERNAME: carol.username },
        'button:vote',
      );
      expect(run.report.ok).toBe(true);
      const callback = run.requests.find((r) => r.path.endsWith('/callback'))!;
      expect(callback.body.type).toBe(4);
      expect(callback.body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(callback.body.data.content).toBe('더 이상 유효하지 않은 버튼이에요.');
    });
  });

  describe('reactions', () => {
    it('GIVEN custom emoji with ids THEN the configured one (by <:name:id> or by name) counts and others are ignored', async () => {
      const run = await recommend(bot, { user: alice(), count: 3 });
      const [m1, m2, m3] = run.messageIds;
      const custom = async (messageId: string, name: string, id: string) => {
        const { payload } = platformFixture('discord', 'reaction-add-custom-emoji', {
          ...ids(),
          CHANNEL_ID: fake.textChannel.id,
          MESSAGE_ID: messageId,
          EMOJI_NAME: name,
          EMOJI_ID: id,
        });
        const done = nextEvent<ReactionReport>(bot.discord.events, 'reaction', (r) => r.messageId === messageId);
        fake.dispatch('MESSAGE_REACTION_ADD', payload);
        return done;
      };
      expect(await custom(m1!, 'reco_like', '1180000000000000001')).toMatchObject({
        status: 'applied',
        emoji: '<:reco_like:1180000000000000001>',
      });
      expect((await custom(m2!, 'reco_meh', '1180000000000000002')).status).toBe('applied');
      expect((await custom(m3!, 'party_parrot', '1180000000000000003')).status).toBe('unknown-emoji');
      const doc = (await docOf(bot.app, alice().id))!;
      expect(doc.feedback[run.itemIds[0]!]?.signal).toBe('like');
      expect(doc.feedback[run.itemIds[1]!]?.signal).toBe('dislike');
      expect(doc.feedback[run.itemIds[2]!]).toBeUndefined();
    });

    it('GIVEN a moderator clears all reactions or one emoji THEN the feedback given stays and later reactions still count', async () => {
      const run = await recommend(bot, { user: alice(), count: 2 });
      const [m1, m2] = run.messageIds;
      await react(bot, { user: alice(), channelId: fake.textChannel.id, messageId: m1!, emoji: '👍' });
      await react(bot, { user: fake.users.bob, channelId: fake.textChannel.id, messageId: m2!, emoji: '👍' });
      const errorsBefore = logs.filter((l) => l.level === 'error').length;
      for (const [event, name, messageId] of [
        ['MESSAGE_REACTION_REMOVE_ALL', 'reaction-remove-all', m1],
        ['MESSAGE_REACTION_REMOVE_EMOJI', 'reaction-remove-emoji', m2],
      ] as const) {
        const { payload } = platformFixture('discord', name, {
          ...ids(),
          CHANNEL_ID: fake.textChannel.id,
          MESSAGE_ID: messageId!,
        });
        fake.dispatch(event, payload);
      }
      // The next event after the clears is handled: the gateway stream is intact.
      const after = await react(bot, { user: alice(), channelId: fake.textChannel.id, messageId: m2!, emoji: '👎' });
      expect(after.status).toBe('applied');
      expect((await docOf(bot.app, alice().id))!.feedback[run.itemIds[0]!]?.signal).toBe('like');
      expect((await docOf(bot.app, fake.users.bob.id))!.feedback[run.itemIds[1]!]?.signal).toBe('like');
      expect(logs.filter((l) => l.level === 'error').length).toBe(errorsBefore);
    });
  });
});
