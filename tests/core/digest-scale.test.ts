/**
 * Digests for many subscribers, with a controlled clock (no sleeps): planned ahead of the slot, spread over a
 * window with a stable minute per chat, the compact layout when cards would not fit, a greeting that follows
 * the local time it goes out at, and quiet hours that hold a digest and deliver it once after.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import {
  DeliveryError,
  DigestService,
  chatOffsetMinutes,
  planSlot,
  quietUntil,
  parseQuietRange,
  zonedInstant,
  type DigestChat,
  type DigestSender,
  type DigestServiceOptions,
} from '../../core/digest/index.js';
import type { DeliveryTarget, ListItemView, ListToSend } from '../../core/recommend/delivery.js';
import type { Actor } from '../../core/users/doc.js';
import { NS_MESSAGES } from '../../core/store/namespaces.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { TestClock, makeApp } from '../helpers/telegram-app.js';

const seoul = (local: string) => new Date(`${local}+09:00`);

/** Records every send with the list it came with; `sendCompact` (one message per list) only when `compact` is on. */
class RecordingSender implements DigestSender {
  readonly platform = 'telegram' as const;
  sends: { chatId: string; kind: 'header' | 'item' | 'list'; text: string; list: ListToSend; at: Date }[] = [];
  private next = 1;
  before: ((n: number) => void) | undefined;
  sendCompact?: NonNullable<DigestSender['sendCompact']>;
  constructor(
    private readonly clock: TestClock,
    compact = false,
  ) {
    if (compact)
      this.sendCompact = async (t: DeliveryTarget, list: ListToSend) => {
        const sent = await this.push(
          t,
          'list',
          `${list.header}\n${list.items.map((i) => `${i.position}. ${i.item.title}`).join('\n')}`,
          list,
        );
        return list.items.map(() => sent);
      };
  }
  async sendHeader(t: DeliveryTarget, list: ListToSend) {
    return this.push(t, 'header', list.header, list);
  }
  async sendItem(t: DeliveryTarget, view: ListItemView, list: ListToSend) {
    return this.push(t, 'item', view.item.id, list);
  }
  private async push(t: DeliveryTarget, kind: 'header' | 'item' | 'list', text: string, list: ListToSend) {
    this.before?.(this.sends.length + 1);
    this.sends.push({ chatId: t.chatId, kind, text, list, at: this.clock.now() });
    return { messageIds: [String(this.next++)] };
  }
  toChat(chatId: string) {
    return this.sends.filter((s) => s.chatId === chatId);
  }
}

describe('digest spreading policy', () => {
  it('GIVEN a small slot THEN everyone goes out at the slot in cards', () => {
    expect(planSlot(40, { windowMinutes: 30, layout: 'auto', ratePerSecond: 20, size: 6 })).toEqual({
      layout: 'cards',
      spreadMinutes: 0,
    });
  });

  it('GIVEN 10,000 chats in one slot THEN cards would overflow the window, so compact, spread over ~8 minutes', () => {
    // cards: 10,000 × 7 messages / 20 per s = 58 min > 30; compact: 10,000 / 20 per s = 8.3 min.
    expect(planSlot(10_000, { windowMinutes: 30, layout: 'auto', ratePerSecond: 20, size: 6 })).toEqual({
      layout: 'compact',
      spreadMinutes: 8,
    });
    // An operator who insists on cards gets the whole window.
    expect(planSlot(10_000, { windowMinutes: 30, layout: 'cards', ratePerSecond: 20, size: 6 })).toEqual({
      layout: 'cards',
      spreadMinutes: 30,
    });
  });

  it('GIVEN 10,000 chat keys THEN each keeps one stable minute and the minutes fill the spread evenly', () => {
    const counts = new Array<number>(9).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const m = chatOffsetMinutes(`telegram:${100_000 + i}`, 8);
      expect(m).toBe(chatOffsetMinutes(`telegram:${100_000 + i}`, 8));
      counts[m]!++;
    }
    // Each of the 9 minutes gets about 1,111 chats (SHA-1 is uniform; deterministic keys, so no flakiness).
    for (const c of counts) expect(Math.abs(c - 10_000 / 9)).toBeLessThan(150);
  });

  it('GIVEN local wall-clock times THEN instants are right across zones and a DST change', () => {
    expect(zonedInstant('2026-03-10', 8 * 60, 'Asia/Seoul').toISOString()).toBe('2026-03-09T23:00:00.000Z');
    // New York switched to EDT on 2026-03-08: 08:00 is 12:00Z after it, 13:00Z before it.
    expect(zonedInstant('2026-03-09', 8 * 60, 'America/New_York').toISOString()).toBe('2026-03-09T12:00:00.000Z');
    expect(zonedInstant('2026-03-07', 8 * 60, 'America/New_York').toISOString()).toBe('2026-03-07T13:00:00.000Z');
  });

  it('GIVEN quiet ranges THEN they parse and end at the right instant, also past midnight', () => {
    expect(parseQuietRange('23:00-07:00')).toEqual({ from: '23:00', to: '07:00' });
    expect(parseQuietRange('23-7')).toEqual({ from: '23:00', to: '07:00' });
    expect(parseQuietRange('22:30 ~ 06:45')).toEqual({ from: '22:30', to: '06:45' });
    expect(parseQuietRange('07:00-07:00')).toBeUndefined();
    expect(parseQuietRange('25:00-07:00')).toBeUndefined();
    const q = { from: '23:00', to: '07:00', tz: 'Asia/Seoul' };
    expect(quietUntil(seoul('2026-03-10T23:30:00'), q)?.toISOString()).toBe(seoul('2026-03-11T07:00:00').toISOString());
    expect(quietUntil(seoul('2026-03-11T06:59:00'), q)?.toISOString()).toBe(seoul('2026-03-11T07:00:00').toISOString());
    expect(quietUntil(seoul('2026-03-11T07:00:00'), q)).toBeUndefined();
    expect(quietUntil(seoul('2026-03-11T12:00:00'), q)).toBeUndefined();
  });
});

describe('DigestService at scale', () => {
  let app: App;
  let clock: TestClock;
  const make = (extra: Partial<DigestServiceOptions> = {}) =>
    new DigestService({
      ...app.core,
      maxCount: app.core.settings.maxCount,
      clock,
      defaultTime: '08:00',
      defaultTz: 'Asia/Seoul',
      size: 4,
      lockTtlMs: 5000,
      ...extra,
    });
  const chatOf = (id: number): DigestChat => ({ platform: 'telegram', chatId: String(id), kind: 'private' });
  const actorOf = (id: number): Actor => ({ platform: 'telegram', externalId: String(id) });

  beforeEach(async () => {
    clock = new TestClock(seoul('2026-03-10T07:00:00'));
    app = await makeApp({ store: new MemoryStore(), clock });
  });
  afterEach(async () => app.close());

  it('GIVEN a plan-ahead of 20 minutes THEN the digest is planned at 07:40 and sent at 08:00, once', async () => {
    const digest = make({ planAheadMinutes: 20 });
    const sender = new RecordingSender(clock);
    await digest.setSchedule(chatOf(1), { enabled: true }, actorOf(1), 'en');
    clock.set(seoul('2026-03-10T07:39:00').toISOString());
    expect(await digest.tick(sender)).toMatchObject({ due: 0, planned: 0 });
    clock.set(seoul('2026-03-10T07:40:00').toISOString());
    const r = await digest.tick(sender);
    expect(r).toMatchObject({ due: 0, planned: 1, outcomes: { 'telegram:1': 'planned' } });
    expect(sender.sends).toHaveLength(0);
    const run = (await digest.getRun(chatOf(1), '2026-03-10'))!;
    expect(run.sendAt).toBe(seoul('2026-03-10T08:00:00').toISOString());
    expect(run.plannedAt).toBe(seoul('2026-03-10T07:40:00').toISOString());
    clock.set(seoul('2026-03-10T07:59:00').toISOString());
    expect((await digest.tick(sender)).due).toBe(0);
    clock.set(seoul('2026-03-10T08:00:00').toISOString());
    expect((await digest.tick(sender)).outcomes['telegram:1']).toBe('delivered');
    expect(sender.sends.map((s) => s.kind)).toEqual(['header', 'item', 'item', 'item', 'item']);
    // The plan made at 07:40 is what was sent (not re-planned at the slot).
    expect((await digest.getRun(chatOf(1), '2026-03-10'))!.plannedAt).toBe(run.plannedAt);
    expect(sender.sends.every((s) => s.list.priority === 'digest')).toBe(true);
    clock.set(seoul('2026-03-10T08:01:00').toISOString());
    expect((await digest.tick(sender)).due).toBe(0);
    expect(sender.sends).toHaveLength(5);
  });

  it('GIVEN 60 chats sharing a slot and a spread THEN each goes out at its own minute, none early, each once', async () => {
    // A slow platform (0.2 digest messages/s) makes 60 chats × 5 messages need the whole 25-minute window.
    const digest = make({ spread: { windowMinutes: 25, layout: 'cards', ratePerSecond: 0.2 }, planAheadMinutes: 10 });
    const sender = new RecordingSender(clock);
    for (let i = 1; i <= 60; i++) await digest.setSchedule(chatOf(i), { enabled: true }, actorOf(i), 'en');
    clock.set(seoul('2026-03-10T07:50:00').toISOString());
    expect((await digest.tick(sender)).planned).toBe(60);
    const slot = seoul('2026-03-10T08:00:00').getTime();
    const sendAt = new Map<string, number>();
    for (let i = 1; i <= 60; i++) {
      const run = (await digest.getRun(chatOf(i), '2026-03-10'))!;
      const t = Date.parse(run.sendAt!);
      expect((t - slot) / 60_000).toBe(chatOffsetMinutes(`telegram:${i}`, 25));
      sendAt.set(String(i), t);
    }
    expect(new Set(sendAt.values()).size).toBeGreaterThan(15); // really spread
    for (let m = 0; m <= 26; m++) {
      clock.set(new Date(slot + m * 60_000).toISOString());
      await digest.tick(sender);
    }
    for (let i = 1; i <= 60; i++) {
      const got = sender.toChat(String(i));
      expect(got).toHaveLength(5);
      for (const s of got) expect(s.at.getTime()).toBeGreaterThanOrEqual(sendAt.get(String(i))!);
      expect(got[0]!.at.getTime()).toBeLessThan(sendAt.get(String(i))! + 60_000); // at its minute, not later
    }
  });

  it('GIVEN a large slot THEN digests go out compact, one message carrying every item (mapped for reactions)', async () => {
    const digest = make({ spread: { windowMinutes: 30, layout: 'compact' } });
    const sender = new RecordingSender(clock, true);
    await digest.setSchedule(chatOf(5), { enabled: true }, actorOf(5), 'en');
    clock.set(seoul('2026-03-10T08:00:00').toISOString());
    expect((await digest.tick(sender)).outcomes['telegram:5']).toBe('delivered');
    expect(sender.sends).toHaveLength(1);
    const [msg] = sender.sends;
    expect(msg).toMatchObject({ kind: 'list', list: { layout: 'compact', priority: 'digest' } });
    expect(msg!.list.items).toHaveLength(4);
    const run = (await digest.getRun(chatOf(5), '2026-03-10'))!;
    expect(run.layout).toBe('compact');
    expect(run.results.every((r) => r?.status === 'sent')).toBe(true);
    const ref = await app.store.get<{ itemIds: string[] }>(NS_MESSAGES, 'telegram:5:1');
    expect(ref?.itemIds.sort()).toEqual(msg!.list.items.map((i) => i.item.id).sort());
  });

  it('GIVEN a compact slot THEN a /layout cards choice (person, or group admins) wins, and the group mutes still apply', async () => {
    const digest = make({
      spread: { windowMinutes: 30, layout: 'compact' },
      chatSettings: (c) => app.core.controls.chatSettings(c),
    });
    const sender = new RecordingSender(clock, true);
    const group: DigestChat = { platform: 'telegram', chatId: '-200', kind: 'group' };
    const inGroup = { kind: 'chat' as const, platform: 'telegram' as const, chatId: '-200' };
    // The source with the most items in the catalog: muted for the whole group.
    const counts = new Map<string, number>();
    for (const it of app.catalog.index.items) counts.set(it.source, (counts.get(it.source) ?? 0) + 1);
    const muted = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    await app.core.controls.layout(actorOf(30), 'cards', { kind: 'user' });
    await app.core.controls.layout(actorOf(32), 'cards', inGroup);
    expect((await app.core.controls.mute(actorOf(32), `source:${muted}`, inGroup)).status).toBe('added');
    await digest.setSchedule(chatOf(30), { enabled: true }, actorOf(30), 'en');
    await digest.setSchedule(chatOf(31), { enabled: true }, actorOf(31), 'en');
    await digest.setSchedule(group, { enabled: true }, actorOf(32), 'en');
    clock.set(seoul('2026-03-10T08:00:00').toISOString());
    await digest.tick(sender);
    expect(sender.toChat('30').map((s) => s.kind)).toEqual(['header', 'item', 'item', 'item', 'item']);
    expect(sender.toChat('31').map((s) => s.kind)).toEqual(['list']);
    expect(sender.toChat('-200').map((s) => s.kind)).toEqual(['header', 'item', 'item', 'item', 'item']);
    expect((await digest.getRun(group, '2026-03-10'))!.layout).toBe('cards');
    const groupItems = (await digest.getRun(group, '2026-03-10'))!.parts.flatMap((p) =>
      p.kind === 'item' ? [app.catalog.index.items[app.catalog.index.rowOf.get(p.itemId)!]!] : [],
    );
    expect(groupItems).toHaveLength(4);
    expect(groupItems.filter((i) => i.source === muted)).toEqual([]);
  });

  it('GIVEN a compact digest whose send fails ambiguously THEN it is never sent again', async () => {
    const digest = make({ spread: { windowMinutes: 30, layout: 'compact' } });
    const sender = new RecordingSender(clock, true);
    await digest.setSchedule(chatOf(6), { enabled: true }, actorOf(6), 'en');
    clock.set(seoul('2026-03-10T08:00:00').toISOString());
    sender.before = () => {
      throw new DeliveryError('ambiguous', 'socket hang up');
    };
    expect((await digest.tick(sender)).outcomes['telegram:6']).toBe('retry-later');
    sender.before = undefined;
    expect((await digest.tick(sender)).outcomes['telegram:6']).toBe('delivered');
    expect(sender.sends).toHaveLength(0);
    const run = (await digest.getRun(chatOf(6), '2026-03-10'))!;
    expect(run.state).toBe('done');
    expect(run.results.every((r) => r?.status === 'unknown')).toBe(true);
  });

  it('GIVEN a 23:17 slot THEN the greeting is for the night, not "Good morning" (en and ko)', async () => {
    const digest = make();
    const sender = new RecordingSender(clock);
    await digest.setSchedule(chatOf(7), { enabled: true, time: '23:17' }, actorOf(7), 'en');
    await digest.setSchedule(chatOf(8), { enabled: true, time: '23:17' }, actorOf(8), 'ko');
    const korean = await app.reco.resolve(actorOf(8));
    await app.core.users.update(korean.user.id, (d) => void (d.user.lang = 'ko'));
    await digest.setSchedule(chatOf(9), { enabled: true, time: '13:05' }, actorOf(9), 'en');
    clock.set(seoul('2026-03-10T13:05:00').toISOString());
    await digest.tick(sender);
    clock.set(seoul('2026-03-10T23:17:00').toISOString());
    await digest.tick(sender);
    const intro = (id: string) => sender.toChat(id).find((s) => s.kind === 'header')!.text;
    expect(intro('7')).toMatch(/^Hello, night owl! Your digest for 2026-03-10/);
    expect(intro('7')).not.toMatch(/morning/i);
    expect(intro('8')).toMatch(/^늦은 밤이네요! 2026-03-10 다이제스트/);
    expect(intro('9')).toMatch(/^Good afternoon!/);
  });

  it('GIVEN quiet hours over the slot THEN the digest waits and goes out once when they end (greeted for that time)', async () => {
    const digest = make({ planAheadMinutes: 20 });
    const sender = new RecordingSender(clock);
    await digest.setSchedule(chatOf(10), { enabled: true, time: '07:30' }, actorOf(10), 'en');
    await digest.quiet.set(chatOf(10), actorOf(10), { from: '22:00', to: '12:15' });
    clock.set(seoul('2026-03-10T07:10:00').toISOString());
    expect((await digest.tick(sender)).planned).toBe(1);
    const run = (await digest.getRun(chatOf(10), '2026-03-10'))!;
    expect(run.sendAt).toBe(seoul('2026-03-10T12:15:00').toISOString());
    for (const t of ['07:30', '09:00', '12:14']) {
      clock.set(seoul(`2026-03-10T${t}:00`).toISOString());
      expect((await digest.tick(sender)).due).toBe(0);
    }
    expect(sender.sends).toHaveLength(0);
    clock.set(seoul('2026-03-10T12:15:00').toISOString());
    expect((await digest.tick(sender)).outcomes['telegram:10']).toBe('delivered');
    expect(sender.sends[0]!.text).toMatch(/^Good afternoon!/);
    clock.set(seoul('2026-03-10T12:16:00').toISOString());
    await digest.tick(sender);
    expect(sender.sends).toHaveLength(5);
  });

  it('GIVEN quiet hours set after the digest was planned THEN it is held at the slot and delivered once after', async () => {
    const digest = make({ planAheadMinutes: 30 });
    const sender = new RecordingSender(clock);
    await digest.setSchedule(chatOf(11), { enabled: true }, actorOf(11), 'en');
    clock.set(seoul('2026-03-10T07:30:00').toISOString());
    await digest.tick(sender); // planned for 08:00
    await digest.quiet.set(chatOf(11), actorOf(11), { from: '07:45', to: '08:40', tz: 'Asia/Seoul' });
    clock.set(seoul('2026-03-10T08:00:00').toISOString());
    expect((await digest.tick(sender)).outcomes['telegram:11']).toBe('quiet');
    clock.set(seoul('2026-03-10T08:20:00').toISOString());
    expect((await digest.tick(sender)).due).toBe(0);
    clock.set(seoul('2026-03-10T08:40:00').toISOString());
    expect((await digest.tick(sender)).outcomes['telegram:11']).toBe('delivered');
    clock.set(seoul('2026-03-10T09:40:00').toISOString());
    await digest.tick(sender);
    expect(sender.sends).toHaveLength(5);
    // Group chats have their own quiet hours (set by the group), separate from a member's.
    const group: DigestChat = { platform: 'telegram', chatId: '-100', kind: 'group' };
    await digest.quiet.set(group, actorOf(11), { from: '20:00', to: '21:00' });
    expect(await digest.quiet.get(group, actorOf(12))).toMatchObject({ from: '20:00', to: '21:00' });
    expect(await digest.quiet.get(chatOf(11), actorOf(11))).toMatchObject({ from: '07:45', to: '08:40' });
    await digest.quiet.set(chatOf(11), actorOf(11), null);
    expect(await digest.quiet.get(chatOf(11), actorOf(11))).toBeUndefined();
  });

  it('GIVEN chats in different zones at the same instant THEN they count as one slot for spreading', async () => {
    const digest = make({ spread: { windowMinutes: 30, layout: 'auto', ratePerSecond: 0.05 } });
    await digest.setSchedule(chatOf(20), { enabled: true, time: '08:00' }, actorOf(20), 'en');
    await digest.setSchedule(
      { platform: 'telegram', chatId: '21', kind: 'private' },
      { enabled: true, time: '23:00', tz: 'Europe/London' },
      actorOf(21),
      'en',
    );
    clock.set(seoul('2026-03-10T08:00:00').toISOString()); // = 2026-03-09 23:00 in London
    const scan = await digest.scan();
    expect(scan.plan.map((p) => p.chat.chatId).sort()).toEqual(['20', '21']);
    // 2 chats × 5 cards / 0.05 per s = 200 s → 3 minutes of spread: both share it.
    expect(scan.plan.map((p) => p.slot.spreadMinutes)).toEqual([3, 3]);
  });
});
