/**
 * People's own sources (`/subscribe`) on the scraper machinery — the two ports core/sources defines:
 *
 * - {@link FeedProbe} (`SourceProbe`): says what a URL is, fetching it through the scrapers' guarded client
 *   (every request, redirects included, passes the address guard, scrapers/net-guard.ts): an RSS/Atom feed; a
 *   YouTube channel (`/channel/UC…`, `/@handle`, `/c/…` → the channel's Atom feed); a page that links its feed
 *   (`<link rel="alternate" type="application/rss+xml">`); else a page with OpenGraph tags.
 * - {@link UserSourceRuntime} (`SourceRuntime`): each subscribed source becomes an RSS or OpenGraph plugin in a
 *   scraping instance of its own (`createScraping` with no configured plugins, SOURCES_FETCH_MINUTES as its
 *   interval, health in its own namespace), added to and removed from the scheduler at run time. Items go to
 *   the same catalog sink as every scraped item.
 */
import type { Clock, Logger } from '../core/ports.js';
import { systemClock } from '../core/ports.js';
import type {
  ProbeRefusal,
  ProbeResult,
  SourceHealthView,
  SourceProbe,
  SourceRecord,
  SourceRuntime,
} from '../core/sources/types.js';
import { reasonOf } from './browser.js';
import type { SourceHealth } from './health.js';
import type { AddressGuard, GuardRefusal } from './net-guard.js';
import type { PageFetcher } from './pipeline.js';
import { html } from './sources/common.js';
import { openGraph, parseOpenGraph } from './sources/opengraph.js';
import { parseFeed, rssFeed } from './sources/rss.js';
import type { Scraping } from './index.js';
import type { FetchedPage, SourcePlugin } from './types.js';

const YOUTUBE_HOST = /(^|\.)youtube\.com$/i;
const CHANNEL_ID = /^UC[\w-]{22}$/;

/** The Atom feed of a YouTube channel URL that names the channel id itself; undefined otherwise. */
export function youtubeFeedOf(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (!YOUTUBE_HOST.test(u.hostname)) return undefined;
  if (u.pathname === '/feeds/videos.xml' && (u.searchParams.has('channel_id') || u.searchParams.has('playlist_id')))
    return u.toString();
  const m = /^\/channel\/(UC[\w-]{22})(?:\/|$)/.exec(u.pathname);
  return m ? `https://www.youtube.com/feeds/videos.xml?channel_id=${m[1]}` : undefined;
}

/** The channel id on a YouTube channel page (`/@handle`, `/c/name`): its RSS link, canonical URL or metadata. */
export function youtubeChannelIdIn(body: string): string | undefined {
  const patterns = [
    /feeds\/videos\.xml\?channel_id=(UC[\w-]{22})/,
    /<link[^>]+rel="canonical"[^>]+href="https:\/\/www\.youtube\.com\/channel\/(UC[\w-]{22})"/,
    /"externalId"\s*:\s*"(UC[\w-]{22})"/,
    /<meta[^>]+itemprop="(?:identifier|channelId)"[^>]+content="(UC[\w-]{22})"/,
  ];
  for (const p of patterns) {
    const m = p.exec(body);
    if (m && CHANNEL_ID.test(m[1]!)) return m[1];
  }
  return undefined;
}

/** The feed a page announces (`<link rel="alternate" type="application/rss+xml|atom+xml" href>`), absolute. */
export function announcedFeed(body: string, pageUrl: string): string | undefined {
  const $ = html(body);
  for (const el of $('link[rel~="alternate"]').toArray()) {
    const type = ($(el).attr('type') ?? '').toLowerCase();
    const href = $(el).attr('href');
    if (!href || !/application\/(rss|atom)\+xml/.test(type)) continue;
    try {
      return new URL(href, pageUrl).toString();
    } catch {
      continue;
    }
  }
  return undefined;
}

function describeRefusal(r: GuardRefusal): string {
  return r.address ? `${r.address} is a ${r.range ?? 'non-public'} address` : r.message;
}

function refusal(reason: ProbeRefusal, detail: string): ProbeResult {
  return { ok: false, reason, detail };
}

/** What a fetch error means to the person: a refused address, or unreachable with a short reason. */
function fetchRefusal(e: unknown): ProbeResult {
  const reason = reasonOf(e);
  const err = e as { message?: string; details?: { status?: unknown; address?: unknown; range?: unknown } };
  if (reason === 'BLOCKED_ADDRESS') {
    const d = err.details ?? {};
    return refusal(
      'blocked-address',
      typeof d.address === 'string'
        ? `${d.address} is a ${String(d.range ?? 'non-public')} address`
        : 'not a public address',
    );
  }
  const status =
    typeof err.details?.status === 'number' ? `HTTP ${err.details.status}` : reason.replace(/_/g, ' ').toLowerCase();
  return refusal('unreachable', status);
}

export interface FeedProbeOptions {
  fetcher: PageFetcher;
  guard: AddressGuard;
  clock?: Clock;
}

export class FeedProbe implements SourceProbe {
  private readonly clock: Clock;

  constructor(private readonly o: FeedProbeOptions) {
    this.clock = o.clock ?? systemClock;
  }

  async check(url: string): Promise<{ ok: true } | { ok: false; reason: ProbeRefusal; detail: string }> {
    const r = await this.o.guard.checkUrl(url);
    if (r.ok) return { ok: true };
    if (r.error.reason === 'BLOCKED_ADDRESS')
      return { ok: false, reason: 'blocked-address', detail: describeRefusal(r.error) };
    return { ok: true }; // a DNS failure now: every scheduled fetch checks again, and health says if it keeps failing
  }

  async probe(url: string): Promise<ProbeResult> {
    const checked = await this.o.guard.checkUrl(url);
    if (!checked.ok)
      return checked.error.reason === 'BLOCKED_ADDRESS'
        ? refusal('blocked-address', describeRefusal(checked.error))
        : refusal('unreachable', checked.error.message);
    const youtubeFeed = youtubeFeedOf(url);
    let page: FetchedPage;
    try {
      page = await this.fetch(youtubeFeed ?? url);
    } catch (e) {
      return fetchRefusal(e);
    }
    const asFeed = this.feedOf(page, youtubeFeed !== undefined);
    if (asFeed) return asFeed;
    // A YouTube channel page (@handle, /c/…): its channel id gives the feed.
    const host = new URL(page.finalUrl).hostname;
    const channelId = YOUTUBE_HOST.test(host) ? youtubeChannelIdIn(page.body) : undefined;
    const linked = channelId
      ? `https://www.youtube.com/feeds/videos.xml?channel_id=${channelId}`
      : announcedFeed(page.body, page.finalUrl);
    if (linked) {
      try {
        const feedPage = await this.fetch(linked);
        const found = this.feedOf(feedPage, channelId !== undefined, page.finalUrl);
        if (found) return found;
      } catch {
        // the announced feed is broken: the page itself may still do
      }
    }
    const og = parseOpenGraph(page.body, page.finalUrl, this.clock.now());
    const first = og.items[0];
    if (first?.title)
      return {
        ok: true,
        kind: 'page',
        url: page.finalUrl,
        title: first.title,
        ...(first.lang ? { lang: first.lang } : {}),
      };
    return refusal('not-a-source', 'no feed and no page preview');
  }

  private fetch(url: string): Promise<FetchedPage> {
    return this.o.fetcher.fetchPage({ url, mode: 'http' });
  }

  private feedOf(page: FetchedPage, youtube: boolean, htmlUrl?: string): ProbeResult | undefined {
    if (!/^\s*(<\?xml|<rss|<feed|<rdf:RDF)/i.test(page.body.slice(0, 500)) && !/xml/i.test(page.contentType))
      return undefined;
    try {
      const { title } = parseFeed(page.body, this.clock.now());
      const host = new URL(page.finalUrl).hostname.replace(/^www\./, '');
      return {
        ok: true,
        kind: 'feed',
        url: page.finalUrl,
        title: title || host,
        ...(htmlUrl ? { htmlUrl } : {}),
        ...(youtube ? { youtube: true } : {}),
      };
    } catch {
      return undefined;
    }
  }
}

/** The scraper plugin that fetches a subscribed source (its id is the record's id). */
export function pluginFor(record: SourceRecord, intervalMinutes?: number): SourcePlugin {
  const name = record.id.slice(record.id.indexOf(':') + 1);
  const category = record.category ?? (record.youtube ? 'entertainment' : undefined);
  const options = {
    url: record.url,
    name,
    ...(category ? { category } : {}),
    ...(record.lang ? { lang: record.lang } : {}),
    ...(intervalMinutes ? { intervalMinutes } : {}),
  };
  const plugin = record.kind === 'feed' ? rssFeed(options) : openGraph(options);
  return { ...plugin, displayName: record.title };
}

function viewOf(h: SourceHealth | undefined): SourceHealthView {
  if (!h) return { status: 'never' };
  return {
    status: h.status,
    ...(h.lastRunAt ? { lastFetchedAt: h.lastRunAt } : {}),
    ...(h.lastSuccessAt ? { lastSuccessAt: h.lastSuccessAt } : {}),
    ...(h.failingSince ? { failingSince: h.failingSince } : {}),
    ...(h.condition ? { condition: h.condition } : {}),
    ...(h.lastError && h.status !== 'ok' ? { error: h.lastError.reason.replace(/_/g, ' ') } : {}),
    itemsNew: h.itemsNew,
  };
}

export interface UserSourceRuntimeOptions {
  /** A scraping instance of its own: no configured plugins, people's sources only. */
  scraping: Scraping;
  /** SOURCES_FETCH_MINUTES (0: subscriptions are kept but never fetched on a schedule). */
  intervalMinutes: number;
  logger: Logger;
  /** Spacing of the first fetches of sources loaded at start-up (default 5 s). */
  staggerMs?: number;
}

export class UserSourceRuntime implements SourceRuntime {
  private readonly known = new Set<string>();
  private readonly log: Logger;

  constructor(private readonly o: UserSourceRuntimeOptions) {
    this.log = o.logger.child({ component: 'user-sources' });
    o.scraping.scheduler.start();
  }

  sync(records: readonly SourceRecord[]): void {
    const wanted = new Set(records.map((r) => r.id));
    for (const id of [...this.known]) if (!wanted.has(id)) this.remove(id);
    let k = 0;
    for (const r of records) {
      if (this.known.has(r.id)) continue;
      this.known.add(r.id);
      this.o.scraping.scheduler.add(pluginFor(r, this.o.intervalMinutes), 30_000 + k++ * (this.o.staggerMs ?? 5_000));
    }
  }

  add(record: SourceRecord, firstFetchMs = 0): void {
    if (this.known.has(record.id)) return;
    this.known.add(record.id);
    this.o.scraping.scheduler.add(pluginFor(record, this.o.intervalMinutes), firstFetchMs);
    this.log.info({ source: record.id }, 'a subscribed source is fetched from now on');
  }

  remove(id: string): void {
    if (!this.known.delete(id)) return;
    this.o.scraping.scheduler.remove(id);
    void this.o.scraping.health.delete(id).catch(() => undefined);
    this.log.info({ source: id }, 'a source nobody follows any more is no longer fetched');
  }

  async fetchNow(id: string): Promise<void> {
    if (!this.known.has(id)) return;
    await this.o.scraping.scheduler.runNow(id);
  }

  async health(ids: readonly string[]): Promise<Map<string, SourceHealthView>> {
    const records = await this.o.scraping.health.getMany(ids);
    return new Map(ids.map((id, i) => [id, viewOf(records[i])]));
  }

  async close(): Promise<void> {
    await this.o.scraping.close();
  }
}
