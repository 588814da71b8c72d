/**
 * Delivery on Discord with the real discord.js client against the fake Discord: replies in a thread (channel
 * type 11), a digest routed to a forum (one post per digest, tagged, its items inside the post and mapped to
 * the post's channel so reactions there count), thumbnail reuse (the CDN URL of the first upload), the
 * no-file fallback when Discord refuses an upload, and the outbox in /status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app/compose.js';
import { defaultConfig } from '../../core/config.js';
import type { MessageRef } from '../../core/domain.js';
import { NS_MESSAGES } from '../../core/store/namespaces.js';
import { ALL_BOT_PERMS, FakeDiscord, MANAGE_CHANNELS } from '../helpers/fake-discord.js';
import { TestClock } from '../helpers/telegram-app.js';
import { react, recommend, runCommand } from './flows.js';
import { EPHEMERAL, captureLogger, smallCatalog, startBot, type Bot, type LogLine } from './harness.js';

describe('Discord delivery', () => {
  let fake: FakeDiscord;
  let bot: Bot;
  let app: App;
  const clock = new TestClock(new Date('2026-11-25T22:30:00Z')); // 07:30 in Seoul
  const logs: LogLine[] = [];

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    const config = defaultConfig({
      LOG_LEVEL: 'silent',
      DISCORD_TOKEN: fake.token,
      DISCORD_API_BASE: fake.apiBase,
      DISCORD_APPLICATION_ID: fake.appId,
      DISCORD_GUILD_ID: fake.guildId,
      DIGEST_SIZE: '3',
    });
    app = await createApp({
      config,
      logger: captureLogger(logs),
      memory: true,
      seedItems: smallCatalog(),
      clock,
      digest: { intervalMs: 0 },
    });
    bot = await startBot(fake, { app, logs });
  });
  afterAll(async () => {
    await bot?.stop();
    await app?.close();
    await fake?.close();
  });

  const refOf = (channelId: string, messageId: string) =>
    app.store.get<MessageRef>(NS_MESSAGES, `discord:${channelId}:${messageId}`);

  it('GIVEN /recommend in a thread (type 11) THEN the items are posted in the thread, mapped there, and a reaction there counts', async () => {
    const run = await recommend(bot, { user: fake.users.alice, channel: fake.knownThread, count: 3 });
    expect(run.report.ok).toBe(true);
    expect(run.messageIds).toHaveLength(3);
    for (const id of run.messageIds) {
      expect(fake.messages.get(id)!.channel_id).toBe(fake.knownThread.id);
      expect((await refOf(fake.knownThread.id, id))?.itemIds).toHaveLength(1);
    }
    const r = await react(bot, {
      user: fake.users.alice,
      channelId: fake.knownThread.id,
      messageId: run.messageIds[1]!,
      emoji: '👍',
    });
    expect(r.status).toBe('applied');
  });

  it('GIVEN a local thumbnail uploaded once THEN the next list shows it from the CDN URL without uploading it again', async () => {
    const first = await recommend(bot, { user: fake.users.bob, count: 8 });
    const uploads = first.requests.filter((r) => r.files.length > 0);
    expect(uploads).toHaveLength(1);
    const uploaded = fake.messages.get(
      first.messageIds.find((id) => (fake.messages.get(id)!.attachments as unknown[]).length > 0)!,
    )!;
    const cdn = (uploaded.attachments as { url: string }[])[0]!.url;
    const second = await recommend(bot, { user: fake.users.carol, count: 8 });
    expect(second.requests.filter((r) => r.files.length > 0)).toHaveLength(0);
    const thumbs = second.requests.flatMap((r) =>
      ((r.body?.embeds ?? []) as { thumbnail?: { url: string } }[]).map((e) => e.thumbnail?.url),
    );
    expect(thumbs).toContain(cdn);
    expect(thumbs.some((u) => u?.startsWith('attachment://'))).toBe(false);
  });

  it('GIVEN Discord refuses a thumbnail upload as too large THEN the item is sent again without the file, its embed keeping the URL', async () => {
    // A fresh app has nothing cached, so the thumbnail is uploaded (and refused).
    const f2 = await FakeDiscord.start();
    const b2 = await startBot(f2);
    try {
      f2.failOn({ path: /^\/webhooks\//, withFiles: true }, FakeDiscord.TOO_LARGE);
      const run = await recommend(b2, { user: f2.users.alice, count: 8 });
      expect(run.report.ok).toBe(true);
      expect(run.messageIds).toHaveLength(8);
      const refused = run.requests.filter((r) => r.status === 413);
      expect(refused).toHaveLength(1);
      const retried = run.requests[run.requests.indexOf(refused[0]!) + 1]!;
      expect(retried.files).toHaveLength(0);
      const embed = (retried.body.embeds as { url?: string; thumbnail?: unknown }[])[0]!;
      expect(embed.url).toMatch(/^https:\/\//);
      expect(embed.thumbnail).toBeUndefined();
    } finally {
      await b2.stop();
      await f2.close();
    }
  });

  it('GIVEN /digest routed to a forum THEN each digest is a tagged forum post with its items inside, and a reaction in the post counts', async () => {
    const opts = [
      { name: 'action', type: 3, value: 'on' },
      { name: 'time', type: 3, value: '08:00' },
      { name: 'timezone', type: 3, value: 'Asia/Seoul' },
      { name: 'channel', type: 7, value: fake.forum.id },
      { name: 'tags', type: 3, value: 'Sports' },
    ];
    // Without Manage Channels: refused.
    const refused = await runCommand(bot, { name: 'digest', user: fake.users.bob, options: opts });
    const refusal = refused.requests.find((r) => r.path.endsWith('/callback'))!;
    expect(refusal.body.data.content).toMatch(/manage channels/);
    expect(refusal.body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(await app.digests.getSchedule({ platform: 'discord', chatId: fake.textChannel.id })).toBeUndefined();

    const ok = await bot.fake.slashCommand({
      name: 'digest',
      user: fake.users.carol,
      options: opts,
      memberPermissions: ALL_BOT_PERMS | MANAGE_CHANNELS,
    });
    await fake.waitForRequest((r) => r.path.includes(ok.token) && r.path.endsWith('/callback'));
    const answer = fake.requests.find((r) => r.path.includes(ok.token) && r.path.endsWith('/callback'))!;
    expect(answer.body.data.content).toMatch(/Daily digest is on[\s\S]*one post per digest, tagged Sports/);

    clock.set('2026-11-25T23:00:30Z'); // 08:00:30 in Seoul
    const report = await app.digestScheduler.tick('discord');
    expect(report.outcomes[`discord:${fake.textChannel.id}`]).toBe('delivered');
    expect(fake.posts.size).toBe(1);
    const [post] = [...fake.posts.values()];
    expect(post!.parent_id).toBe(fake.forum.id);
    expect(post!.applied_tags).toEqual(['900000000000000302']); // Sports
    const inPost = fake.messagesIn(post!.id);
    expect(inPost[0]!.id).toBe(post!.id); // the intro is the starter message
    const items = inPost.filter((m) => (m.embeds as unknown[]).length > 0);
    expect(items).toHaveLength(3);
    expect(fake.messagesIn(fake.textChannel.id).some((m) => m.id === post!.id)).toBe(false);
    for (const m of items) expect((await refOf(post!.id, m.id))?.itemIds).toHaveLength(1);
    const r = await react(bot, { user: fake.users.carol, channelId: post!.id, messageId: items[0]!.id, emoji: '👎' });
    expect(r.status).toBe('applied');
  });

  it('GIVEN /status THEN the Discord outbox line is there', async () => {
    const run = await runCommand(bot, { name: 'status', user: fake.users.alice });
    const text = String(run.requests.find((r) => r.path.endsWith('/callback'))?.body.data?.content ?? '');
    expect(text).toMatch(/Outbox \(discord\): \d+ waiting/);
  });
});
