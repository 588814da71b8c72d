import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import {
  DeliveryError,
  DigestService,
  blendSubject,
  localParts,
  type DigestChat,
  type DigestPart,
  type DigestSender,
  type DigestServiceOptions,
} from '../../core/digest/index.js';
import type { DeliveryTarget, ListItemView, ListToSend } from '../../core/recommend/delivery.js';
import type { Actor, UserDoc } from '../../core/users/doc.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { TestClock, makeApp } from '../helpers/telegram-app.js';

const alice: Actor = { platform: 'telegram', externalId: '7' };
const chat: DigestChat = { platform: 'telegram', chatId: '7', kind: 'private' };
// 08:00 in Seoul (UTC+9) is 23:00 UTC the day before.
const at = (seoul: string) => new Date(new Date(`${seoul}+09:00`).getTime());

/** Records what the digest sends, as the parts of its plan (the list sender's header is the intro). */
class StubSender implements DigestSender {
  readonly platform = 'telegram' as const;
  sent: { chatId: string; part: DigestPart }[] = [];
  private next = 1;
  /** Called before each send; throw to fail. */
  before: ((part: DigestPart, n: number) => void | Promise<void>) | undefined;
  async sendHeader(target: DeliveryTarget, list: ListToSend): Promise<{ messageIds: string[] }> {
    return this.send(target, { kind: 'intro', text: list.header });
  }
  async sendItem(target: DeliveryTarget, view: ListItemView): Promise<{ messageIds: string[] }> {
    const part: DigestPart = {
      kind: 'item',
      itemId: view.item.id,
      position: view.position,
      explanation: view.explanation,
      ...(view.header ? { header: view.header } : {}),
    };
    return this.send(target, part);
  }
  private async send(s: { chatId: string }, part: DigestPart): Promise<{ messageIds: string[] }> {
    await this.before?.(part, this.sent.length + 1);
    this.sent.push({ chatId: s.chatId, part });
    return { messageIds: [String(this.next++)] };
  }
  items(): string[] {
    return this.sent.flatMap((s) => (s.part.kind === 'item' ? [s.part.itemId] : []));
  }
}

describe('DigestService', () => {
  let app: App;
  let clock: TestClock;
  let digest: DigestService;
  let sender: StubSender;
  const make = (a: App, owner?: string, extra: Partial<DigestServiceOptions> = {}) => {
    const d = new DigestService({
      ...a.core,
      maxCount: a.core.settings.maxCount,
      clock,
      defaultTime: '08:00',
      defaultTz: 'Asia/Seoul',
      size: 5,
      lockTtlMs: 5000,
      ...(owner ? { owner } : {}),
      ...extra,
    });
    a.core.forget.onForget(d.forgetHook);
    return d;
  };

  beforeEach(async () => {
    clock = new TestClock(at('2026-03-10T07:00:00'));
    app = await makeApp({ store: new MemoryStore(), clock });
    digest = make(app);
    sender = new StubSender();
  });
  afterEach(async () => app.close());

  it('computes local dates and minutes in the chat time zone', () => {
    expect(localParts(at('2026-03-10T08:05:00'), 'Asia/Seoul')).toEqual({ date: '2026-03-10', minutes: 8 * 60 + 5 });
    expect(localParts(at('2026-03-10T08:05:00'), 'Europe/London').date).toBe('2026-03-09');
  });

  it('delivers once per local date at the slot, with sections of fresh items, across clock jumps', async () => {
    await app.reco.message(alice, 'I love football and baseball');
    await app.reco.feedback(alice, 'it_009', 'like', 'command', 'k1'); // football
    const { next } = await digest.setSchedule(chat, { enabled: true }, alice, 'en');
    expect(next).toBe('2026-03-10 08:00');

    clock.set(at('2026-03-10T07:59:00').toISOString());
    expect((await digest.tick(sender)).due).toBe(0);
    clock.set(at('2026-03-10T08:00:00').toISOString());
    const r1 = await digest.tick(sender);
    expect(r1.outcomes['telegram:7']).toBe('delivered');
    expect(sender.sent[0]!.part.kind).toBe('intro');
    const day1 = sender.items();
    expect(day1).toHaveLength(5);
    expect(new Set(day1).size).toBe(5);
    expect(day1).not.toContain('it_009'); // already reacted to
    const headers = sender.sent.flatMap((s) => (s.part.kind === 'item' && s.part.header ? [s.part.header] : []));
    expect(headers[0]).toMatch(/^Because you liked/);
    expect(headers).toContain('Something different');

    // Same minute again, later the same day, a jump back across midnight: nothing more.
    expect((await digest.tick(sender)).due).toBe(0);
    clock.set(at('2026-03-10T23:59:00').toISOString());
    expect((await digest.tick(sender)).due).toBe(0);
    clock.set(at('2026-03-09T09:00:00').toISOString());
    expect((await digest.tick(sender)).due).toBe(0);
    expect(sender.items()).toHaveLength(5);

    // Forward across midnight, before the slot: nothing; after: the next day's digest, all fresh.
    clock.set(at('2026-03-11T07:59:00').toISOString());
    expect((await digest.tick(sender)).due).toBe(0);
    clock.set(at('2026-03-11T08:01:00').toISOString());
    expect((await digest.tick(sender)).outcomes['telegram:7']).toBe('delivered');
    const day2 = sender.items().slice(5);
    expect(day2).toHaveLength(5);
    expect(day2.filter((id) => day1.includes(id))).toEqual([]);
  });

  it('delivers late the same local day when the process was down at the slot', async () => {
    await digest.setSchedule(chat, { enabled: true, time: '08:00' }, alice, 'en');
    clock.set(at('2026-03-10T13:30:00').toISOString());
    expect((await digest.tick(sender)).outcomes['telegram:7']).toBe('delivered');
  });

  it('switching on after today’s slot starts tomorrow', async () => {
    clock.set(at('2026-03-10T09:00:00').toISOString());
    const { next } = await digest.setSchedule(chat, { enabled: true, time: '08:00' }, alice, 'en');
    expect(next).toBe('2026-03-11 08:00');
    expect((await digest.tick(sender)).due).toBe(0);
  });

  it('resumes after a refused send without repeating, and never repeats a part whose fate is unknown', async () => {
    await digest.setSchedule(chat, { enabled: true }, alice, 'en');
    clock.set(at('2026-03-10T08:00:00').toISOString());
    sender.before = (_p, n) => {
      if (n === 3) throw new DeliveryError('rejected', '400 scripted');
    };
    expect((await digest.tick(sender)).outcomes['telegram:7']).toBe('retry-later');
    expect(sender.sent).toHaveLength(2);
    // A new process (another service on the same store) resumes; part 4 fails ambiguously.
    const digest2 = make(app, 'other-process');
    let calls = 0;
    sender.before = (part) => {
      calls++;
      if (calls === 2) {
        sender.sent.push({ chatId: '7', part }); // it did arrive…
        throw new DeliveryError('ambiguous', 'socket hang up'); // …but we cannot know
      }
    };
    expect((await digest2.tick(sender)).outcomes['telegram:7']).toBe('retry-later');
    sender.before = undefined;
    expect((await digest2.tick(sender)).outcomes['telegram:7']).toBe('delivered');
    const run = (await digest2.getRun(chat, '2026-03-10'))!;
    expect(run.state).toBe('done');
    expect(run.results.map((r) => r?.status)).toEqual(['sent', 'sent', 'sent', 'unknown', 'sent', 'sent']);
    // Every planned part arrived exactly once.
    expect(sender.sent.map((s) => JSON.stringify(s.part))).toEqual(run.parts.map((p) => JSON.stringify(p)));
  });

  it('two processes sharing one store never both deliver', async () => {
    await digest.setSchedule(chat, { enabled: true }, alice, 'en');
    clock.set(at('2026-03-10T08:00:00').toISOString());
    const other = make(app, 'proc-b');
    const senderB = new StubSender();
    const [a, b] = await Promise.all([digest.tick(sender), other.tick(senderB)]);
    expect([a.outcomes['telegram:7'], b.outcomes['telegram:7']].sort()).toEqual(['delivered', 'locked']);
    expect(sender.sent.length + senderB.sent.length).toBe(6);
    expect((await digest.tick(sender)).due + (await other.tick(senderB)).due).toBe(0);
  });

  it('stops when its lock was taken over (fencing)', async () => {
    await digest.setSchedule(chat, { enabled: true }, alice, 'en');
    clock.set(at('2026-03-10T08:00:00').toISOString());
    sender.before = async (_p, n) => {
      if (n === 2) {
        // Our lock expired and someone else took it.
        await app.store.releaseLock('digest:telegram:7', digest.owner);
        await app.store.acquireLock('digest:telegram:7', 'intruder', 60_000);
      }
    };
    expect((await digest.tick(sender)).outcomes['telegram:7']).toBe('lost-lock');
    expect(sender.sent).toHaveLength(2);
  });

  it('unsubscribes a chat that blocked the bot', async () => {
    await digest.setSchedule(chat, { enabled: true }, alice, 'en');
    clock.set(at('2026-03-10T08:00:00').toISOString());
    sender.before = () => {
      throw new DeliveryError('blocked', '403 Forbidden: bot was blocked by the user');
    };
    expect((await digest.tick(sender)).outcomes['telegram:7']).toBe('blocked');
    const s = (await digest.getSchedule(chat))!;
    expect(s.enabled).toBe(false);
    expect(s.disabledReason).toBe('blocked');
    clock.set(at('2026-03-11T08:00:00').toISOString());
    expect((await digest.tick(sender)).due).toBe(0);
  });

  it('blends the personas of group members who gave feedback', async () => {
    const bob: Actor = { platform: 'telegram', externalId: '8' };
    await app.reco.message(alice, 'I love football');
    await app.reco.message(bob, 'I love jazz. I hate football');
    const group = await app.reco.resolve({ platform: 'telegram', externalId: 'chat:-100' });
    const a = await app.reco.resolve(alice);
    const b = await app.reco.resolve(bob);
    const s = blendSubject(group, [a, b] as UserDoc[], 'telegram', 'en', app.catalog.textEncoder.id);
    expect(s.userId).toBe(group.user.id);
    expect(s.persona.dislikes.map((d) => d.term)).toContain('football'); // one member's dislike is kept
    expect(s.persona.interests.map((i) => i.term)).not.toContain('football');
    expect(s.persona.interests.map((i) => i.term)).toContain('jazz');
    expect(Math.hypot(...s.persona.vector!)).toBeCloseTo(1, 5);

    // Members are remembered per group and forgotten with /forget.
    const gchat: DigestChat = { platform: 'telegram', chatId: '-100', kind: 'group' };
    await digest.noteMember(gchat, alice);
    await digest.noteMember(gchat, bob);
    expect((await digest.members(gchat)).sort()).toEqual(['telegram:7', 'telegram:8']);
    await app.reco.forget(bob);
    expect(await digest.members(gchat)).toEqual(['telegram:7']);
  });

  it("GIVEN a group and a private chat that follow their own sources THEN each digest is ranked with those sources' boost", async () => {
    const followed: Record<string, string[]> = { '-100': ['feed-group'], '7': ['feed-mine'] };
    app.core.ranker.setChatSources((_p, chatId) => followed[chatId] ?? []);
    const seen: (readonly string[] | undefined)[] = [];
    const rankFor = app.core.ranker.rankFor.bind(app.core.ranker);
    app.core.ranker.rankFor = (subject, request) => {
      seen.push(subject.sources);
      return rankFor(subject, request);
    };
    const bob: Actor = { platform: 'telegram', externalId: '8' };
    await app.reco.message(alice, 'I love football');
    await app.reco.message(bob, 'jazz please');
    const gchat: DigestChat = { platform: 'telegram', chatId: '-100', kind: 'group' };
    await digest.noteMember(gchat, alice);
    await digest.noteMember(gchat, bob);
    await digest.setSchedule(gchat, { enabled: true }, alice, 'en');
    clock.set(at('2026-03-10T08:00:00').toISOString());
    expect((await digest.tick(sender)).outcomes['telegram:-100']).toBe('delivered');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s?.includes('feed-group'))).toBe(true);

    seen.length = 0;
    await digest.setSchedule(gchat, { enabled: false }, alice, 'en');
    await digest.setSchedule(chat, { enabled: true }, alice, 'en');
    clock.set(at('2026-03-11T08:00:00').toISOString());
    expect((await digest.tick(sender)).outcomes['telegram:7']).toBe('delivered');
    expect(seen.some((s) => s?.includes('feed-mine'))).toBe(true);
    expect(seen.some((s) => s?.includes('feed-group'))).toBe(false);
  });

  it('GIVEN an intro writer THEN the intro is reworded from the evidence, and a failing one falls back to the template', async () => {
    const seen: { template: string; evidence: number }[] = [];
    const worded = make(app, undefined, {
      size: 4,
      introWriter: async ({ template, evidence }) => {
        seen.push({ template, evidence: evidence.length });
        return `Good morning — ${evidence.length} picks for you.`;
      },
    });
    await worded.setSchedule(chat, { enabled: true }, alice, 'en');
    clock.set(at('2026-03-10T08:00:00').toISOString());
    await worded.tick(sender);
    expect(sender.sent[0]!.part).toEqual({ kind: 'intro', text: 'Good morning — 4 picks for you.' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.evidence).toBe(4);

    const failing = make(app, undefined, {
      size: 4,
      introWriter: async () => {
        throw new Error('LLM down');
      },
    });
    const other: DigestChat = { platform: 'telegram', chatId: '99', kind: 'private' };
    await failing.setSchedule(other, { enabled: true }, { platform: 'telegram', externalId: '99' }, 'en');
    const before = sender.sent.length;
    clock.set(at('2026-03-11T08:00:00').toISOString()); // enabled after today's slot: starts tomorrow
    await failing.tick(sender);
    const intro = sender.sent.slice(before).find((x) => x.part.kind === 'intro')!;
    expect(intro.part.kind === 'intro' && intro.part.text).toBe(seen[0]!.template.replace('2026-03-10', '2026-03-11'));
  });
});
