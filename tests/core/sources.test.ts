/**
 * SourcesService (core/sources) with a table probe and a recording runtime: OPML round trip on a real-world
 * export shape (tests/fixtures/sources/feedly-export.opml, its source in its header), quotas, refusals, shared
 * sources, health lines, /forget.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../app/compose.js';
import { NS_SOURCES } from '../../core/store/namespaces.js';
import { parseOpml } from '../../core/sources/opml.js';
import { SourcesService, describeHealth } from '../../core/sources/service.js';
import { normalizeSourceUrl, sourceIdOf } from '../../core/sources/source-id.js';
import type {
  ProbeResult,
  SourceHealthView,
  SourceProbe,
  SourceRecord,
  SourceRuntime,
} from '../../core/sources/types.js';
import { userSources } from '../../core/sources/types.js';
import type { Actor } from '../../core/users/doc.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { TestClock, makeApp } from '../helpers/telegram-app.js';

const OPML = readFileSync('tests/fixtures/sources/feedly-export.opml', 'utf8');
const alice: Actor = { platform: 'telegram', externalId: '1', displayName: 'alice' };
const bob: Actor = { platform: 'discord', externalId: '2', displayName: 'bob' };

/** Private-looking hosts are refused, like the address guard does; every other URL is a feed titled by its host. */
class TableProbe implements SourceProbe {
  readonly probed: string[] = [];
  async check(url: string) {
    return /^https?:\/\/(10\.|127\.|169\.254\.|192\.168\.)/.test(url)
      ? {
          ok: false as const,
          reason: 'blocked-address' as const,
          detail: `${new URL(url).hostname} is a private address`,
        }
      : { ok: true as const };
  }
  async probe(url: string): Promise<ProbeResult> {
    this.probed.push(url);
    const c = await this.check(url);
    if (!c.ok) return c;
    if (url.includes('/missing')) return { ok: false, reason: 'unreachable', detail: 'HTTP 404' };
    const host = new URL(url).hostname;
    return url.includes('/page')
      ? { ok: true, kind: 'page', url, title: `Page ${host}` }
      : { ok: true, kind: 'feed', url, title: `Feed ${host}` };
  }
}

class RecordingRuntime implements SourceRuntime {
  readonly running = new Map<string, SourceRecord>();
  readonly removed: string[] = [];
  readonly health = async (ids: readonly string[]) =>
    new Map(ids.map((id) => [id, this.states.get(id) ?? ({ status: 'never' } as SourceHealthView)]));
  readonly states = new Map<string, SourceHealthView>();
  sync(records: readonly SourceRecord[]) {
    for (const r of records) this.running.set(r.id, r);
  }
  add(r: SourceRecord) {
    this.running.set(r.id, r);
  }
  remove(id: string) {
    this.running.delete(id);
    this.removed.push(id);
  }
  async fetchNow() {}
  async close() {}
}

describe('own sources (core)', () => {
  let app: App;
  let clock: TestClock;
  let probe: TableProbe;
  let runtime: RecordingRuntime;
  let sources: SourcesService;
  const make = (limits: Partial<{ perUser: number; perChat: number; total: number; opmlMaxBytes: number }> = {}) =>
    new SourcesService({
      store: app.store,
      users: app.core.users,
      probe,
      runtime,
      limits: { perUser: 20, perChat: 50, total: 1000, opmlMaxBytes: 1_000_000, ...limits },
      clock,
      logger: app.logger,
    });

  beforeEach(async () => {
    clock = new TestClock(new Date('2026-03-10T00:00:00Z'));
    app = await makeApp({ store: new MemoryStore(), clock });
    probe = new TableProbe();
    runtime = new RecordingRuntime();
    sources = make();
  });
  afterEach(async () => app.close());

  const docOf = async (a: Actor) => app.core.users.get((await app.core.users.findUserId(a.platform, a.externalId))!);

  describe('OPML', () => {
    it('GIVEN a real-world export (nested folders, attributes in any order, missing titles, category attribute, lower-case names) THEN every feed is read with its folders', () => {
      const doc = parseOpml(OPML);
      expect(doc.title).toBe('Feedly订阅');
      expect(doc.entries).toHaveLength(18);
      const by = (url: string) => doc.entries.find((e) => e.url === url)!;
      expect(by('https://rsshub.app/juejin/category/backend')).toMatchObject({
        title: '掘金后端',
        categories: ['技术'],
      });
      expect(by('https://www.bloter.net/rss/allArticle.xml').categories).toEqual(['Tech', 'Korean IT']);
      expect(by('https://feeds.bbci.co.uk/sport/rss.xml').title).toBeUndefined();
      expect(by('https://www.bonappetit.com/feed/rss').categories).toEqual(['Food', 'Recipes', 'Magazines']);
      expect(by('https://www.nasa.gov/rss/dyn/breaking_news.rss').htmlUrl).toBe('https://www.nasa.gov/');
      expect(by('https://www.visitjeju.net/en').kind).toBe('page');
      expect(
        by('https://www.google.com/alerts/feeds/05173895962631213926/13998870638330076372').htmlUrl,
      ).toBeUndefined();
    });

    it('GIVEN the export imported THEN duplicates, private and non-web addresses are skipped; exported and re-imported THEN the same sources come back', async () => {
      const r = await sources.importOpml(alice, OPML);
      expect(r.total).toBe(18);
      expect(r.skipped).toEqual({ duplicate: 1, refused: 1, invalid: 1, quota: 0 });
      expect(r.added).toHaveLength(15);
      expect(r.message).toMatch(/Imported 15 of 18/);
      expect(r.message).toMatch(/1 already followed/);
      expect(r.message).toMatch(/1 refused/);
      expect(probe.probed).toEqual([]); // an import checks addresses, it does not fetch 15 sites
      const mine = userSources((await docOf(alice))!);
      expect(new Set(mine)).toEqual(new Set(r.added));
      const record = async (url: string, kind: 'feed' | 'page' = 'feed') =>
        app.store.get<SourceRecord>(NS_SOURCES, `src:${sourceIdOf(kind, url)}`);
      expect(await record('https://feeds.bbci.co.uk/sport/rss.xml')).toMatchObject({ title: 'feeds.bbci.co.uk' });
      expect((await record('https://www.bloter.net/rss/allArticle.xml'))?.category).toBe('tech');
      expect((await record('https://www.bonappetit.com/feed/rss'))?.category).toBe('food');
      expect((await record('https://www.visitjeju.net/en', 'page'))?.kind).toBe('page');
      expect(runtime.running.size).toBe(15);

      const out = await sources.exportOpml(alice);
      expect(out.count).toBe(15);
      const again = parseOpml(out.xml);
      const norm = (e: { kind: string; url: string }) => `${e.kind} ${normalizeSourceUrl(e.url)}`;
      const imported = parseOpml(OPML)
        .entries.filter((e) => !/10\.0\.0\.7|javascript/.test(e.url))
        .map(norm);
      expect(new Set(again.entries.map(norm))).toEqual(new Set(imported));
      expect(again.entries.find((e) => e.url.includes('bloter'))!.categories).toEqual(['tech']);
      expect(again.entries.find((e) => e.url.includes('juejin'))!.title).toBe('掘金后端');

      // Another person imports that export: the same sources, now shared.
      const back = await sources.importOpml(bob, out.xml);
      expect(back.added.sort()).toEqual([...r.added].sort());
      const shared = await record('https://news.ycombinator.com/rss');
      expect(shared?.subscribers).toHaveLength(2);
    });

    it('GIVEN an import over the quota THEN it stops at the limit and says how many were left out', async () => {
      sources = make({ perUser: 10 });
      const r = await sources.importOpml(alice, OPML);
      expect(r.added).toHaveLength(10);
      // The 5 valid feeds left, and the private one after them (never looked up once the list is full).
      expect(r.skipped.quota).toBe(6);
      expect(r.message).toMatch(/6 over the limit of 10/);
    });

    it('GIVEN a hostile or broken file THEN a clear answer and nothing stored', async () => {
      const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><opml><body><outline xmlUrl="&lol2;"/></body></opml>`;
      expect((await sources.importOpml(alice, bomb)).message).toMatch(/not an OPML subscription list/);
      expect((await sources.importOpml(alice, '<html><body>hi</body></html>')).message).toMatch(/not an OPML/);
      sources = make({ opmlMaxBytes: 1000 });
      expect((await sources.importOpml(alice, OPML)).message).toMatch(/too large/);
      expect(runtime.running.size).toBe(0);
    });
  });

  describe('subscribe / unsubscribe / sources', () => {
    it('GIVEN a private address THEN it is refused with the reason, nothing stored or fetched', async () => {
      const r = await sources.subscribe(alice, 'http://10.1.2.3/feed.xml');
      expect(r.status).toBe('refused');
      expect(r.message).toMatch(/10\.1\.2\.3 is a private address/);
      expect(runtime.running.size).toBe(0);
      expect(await app.core.users.findUserId('telegram', '1')).toBeUndefined(); // not even a user document
    });

    it('GIVEN two people subscribing to one feed THEN one source with two subscribers; it stops when the last one leaves', async () => {
      const a = await sources.subscribe(alice, 'example.com/feed.xml');
      expect(a.status).toBe('subscribed');
      expect(a.message).toMatch(/Subscribed to Feed example\.com/);
      expect((await sources.subscribe(alice, 'https://example.com/feed.xml')).status).toBe('already');
      expect((await sources.subscribe(bob, 'http://www.example.com/feed.xml')).status).toBe('subscribed');
      const id = a.record!.id;
      expect(id).toBe('rss:example.com/feed.xml');
      expect((await app.store.get<SourceRecord>(NS_SOURCES, `src:${id}`))!.subscribers).toHaveLength(2);
      expect((await sources.unsubscribe(alice, '1')).message).toMatch(/Unsubscribed from Feed example\.com/);
      expect(runtime.running.has(id)).toBe(true);
      expect((await sources.unsubscribe(bob, 'https://example.com/feed.xml')).removed).toBe(id);
      expect(runtime.removed).toEqual([id]);
      expect(await app.store.get(NS_SOURCES, `src:${id}`)).toBeUndefined();
      expect((await sources.unsubscribe(bob, '1')).message).toMatch(/No source of yours matches/);
    });

    it('GIVEN the quota reached THEN the next subscription is refused before anything is fetched', async () => {
      sources = make({ perUser: 2 });
      await sources.subscribe(alice, 'https://a.example/feed');
      await sources.subscribe(alice, 'https://b.example/feed');
      const before = probe.probed.length;
      const r = await sources.subscribe(alice, 'https://c.example/feed');
      expect(r.status).toBe('quota');
      expect(probe.probed.length).toBe(before);
    });

    it('GIVEN sources in several states THEN /sources numbers them with their health', async () => {
      await sources.subscribe(alice, 'https://a.example/feed');
      await sources.subscribe(alice, 'https://b.example/page');
      await sources.subscribe(alice, 'https://c.example/feed');
      await sources.subscribe(alice, 'https://d.example/feed');
      const hour = (h: number) => new Date(clock.now().getTime() - h * 3_600_000).toISOString();
      runtime.states.set('rss:a.example/feed', { status: 'ok', lastFetchedAt: hour(0.5), itemsNew: 3 });
      runtime.states.set('og:b.example/page', {
        status: 'failing',
        lastFetchedAt: hour(1),
        failingSince: hour(5),
        error: 'HTTP 4XX',
      });
      runtime.states.set('rss:c.example/feed', {
        status: 'failing',
        lastFetchedAt: hour(2),
        failingSince: hour(2),
        condition: 'layout-changed',
      });
      const text = (await sources.list(alice)).message;
      const lines = text.split('\n');
      expect(lines[0]).toBe('Your sources (4 of 20):');
      expect(lines[1]).toBe('1. Feed a.example — https://a.example/feed');
      expect(lines[2]).toMatch(/✓ last fetched 30 min ago · 3 new/);
      expect(lines[4]).toMatch(/✗ failing since 5 h ago · HTTP 4XX/);
      expect(lines[6]).toMatch(/⚠ layout changed/);
      expect(lines[8]).toMatch(/not fetched yet/);
      expect(describeHealth({ status: 'failing', failingSince: hour(26) }, 'ko', clock.now())).toMatch(
        /26시간 전부터 실패 중/,
      );
    });

    it('GIVEN a chat subscription THEN the chat lists it and the ranker sees it for that chat only', async () => {
      const chat = { platform: 'telegram' as const, chatId: '-100' };
      const r = await sources.subscribe(alice, 'https://club.example/feed', { chat });
      expect(r.message).toMatch(/This chat now follows/);
      expect(sources.chatSources('telegram', '-100')).toEqual([r.record!.id]);
      expect(sources.chatSources('telegram', '-200')).toEqual([]);
      expect((await sources.list(bob, { chat })).message).toMatch(/This chat's sources \(1 of 50\)/);
      expect(await app.core.users.findUserId('telegram', '1')).toBeUndefined(); // a chat's, not alice's
      // Another process starting later sees it too.
      const other = make();
      await other.sync();
      expect(other.chatSources('telegram', '-100')).toEqual([r.record!.id]);
    });

    it('GIVEN /forget THEN the person subscribes to nothing and a source only they followed is gone', async () => {
      app.core.forget.onForget(sources.forgetHook);
      const only = (await sources.subscribe(alice, 'https://solo.example/feed')).record!.id;
      const shared = (await sources.subscribe(alice, 'https://shared.example/feed')).record!.id;
      await sources.subscribe(bob, 'https://shared.example/feed');
      const aliceId = (await app.core.users.findUserId('telegram', '1'))!;
      await app.core.forget.forget(alice);
      expect(await app.store.get(NS_SOURCES, `src:${only}`)).toBeUndefined();
      const rest = await app.store.get<SourceRecord>(NS_SOURCES, `src:${shared}`);
      expect(rest!.subscribers.some((s) => s.includes(aliceId))).toBe(false);
      expect(rest!.subscribers).toHaveLength(1);
    });
  });
});
