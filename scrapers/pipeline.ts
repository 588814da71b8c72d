/**
 * The ingestion pipeline: scrape → normalise → validate → dedupe (within the batch, against stored
 * items by canonical URL, and near-duplicates by title / embedding against the batch and recent
 * stored titles) → thumbnails → embed text and images → store. Incremental: only items whose
 * canonical URL is not stored yet are processed past the dedupe step.
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
import { findNearDuplicates, toContentItem } from './normalize.js';
import type { ThumbnailCache } from './thumbnails.js';
import type { FetchedPage, SourcePlugin } from './types.js';
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
  /** Title trigram Jaccard for near-duplicates (default 0.6). */
  titleThreshold?: number;
  /** Embedding cosine for near-duplicates (default 0.93). */
  cosineThreshold?: number;
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

export interface SourceReport {
  source: string;
  status: HealthStatus;
  pages: PageReport[];
  /** Candidates parsed. */
  found: number;
  invalid: number;
  /** Already stored (same canonical URL). */
  known: number;
  /** Near-duplicates of another item (batch or stored). */
  duplicates: number;
  stored: number;
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
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
  }

  get plugins(): readonly SourcePlugin[] {
    return this.o.plugins;
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

    // 3. exact dedupe within the batch, then against the store (incremental)
    progress({ type: 'stage', stage: 'dedupe', count: valid.length });
    const byCanonical = new Map<string, ContentItem>();
    for (const it of valid) if (!byCanonical.has(it.canonicalUrl)) byCanonical.set(it.canonicalUrl, it);
    const unique = [...byCanonical.values()];
    const known = unique.length ? await this.o.sink.has(unique.map((i) => i.canonicalUrl)) : [];
    let fresh = unique.filter((_, i) => !known[i]);
    unique.forEach((it, i) => {
      if (known[i]) {
        const r = reports.find((x) => x.source === it.source);
        if (r) r.known++;
      }
    });

    // 4. embed text (also used for near-duplicate detection)
    let textVecs: Float32Array | undefined;
    const enc = this.o.textEncoder;
    if (enc && fresh.length) {
      progress({ type: 'stage', stage: 'embed-text', count: fresh.length });
      textVecs = await this.embedText(enc, fresh);
    }

    // 5. near-duplicates: the same story from two portals (titles, vectors), in the batch and vs stored titles
    const recent = this.o.sink.recent ? await this.o.sink.recent(this.o.recentTitles ?? 1000) : [];
    const nd = findNearDuplicates(
      fresh.map((i) => i.title),
      {
        titleThreshold: this.o.titleThreshold ?? 0.6,
        cosineThreshold: this.o.cosineThreshold ?? 0.93,
        ...(textVecs && enc && { vectors: textVecs, dim: enc.dim }),
        existing: { titles: recent.map((r) => r.title) },
      },
    );
    const duplicates: RunReport['duplicates'] = [];
    for (const [i, of] of nd.duplicateOf) {
      const dropped = fresh[i]!;
      const target =
        of >= 0 ? { id: fresh[of]!.id, title: fresh[of]!.title, source: fresh[of]!.source } : recent[-1 - of]!;
      duplicates.push({
        dropped,
        of: { id: target.id, title: target.title, ...(target.source && { source: target.source }) },
      });
      const r = reports.find((x) => x.source === dropped.source);
      if (r) r.duplicates++;
    }
    if (textVecs && enc) textVecs = pickRows(textVecs, enc.dim, nd.keep);
    fresh = nd.keep.map((i) => fresh[i]!);
    await yieldToLoop();

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
      known: 0,
      duplicates: 0,
      stored: 0,
      notes: [],
      durationMs: 0,
    };
    const items: ContentItem[] = [];
    let walled = false;
    let lastError: { reason: string; message: string } | undefined;
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
          let parsed;
          try {
            parsed = plugin.parse(fetched, { page, fetchedAt });
          } catch (e) {
            throw scrapeError(
              'PARSE_FAILED',
              `${plugin.id} could not parse ${page.url}: ${e instanceof Error ? e.message : String(e)}`,
              { url: page.url, cause: e },
            );
          }
          if (parsed.walled) walled = true;
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
          if (parsed.items.length === 0 && !parsed.walled) {
            throw scrapeError('EMPTY', `${plugin.id}: no items on ${page.url} (empty list, or the layout changed)`, {
              url: page.url,
            });
          }
          report.pages.push({ url: page.url, ok: true, items: kept });
          progress({ type: 'page', source: plugin.id, url: page.url, ok: true, items: kept });
        } catch (e) {
          const err = toRecoError(e, 'SCRAPE_FAILED');
          const reason = reasonOf(err) === 'INTERNAL' ? 'INTERNAL' : reasonOf(err);
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
    if (walled && !lastError) lastError = { reason: 'LOGIN_WALL', message: report.notes.join('; ') || 'login wall' };
    if (lastError && report.status !== 'ok') report.error = lastError;
    report.durationMs = Math.round(performance.now() - t0);
    progress({ type: 'source', source: plugin.id, status: report.status, found: report.found });
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
      itemsDropped: r.invalid + r.duplicates,
      pagesOk: r.pages.filter((p) => p.ok).length,
      pagesFailed: r.pages.filter((p) => !p.ok).length,
      durationMs: r.durationMs,
      consecutiveFailures: failed ? (prev?.consecutiveFailures ?? 0) + 1 : 0,
      notes: r.notes,
    };
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

function pickRows(m: Float32Array, dim: number, rows: readonly number[]): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, k) => out.set(m.subarray(r * dim, (r + 1) * dim), k * dim));
  return out;
}
