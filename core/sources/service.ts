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
 * Parts: the stored sources and their subscribers (registry.ts), OPML export/import (opml-transfer.ts; the format
 * itself is opml.ts), the health line (health.ts, re-exported here).
 *
 * @example
 * const r = await sources.subscribe(actor, 'https://hnrss.org/frontpage', {});
 * r.status; // 'subscribed'
 */
import type { Category, Lang } from '../domain.js';
import { categoryName, t, type MessageKey } from '../messages.js';
import type { Clock, KeyValueStore, Logger } from '../ports.js';
import type { Actor, UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
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
import { chatSub, SourceRegistry, userSub } from './registry.js';
import { describeHealth } from './health.js';
import { exportOpmlFor, importOpmlNow, type OpmlContext } from './opml-transfer.js';

export { describeHealth } from './health.js';

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

const REFUSAL_KEYS: Record<ProbeRefusal, MessageKey> = {
  'bad-url': 'sources.badUrl',
  'blocked-address': 'sources.refused',
  unreachable: 'sources.unreachable',
  'not-a-source': 'sources.notSource',
};

export class SourcesService {
  /** The stored sources and this process's view of them. */
  private readonly registry: SourceRegistry;
  private readonly log: Logger;

  constructor(private readonly o: SourcesServiceOptions) {
    this.log = o.logger.child({ module: 'sources' });
    this.registry = new SourceRegistry(o);
  }

  /** The sources a chat follows (for the ranker; in memory, no store round trip). */
  readonly chatSources = (platform: string, chatId: string): readonly string[] =>
    this.registry.chatSources(platform, chatId);

  /** Reloads every source from the store (start-up, and what other processes changed) and hands them to the runtime. */
  sync(): Promise<number> {
    return this.registry.sync();
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
    if ((scope.chat ? await this.registry.chatList(scope.chat) : userSources(first.doc)).length >= limit)
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
      const current = scope.chat ? await this.registry.chatList(scope.chat) : userSources(session.doc);
      const known = this.registry.records.get(id);
      if (current.includes(id))
        return {
          status: 'already' as const,
          lang,
          ...(known ? { record: known } : {}),
          message: t(lang, 'sources.already', { title: known?.title ?? probed.title }),
        };
      if (current.length >= limit)
        return { status: 'quota' as const, lang, message: t(lang, 'sources.quota', { limit }) };
      if (!known && this.registry.records.size >= this.o.limits.total)
        return { status: 'full' as const, lang, message: t(lang, 'sources.full') };
      const subscriber = scope.chat ? chatSub(scope.chat) : userSub(session.userId);
      const record = await this.registry.addSubscriber(id, subscriber, () => ({
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
      if (scope.chat) await this.registry.setChatList(scope.chat, (ids) => [...ids, id]);
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
    const ids = scope.chat ? await this.registry.chatList(scope.chat) : userSources(session.doc);
    const records = await this.registry.load(ids);
    const id = this.match(ref, ids, records);
    if (!id) return { lang, message: t(lang, 'sources.notFound', { ref: Array.from(ref).slice(0, 80).join('') }) };
    const title = records.get(id)?.title ?? id;
    if (scope.chat) {
      const chat = scope.chat;
      await this.registry.setChatList(chat, (list) => list.filter((x) => x !== id));
      await this.registry.removeSubscriber(id, chatSub(chat));
    } else {
      await this.o.users.commit(session, (d) => {
        d.ext[EXT_SOURCES] = userSources(d).filter((x) => x !== id);
      });
      await this.registry.removeSubscriber(id, userSub(session.userId));
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

  /** `/sources`: each source with its health, numbered (the numbers `/unsubscribe` takes). */
  async list(
    actor: Actor,
    scope: SourceScope = {},
  ): Promise<SourcesReply & { sources: { record: SourceRecord; health: SourceHealthView }[] }> {
    const session = await this.o.users.open(actor);
    const lang = session.doc.user.lang;
    const ids = scope.chat ? await this.registry.chatList(scope.chat) : userSources(session.doc);
    if (ids.length === 0) return { lang, sources: [], message: t(lang, 'sources.none') };
    const records = await this.registry.load(ids);
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

  private opml(): OpmlContext {
    return { o: this.o, registry: this.registry, log: this.log };
  }

  async exportOpml(
    actor: Actor,
    scope: SourceScope = {},
  ): Promise<SourcesReply & { xml: string; count: number; filename: string }> {
    return exportOpmlFor(this.opml(), actor, scope);
  }

  /**
   * Imports an OPML file: each feed's address is checked by the guard (not fetched: the first scheduled fetch
   * reports its health), duplicates and what is over the quota are skipped, folders become categories where one
   * names a category. One write of the person's (or chat's) list at the end.
   */
  async importOpml(actor: Actor, xml: string, scope: SourceScope = {}): Promise<ImportResult> {
    return this.o.users.exclusive(actor, () => importOpmlNow(this.opml(), actor, xml, scope));
  }

  /** Fetches one source now (tests, and an operator's "refresh"); resolves when its items are in the catalog. */
  fetchNow(id: string): Promise<void> {
    return this.o.runtime.fetchNow(id);
  }

  /** `/forget`'s part: the person no longer subscribes to anything (sources nobody else follows go). */
  readonly forgetHook = async (userId: string, doc: UserDoc): Promise<void> => {
    for (const id of userSources(doc)) await this.registry.removeSubscriber(id, userSub(userId));
  };

  async close(): Promise<void> {
    await this.o.runtime.close();
  }
}
