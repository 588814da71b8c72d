/**
 * Failures: missing permissions (up front and as Discord's 50013), an expired interaction (10062), a
 * core error (ephemeral apology in the user's language), malformed gateway payloads — the bot answers
 * the next command every time, and neither the bot token nor interaction tokens reach the logs.
 */
import { describe, expect, it } from 'vitest';
import { RecoError } from '../../core/errors.js';
import { ALL_BOT_PERMS, FakeDiscord, PERM } from '../helpers/fake-discord.js';
import { nextEvent, type Bot, withDiscordBot, EPHEMERAL } from './harness.js';
import { recommend, runCommand } from './flows.js';

describe('discord failures', () => {
  let fake!: FakeDiscord;
  let bot!: Bot;
  withDiscordBot((f, b) => {
    fake = f;
    bot = b;
  });

  async function helpStillWorks(): Promise<void> {
    const run = await runCommand(bot, { name: 'help', user: fake.users.carol });
    expect(run.report.ok).toBe(true);
    expect(run.requests.find((r) => r.path.endsWith('/callback'))!.body.data.content).toContain('/recommend');
  }

  it('names the missing permissions up front (in the user’s language) and sends nothing else', async () => {
    const run = await runCommand(bot, {
      name: 'recommend',
      user: fake.users.alice,
      appPermissions: ALL_BOT_PERMS & ~PERM.AddReactions & ~PERM.EmbedLinks,
    });
    expect(run.requests).toHaveLength(1);
    const cb = run.requests[0]!;
    expect(cb.body.type).toBe(4);
    expect(cb.body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(cb.body.data.content).toContain('Embed Links');
    expect(cb.body.data.content).toContain('Add Reactions');
    expect(cb.body.data.content).not.toContain('Attach Files');
    const ko = await runCommand(bot, {
      name: 'recommend',
      user: { ...fake.users.alice, id: '900000000000003001' },
      locale: 'ko',
      appPermissions: ALL_BOT_PERMS & ~PERM.AddReactions,
    });
    expect(ko.requests[0]!.body.data.content).toContain('반응 추가하기');
    expect(bot.logs.some((l) => l.level === 'warn' && /lacks AddReactions/.test(l.msg))).toBe(true);
  });

  it('maps Discord 50013 on adding reactions to "Add Reactions" (items still sent)', async () => {
    fake.failOn({ method: 'PUT', path: /\/reactions\// }, FakeDiscord.MISSING_PERMISSIONS, 1);
    const run = await recommend(bot, { user: fake.users.bob, count: 2 });
    const sends = run.requests.filter((r) => r.path.startsWith('/webhooks/'));
    const apology = sends.find((r) => r.method === 'POST' && (r.body.flags & EPHEMERAL) === EPHEMERAL)!;
    expect(apology.body.content).toContain('Add Reactions');
    expect(sends.filter((r) => r.body.embeds?.length)).toHaveLength(2);
  });

  it('maps Discord 50013 on sending the items to "Embed Links" (ephemeral, the pending reply removed)', async () => {
    fake.failOn({ method: 'PATCH', path: /\/messages\/@original$/ }, FakeDiscord.MISSING_PERMISSIONS, 1);
    const run = await runCommand(bot, { name: 'recommend', user: fake.users.bob });
    expect(run.report.ok).toBe(false);
    expect(run.report.error).toBe('MISSING_PERMISSION');
    expect(run.requests.some((r) => r.method === 'DELETE' && r.path.endsWith('/messages/@original'))).toBe(true);
    const apology = run.requests.find((r) => r.method === 'POST' && r.path.startsWith('/webhooks/'))!;
    expect(apology.body.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(apology.body.content).toContain('Embed Links');
    await helpStillWorks();
  });

  it('logs an expired interaction (10062) and moves on', async () => {
    fake.failOn({ method: 'POST', path: /\/callback$/ }, FakeDiscord.UNKNOWN_INTERACTION, 1);
    const run = await runCommand(bot, { name: 'help', user: fake.users.alice });
    expect(run.report).toMatchObject({ ok: false, error: 10062 });
    expect(run.requests).toHaveLength(1); // no second attempt to answer a dead interaction
    expect(bot.logs.some((l) => l.level === 'warn' && /expired/.test(l.msg))).toBe(true);
    await helpStillWorks();
  });

  it('turns a core error into an ephemeral apology in the user’s language', async () => {
    // The adapter calls the core's persona service: make it fail as a store outage would.
    const service = bot.app.core.persona;
    const original = service.persona.bind(service);
    service.persona = async () => {
      throw new RecoError('STORE_UNAVAILABLE', 'redis down');
    };
    try {
      const run = await runCommand(bot, {
        name: 'persona',
        user: { ...fake.users.bob, id: '900000000000003002' },
        locale: 'ko',
      });
      const cb = run.requests.find((r) => r.path.endsWith('/callback'))!;
      expect(cb.body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
      expect(cb.body.data.content).toContain('저장소에 연결할 수 없어');
      expect(bot.logs.some((l) => l.level === 'warn' && /REDIS_URL/.test(l.msg))).toBe(true);
    } finally {
      service.persona = original;
    }
    await helpStillWorks();
  });

  it('survives malformed and unexpected gateway payloads', async () => {
    const before = bot.logs.length;
    fake.sendRaw('{not json');
    fake.sendRaw({ op: 99, d: { what: 1 } });
    fake.sendRaw({ op: 0, t: 'SOMETHING_NEW', s: 10_000, d: { x: 1 } });
    fake.dispatch('INTERACTION_CREATE', null);
    fake.dispatch('INTERACTION_CREATE', { id: 'x', type: 2 });
    fake.dispatch('INTERACTION_CREATE', {
      id: '1',
      token: 't',
      type: 2,
      application_id: fake.appId,
      data: { name: 'recommend', type: 1 },
      channel_id: fake.textChannel.id,
      entitlements: [],
      authorizing_integration_owners: {},
    });
    fake.dispatch('MESSAGE_REACTION_ADD', {
      user_id: fake.users.bob.id,
      channel_id: fake.textChannel.id,
      message_id: '1',
      emoji: null,
    });
    fake.dispatch('MESSAGE_REACTION_ADD', { user_id: 5, channel_id: [], message_id: {}, emoji: { name: 7 } });
    fake.dispatch('MESSAGE_REACTION_REMOVE', 'a string');
    fake.dispatch('MESSAGE_CREATE', { id: '5', channel_id: fake.textChannel.id, author: null, content: 'hi' });
    fake.dispatch('MESSAGE_CREATE', {
      id: '6',
      channel_id: fake.textChannel.id,
      guild_id: fake.guildId,
      author: fake.users.bob,
      content: 42,
      mentions: 'nope',
    });
    fake.dispatch('GUILD_CREATE', { name: 'no id' });
    await helpStillWorks();
    const dropped = bot.logs.slice(before).filter((l) => /malformed gateway event/.test(l.msg));
    expect(dropped.length).toBeGreaterThanOrEqual(8);
    // and real reactions/commands still work afterwards
    const run = await recommend(bot, { user: fake.users.carol, count: 1 });
    const r = nextEvent<{ status: string }>(bot.discord.events, 'reaction', (x: any) => x.userId === fake.users.bob.id);
    fake.react({ user: fake.users.bob, message: { id: run.messageIds[0]!, channel_id: run.channelId }, emoji: '👎' });
    expect((await r).status).toBe('applied');
  });

  it('never logs the bot token or interaction tokens', () => {
    const all = JSON.stringify(bot.logs, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    expect(all).not.toContain(fake.token);
    expect(all).not.toMatch(/itoken-/);
  });
});
