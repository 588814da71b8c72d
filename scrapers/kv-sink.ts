/**
 * A minimal `IngestSink` over a `KeyValueStore`: items in namespace `items` keyed by id (the same
 * namespace and layout as the catalog), vectors handed to an optional hook (the catalog embeds and
 * caches vectors itself, so by default the scraper's vectors are only used for dedupe).
 */
import type { ContentItem } from '../core/domain.js';
import type { KeyValueStore } from '../core/ports.js';
import { itemIdFor } from './normalize.js';
import type { IngestSink, IngestVectors, StoredTitle } from './pipeline.js';

export const NS_ITEMS = 'items';

export interface KeyValueSinkOptions {
  /** Called after items are stored, with the vectors the pipeline computed for them. */
  onVectors?: (items: readonly ContentItem[], vectors: IngestVectors) => Promise<void>;
  /** Called after every upsert / expiry (e.g. to rebuild the catalog index). */
  onChange?: () => Promise<void>;
  /** Which stored items may expire (default: every item that is not from the built-in catalog, whose ids start with `builtin-`). */
  expirable?: (item: ContentItem) => boolean;
}

export class KeyValueIngestSink implements IngestSink {
  constructor(
    private readonly store: KeyValueStore,
    private readonly options: KeyValueSinkOptions = {},
  ) {}

  async has(canonicalUrls: readonly string[]): Promise<boolean[]> {
    const found = await this.store.getMany<ContentItem>(NS_ITEMS, canonicalUrls.map(itemIdFor));
    return found.map((v) => v !== undefined);
  }

  async upsert(items: readonly ContentItem[], vectors?: IngestVectors): Promise<void> {
    for (const item of items) await this.store.set(NS_ITEMS, item.id, item);
    if (vectors && this.options.onVectors) await this.options.onVectors(items, vectors);
    await this.options.onChange?.();
  }

  async expire(olderThan: Date): Promise<number> {
    const cutoff = olderThan.getTime();
    const expirable = this.options.expirable ?? ((it: ContentItem) => !it.id.startsWith('builtin-'));
    const ids: string[] = [];
    for await (const k of this.store.keys(NS_ITEMS)) ids.push(k);
    let removed = 0;
    for (let start = 0; start < ids.length; start += 200) {
      const batch = ids.slice(start, start + 200);
      const items = await this.store.getMany<ContentItem>(NS_ITEMS, batch);
      for (let i = 0; i < batch.length; i++) {
        const it = items[i];
        // age counts from publication; items the catalog ships (ids `builtin-…`) never expire by default
        if (
          it &&
          Date.parse(it.publishedAt) < cutoff &&
          expirable(it) &&
          (await this.store.delete(NS_ITEMS, batch[i]!))
        )
          removed++;
      }
    }
    if (removed) await this.options.onChange?.();
    return removed;
  }

  async recent(limit: number): Promise<StoredTitle[]> {
    const ids: string[] = [];
    for await (const k of this.store.keys(NS_ITEMS)) ids.push(k);
    const items = (await this.store.getMany<ContentItem>(NS_ITEMS, ids)).filter(
      (v): v is ContentItem => v !== undefined,
    );
    items.sort((a, b) => b.fetchedAt.localeCompare(a.fetchedAt));
    return items.slice(0, limit).map((it) => ({
      id: it.id,
      title: it.title,
      canonicalUrl: it.canonicalUrl,
      source: it.source,
      summary: it.summary,
      ...(!it.dateUnknown && { publishedAt: it.publishedAt }),
    }));
  }
}
