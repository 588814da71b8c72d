/**
 * Start-up and restarts: a restart (new client + new app on the same SQLite data dir) between the
 * reply and the reactions; global registration; the Message Content intent on / off / refused (4014).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../helpers/fake-discord.js';
import { docOf, startBot } from './harness.js';
import { react, recommend, runCommand } from './flows.js';

const MESSAGE_CONTENT = 1 << 15;

describe('discord restart between the reply and the reaction (SQLite)', () => {
  let fake: FakeDiscord;
  let dir: string;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
    dir = mkdtempSync(join('tests/.tmp', 'discord-restart-'));
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('maps reactions on messages sent before the restart, in a server and in a DM', async () => {
    const first = await startBot(fake, { dataDir: dir });
    const inGuild = await recommend(first, { user: fake.users.alice, count: 2 });
    const dm = fake.dmChannelOf(fake.users.alice);
    const inDm = await recommend(first, { user: fake.users.alice, channel: dm, count: 2, topic: 'ai' });
    await first.stop();
    expect(fake.connections).toBe(0);

    const second = await startBot(fake, { dataDir: dir });
    try {
      expect(second.discord.client.channels.cache.has(dm.id)).toBe(false); // nothing cached from before
      // bob's 👍 on a server message sent before the restart (uncached message → partials)
      const g = await react(second, {
        user: fake.users.bob,
        channelId: inGuild.channelId,
        messageId: inGuild.messageIds[0]!,
        emoji: '👍',
      });
      expect(g.status).toBe('applied');
      // alice's 👎 in her DM (uncached DM channel: discord.js drops it; the raw handler takes it)
      const d = await react(second, {
        user: fake.users.alice,
        channelId: dm.id,
        messageId: inDm.messageIds[1]!,
        emoji: '👎',
      });
      expect(d.status).toBe('applied');
      expect((await docOf(second.app, fake.users.bob.id))!.feedback[inGuild.itemIds[0]!]?.signal).toBe('like');
      expect((await docOf(second.app, fake.users.alice.id))!.feedback[inDm.itemIds[1]!]?.signal).toBe('dislike');
      // and alice's next list in the DM leaves out what she disliked
      const next = await recommend(second, { user: fake.users.alice, channel: dm, count: 10 });
      expect(next.itemIds).not.toContain(inDm.itemIds[1]);
    } finally {
      await second.stop();
    }
  });
});

describe('discord start-up options', () => {
  let fake: FakeDiscord;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('registers globally without DISCORD_GUILD_ID (application id from READY when not configured); Message Content off', async () => {
    const from = fake.mark();
    const identify = fake.waitForIdentify();
    const bot = await startBot(fake, {
      env: { DISCORD_GUILD_ID: '', DISCORD_APPLICATION_ID: '', DISCORD_MESSAGE_CONTENT: 'false' },
    });
    try {
      expect((await identify).intents & MESSAGE_CONTENT).toBe(0);
      const puts = fake.requests.slice(from).filter((r) => r.method === 'PUT' && r.path.includes('/commands'));
      expect(puts.map((r) => r.path)).toEqual([`/applications/${fake.appId}/commands`]);
      expect(fake.commands.get('global')).toHaveLength(19); // 17 + /interests and /image
      expect(bot.discord.contentIntent).toBe('off');
      const status = await runCommand(bot, { name: 'status', user: fake.users.alice });
      const content: string = status.requests.find((r) => r.path.endsWith('/callback'))!.body.data.content;
      expect(content).toContain('Message Content intent off');
      expect(content).toContain('Catalog: 8 items');
    } finally {
      await bot.stop();
    }
  });

  it('asks for Message Content when configured and says so in /status', async () => {
    const identify = fake.waitForIdentify();
    const bot = await startBot(fake);
    try {
      expect((await identify).intents & MESSAGE_CONTENT).toBe(MESSAGE_CONTENT);
      const status = await runCommand(bot, { name: 'status', user: fake.users.bob, locale: 'ko' });
      expect(status.requests.find((r) => r.path.endsWith('/callback'))!.body.data.content).toContain(
        '메시지 콘텐츠 인텐트 켜짐',
      );
    } finally {
      await bot.stop();
    }
  });
});

describe('discord without the Message Content intent enabled in the portal', () => {
  it('falls back to running without it (4014) and says so', async () => {
    const fake = await FakeDiscord.start({ disallowedIntents: MESSAGE_CONTENT });
    const bot = await startBot(fake);
    try {
      expect(fake.identifies).toHaveLength(2);
      expect(fake.identifies[1].intents & MESSAGE_CONTENT).toBe(0);
      expect(bot.discord.contentIntent).toBe('denied');
      expect(bot.logs.some((l) => l.level === 'warn' && /Message Content Intent/.test(l.msg))).toBe(true);
      const status = await runCommand(bot, { name: 'status', user: fake.users.alice });
      expect(status.requests.find((r) => r.path.endsWith('/callback'))!.body.data.content).toContain(
        'not enabled in the Developer Portal',
      );
      // still works from commands
      const run = await recommend(bot, { user: fake.users.alice, count: 1 });
      expect(run.messageIds).toHaveLength(1);
    } finally {
      await bot.stop();
      await fake.close();
    }
  });
});
