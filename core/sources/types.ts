/**
 * People's own sources (`/subscribe`): what is stored, and the two ports the composition root implements with
 * the scrapers — `SourceProbe` (is this URL a feed, a YouTube channel or a page; is its address allowed) and
 * `SourceRuntime` (fetch the subscribed sources on a schedule through the scraper pipeline, report health).
 */
import type { Category, Lang, Platform } from '../domain.js';

/** The key of a person's document extension (`UserDoc.ext`) holding their subscribed source ids. */
export const EXT_SOURCES = 'sources';

/** A person's subscribed source ids (from their document; read with it, so ranking costs no extra round trip). */
export function userSources(doc: { ext: Record<string, unknown> }): string[] {
  const v = doc.ext[EXT_SOURCES];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** `feed`: RSS/Atom (YouTube channels are their Atom feed); `page`: one page read through its OpenGraph tags. */
export type SourceKind = 'feed' | 'page';

export interface SourceRecord {
  /** The `ContentItem.source` of its items: `rss:<host><path>` or `og:<host><path>` (source-id.ts). */
  id: string;
  kind: SourceKind;
  /** What is fetched: the feed URL, or the page. */
  url: string;
  /** The site (OPML `htmlUrl`), when known. */
  htmlUrl?: string;
  title: string;
  /** Set when the feed is a YouTube channel's (shown as such). */
  youtube?: boolean;
  category?: Category;
  lang?: Lang;
  addedAt: string;
  /** Who subscribed: `user:<userId>` or `chat:<platform>:<chatId>`. Never empty while stored. */
  subscribers: string[];
}

/** A chat's subscriptions are managed by its admins. */
export interface ChatRef {
  platform: Platform;
  chatId: string;
}

export type SourceHealthStatus = 'ok' | 'degraded' | 'failing' | 'never';

/** What `/sources` says about a source's fetching. */
export interface SourceHealthView {
  status: SourceHealthStatus;
  lastFetchedAt?: string;
  lastSuccessAt?: string;
  /** Start of the current run of failures. */
  failingSince?: string;
  condition?: 'empty' | 'layout-changed' | 'blocked' | 'login-wall';
  /** The last error, short (`HTTP_404: …`). */
  error?: string;
  /** Items stored from it in the last run. */
  itemsNew?: number;
}

export type ProbeRefusal = 'bad-url' | 'blocked-address' | 'unreachable' | 'not-a-source';

export type ProbeResult =
  | {
      ok: true;
      kind: SourceKind;
      url: string;
      title: string;
      htmlUrl?: string;
      youtube?: boolean;
      lang?: Lang;
    }
  | { ok: false; reason: ProbeRefusal; detail: string };

export interface SourceProbe {
  /** Fetches the URL (through the outbound address guard) and says what it is. */
  probe(url: string): Promise<ProbeResult>;
  /** The address check alone, without fetching (OPML imports: hundreds of feeds are not fetched one by one). */
  check(url: string): Promise<{ ok: true } | { ok: false; reason: ProbeRefusal; detail: string }>;
}

export interface SourceRuntime {
  /** Fetches these on the schedule (start-up, and what another process added). */
  sync(records: readonly SourceRecord[]): void;
  /** Starts fetching a new source: its first fetch after `firstFetchMs` (default at once). */
  add(record: SourceRecord, firstFetchMs?: number): void;
  remove(id: string): void;
  /** Fetches one now (joins a fetch in flight); resolves when its items are in the catalog. */
  fetchNow(id: string): Promise<void>;
  health(ids: readonly string[]): Promise<Map<string, SourceHealthView>>;
  close(): Promise<void>;
}
