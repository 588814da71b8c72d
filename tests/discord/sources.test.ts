/**
 * Own sources through the real discord.js client against the fake Discord: /subscribe refused for a private
 * address, an OPML attachment imported (a real export's shape), /sources (split within 2,000 characters),
 * /unsubscribe with autocomplete, /sources export as a file, and channel sources for server managers only.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app/compose.js';
import { defaultConfig } from '../../core/config.js';
import { FakeDiscord } from '../helpers/fake-discord.js';
import { EPHEMERAL, NOW, captureLogger, smallCatalog, startBot, type Bot } from './harness.js';
import { runCommand } from './flows.js';

const OPML = readFileSync('tests/fixtures/sources/feedly-export.opml', 'utf8');
const MANAGE_GUILD = 1n << 5n;
const noDns = async (host: string) => {
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

describe('discord: /subscribe, /sources, /unsubscribe, OPML', () => {
  let fake: FakeDiscord;
  let bot: Bot;
  let app: App;

  beforeAll(async () => {
    fake = await FakeDiscord.start();
    app = await createApp({
      config: defaultConfig({
        LOG_LEVEL: 'silent',
        DISCORD_TOKEN: fake.token,
        DISCORD_API_BASE: fake.apiBase,
        DISCORD_APPLICATION_ID: fake.appId,
        DISCORD_GUILD_ID: fake.guildId,
        SCRAPE_ALLOW_PRIVATE: 'false',
      }),
      logger: captureLogger([]),
      memory: true,
      seedItems: smallCatalog(),
      now: () => NOW,
      sources: { resolve: noDns },
    });
    bot = await startBot(fake, { app });
  });
  afterAll(async () => {
    await bot?.stop();
    await app?.close();
    await fake?.close();
  });

  /** The text of everything the bot answered for one interaction (deferred edit and follow-ups). */
  const answers = (run: Awaited<ReturnType<typeof runCommand>>) =>
    run.requests
      .filter(
        (r) =>
          r.method === 'PATCH' ||
          (r.method === 'POST' && r.path.startsWith('/webhooks/')) ||
          r.path.endsWith('/callback'),
      )
      .map((r) => String(r.body?.content ?? r.body?.data?.content ?? ''))
      .filter(Boolean);

  it('GIVEN the registered commands THEN /subscribe takes a URL or an OPML attachment', () => {
    const sub = fake.commands.get(fake.guildId)!.find((c) => c.name === 'subscribe');
    expect(sub.options.map((o: { name: string; type: number }) => `${o.name}:${o.type}`)).toEqual([
      'url:3',
      'opml:11',
      'category:3',
      'for_channel:5',
    ]);
  });

  it('GIVEN /subscribe to a private address THEN refused (ephemeral), nothing kept', async () => {
    const run = await runCommand(bot, {
      name: 'subscribe',
      user: fake.users.alice,
      options: [{ name: 'url', type: 3, value: 'http://10.0.0.9/feed.xml' }],
    });
    const cb = run.requests.find((r) => r.path.endsWith('/callback'))!;
    expect(cb.body.type).toBe(5);
    expect(cb.body.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(answers(run).join('\n')).toMatch(
      /I will not fetch http:\/\/10\.0\.0\.9\/feed\.xml: 10\.0\.0\.9 is a private address/,
    );
  });

  it('GIVEN an OPML attachment THEN imported; /sources lists every source within Discord’s limit; export returns the file', async () => {
    const file = fake.attachment('feedly.opml', OPML);
    const run = await runCommand(bot, {
      name: 'subscribe',
      user: fake.users.alice,
      options: [{ name: 'opml', type: 11, value: file.id }],
      resolved: { attachments: { [file.id]: file } },
    });
    expect(run.report.ok).toBe(true);
    expect(answers(run).join('\n')).toMatch(/Imported 15 of 18 from the OPML file/);

    const list = await runCommand(bot, { name: 'sources', user: fake.users.alice });
    const parts = answers(list);
    expect(parts[0]).toMatch(/^Your sources \(15 of 20\):/);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(2000);
    expect(parts.join('\n')).toMatch(/15\. /);

    const exported = await runCommand(bot, {
      name: 'sources',
      user: fake.users.alice,
      options: [{ name: 'export', type: 5, value: true }],
    });
    const cb = exported.requests.find((r) => r.path.endsWith('/callback'))!;
    expect(cb.files.map((f) => f.name)).toEqual(['deep-reco-sources.opml']);
    expect(cb.body.data.content).toMatch(/Your 15 sources as OPML/);
  });

  it('GIVEN /unsubscribe THEN autocomplete offers the caller’s numbered sources and the number removes one', async () => {
    const from = fake.mark();
    fake.slashCommand({
      name: 'unsubscribe',
      user: fake.users.alice,
      autocomplete: true,
      options: [{ name: 'which', type: 3, value: '블로', focused: true }],
    });
    const respond = await fake.waitForRequest((r) => r.path.endsWith('/callback') && r.body?.type === 8, { from });
    expect(respond.body.data.choices).toEqual([
      { name: expect.stringMatching(/^\d+\. 블로터$/), value: expect.stringMatching(/^\d+$/) },
    ]);
    const number = respond.body.data.choices[0].value as string;
    const run = await runCommand(bot, {
      name: 'unsubscribe',
      user: fake.users.alice,
      options: [{ name: 'which', type: 3, value: number }],
    });
    expect(answers(run).join('\n')).toBe('Unsubscribed from 블로터.');
  });

  it('GIVEN for_channel THEN only a member who manages the server changes the channel’s sources', async () => {
    const file = fake.attachment('club.opml', OPML);
    const opts = [
      { name: 'opml', type: 11, value: file.id },
      { name: 'for_channel', type: 5, value: true },
    ];
    const refused = await runCommand(bot, {
      name: 'subscribe',
      user: fake.users.bob,
      options: opts,
      resolved: { attachments: { [file.id]: file } },
    });
    expect(answers(refused).join('\n')).toMatch(/Only this chat's admins/);
    const ok = await runCommand(bot, {
      name: 'subscribe',
      user: fake.users.carol,
      options: opts,
      resolved: { attachments: { [file.id]: file } },
      memberPermissions: MANAGE_GUILD,
    });
    expect(answers(ok).join('\n')).toMatch(/Imported 15 of 18/);
    expect(app.sources.chatSources('discord', fake.textChannel.id)).toHaveLength(15);
    const listed = await runCommand(bot, {
      name: 'sources',
      user: fake.users.bob,
      options: [{ name: 'for_channel', type: 5, value: true }],
    });
    expect(answers(listed)[0]).toMatch(/^This chat's sources \(15 of 50\):/);
  });
});
