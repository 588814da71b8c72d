/**
 * The ingestion pipeline: scrape → normalise → validate → dedupe (the same URL twice in the run,
 * already stored, the same story from another portal — near-duplicates.ts) → thumbnails → embed
 * text and images → store. Incremental: only items whose canonical URL is not stored yet are
 * processed past the dedupe step. Every item found is accounted for in the source's report:
 * found = new + already stored + same URL + same story + invalid + over the per-source cap.
 *
 * It depends on small interfaces only (`IngestSink`, `PageFetcher`, the encoder ports), so the
 * catalog service, a bare key-value store, or a test double can receive the items.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import PQueue from 'p-queue';
import { createHash } from 'node:crypto';
import { itemText } from '../core/catalog/catalog.js';
import type { ContentItem } from '../core/domain.js';
import { RecoError, toRecoError } from '../core/errors.js';
import type { Clock, ImageEncoder, Logger, TextEncoder } from '../core/ports.js';
import { silentLogger, systemClock } from '../core/ports.js';
import type { FetchRequest } from './browser.js';
import { reasonOf, scrapeError } from './browser.js';
import type { HealthStatus, SourceHealth, SourceHealthStore } from './health.js';
import { findSameStories, SAME_STORY_RULE, type SameStoryRule, type StoryText } from './near-duplicates.js';
import { toContentItem } from './normalize.js';
import type { ThumbnailCache } from './thumbnails.js';
import type { FetchedPage, ParseResult, SourcePlugin } from './types.js';
import { validateItems } from './validate.js';

/** Vectors for the items of one `upsert`, row-major, rows in item order. */
export interface IngestVectors {
  text?: { encoderId: string; dim: number; data: Float32Array };
  /** Only items with a usable thumbnail have an image row: `rows[k]` is the item index of image row k. */
  image?: { encoderId: string; dim: number; data: Float32Array; rows: Int32Array };
}

export interface StoredTitle {
  id: string;
  title: string;
  canonicalUrl: string;
  source?: string;
  /** Lets the same-story check compare summaries and publication times too (optional). */
  summary?: string;
  publishedAt?: string;
}

/** Where ingested items go. The catalog service implements it; `KeyValueIngestSink` is a minimal one. */
export interface IngestSink {
  /** For each canonical URL: is an item with it stored already? */
  has(canonicalUrls: readonly string[]): Promise<boolean[]>;
  upsert(items: readonly ContentItem[], vectors?: IngestVectors): Promise<void>;
  /** Removes items published before `olderThan`; returns how many. */
  expire(olderThan: Date): Promise<number>;
  /** Recently stored titles, for cross-run near-duplicate detection (optional). */
  recent?(limit: number): Promise<StoredTitle[]>;
}

export interface PageFetcher {
  fetchPage(req: FetchRequest): Promise<FetchedPage>;
}

export type ProgressEvent =
  | { type: 'plan'; pages: number; sources: number }
  | { type: 'page'; source: string; url: string; ok: boolean; items: number; reason?: string }
  | { type: 'source'; source: string; status: HealthStatus; found: number }
  | {
      type: 'stage';
      stage: 'validate' | 'dedupe' | 'embed-text' | 'thumbnails' | 'embed-images' | 'store';
      count: number;
    };

export interface PipelineOptions {
  plugins: readonly SourcePlugin[];
  fetcher: PageFetcher;
  sink: IngestSink;
  health?: SourceHealthStore;
  textEncoder?: TextEncoder;
  imageEncoder?: ImageEncoder;
  thumbnails?: ThumbnailCache;
  clock?: Clock;
  logger?: Logger;
  /** The same-story rule (default: the one calibrated on the labelled set, SAME_STORY_RULE). */
  sameStoryRule?: SameStoryRule;
  /** Items kept per source per run (default 100). */
  maxItemsPerSource?: number;
  /** Stored titles compared for near-duplicates (default 1000). */
  recentTitles?: number;
  thumbnailConcurrency?: number;
  embedBatchSize?: number;
}

export interface PageReport {
  url: string;
  ok: boolean;
  items: number;
  reason?: string;
  message?: string;
}

/** What kept a source from delivering: nothing listed, a list we no longer understand, a wall. */
export type SourceCondition = 'empty' | 'layout-changed' | 'blocked' | 'login-wall';

export interface SourceReport {
  source: string;
  status: HealthStatus;
  pages: PageReport[];
  /** Candidates parsed. found = stored + known + duplicateUrl + duplicateStory + invalid + capped. */
  found: number;
  /** Unusable (no title or link, or refused by the schema). */
  invalid: number;
  /** Beyond the per-source cap of one run. */
  capped: number;
  /** The same canonical URL earlier in this run (this source or another). */
  duplicateUrl: number;
  /** Already stored (same canonical URL). */
  known: number;
  /** The same story as another item of this run or a stored one (near-duplicates.ts). */
  duplicateStory: number;
  /** New items stored. */
  stored: number;
  /** Set when the source delivered nothing for a reason an operator can act on. */
  condition?: SourceCondition;
  /** What to do about it (an RSS bridge, the official API, re-recording a fixture). */
  hint?: string;
  notes: string[];
  error?: { reason: string; message: string };
  durationMs: number;
}

export interface RunReport {
  startedAt: string;
  durationMs: number;
  sources: SourceReport[];
  stored: ContentItem[];
  /** Pairs (dropped item → kept item or stored title) for logs and tests. */
  duplicates: { dropped: ContentItem; of: { id: string; title: string; source?: string } }[];
  thumbnails: { ok: number; failed: number; refused: number };
  vectors: { text: number; image: number };
}

const SAFETY_REASONS = new Set([
  'BLOCKED_ADDRESS',
  'NOT_IMAGE',
  'TOO_LARGE',
  'TOO_MANY_PIXELS',
  'DECODE_FAILED',
  'TOO_MANY_REDIRECTS',
]);

export class IngestPipeline {
  private readonly o: PipelineOptions;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(options: PipelineOptions) {
    this.o = { ...options, plugins: [...options.plugins] };
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
  }

  get plugins(): readonly SourcePlugin[] {
    return this.o.plugins;
  }

  /** Adds a source at run time (a person's `/subscribe`); replaces one with the same id. */
  addPlugin(plugin: SourcePlugin): void {
    this.o.plugins = [...this.o.plugins.filter((p) => p.id !== plugin.id), plugin];
  }

  /** Removes a source added at run time. */
  removePlugin(id: string): void {
    this.o.plugins = this.o.plugins.filter((p) => p.id !== id);
  }

  /**
   * Runs the given sources (default: all) once. Never throws for a source's failure (see the
   * report and health); throws only when the sink itself fails.
   */
  async run(
    options: { sources?: readonly string[]; onProgress?: (e: ProgressEvent) => void } = {},
  ): Promise<RunReport> {
    const started = this.clock.now();
    const t0 = performance.now();
    const progress = options.onProgress ?? (() => undefined);
    const selected = options.sources?.length
      ? this.o.plugins.filter((p) => options.sources!.includes(p.id))
      : [...this.o.plugins];
    const unknown = (options.sources ?? []).filter((id) => !this.o.plugins.some((p) => p.id === id));
    if (unknown.length)
      throw new RecoError(
        'INPUT_INVALID',
        `unknown source(s): ${unknown.join(', ')} (configured: ${this.o.plugins.map((p) => p.id).join(', ')})`,
      );
    const plans = selected.map((plugin) => ({ plugin, pages: plugin.listPages() }));
    progress({ type: 'plan', pages: plans.reduce((n, p) => n + p.pages.length, 0), sources: plans.length });

    // 1. scrape every source; one failing source (or page) never stops the others
    const scraped = await Promise.all(plans.map(({ plugin, pages }) => this.scrapeSource(plugin, pages, progress)));
    const reports = scraped.map((s) => s.report);

    // 2. validate
    const all = scraped.flatMap((s) => s.items);
    progress({ type: 'stage', stage: 'validate', count: all.length });
    const { valid, invalid } = await validateItems(all);
    for (const bad of invalid) {
      const r = reports.find((x) => x.source === bad.item.source);
      if (r) r.invalid++;
      this.log.debug({ source: bad.item.source, url: bad.item.url, problem: bad.problem }, 'invalid item dropped');
    }
    await yieldToLoop();

    // 3. exact dedupe: the same URL twice in this run, then already stored (incremental)
    progress({ type: 'stage', stage: 'dedupe', count: valid.length });
    const reportOf = (it: ContentItem) => reports.find((x) => x.source === it.source);
    const byCanonical = new Map<string, ContentItem>();
    for (const it of valid) {
      if (byCanonical.has(it.canonicalUrl)) {
        const r = reportOf(it);
        if (r) r.duplicateUrl++;
        continue;
      }
      byCanonical.set(it.canonicalUrl, it);
    }
    const unique = [...byCanonical.values()];
    const known = unique.length ? await this.o.sink.has(unique.map((i) => i.canonicalUrl)) : [];
    let fresh = unique.filter((_, i) => !known[i]);
    unique.forEach((it, i) => {
      if (known[i]) {
        const r = reportOf(it);
        if (r) r.known++;
      }
    });

    // 4. the same story from another portal, in the batch and against recently stored items
    const recent = this.o.sink.recent && fresh.length ? await this.o.sink.recent(this.o.recentTitles ?? 1000) : [];
    const storyOf = (x: {
      title: string;
      summary?: string;
      publishedAt?: string;
      dateUnknown?: boolean;
    }): StoryText => ({
      title: x.title,
      ...(x.summary !== undefined && { summary: x.summary }),
      ...(x.publishedAt !== undefined && !x.dateUnknown && { publishedAt: x.publishedAt }),
    });
    const nd = await findSameStories(fresh.map(storyOf), recent.map(storyOf), this.o.sameStoryRule ?? SAME_STORY_RULE);
    const duplicates: RunReport['duplicates'] = [];
    for (const [i, of] of nd.duplicateOf) {
      const dropped = fresh[i]!;
      const target =
        of >= 0 ? { id: fresh[of]!.id, title: fresh[of]!.title, source: fresh[of]!.source } : recent[-1 - of]!;
      duplicates.push({
        dropped,
        of: { id: target.id, title: target.title, ...(target.source && { source: target.source }) },
      });
      const r = reportOf(dropped);
      if (r) r.duplicateStory++;
      this.log.debug(
        { dropped: dropped.title, of: target.title, evidence: nd.evidence.get(i) },
        'same story from another source dropped',
      );
    }
    fresh = nd.keep.map((i) => fresh[i]!);
    await yieldToLoop();

    // 5. embed text (only what is kept)
    let textVecs: Float32Array | undefined;
    const enc = this.o.textEncoder;
    if (enc && fresh.length) {
      progress({ type: 'stage', stage: 'embed-text', count: fresh.length });
      textVecs = await this.embedText(enc, fresh);
    }

    // 6. thumbnails and image vectors
    const thumbStats = { ok: 0, failed: 0, refused: 0 };
    const imageBytes = new Map<number, Uint8Array>();
    if (this.o.thumbnails && fresh.some((i) => i.thumbnail)) {
      progress({ type: 'stage', stage: 'thumbnails', count: fresh.filter((i) => i.thumbnail).length });
      const cache = this.o.thumbnails;
      const q = new PQueue({ concurrency: this.o.thumbnailConcurrency ?? 4 });
      await Promise.all(
        fresh.map((item, idx) =>
          item.thumbnail
            ? q.add(async () => {
                try {
                  const t = await cache.get(item.thumbnail!);
                  thumbStats.ok++;
                  if (this.o.imageEncoder) {
                    const bytes = await cache.read(item.thumbnail!);
                    if (bytes) imageBytes.set(idx, bytes);
                  }
                  void t;
                } catch (e) {
                  const reason = reasonOf(e);
                  if (SAFETY_REASONS.has(reason)) {
                    thumbStats.refused++;
                    // never show users an image URL we refused to fetch
                    delete item.thumbnail;
                  } else thumbStats.failed++;
                  this.log.debug({ url: item.thumbnail, reason, source: item.source }, 'thumbnail not cached');
                }
              })
            : undefined,
        ),
      );
    }
    let imageVecs: IngestVectors['image'];
    if (this.o.imageEncoder && imageBytes.size) {
      progress({ type: 'stage', stage: 'embed-images', count: imageBytes.size });
      imageVecs = await this.embedImages(this.o.imageEncoder, imageBytes);
    }

    // 7. store
    progress({ type: 'stage', stage: 'store', count: fresh.length });
    if (fresh.length) {
      const vectors: IngestVectors = {};
      if (textVecs && enc) vectors.text = { encoderId: enc.id, dim: enc.dim, data: textVecs };
      if (imageVecs) vectors.image = imageVecs;
      await this.o.sink.upsert(fresh, vectors.text || vectors.image ? vectors : undefined);
    }
    for (const it of fresh) {
      const r = reports.find((x) => x.source === it.source);
      if (r) r.stored++;
    }

    // 8. health
    if (this.o.health) {
      for (const r of reports)
        await this.recordHealth(
          r,
          selected.find((p) => p.id === r.source)!,
        );
    }
    const report: RunReport = {
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      sources: reports,
      stored: fresh,
      duplicates,
      thumbnails: thumbStats,
      vectors: { text: textVecs && enc ? textVecs.length / enc.dim : 0, image: imageVecs ? imageVecs.rows.length : 0 },
    };
    this.log.info(
      {
        sources: reports.map((r) => ({
          source: r.source,
          status: r.status,
          found: r.found,
          stored: r.stored,
          reason: r.error?.reason,
        })),
        stored: fresh.length,
        durationMs: report.durationMs,
      },
      'scrape run finished',
    );
    return report;
  }

  private async scrapeSource(
    plugin: SourcePlugin,
    pages: ReturnType<SourcePlugin['listPages']>,
    progress: (e: ProgressEvent) => void,
  ): Promise<{ report: SourceReport; items: ContentItem[] }> {
    const t0 = performance.now();
    const report: SourceReport = {
      source: plugin.id,
      status: 'ok',
      pages: [],
      found: 0,
      invalid: 0,
      capped: 0,
      duplicateUrl: 0,
      known: 0,
      duplicateStory: 0,
      stored: 0,
      notes: [],
      durationMs: 0,
    };
    const items: ContentItem[] = [];
    let wall: ParseResult['wall'] | undefined;
    let walled = false;
    let lastError: { reason: string; message: string } | undefined;
    const conditions: SourceCondition[] = [];
    await Promise.all(
      pages.map(async (page) => {
        try {
          const fetched = await this.o.fetcher.fetchPage({
            url: page.url,
            mode: plugin.mode,
            ...(plugin.waitFor && { waitFor: plugin.waitFor }),
            ...((page.lang ?? plugin.defaultLang) && { lang: page.lang ?? plugin.defaultLang }),
            ...(plugin.politeness?.delayMs !== undefined && { delayMs: plugin.politeness.delayMs }),
            ...(plugin.politeness?.perDomain !== undefined && { perDomain: plugin.politeness.perDomain }),
          });
          const fetchedAt = this.clock.now();
          let parsed: ParseResult;
          try {
            parsed = plugin.parse(fetched, { page, fetchedAt });
          } catch (e) {
            throw scrapeError(
              'PARSE_FAILED',
              `${plugin.id} could not parse ${page.url}: ${e instanceof Error ? e.message : String(e)}`,
              { url: page.url, cause: e },
            );
          }
          if (parsed.walled) {
            walled = true;
            wall ??= parsed.wall;
          }
          for (const n of parsed.notes ?? []) if (!report.notes.includes(n)) report.notes.push(n);
          let kept = 0;
          for (const c of parsed.items) {
            const r = toContentItem(plugin, page, c, fetchedAt, fetched.finalUrl);
            if ('item' in r) {
              items.push(r.item);
              kept++;
            } else {
              report.invalid++;
              this.log.debug({ source: plugin.id, url: page.url, problem: r.problem }, 'unusable candidate');
            }
          }
          report.found += parsed.items.length;
          if (parsed.items.length === 0 && !parsed.walled) throw emptyPageError(plugin, page.url, parsed);
          report.pages.push({ url: page.url, ok: true, items: kept });
          progress({ type: 'page', source: plugin.id, url: page.url, ok: true, items: kept });
        } catch (e) {
          const err = toRecoError(e, 'SCRAPE_FAILED');
          const reason = reasonOf(err) === 'INTERNAL' ? 'INTERNAL' : reasonOf(err);
          const status = typeof err.details.status === 'number' ? err.details.status : undefined;
          const condition = conditionOf(reason, status);
          if (condition) conditions.push(condition);
          lastError = { reason, message: err.message };
          report.pages.push({ url: page.url, ok: false, items: 0, reason, message: err.message });
          progress({ type: 'page', source: plugin.id, url: page.url, ok: false, items: 0, reason });
          this.log.warn({ source: plugin.id, url: page.url, reason, err: err.message }, 'scrape page failed');
        }
        await yieldToLoop();
      }),
    );
    const okPages = report.pages.filter((p) => p.ok).length;
    const max = this.o.maxItemsPerSource ?? 100;
    report.status =
      okPages === 0 && pages.length > 0 ? 'failing' : walled || okPages < pages.length ? 'degraded' : 'ok';
    if (walled) {
      const kind = wall?.kind ?? 'login';
      conditions.unshift(kind === 'login' ? 'login-wall' : 'blocked');
      if (!lastError || okPages === pages.length)
        lastError = {
          reason: kind === 'login' ? 'LOGIN_WALL' : 'BLOCKED',
          message: report.notes.join('; ') || (kind === 'login' ? 'login wall' : 'blocked'),
        };
    }
    // the most telling condition: a wall over a layout change over an empty list
    const order: SourceCondition[] = ['login-wall', 'blocked', 'layout-changed', 'empty'];
    const condition = order.find((c) => conditions.includes(c));
    if (condition) {
      report.condition = condition;
      const hint = wall?.hint ?? CONDITION_HINTS[condition];
      if (hint) report.hint = hint;
    }
    if (lastError && report.status !== 'ok') report.error = lastError;
    report.durationMs = Math.round(performance.now() - t0);
    progress({ type: 'source', source: plugin.id, status: report.status, found: report.found });
    report.capped = Math.max(0, items.length - max);
    return { report, items: items.slice(0, max) };
  }

  private async recordHealth(r: SourceReport, plugin: SourcePlugin): Promise<void> {
    const store = this.o.health!;
    const prev = await store.get(r.source);
    const now = this.clock.now().toISOString();
    const failed = r.status === 'failing';
    const h: SourceHealth = {
      source: r.source,
      displayName: plugin.displayName,
      status: r.status,
      lastRunAt: now,
      itemsFound: r.found,
      itemsNew: r.stored,
      itemsDropped: r.invalid + r.capped + r.duplicateUrl + r.duplicateStory,
      counts: {
        found: r.found,
        new: r.stored,
        known: r.known,
        duplicateUrl: r.duplicateUrl,
        duplicateStory: r.duplicateStory,
        invalid: r.invalid,
        capped: r.capped,
      },
      pagesOk: r.pages.filter((p) => p.ok).length,
      pagesFailed: r.pages.filter((p) => !p.ok).length,
      durationMs: r.durationMs,
      consecutiveFailures: failed ? (prev?.consecutiveFailures ?? 0) + 1 : 0,
      notes: r.notes,
    };
    if (r.condition) h.condition = r.condition;
    if (r.hint) h.hint = r.hint;
    if (failed)
      h.failingSince = prev && prev.consecutiveFailures > 0 ? (prev.failingSince ?? prev.lastRunAt ?? now) : now;
    const lastSuccess = failed ? prev?.lastSuccessAt : now;
    if (lastSuccess) h.lastSuccessAt = lastSuccess;
    const failedPage = r.pages.find((p) => !p.ok);
    if (r.error) {
      h.lastError = {
        code: 'SCRAPE_FAILED',
        reason: r.error.reason,
        message: r.error.message,
        at: now,
        ...(failedPage && { url: failedPage.url }),
      };
    } else if (prev?.lastError) h.lastError = prev.lastError;
    await store.put(h);
  }

  private async embedText(enc: TextEncoder, items: ContentItem[]): Promise<Float32Array> {
    const texts = items.map(itemText);
    // the full sha256 of the text the encoder sees (core/catalog/schema.ts wants 64 hex chars)
    items.forEach((it, i) => (it.contentHash = createHash('sha256').update(texts[i]!).digest('hex')));
    const batch = this.o.embedBatchSize ?? 32;
    const out = new Float32Array(items.length * enc.dim);
    for (let start = 0; start < texts.length; start += batch) {
      const v = await enc.encode(texts.slice(start, start + batch));
      out.set(v, start * enc.dim);
      await yieldToLoop();
    }
    return out;
  }

  private async embedImages(enc: ImageEncoder, images: Map<number, Uint8Array>): Promise<IngestVectors['image']> {
    const rows = Int32Array.from([...images.keys()].sort((a, b) => a - b));
    const data = new Float32Array(rows.length * enc.dim);
    const batch = this.o.embedBatchSize ?? 32;
    try {
      for (let start = 0; start < rows.length; start += batch) {
        const slice = Array.from(rows.subarray(start, start + batch), (r) => images.get(r)!);
        data.set(await enc.encode(slice), start * enc.dim);
        await yieldToLoop();
      }
    } catch (e) {
      this.log.warn({ err: e }, 'image embedding failed; items stored with text vectors only');
      return undefined;
    }
    return { encoderId: enc.id, dim: enc.dim, data, rows };
  }

  /** Removes items older than `maxAgeDays` (0: never). */
  async expire(maxAgeDays: number): Promise<number> {
    if (!(maxAgeDays > 0)) return 0;
    const cutoff = new Date(this.clock.now().getTime() - maxAgeDays * 86400e3);
    return this.o.sink.expire(cutoff);
  }
}

/** What an operator can do about each condition (walls bring their own, more specific hint). */
const CONDITION_HINTS: Readonly<Record<SourceCondition, string>> = {
  empty: 'the page lists nothing: check the configured section/board/account still exists',
  'layout-changed':
    'the site changed its markup: record a fresh fixture (npm run scrape:record) and update the parser (docs/SCRAPERS.md)',
  blocked: "the site refuses this bot (captcha, 403/429): lengthen every=, or use the site's RSS feed or official API",
  'login-wall': 'the content needs a login: use an RSS bridge or the official API',
};

/** A page read fine but yielded nothing: an empty list, or a layout the parser no longer understands. */
function emptyPageError(plugin: SourcePlugin, url: string, parsed: ParseResult): Error {
  const n = parsed.candidates ?? 0;
  if (parsed.missing)
    return scrapeError(
      'LAYOUT_CHANGED',
      `${plugin.id}: layout changed: ${parsed.missing} not found on ${url}${n ? ` (the page had ${n} candidate nodes)` : ''}`,
      { url },
    );
  if (n > 0)
    return scrapeError(
      'LAYOUT_CHANGED',
      `${plugin.id}: layout changed: 0 items from a page that had ${n} candidate nodes (${url})`,
      {
        url,
      },
    );
  const why = parsed.notes?.length ? ` (${parsed.notes.join('; ')})` : '';
  return scrapeError('EMPTY', `${plugin.id}: empty: ${url} lists nothing and has no item-like nodes${why}`, { url });
}

function conditionOf(reason: string, status: number | undefined): SourceCondition | undefined {
  if (reason === 'EMPTY') return 'empty';
  if (reason === 'LAYOUT_CHANGED' || reason === 'PARSE_FAILED') return 'layout-changed';
  if (reason === 'LOGIN_WALL') return 'login-wall';
  if (reason === 'BLOCKED' || reason === 'ROBOTS_DISALLOWED' || status === 403 || status === 429 || status === 451)
    return 'blocked';
  return undefined;
}
