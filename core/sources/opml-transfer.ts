/**
 * OPML export and import of a person's (or a chat's) sources: the export lists them with their category as the
 * folder; the import checks each feed's address with the guard, skips duplicates and what is over the quota, and
 * staggers the first fetches. The OPML format itself is opml.ts; `SourcesService` (service.ts) calls these.
 */
import type { Category } from '../domain.js';
import { categoryName, t } from '../messages.js';
import type { Logger } from '../ports.js';
import { categoryOfTopic } from '../recommend/topic-category.js';
import type { Actor } from '../users/doc.js';
import { buildOpml, parseOpml, type OpmlExportEntry } from './opml.js';
import { normalizeSourceUrl, sourceIdOf } from './source-id.js';
import { EXT_SOURCES, userSources, type SourceRecord } from './types.js';
import { chatSub, userSub, type SourceRegistry } from './registry.js';
import type { ImportResult, SourceScope, SourcesReply, SourcesServiceOptions } from './service.js';

/** What the OPML operations use of the service. */
export interface OpmlContext {
  o: SourcesServiceOptions;
  registry: SourceRegistry;
  log: Logger;
}

/** Spacing of the first fetches of an OPML import's sources. */
const IMPORT_STAGGER_MS = 3_000;

/** The person's (or chat's) sources as an OPML file, each source's category as its folder. */
export async function exportOpmlFor(
  c: OpmlContext,
  actor: Actor,
  scope: SourceScope,
): Promise<SourcesReply & { xml: string; count: number; filename: string }> {
  const session = await c.o.users.open(actor);
  const lang = session.doc.user.lang;
  const ids = scope.chat ? await c.registry.chatList(scope.chat) : userSources(session.doc);
  const records = await c.registry.load(ids);
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
  const xml = buildOpml({ title: `${who} subscriptions in DEEP-RECO`, dateCreated: c.o.clock.now(), entries });
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
export async function importOpmlNow(
  c: OpmlContext,
  actor: Actor,
  xml: string,
  scope: SourceScope,
): Promise<ImportResult> {
  const session = await c.o.users.open(actor);
  const lang = session.doc.user.lang;
  const skipped = { duplicate: 0, refused: 0, invalid: 0, quota: 0 };
  const fail = (message: string) => ({ lang, message, added: [], total: 0, skipped });
  if (Buffer.byteLength(xml, 'utf8') > c.o.limits.opmlMaxBytes)
    return fail(t(lang, 'sources.opmlTooBig', { max: Math.round(c.o.limits.opmlMaxBytes / 1000) }));
  let doc;
  try {
    doc = parseOpml(xml);
  } catch (e) {
    return fail(t(lang, 'sources.opmlBad', { detail: (e as Error).message.slice(0, 120) }));
  }
  const current = scope.chat ? await c.registry.chatList(scope.chat) : userSources(session.doc);
  const limit = scope.chat ? c.o.limits.perChat : c.o.limits.perUser;
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
    if (have.size >= limit || (!c.registry.records.has(id) && c.registry.records.size >= c.o.limits.total)) {
      skipped.quota++;
      continue;
    }
    const checked = await c.o.probe.check(url);
    if (!checked.ok) {
      if (checked.reason === 'bad-url') skipped.invalid++;
      else skipped.refused++;
      continue;
    }
    const category = scope.category ?? categoryOf(entry.categories);
    const host = new URL(url).hostname.replace(/^www\./, '');
    await c.registry.addSubscriber(
      id,
      subscriber,
      () => ({
        id,
        kind: entry.kind,
        url,
        title: entry.title?.trim() || host,
        ...(entry.htmlUrl && normalizeSourceUrl(entry.htmlUrl) ? { htmlUrl: normalizeSourceUrl(entry.htmlUrl)! } : {}),
        ...(/(^|\.)youtube\.com$/.test(host) && /channel_id=/.test(url) ? { youtube: true } : {}),
        ...(category ? { category } : {}),
        addedAt: c.o.clock.now().toISOString(),
        subscribers: [],
      }),
      IMPORT_STAGGER_MS * added.length, // an import of hundreds of feeds does not fetch them all at once
    );
    have.add(id);
    added.push(id);
  }
  if (added.length > 0) {
    if (scope.chat) await c.registry.setChatList(scope.chat, (ids) => [...ids, ...added]);
    else
      await c.o.users.commit(session, (d) => {
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
  c.log.info({ added: added.length, total: doc.entries.length, skipped }, 'OPML imported');
  return { lang, message, added, total: doc.entries.length, skipped };
}

/** The first folder or category attribute that names one of ours ("Tech", "스포츠", "/News/World"). */
function categoryOf(names: readonly string[]): Category | undefined {
  for (const n of names) {
    const c = categoryOfTopic(n);
    if (c) return c;
  }
  return undefined;
}
