/**
 * Bring your own sources: `/subscribe <url>` (an RSS/Atom feed, a YouTube channel, any page with OpenGraph
 * tags), `/unsubscribe`, `/sources` with each source's health, OPML import and export — for one person, or for
 * a chat (its admins decide; the adapters check who is an admin).
 *
 * - Every URL goes through the outbound address guard before anything is fetched (`SourceProbe`, implemented
 *   on scrapers/net-guard.ts): a private, loopback or link-local address is refused with a clear message.
 * - Quotas: per person, per chat, and for the whole bot (SOURCES_MAX_*).
 * - Subscribed sources feed the shared catalog through the scraper pipeline (`SourceRuntime`): every
 *   subscriber sees the items, and the subscribers' lists get a small boost for them (the ranker reads a
 *   person's subscriptions from their document, a chat's from `chatSources`).
 * - State: a person's source ids in their document (`ext.sources`, read with the document: no extra round trip
 *   when ranking); a chat's in `chat:<platform>:<chatId>`; each source once, `src:<id>`, with its subscribers —
 *   taken under a store lock, so two people subscribing at once are both kept. A source nobody follows any more
 *   is deleted and no longer fetched (its items age out of the catalog like any scraped item).
 *
 * @example
 * const r = await sources.subscribe(actor, 'https://hnrss.org/frontpage', {});
 * r.status; // 'subscribed'
 */
import type { Category, Lang } from '../domain.js';
import { formatAge } from '../explain.js';
import { categoryName, t, type MessageKey } from '../messages.js';
import type { Clock, KeyValueStore, Logger, StoreWrite } from '../ports.js';
import { categoryOfTopic } from '../recommend/topic-category.js';
import { storeCall } from '../store/call.js';
import { withStoreLock } from '../store/lock.js';
import { NS_SOURCES } from '../store/namespaces.js';
import type { Actor, UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
import { buildOpml, parseOpml, type OpmlExportEntry } from './opml.js';
import { normalizeSourceUrl, sourceIdOf } from './source-id.js';
import {
  EXT_SOURCES,
  userSources,
  type ChatRef,
  type ProbeRefusal,
  type SourceHealthView,
  type SourceProbe,
  type SourceRecord,
  type SourceRuntime,
} from './types.js';

export interface SourceLimits {
  perUser: number;
  perChat: number;
  total: number;
  opmlMaxBytes: number;
}

export interface SourcesServiceOptions {
  store: KeyValueStore;
  users: UserRepository;
  probe: SourceProbe;
  runtime: SourceRuntime;
  limits: SourceLimits;
  clock: Clock;
  logger: Logger;
}

/** Where a command acts: the person's own list, or a chat's (the adapter checked the person is its admin). */
export interface SourceScope {
  chat?: ChatRef;
  /** A category for what the source brings (default: from the OPML folder, else news). */
  category?: Category;
}

export type SubscribeStatus = 'subscribed' | 'already' | 'quota' | 'full' | 'invalid' | 'refused';

export interface SourcesReply {
  lang: Lang;
  message: string;
}

export interface ImportResult extends SourcesReply {
  /** Source ids added. */
  added: string[];
  /** Feeds and pages the file listed. */
  total: number;
  skipped: { duplicate: number; refused: number; invalid: number; quota: number };
}

const srcKey = (id: string) => `src:${id}`;
/** Spacing of the first fetches of an OPML import's sources. */
const IMPORT_STAGGER_MS = 3_000;
const chatKey = (c: ChatRef) => `chat:${c.platform}:${c.chatId}`;
const userSub = (userId: string) => `user:${userId}`;
const chatSub = (c: ChatRef) => `chat:${c.platform}:${c.chatId}`;
const REFUSAL_KEYS: Record<ProbeRefusal, MessageKey> = {
  'bad-url': 'sources.badUrl',
  'blocked-address': 'sources.refused',
  unreachable: 'sources.unreachable',
  'not-a-source': 'sources.notSource',
};

export class SourcesService {
  /** Every stored source (kept in step by this process's changes and `sync`). */
  private readonly records = new Map<string, SourceRecord>();
  /** `platform:chatId` → the chat's source ids (the ranker's boost for lists in that chat). */
  private readonly chats = new Map<string, string[]>();
  private readonly log: Logger;

  constructor(private readonly o: SourcesServiceOptions) {
    this.log = o.logger.child({ module: 'sources' });
  }

  /** The sources a chat follows (for the ranker; in memory, no store round trip). */
  readonly chatSources = (platform: string, chatId: string): readonly string[] =>
    this.chats.get(`${platform}:${chatId}`) ?? [];

  /** Reloads every source from the store (start-up, and what other processes changed) and hands them to the runtime. */
  async sync(): Promise<number> {
    const keys: string[] = [];
    for await (const k of this.o.store.keys(NS_SOURCES)) if (k.startsWith('src:')) keys.push(k);
    const values = keys.length ? await storeCall(() => this.o.store.getMany<SourceRecord>(NS_SOURCES, keys)) : [];
    this.records.clear();
    this.chats.clear();
    for (const r of values) if (r && r.subscribers.length > 0) this.remember(r);
    this.o.runtime.sync([...this.records.values()]);
    return this.records.size;
  }

  private remember(r: SourceRecord): void {
    this.records.set(r.id, r);
    for (const [key, ids] of this.chats) {
      const i = ids.indexOf(r.id);
      if (i >= 0 && !r.subscribers.includes(`chat:${key}`)) ids.splice(i, 1);
    }
    for (const s of r.subscribers) {
      if (!s.startsWith('chat:')) continue;
      const key = s.slice('chat:'.length);
      const ids = this.chats.get(key) ?? [];
      if (!ids.includes(r.id)) ids.push(r.id);
      this.chats.set(key, ids);
    }
  }

  private forgetRecord(id: string): void {
    this.records.delete(id);
    for (const ids of this.chats.values()) {
      const i = ids.indexOf(id);
      if (i >= 0) ids.splice(i, 1);
    }
  }

  // ------------------------------------------------------------------ subscribe

  async subscribe(
    actor: Actor,
    input: string,
    scope: SourceScope = {},
  ): Promise<SourcesReply & { status: SubscribeStatus; record?: SourceRecord }> {
    const first = await this.o.users.open(actor);
    const lang = first.doc.user.lang;
    const url = normalizeSourceUrl(input);
    if (!url) {
      const shown = Array.from(input.trim()).slice(0, 80).join('');
      return { status: 'invalid', lang, message: t(lang, 'sources.badUrl', { input: shown }) };
    }
    const limit = scope.chat ? this.o.limits.perChat : this.o.limits.perUser;
    if ((scope.chat ? await this.chatList(scope.chat) : userSources(first.doc)).length >= limit)
      return { status: 'quota', lang, message: t(lang, 'sources.quota', { limit }) };
    // The probe fetches (seconds, at worst the scrape timeout): outside the person's exclusive section.
    const probed = await this.o.probe.probe(url);
    if (!probed.ok) {
      this.log.info({ url, reason: probed.reason, detail: probed.detail }, '/subscribe refused');
      return {
        status: probed.reason === 'blocked-address' || probed.reason === 'bad-url' ? 'refused' : 'invalid',
        lang,
        message: t(lang, REFUSAL_KEYS[probed.reason], { url, detail: probed.detail, input: url }),
      };
    }
    const id = sourceIdOf(probed.kind, probed.url);
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor);
      const current = scope.chat ? await this.chatList(scope.chat) : userSources(session.doc);
      const known = this.records.get(id);
      if (current.includes(id))
        return {
          status: 'already' as const,
          lang,
          ...(known ? { record: known } : {}),
          message: t(lang, 'sources.already', { title: known?.title ?? probed.title }),
        };
      if (current.length >= limit)
        return { status: 'quota' as const, lang, message: t(lang, 'sources.quota', { limit }) };
      if (!known && this.records.size >= this.o.limits.total)
        return { status: 'full' as const, lang, message: t(lang, 'sources.full') };
      const subscriber = scope.chat ? chatSub(scope.chat) : userSub(session.userId);
      const record = await this.addSubscriber(id, subscriber, () => ({
        id,
        kind: probed.kind,
        url: probed.url,
        title: probed.title,
        ...(probed.htmlUrl ? { htmlUrl: probed.htmlUrl } : {}),
        ...(probed.youtube ? { youtube: true } : {}),
        ...(scope.category ? { category: scope.category } : {}),
        ...(probed.lang ? { lang: probed.lang } : {}),
        addedAt: this.o.clock.now().toISOString(),
        subscribers: [],
      }));
      if (scope.chat) await this.setChatList(scope.chat, (ids) => [...ids, id]);
      else
        await this.o.users.commit(session, (d) => {
          d.ext[EXT_SOURCES] = [...new Set([...userSources(d), id])];
        });
      this.log.info({ source: id, scope: scope.chat ? 'chat' : 'user' }, 'source subscribed');
      return {
        status: 'subscribed' as const,
        lang,
        record,
        message: t(lang, scope.chat ? 'sources.subscribedChat' : 'sources.subscribed', {
          title: record.title,
          url: record.htmlUrl ?? record.url,
        }),
      };
    });
  }

  /** Adds a subscriber to a source (creating it), under the source's lock; starts fetching a new one. */
  private async addSubscriber(
    id: string,
    subscriber: string,
    make: () => SourceRecord,
    firstFetchMs = 0,
  ): Promise<SourceRecord> {
    const record = await withStoreLock(this.o.store, `sources:${id}`, { ttlMs: 10_000 }, async () => {
      const stored = await storeCall(() => this.o.store.get<SourceRecord>(NS_SOURCES, srcKey(id)));
      const r = stored ?? make();
      if (!r.subscribers.includes(subscriber)) r.subscribers = [...r.subscribers, subscriber];
      await storeCall(() => this.o.store.set(NS_SOURCES, srcKey(id), r));
      return r;
    });
    const isNew = !this.records.has(id);
    this.remember(record);
    if (isNew) this.o.runtime.add(record, firstFetchMs);
    return record;
  }

  /** Removes a subscriber; a source nobody follows is deleted and no longer fetched. */
  private async removeSubscriber(id: string, subscriber: string): Promise<SourceRecord | undefined> {
    const result = await withStoreLock(this.o.store, `sources:${id}`, { ttlMs: 10_000 }, async () => {
      const r = await storeCall(() => this.o.store.get<SourceRecord>(NS_SOURCES, srcKey(id)));
      if (!r) return undefined;
      r.subscribers = r.subscribers.filter((s) => s !== subscriber);
      if (r.subscribers.length === 0) await storeCall(() => this.o.store.delete(NS_SOURCES, srcKey(id)));
      else await storeCall(() => this.o.store.set(NS_SOURCES, srcKey(id), r));
      return r;
    });
    if (result && result.subscribers.length > 0) this.remember(result);
    else {
      this.forgetRecord(id);
      this.o.runtime.remove(id);
    }
    return result;
  }

  private async chatList(chat: ChatRef): Promise<string[]> {
    return (await storeCall(() => this.o.store.get<string[]>(NS_SOURCES, chatKey(chat)))) ?? [];
  }

  private async setChatList(chat: ChatRef, change: (ids: string[]) => string[]): Promise<string[]> {
    return withStoreLock(this.o.store, `sources:${chatKey(chat)}`, { ttlMs: 10_000 }, async () => {
      const next = [...new Set(change(await this.chatList(chat)))];
      const w: StoreWrite =
        next.length > 0
          ? { op: 'set', ns: NS_SOURCES, key: chatKey(chat), value: next }
          : { op: 'delete', ns: NS_SOURCES, key: chatKey(chat) };
      await storeCall(() => this.o.store.writeBatch([w]));
      return next;
    });
  }

  // ------------------------------------------------------------------ unsubscribe, list

  /** `ref`: a number from `/sources`, an address, a source id or (part of) a title. */
  async unsubscribe(actor: Actor, ref: string, scope: SourceScope = {}): Promise<SourcesReply & { removed?: string }> {
    return this.o.users.exclusive(actor, () => this.unsubscribeNow(actor, ref, scope));
  }

  private async unsubscribeNow(
    actor: Actor,
    ref: string,
    scope: SourceScope,
  ): Promise<SourcesReply & { removed?: string }> {
    const session = await this.o.users.open(actor);
    const lang = session.doc.user.lang;
    const ids = scope.chat ? await this.chatList(scope.chat) : userSources(session.doc);
    const records = await this.load(ids);
    const id = this.match(ref, ids, records);
    if (!id) return { lang, message: t(lang, 'sources.notFound', { ref: Array.from(ref).slice(0, 80).join('') }) };
    const title = records.get(id)?.title ?? id;
    if (scope.chat) {
      const chat = scope.chat;
      await this.setChatList(chat, (list) => list.filter((x) => x !== id));
      await this.removeSubscriber(id, chatSub(chat));
    } else {
      await this.o.users.commit(session, (d) => {
        d.ext[EXT_SOURCES] = userSources(d).filter((x) => x !== id);
      });
      await this.removeSubscriber(id, userSub(session.userId));
    }
    return { lang, removed: id, message: t(lang, 'sources.removed', { title }) };
  }

  private match(ref: string, ids: readonly string[], records: Map<string, SourceRecord>): string | undefined {
    const r = ref.trim();
    if (/^\d{1,4}$/.test(r)) return ids[Number(r) - 1];
    if (ids.includes(r)) return r;
    const url = normalizeSourceUrl(r);
    if (url) {
      const byUrl = ids.find((id) => {
        const rec = records.get(id);
        return (
          id === sourceIdOf('feed', url) ||
          id === sourceIdOf('page', url) ||
          (rec?.htmlUrl !== undefined && normalizeSourceUrl(rec.htmlUrl) === url)
        );
      });
      if (byUrl) return byUrl;
    }
    const q = r.toLowerCase();
    const byTitle = ids.filter((id) => (records.get(id)?.title ?? '').toLowerCase().includes(q));
    return byTitle.length === 1 ? byTitle[0] : ids.find((id) => records.get(id)?.title.toLowerCase() === q);
  }

  private async load(ids: readonly string[]): Promise<Map<string, SourceRecord>> {
    const out = new Map<string, SourceRecord>();
    const missing = ids.filter((id) => !this.records.has(id));
    for (const id of ids) {
      const r = this.records.get(id);
      if (r) out.set(id, r);
    }
    if (missing.length) {
      const got = await storeCall(() => this.o.store.getMany<SourceRecord>(NS_SOURCES, missing.map(srcKey)));
      got.forEach((r, i) => r && out.set(missing[i]!, r));
    }
    return out;
  }

  /** `/sources`: each source with its health, numbered (the numbers `/unsubscribe` takes). */
  async list(
    actor: Actor,
    scope: SourceScope = {},
  ): Promise<SourcesReply & { sources: { record: SourceRecord; health: SourceHealthView }[] }> {
    const session = await this.o.users.open(actor);
    const lang = session.doc.user.lang;
    const ids = scope.chat ? await this.chatList(scope.chat) : userSources(session.doc);
    if (ids.length === 0) return { lang, sources: [], message: t(lang, 'sources.none') };
    const records = await this.load(ids);
    const health = await this.o.runtime.health(ids);
    const now = this.o.clock.now();
    const sources = ids
      .map((id) => ({ record: records.get(id), health: health.get(id) ?? { status: 'never' as const } }))
      .filter((x): x is { record: SourceRecord; health: SourceHealthView } => x.record !== undefined);
    const limit = scope.chat ? this.o.limits.perChat : this.o.limits.perUser;
    const lines = [t(lang, scope.chat ? 'sources.headerChat' : 'sources.header', { n: sources.length, limit })];
    sources.forEach(({ record, health: h }, i) => {
      const what = [
        record.youtube ? t(lang, 'sources.youtube') : '',
        record.category ? categoryName(record.category, lang) : '',
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(`${i + 1}. ${record.title}${what ? ` (${what})` : ''} — ${record.htmlUrl ?? record.url}`);
      lines.push(`   ${describeHealth(h, lang, now)}`);
    });
    return { lang, sources, message: lines.join('\n') };
  }

  // ------------------------------------------------------------------ OPML

  async exportOpml(
    actor: Actor,
    scope: SourceScope = {},
  ): Promise<SourcesReply & { xml: string; count: number; filename: string }> {
    const session = await this.o.users.open(actor);
    const lang = session.doc.user.lang;
    const ids = scope.chat ? await this.chatList(scope.chat) : userSources(session.doc);
    const records = await this.load(ids);
    const entries: OpmlExportEntry[] = ids
      .map((id) => records.get(id))
      .filter((r): r is SourceRecord => r !== undefined)
      .map((r) => ({
        title: r.title,
        kind: r.kind,
        url: r.url,
        ...(r.htmlUrl ? { htmlUrl: r.htmlUrl } : {}),
        ...(r.category ? { folder: categoryName(r.category, 'en') } : {}),
      }));
    const who = actor.displayName ?? session.doc.user.identities[0]?.displayName ?? 'DEEP-RECO';
    const xml = buildOpml({ title: `${who} subscriptions in DEEP-RECO`, dateCreated: this.o.clock.now(), entries });
    return {
      lang,
      xml,
      count: entries.length,
      filename: 'deep-reco-sources.opml',
      message: t(lang, 'sources.exported', { n: entries.length }),
    };
  }

  /**
   * Imports an OPML file: each feed's address is checked by the guard (not fetched: the first scheduled fetch
   * reports its health), duplicates and what is over the quota are skipped, folders become categories where one
   * names a category. One write of the person's (or chat's) list at the end.
   */
  async importOpml(actor: Actor, xml: string, scope: SourceScope = {}): Promise<ImportResult> {
    return this.o.users.exclusive(actor, () => this.importNow(actor, xml, scope));
  }

  private async importNow(actor: Actor, xml: string, scope: SourceScope): Promise<ImportResult> {
    const session = await this.o.users.open(actor);
    const lang = session.doc.user.lang;
    const skipped = { duplicate: 0, refused: 0, invalid: 0, quota: 0 };
    const fail = (message: string) => ({ lang, message, added: [], total: 0, skipped });
    if (Buffer.byteLength(xml, 'utf8') > this.o.limits.opmlMaxBytes)
      return fail(t(lang, 'sources.opmlTooBig', { max: Math.round(this.o.limits.opmlMaxBytes / 1000) }));
    let doc;
    try {
      doc = parseOpml(xml);
    } catch (e) {
      return fail(t(lang, 'sources.opmlBad', { detail: (e as Error).message.slice(0, 120) }));
    }
    const current = scope.chat ? await this.chatList(scope.chat) : userSources(session.doc);
    const limit = scope.chat ? this.o.limits.perChat : this.o.limits.perUser;
    const have = new Set(current);
    const added: string[] = [];
    const subscriber = scope.chat ? chatSub(scope.chat) : userSub(session.userId);
    for (const entry of doc.entries) {
      const url = normalizeSourceUrl(entry.url);
      if (!url) {
        skipped.invalid++;
        continue;
      }
      const id = sourceIdOf(entry.kind, url);
      if (have.has(id)) {
        skipped.duplicate++;
        continue;
      }
      if (have.size >= limit || (!this.records.has(id) && this.records.size >= this.o.limits.total)) {
        skipped.quota++;
        continue;
      }
      const checked = await this.o.probe.check(url);
      if (!checked.ok) {
        if (checked.reason === 'bad-url') skipped.invalid++;
        else skipped.refused++;
        continue;
      }
      const category = scope.category ?? categoryOf(entry.categories);
      const host = new URL(url).hostname.replace(/^www\./, '');
      await this.addSubscriber(
        id,
        subscriber,
        () => ({
          id,
          kind: entry.kind,
          url,
          title: entry.title?.trim() || host,
          ...(entry.htmlUrl && normalizeSourceUrl(entry.htmlUrl)
            ? { htmlUrl: normalizeSourceUrl(entry.htmlUrl)! }
            : {}),
          ...(/(^|\.)youtube\.com$/.test(host) && /channel_id=/.test(url) ? { youtube: true } : {}),
          ...(category ? { category } : {}),
          addedAt: this.o.clock.now().toISOString(),
          subscribers: [],
        }),
        IMPORT_STAGGER_MS * added.length, // an import of hundreds of feeds does not fetch them all at once
      );
      have.add(id);
      added.push(id);
    }
    if (added.length > 0) {
      if (scope.chat) await this.setChatList(scope.chat, (ids) => [...ids, ...added]);
      else
        await this.o.users.commit(session, (d) => {
          d.ext[EXT_SOURCES] = [...new Set([...userSources(d), ...added])];
        });
    }
    const parts = (
      [
        ['duplicate', 'sources.skip.duplicate'],
        ['refused', 'sources.skip.refused'],
        ['invalid', 'sources.skip.invalid'],
        ['quota', 'sources.skip.quota'],
      ] as const
    )
      .filter(([k]) => skipped[k] > 0)
      .map(([k, key]) => t(lang, key, { n: skipped[k], limit }));
    const message = [
      t(lang, 'sources.imported', { added: added.length, total: doc.entries.length }),
      ...(parts.length ? [t(lang, 'sources.skipped', { list: parts.join(', ') })] : []),
    ].join(' ');
    this.log.info({ added: added.length, total: doc.entries.length, skipped }, 'OPML imported');
    return { lang, message, added, total: doc.entries.length, skipped };
  }

  /** Fetches one source now (tests, and an operator's "refresh"); resolves when its items are in the catalog. */
  fetchNow(id: string): Promise<void> {
    return this.o.runtime.fetchNow(id);
  }

  /** `/forget`'s part: the person no longer subscribes to anything (sources nobody else follows go). */
  readonly forgetHook = async (userId: string, doc: UserDoc): Promise<void> => {
    for (const id of userSources(doc)) await this.removeSubscriber(id, userSub(userId));
  };

  async close(): Promise<void> {
    await this.o.runtime.close();
  }
}

/** The first folder or category attribute that names one of ours ("Tech", "스포츠", "/News/World"). */
function categoryOf(names: readonly string[]): Category | undefined {
  for (const n of names) {
    const c = categoryOfTopic(n);
    if (c) return c;
  }
  return undefined;
}

/** One line of health, in the person's language. */
export function describeHealth(h: SourceHealthView, lang: Lang, now: Date): string {
  const ago = (iso: string | undefined) =>
    iso ? formatAge(Math.max(0, now.getTime() - Date.parse(iso)) / 3_600_000, lang) : '—';
  const parts: string[] = [];
  if (h.status === 'never') return t(lang, 'sources.health.never');
  if (h.status === 'failing')
    parts.push(t(lang, 'sources.health.failing', { ago: ago(h.failingSince ?? h.lastFetchedAt) }));
  else if (h.status === 'degraded') parts.push(t(lang, 'sources.health.degraded', { ago: ago(h.lastFetchedAt) }));
  else parts.push(t(lang, 'sources.health.ok', { ago: ago(h.lastFetchedAt) }));
  if (h.condition === 'layout-changed') parts.push(t(lang, 'sources.health.layout'));
  else if (h.condition === 'blocked') parts.push(t(lang, 'sources.health.blocked'));
  else if (h.condition === 'empty') parts.push(t(lang, 'sources.health.empty'));
  else if (h.condition === 'login-wall') parts.push(t(lang, 'sources.health.loginWall'));
  if (h.status === 'ok' && h.itemsNew) parts.push(t(lang, 'sources.health.new', { n: h.itemsNew }));
  if (h.status !== 'ok' && h.error) parts.push(h.error);
  return parts.join(' · ');
}
