/**
 * Own sources through the real grammY bot against the fake Bot API: /subscribe refused for a private address,
 * an OPML file sent as a document imported (a real export's shape), /sources with health, /sources export as a
 * document, /unsubscribe; in a group only admins change the group's sources.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../infra/store/memory.js';
import { groupChat, privateChat, startFakeTelegram, user, type FakeTelegram } from '../helpers/fake-telegram.js';
import { TestClock, writeThumb } from '../helpers/telegram-app.js';
import { sends, startBot, textOf, type RunningBot } from '../helpers/telegram-harness.js';

const OPML = readFileSync('tests/fixtures/sources/feedly-export.opml', 'utf8');
const noDns = async (host: string) => {
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

describe('Telegram: /subscribe, /sources, /unsubscribe, OPML', () => {
  let fake: FakeTelegram;
  let bot: RunningBot;
  const clock = new TestClock(new Date('2026-03-10T01:00:00Z'));
  const mina = user(7001, 'Mina');
  const hana = user(7002, 'Hana', 'ko');
  const group = groupChat(-1007000);

  const say = async (from: typeof mina, chat: ReturnType<typeof privateChat>, text: string) => {
    const before = fake.calls.length;
    await bot.handled(fake.pushMessage({ from, chat, text }));
    return fake.calls.slice(before);
  };
  const reply = async (from: typeof mina, chat: ReturnType<typeof privateChat>, text: string) =>
    sends(await say(from, chat, text))
      .map((c) => textOf(c.payload))
      .join('\n');

  beforeAll(async () => {
    writeThumb();
    fake = await startFakeTelegram();
    bot = await startBot(fake, new MemoryStore(), clock, {
      env: { SCRAPE_ALLOW_PRIVATE: 'false' },
      sources: { resolve: noDns },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    await bot?.app.close();
    await fake?.close();
  });

  it('GIVEN the command list THEN /subscribe, /unsubscribe and /sources are registered in both languages', () => {
    const ko = fake.calls.find((c) => c.method === 'setMyCommands' && c.payload.language_code === 'ko')!;
    const names = (ko.payload.commands as { command: string }[]).map((c) => c.command);
    expect(names).toEqual(expect.arrayContaining(['subscribe', 'unsubscribe', 'sources']));
  });

  it('GIVEN /subscribe to a private address THEN it is refused, in the person’s language, and nothing is kept', async () => {
    expect(await reply(mina, privateChat(mina), '/subscribe http://127.0.0.1:9/feed.xml')).toMatch(
      /I will not fetch http:\/\/127\.0\.0\.1:9\/feed\.xml: 127\.0\.0\.1 is a loopback address/,
    );
    expect(await reply(hana, privateChat(hana), '/subscribe http://169.254.169.254/latest/meta-data/')).toMatch(
      /가져오지 않아요: 169\.254\.169\.254 is a linkLocal address/,
    );
    expect(await reply(mina, privateChat(mina), '/sources')).toMatch(/No sources yet/);
    expect(await reply(mina, privateChat(mina), '/subscribe')).toMatch(/\/subscribe <url> follows an RSS/);
  });

  it('GIVEN an OPML file sent to the bot THEN it is imported; /sources lists it; /sources export sends it back', async () => {
    const file = fake.addFile(OPML);
    const before = fake.calls.length;
    const id = fake.pushDocument({
      from: mina,
      chat: privateChat(mina),
      file,
      file_name: 'feedly-6f2a.opml',
      mime_type: 'application/octet-stream',
    });
    await bot.handled(id);
    const calls = fake.calls.slice(before);
    expect(calls.some((c) => c.method === 'getFile')).toBe(true);
    const answer = sends(calls)
      .map((c) => textOf(c.payload))
      .join('\n');
    expect(answer).toMatch(
      /Imported 15 of 18 from the OPML file\. Skipped: 1 already followed, 1 refused \(not a public address\), 1 not web addresses\./,
    );

    const listed = await reply(mina, privateChat(mina), '/sources');
    expect(listed).toMatch(/^Your sources \(15 of 20\):/);
    expect(listed).toMatch(/掘金后端/);
    expect(listed.split('\n')).toHaveLength(1 + 2 * 15); // a title line and a health line per source

    const exported = (await say(mina, privateChat(mina), '/sources export')).find((c) => c.method === 'sendDocument')!;
    expect(exported.payload.caption).toMatch(/Your 15 sources as OPML/);
    expect((exported.payload.document as { name: string }).name).toBe('deep-reco-sources.opml');

    expect(await reply(mina, privateChat(mina), '/unsubscribe 1')).toMatch(/^Unsubscribed from /);
    expect(await reply(mina, privateChat(mina), '/sources')).toMatch(/^Your sources \(14 of 20\):/);
  });

  it('GIVEN a document that is not OPML THEN the sources feature leaves it alone', async () => {
    const file = fake.addFile('just a note');
    const before = fake.calls.length;
    await bot.handled(
      fake.pushDocument({ from: mina, chat: privateChat(mina), file, file_name: 'note.txt', mime_type: 'text/plain' }),
    );
    expect(fake.calls.slice(before).some((c) => c.method === 'getFile')).toBe(false);
  });

  it('GIVEN a group THEN members may read its sources but only admins change them', async () => {
    expect(await reply(hana, group, '/subscribe https://example.com/feed')).toMatch(/관리자만/);
    fake.setMemberStatus(hana.id, 'administrator');
    const file = fake.addFile(OPML);
    const before = fake.calls.length;
    await bot.handled(
      fake.pushDocument({ from: hana, chat: group, file, file_name: 'club.opml', caption: '/subscribe' }),
    );
    expect(
      sends(fake.calls.slice(before))
        .map((c) => textOf(c.payload))
        .join('\n'),
    ).toMatch(/가져왔어요/);
    expect(await reply(mina, group, '/sources')).toMatch(/^This chat's sources \(15 of 50\):/);
    // The group's sources lift the lists shown in the group (the ranker's chat hook).
    expect(bot.app.sources.chatSources('telegram', String(group.id))).toHaveLength(15);
    const exported = (await say(mina, group, '/sources export')).find((c) => c.method === 'sendDocument')!;
    expect(exported.payload.caption).toMatch(/15/);
  });
});
