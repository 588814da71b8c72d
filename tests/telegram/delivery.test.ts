/**
 * Delivery end to end with the real grammY bot against the fake Bot API: the outbox under Telegram's flood
 * limits (the fake answers 429 above them), forum topics (`message_thread_id`) for replies, lists and a routed
 * digest, photo `file_id` reuse (and a re-upload when Telegram refuses a stale id), and the link-preview
 * fallback when a thumbnail cannot be sent. Assertions are on order and counts, never on durations.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NS_MEDIA } from '../../core/store/namespaces.js';
import { MemoryStore } from '../../infra/store/memory.js';
import {
  forumChat,
  privateChat,
  startFakeTelegram,
  user,
  type FakeTelegram,
  type RecordedCall,
} from '../helpers/fake-telegram.js';
import { TestClock, fixtureItems, writeThumb } from '../helpers/telegram-app.js';
import { buttonsOf, msgId, sends, startBot, textOf, userDocOf, type RunningBot } from '../helpers/telegram-harness.js';

const seoul = (local: string) => new Date(`${local}+09:00`).toISOString();

describe('Telegram delivery', () => {
  let fake: FakeTelegram | undefined;
  const bots: RunningBot[] = [];
  afterEach(async () => {
    for (const b of bots.splice(0)) {
      await b.stop();
      await b.app.close();
    }
    await fake?.close();
    fake = undefined;
  });
  const boot = async (f: FakeTelegram, opts: Parameters<typeof startBot>[3] = {}, store = new MemoryStore()) => {
    const b = await startBot(f, store, new TestClock(new Date(seoul('2026-03-10T07:30:00'))), opts);
    bots.push(b);
    return b;
  };
  const say = async (
    b: RunningBot,
    f: FakeTelegram,
    from: ReturnType<typeof user>,
    chat: ReturnType<typeof privateChat>,
    text: string,
    threadId?: number,
  ) => {
    const before = f.calls.length;
    await b.handled(f.pushMessage({ from, chat, text, ...(threadId ? { threadId } : {}) }));
    return f.calls.slice(before);
  };

  it('GIVEN three /recommend at once under flood limits THEN no 429, each chat in order, and the third list starts only after the first two finished', async () => {
    // 2 messages/s overall (scaled down from 30 so three lists fill the queue), 1/s per chat after a burst of 3.
    const limits = { globalPerSecond: 2, chatPerSecond: 1, chatBurst: 3, groupPerMinute: 20 };
    fake = await startFakeTelegram(undefined, { limits });
    const f = fake;
    const b = await boot(f, {
      limits: { perSecond: 2, chatIntervalMs: 1000, chatBurst: 3, groupPerMinute: 20 },
    });
    const users = [user(301, 'A'), user(302, 'B'), user(303, 'C')];
    const ids = users.map((u) => f.pushMessage({ from: u, chat: privateChat(u), text: '/recommend 3' }));
    await Promise.all(ids.map((id) => b.handled(id, 60_000)));
    expect(f.floodRefusals).toBe(0);
    const delivered = f.delivered().filter((c) => users.some((u) => String(u.id) === String(c.payload.chat_id)));
    expect(delivered).toHaveLength(12);
    const span = new Map<string, { first: number; last: number }>();
    for (const c of delivered) {
      const chat = String(c.payload.chat_id);
      const s = span.get(chat) ?? { first: c.n, last: c.n };
      s.last = c.n;
      span.set(chat, s);
    }
    // Within a chat: header first, then items 1..3 in order.
    for (const u of users) {
      const mine = delivered.filter((c) => String(c.payload.chat_id) === String(u.id));
      expect(buttonsOf(mine[0]!.payload)).toHaveLength(0);
      expect(mine.slice(1).map((c) => /^<b>(\d)\./.exec(textOf(c.payload))?.[1])).toEqual(['1', '2', '3']);
    }
    // Fewest-left-first: the list that started last waited for both others to finish (not advanced together).
    const order = [...span.values()].sort((x, y) => x.first - y.first);
    expect(order[2]!.first).toBeGreaterThan(Math.max(order[0]!.last, order[1]!.last));
    // /status shows the outbox.
    const status = sends(await say(b, f, users[0]!, privateChat(users[0]!), '/status'));
    expect(textOf(status.at(-1)!.payload)).toMatch(/Outbox \(telegram\): \d+ waiting .*flood waits \(429\)/);
  });

  it('GIVEN /recommend and "More like this" in a forum topic THEN every message carries message_thread_id', async () => {
    fake = await startFakeTelegram();
    const f = fake;
    const b = await boot(f);
    const alice = user(311, 'Alice');
    const forum = forumChat(-100311);
    const calls = await say(b, f, alice, forum, '/recommend 2', 77);
    const list = sends(calls);
    expect(list).toHaveLength(3);
    expect(list.map((c) => c.payload.message_thread_id)).toEqual([77, 77, 77]);
    // The topic's list is the topic's own "last list" (session state per chat and thread).
    const doc = await userDocOf(b, alice);
    expect(Object.keys(doc!.lastLists)).toEqual([`telegram:${forum.id}:77`]);
    // The reply to a plain command lands in the topic too (grammY's ctx.reply).
    const help = sends(await say(b, f, alice, forum, '/help', 77));
    expect(help[0]!.payload.message_thread_id).toBe(77);
    // "More like this" pressed on an item in the topic: the new list goes to the topic.
    const item = list[1]!;
    const more = buttonsOf(item.payload).find((x) => x.callback_data.startsWith('mr:'))!;
    const before = f.calls.length;
    const cb = f.pushCallback({
      from: alice,
      message: { message_id: msgId(item), chat: forum, message_thread_id: 77 },
      data: more.callback_data,
    });
    await b.handled(cb.updateId);
    const again = sends(f.calls.slice(before));
    expect(again.length).toBeGreaterThan(1);
    // A photo upload is multipart/form-data, where every field is a string ("77"): compare as numbers.
    expect(new Set(again.map((c) => Number(c.payload.message_thread_id)))).toEqual(new Set([77]));
  });

  it('GIVEN /digest topic in a forum topic THEN the group digest arrives in that topic; /digest topic off sends it to the main chat', async () => {
    fake = await startFakeTelegram();
    const f = fake;
    const b = await boot(f);
    const admin = user(321, 'Admin');
    f.setMemberStatus(admin.id, 'administrator');
    const forum = forumChat(-100321);
    await say(b, f, admin, forum, 'I love football and ramen', 5);
    expect(textOf(sends(await say(b, f, admin, forum, '/digest 08:00 Asia/Seoul'))[0]!.payload)).toMatch(
      /Daily digest is on/,
    );
    const routed = sends(await say(b, f, admin, forum, '/digest topic', 9));
    expect(textOf(routed[0]!.payload)).toBe('Digests for this chat now go to this topic.');
    const from = f.calls.length;
    (b.app.core.clock as TestClock).set(seoul('2026-03-10T08:00:30'));
    const report = await b.tg.tick();
    expect(Object.values(report.outcomes)).toEqual(['delivered']);
    const digest = sends(f.calls.slice(from));
    expect(digest.length).toBeGreaterThan(1);
    expect(new Set(digest.map((c) => Number(c.payload.message_thread_id)))).toEqual(new Set([9]));
    // A plain member cannot move it; the admin can move it back.
    const member = user(322, 'Member');
    expect(textOf(sends(await say(b, f, member, forum, '/digest topic', 5))[0]!.payload)).toMatch(/Only group admins/);
    expect(textOf(sends(await say(b, f, admin, forum, '/digest topic off', 5))[0]!.payload)).toMatch(/main chat again/);
    expect(await b.app.routes.get('telegram', String(forum.id))).toBeUndefined();
    // Outside a topic, /digest topic explains itself.
    expect(textOf(sends(await say(b, f, admin, forum, '/digest topic'))[0]!.payload)).toMatch(/inside a forum topic/);
  });

  it('GIVEN a local thumbnail sent once THEN later sends reuse its file_id, also after a restart; a stale id is re-uploaded', async () => {
    writeThumb();
    fake = await startFakeTelegram();
    const f = fake;
    const store = new MemoryStore();
    const now = new Date(seoul('2026-03-10T07:30:00'));
    // Every item shares the one local thumbnail, so each list has photos of it.
    const items = fixtureItems(now).map((it) => ({ ...it, thumbnail: 'tests/.tmp/tg-thumb.png' }));
    // The first process's store must outlive it (a restart on the same data): its close() is a no-op.
    const surviving = Object.assign(Object.create(store) as MemoryStore, { close: async () => {} });
    const b1 = await boot(f, { items }, surviving);
    const alice = user(331, 'Alice');
    const photos = (cs: RecordedCall[]) => cs.filter((c) => c.method === 'sendPhoto');
    const first = photos(await say(b1, f, alice, privateChat(alice), '/recommend 5'));
    expect(first.length).toBeGreaterThan(1);
    // The first photo of that thumbnail is an upload; every later one names the file_id Telegram answered.
    expect(first[0]!.payload.photo).toMatchObject({ file: true });
    const fileId = (first[0]!.result as { photo: { file_id: string }[] }).photo.at(-1)!.file_id;
    for (const c of first.slice(1).filter((c) => c.ok)) expect(c.payload.photo).toBe(fileId);
    const stored: string[] = [];
    for await (const k of store.keys(NS_MEDIA)) stored.push(k);
    expect(stored.length).toBe(1);

    // A new process on the same store reuses the stored id at once.
    await b1.stop();
    await b1.app.close();
    bots.splice(bots.indexOf(b1), 1);
    const b2 = await boot(f, { items }, store);
    const second = photos(await say(b2, f, alice, privateChat(alice), '/recommend 3'));
    expect(second.length).toBeGreaterThan(0);
    expect(second[0]!.payload.photo).toBe(fileId);

    // Telegram forgets the id: refused with 400, uploaded again, the new id remembered.
    f.expireFileIds();
    const third = photos(await say(b2, f, alice, privateChat(alice), '/recommend 3'));
    expect(third[0]).toMatchObject({ ok: false, error: { error_code: 400 } });
    expect(third[1]!.payload.photo).toMatchObject({ file: true });
    const newId = (third[1]!.result as { photo: { file_id: string }[] }).photo.at(-1)!.file_id;
    expect(newId).not.toBe(fileId);
    expect(third.slice(2).every((c) => c.payload.photo === newId)).toBe(true);
  });

  it('GIVEN a thumbnail Telegram cannot take (URL fetch fails, upload too large) THEN the item goes as text with a large link preview of its URL', async () => {
    fake = await startFakeTelegram();
    const f = fake;
    // Every item has a web thumbnail, so the list meets both refusals whichever items it picks.
    const now = new Date(seoul('2026-03-10T07:30:00'));
    const catalog = fixtureItems(now).map((it, k) => ({ ...it, thumbnail: `https://img.example.com/all-${k}.jpg` }));
    const b = await boot(f, { items: catalog });
    const alice = user(341, 'Alice');
    let n = 0;
    f.script('sendPhoto', () =>
      ++n % 2 === 1
        ? { code: 400, description: 'Bad Request: failed to get HTTP URL content' }
        : { code: 413, description: 'Request Entity Too Large' },
    );
    const calls = await say(b, f, alice, privateChat(alice), '/recommend 10');
    const refused = calls.filter((c) => c.method === 'sendPhoto');
    expect(refused.length).toBeGreaterThan(1);
    expect(refused.every((c) => !c.ok)).toBe(true);
    const items = sends(calls).filter((c) => buttonsOf(c.payload).length > 0);
    expect(items).toHaveLength(10);
    for (const c of items) {
      expect(c.method).toBe('sendMessage');
      const url = /href="([^"]+)"/.exec(textOf(c.payload))![1]!;
      expect(c.payload.link_preview_options).toEqual({ url, prefer_large_media: true });
    }
  });
});
