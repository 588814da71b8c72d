/**
 * The adapter contract: what every chat platform adapter must do, as one suite run against each adapter
 * through its real client library (console streams, discord.js against the fake Discord, grammY against
 * the fake Bot API) — the way LangChain runs one standard suite against every provider. A new platform
 * passes when it has a `AdapterDriver` and this suite is green for it.
 *
 * Every app in the suite runs on a `CountingStore`, so the round-trip budgets of the core flows
 * (`/recommend` of N items ≤ 3, a reaction ≤ 3) are asserted on each platform's real path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import { RecoError } from '../../core/errors.js';
import { CountingStore } from '../../core/store/counting.js';
import { NS_MESSAGES } from '../../core/store/namespaces.js';
import { messageKey } from '../../core/users/doc.js';
import type { ContentItem, Impression, MessageRef } from '../../core/domain.js';
import { NS_IMPRESSIONS } from '../../core/store/namespaces.js';
import { MemoryStore } from '../../infra/store/memory.js';

/** One shown item: its item id and the platform message that carries it. */
export interface ShownItem {
  itemId: string;
  /** The platform message id (console: none; its lists are addressed by position). */
  messageId?: string;
  position: number;
}

export interface AdapterDriver {
  /** The platform name in the store (`console`, `discord`, `telegram`). */
  readonly platform: 'console' | 'discord' | 'telegram';
  /** The chat the driver's lists go to (for the message → item mapping). */
  readonly chatId: string;
  /** Starts the app (on `store`) and the adapter. */
  start(store: CountingStore): Promise<App>;
  /** A person writes to the bot; resolves with the bot's answer once handled. */
  say(text: string): Promise<string>;
  /** `/recommend` of `count` items; resolves once the list is out, with the items in order. */
  recommend(count: number): Promise<ShownItem[]>;
  /** Reacts 👍 (or 👎) on a shown item, or takes it back; resolves once handled. */
  react(item: ShownItem, kind: 'like' | 'dislike', remove?: boolean): Promise<void>;
  /** "More like this" on a shown item; resolves with the new list. */
  more(item: ShownItem): Promise<ShownItem[]>;
  /** A command answered with text (`persona`, `status`, `sources`, `quiet …`); resolves with the answer. */
  command(name: 'persona' | 'status' | 'sources' | 'quiet', args?: string): Promise<string>;
  /** `/subscribe <url>` (personal); resolves with the answer. */
  subscribe(url: string): Promise<string>;
  /** `/forget`, confirmed; resolves with the answer. */
  forget(): Promise<string>;
  /** `/recommend <topic> <count>`; resolves once the list is out (possibly empty), with the items in order. */
  recommendTopic(topic: string, count: number): Promise<ShownItem[]>;
  /** A control command answered with text: `/mute <arg>`, `/unmute <arg>`, `/filters`, `/layout <arg>`. */
  control(name: 'mute' | 'unmute' | 'filters' | 'layout', arg?: string): Promise<string>;
  /** The item's "why?" action (a button on the chat platforms, `/why N` in the console); resolves with the answer. */
  why(item: ShownItem): Promise<string>;
  /** The platform id of the person the driver plays. */
  readonly externalId: string;
  /**
   * First contact of another person, new to the bot (console: a new session's `/start`; Discord: a first DM;
   * Telegram: `/start`): resolves with the labels of the interest picker it offers.
   */
  firstContact(): Promise<string[]>;
  /** That person picks these options (by label) and finishes; resolves with the first list. */
  pick(labels: readonly string[]): Promise<ShownItem[]>;
  /** The newcomer's platform id. */
  readonly newcomerId: string;
  stop(): Promise<void>;
}

export function defineAdapterContract(name: string, make: () => AdapterDriver): void {
  describe(`adapter contract: ${name}`, () => {
    const driver = make();
    const store = new CountingStore(new MemoryStore());
    let app: App;

    beforeAll(async () => {
      app = await driver.start(store);
    });
    afterAll(async () => {
      await driver.stop();
    });

    const userDoc = async () => {
      const id = await app.core.users.findUserId(driver.platform, driver.externalId);
      return id ? app.core.users.get(id) : undefined;
    };
    /** The platform messages that carry the items of the person's last list (from the stored impression). */
    const lastListMessages = async (): Promise<string[]> => {
      const imp = (await userDoc())?.lastLists[`${driver.platform}:${driver.chatId}`]?.impressionId;
      return imp ? ((await app.store.get<Impression>(NS_IMPRESSIONS, imp))?.messageIds ?? []) : [];
    };

    it('GIVEN a person writing THEN the answer notes their interests and /persona shows them', async () => {
      const reply = await driver.say('I love ramen and cooking at home');
      expect(reply).toMatch(/ramen/);
      expect(await driver.command('persona')).toMatch(/ramen/);
    });

    it('GIVEN /quiet with a range THEN the person has quiet hours (shown, in their zone) until /quiet off', async () => {
      expect(await driver.command('quiet', '23:00-07:00 Asia/Seoul')).toMatch(
        /^Quiet hours: 23:00–07:00 \(Asia\/Seoul\)\. Digests and other messages I send on my own wait until 07:00\./,
      );
      expect((await userDoc())?.ext.quiet).toEqual({ from: '23:00', to: '07:00', tz: 'Asia/Seoul' });
      expect(await driver.command('quiet')).toMatch(/^Quiet hours: 23:00–07:00 \(Asia\/Seoul\)/);
      expect(await driver.command('quiet', 'at night')).toMatch(/^Use \/quiet 23:00-07:00/);
      expect(await driver.command('quiet', '22-6 Mars/Olympus')).toMatch(/not a time zone I know/);
      expect(await driver.command('quiet', 'off')).toBe('Quiet hours are off.');
      expect((await userDoc())?.ext.quiet).toBeUndefined();
    });

    it('GIVEN /recommend of 5 THEN five items arrive, each message mapped to its item, in at most 3 store round trips', async () => {
      store.reset();
      const items = await driver.recommend(5);
      const trips = store.total;
      expect(items).toHaveLength(5);
      expect(new Set(items.map((i) => i.itemId)).size).toBe(5);
      expect(trips).toBeLessThanOrEqual(3);
      expect(store.count('writeBatch')).toBe(1);
      const doc = (await userDoc())!;
      expect(doc.lastLists[`${driver.platform}:${driver.chatId}`]?.itemIds).toEqual(items.map((i) => i.itemId));
      for (const i of items) {
        expect(doc.shown[i.itemId]).toBeDefined();
        if (!i.messageId) continue;
        const ref = await app.store.get<MessageRef>(
          NS_MESSAGES,
          messageKey(driver.platform, driver.chatId, i.messageId),
        );
        expect(ref?.itemIds).toEqual([i.itemId]);
      }
    });

    it('GIVEN /recommend with a topic that names a category (English, Korean) THEN every item is from that category', async () => {
      const categoryOf = (id: string) => app.catalog.index.items[app.catalog.index.rowOf.get(id)!]!.category;
      for (const topic of ['sports', '스포츠']) {
        const items = await driver.recommendTopic(topic, 2);
        expect(items.length).toBeGreaterThan(0);
        expect(items.map((i) => categoryOf(i.itemId))).toEqual(items.map(() => 'sports'));
      }
    });

    it('GIVEN a like and its removal THEN the feedback is recorded, then undone, each in at most 3 round trips', async () => {
      const items = await driver.recommend(3);
      const target = items[1]!;
      store.reset();
      await driver.react(target, 'like');
      expect(store.total).toBeLessThanOrEqual(3);
      expect((await userDoc())!.feedback[target.itemId]?.signal).toBe('like');
      store.reset();
      await driver.react(target, 'like', true);
      expect(store.total).toBeLessThanOrEqual(3);
      expect((await userDoc())!.feedback[target.itemId]).toBeUndefined();
      await driver.react(items[2]!, 'dislike');
      expect((await userDoc())!.feedback[items[2]!.itemId]?.signal).toBe('dislike');
    });

    it('GIVEN "more like this" on an item THEN a new list arrives without it, in at most 3 round trips', async () => {
      const items = await driver.recommend(3);
      store.reset();
      const more = await driver.more(items[0]!);
      expect(store.total).toBeLessThanOrEqual(3);
      expect(more.length).toBeGreaterThan(0);
      expect(more.map((i) => i.itemId)).not.toContain(items[0]!.itemId);
    });

    it('GIVEN /subscribe to a private address THEN it is refused naming the address, and /sources lists nothing', async () => {
      const answer = await driver.subscribe('http://169.254.169.254/latest/meta-data/');
      expect(answer).toMatch(/169\.254\.169\.254 is a linkLocal address/);
      expect(answer).toMatch(/public internet addresses/);
      expect(await driver.command('sources')).toMatch(/No sources yet/);
    });

    it('GIVEN /status THEN the answer names the store and the catalog', async () => {
      const text = await driver.command('status');
      expect(text).toContain(app.store.description);
      expect(text).toMatch(new RegExp(`${app.catalog.size} (items|개)`));
    });

    it('GIVEN a core failure THEN the person gets the apology in their language and the next command works', async () => {
      const service = app.core.persona;
      const original = service.persona.bind(service);
      service.persona = async () => {
        throw new RecoError('STORE_UNAVAILABLE', 'store down');
      };
      try {
        expect(await driver.command('persona')).toMatch(/can't reach my memory/);
      } finally {
        service.persona = original;
      }
      expect(await driver.command('persona')).toMatch(/ramen/);
    });

    it('GIVEN first contact THEN an interest picker; GIVEN two picks THEN they seed the person and the first list', async () => {
      const labels = await driver.firstContact();
      const counts = new Map<string, number>();
      for (const it of app.catalog.index.items) counts.set(it.category, (counts.get(it.category) ?? 0) + 1);
      const present = [...counts.keys()];
      expect(labels).toEqual(expect.arrayContaining(present));
      const picks = [...counts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 2)
        .map(([c]) => c);
      const items = await driver.pick(picks);
      expect(items.length).toBeGreaterThanOrEqual(3);
      const id = await app.core.users.findUserId(driver.platform, driver.newcomerId);
      const doc = (await app.core.users.get(id!))!;
      expect([...((doc.ext.onboarding as { categories?: string[] }).categories ?? [])].sort()).toEqual(
        [...picks].sort(),
      );
      const cats = items.map((i) => app.catalog.index.items[app.catalog.index.rowOf.get(i.itemId)!]!.category);
      // Two categories of the catalog's several: a list that ignored the picks would rarely hold three of them.
      expect(cats.filter((c) => picks.includes(c)).length).toBeGreaterThanOrEqual(Math.min(3, items.length));
    });

    it('GIVEN /mute of a source THEN across 200 random requests (topics, counts, more like this) none of its items is shown, and /filters lists it', async () => {
      // A loud source: fresh, popular items on every topic the catalog has, so it shows up unless muted.
      const loud = noisyItems(app.catalog.index.items);
      await app.catalog.upsert(loud);
      const ids = new Set(loud.map((i) => i.id));
      const before = await driver.recommendTopic('football', 5);
      expect(before.some((i) => ids.has(i.itemId))).toBe(true);
      expect(await driver.control('mute', 'source:rss:noisy')).toMatch(/Muted source rss:noisy/);
      expect(await driver.control('filters')).toMatch(/source rss:noisy/);
      const topics = ['football', 'ramen', 'ai', 'travel', 'music', 'games', 'news', '축구', '라면', 'rss'];
      let random = 12345;
      const next = (n: number) => ((random = (random * 1103515245 + 12345) % 2 ** 31), random % n);
      let last: ShownItem[] = before;
      let shown = 0;
      for (let i = 0; i < 200; i++) {
        const pick = last[next(Math.max(1, last.length))];
        const list =
          pick && next(4) === 0
            ? await driver.more(pick)
            : await driver.recommendTopic(topics[next(topics.length)]!, 1 + next(3));
        for (const it of list) expect(ids.has(it.itemId), `request ${i}: ${it.itemId}`).toBe(false);
        shown += list.length;
        if (list.length) last = list;
      }
      expect(shown).toBeGreaterThan(200);
      expect(await driver.control('unmute', 'source:rss:noisy')).toMatch(/Unmuted source rss:noisy/);
    }, 300_000); // 200 requests through a real client on a shared machine: bounded, not timed

    it('GIVEN "why?" on an item THEN the answer states the evidence behind the pick, in the person\'s language', async () => {
      const [first] = await driver.recommendTopic('ramen', 2);
      const text = await driver.why(first!);
      const item = app.catalog.index.items[app.catalog.index.rowOf.get(first!.itemId)!]!;
      expect(text).toContain(`Why "${item.title.slice(0, 40)}`);
      expect(text).toMatch(/Published \d+ (h|min|days) ago/);
      expect(text).toMatch(/It matches your topic: ramen|It mentions your interests: ramen/);
    });

    it('GIVEN /layout compact THEN a list goes out as one message carrying every item (mapped), and /layout cards restores one per item', async () => {
      expect(await driver.control('layout', 'compact')).toMatch(/compact/);
      const compact = await driver.recommendTopic('football', 3);
      expect(compact).toHaveLength(3);
      expect(await lastListMessages()).toHaveLength(1);
      const withIds = compact.filter((i) => i.messageId);
      if (withIds.length) expect(new Set(withIds.map((i) => i.messageId)).size).toBe(1);
      expect(await driver.control('layout', 'cards')).toMatch(/cards/);
      expect(await driver.recommendTopic('ramen', 3)).toHaveLength(3);
      expect(await lastListMessages()).toHaveLength(3);
    });

    it('GIVEN /forget THEN the store holds nothing of the person', async () => {
      const userId = (await userDoc())!.user.id;
      expect(await driver.forget()).toMatch(/forgotten everything/);
      for (const ns of ['users', 'identities', 'messages', 'impressions']) {
        for await (const k of app.store.keys(ns)) {
          const v = JSON.stringify(await app.store.get(ns, k));
          expect(`${k} ${v}`).not.toContain(userId);
        }
      }
      expect(await userDoc()).toBeUndefined();
    });
  });
}

/** Fresh, popular items of one source (`rss:noisy`) about every topic the catalog's items are about. */
function noisyItems(items: readonly ContentItem[]): ContentItem[] {
  return items.slice(0, 12).map((it, i) => ({
    ...it,
    id: `noisy-${i}`,
    url: `https://noisy.example.com/${i}`,
    canonicalUrl: `https://noisy.example.com/${i}`,
    title: `${it.title} (noisy take)`,
    source: 'rss:noisy',
    publishedAt: it.publishedAt,
    popularity: { views: 10_000_000 },
  }));
}
