/**
 * The scrapers' `IngestSink` on the live catalog: new items are stored and embedded (vectors the
 * pipeline already computed are put into the embedding cache, so nothing is embedded twice), the
 * index is swapped atomically, old scraped items expire, and once scraped content outnumbers the
 * built-in catalog the built-in items are retired.
 */
import type { ContentItem } from '../core/domain.js';
import { contentHash, itemText, vectorNamespace, type CatalogService } from '../core/catalog/catalog.js';
import type { KeyValueStore, Logger } from '../core/ports.js';
import { vectorToBytes } from '../core/vectors.js';
import type { IngestSink, IngestVectors, StoredTitle } from '../scrapers/pipeline.js';

export const isBuiltin = (item: Pick<ContentItem, 'id'>): boolean => item.id.startsWith('builtin-');

export class CatalogIngestSink implements IngestSink {
  constructor(
    private readonly catalog: CatalogService,
    private readonly store: KeyValueStore,
    private readonly logger: Logger,
  ) {}

  private items(): readonly ContentItem[] {
    return this.catalog.size > 0 ? this.catalog.index.items : [];
  }

  async has(canonicalUrls: readonly string[]): Promise<boolean[]> {
    const known = new Set(this.items().map((i) => i.canonicalUrl));
    return canonicalUrls.map((u) => known.has(u));
  }

  async upsert(items: readonly ContentItem[], vectors?: IngestVectors): Promise<void> {
    if (items.length === 0) return;
    const t = vectors?.text;
    if (t && t.encoderId === this.catalog.textEncoder.id && t.dim === this.catalog.textEncoder.dim) {
      const ns = vectorNamespace(t.encoderId);
      // One round trip for the batch's vectors (not one per item).
      await this.store.writeBatch(
        items.map((item, i) => ({
          op: 'set' as const,
          ns,
          key: contentHash(itemText(item)),
          value: vectorToBytes(t.data.subarray(i * t.dim, (i + 1) * t.dim)),
        })),
      );
    }
    const fresh = await this.catalog.upsert(items);
    this.logger.info(
      { stored: items.length, new: fresh, catalog: this.catalog.size },
      'scraped items added to the catalog',
    );
    await this.retireBuiltin();
  }

  async expire(olderThan: Date): Promise<number> {
    const cutoff = olderThan.getTime();
    const ids = this.items()
      .filter((i) => !isBuiltin(i) && Date.parse(i.publishedAt) < cutoff)
      .map((i) => i.id);
    if (ids.length > 0) await this.catalog.remove(ids);
    return ids.length;
  }

  /** Recent scraped titles with their summaries and (known) publication times, for the same-story check. */
  async recent(limit: number): Promise<StoredTitle[]> {
    return [...this.items()]
      .filter((i) => !isBuiltin(i))
      .sort((a, b) => b.fetchedAt.localeCompare(a.fetchedAt))
      .slice(0, limit)
      .map((i) => ({
        id: i.id,
        title: i.title,
        canonicalUrl: i.canonicalUrl,
        ...(i.source !== undefined && { source: i.source }),
        ...(i.summary !== undefined && { summary: i.summary }),
        ...(!i.dateUnknown && { publishedAt: i.publishedAt }),
      }));
  }

  /** The built-in catalog only bridges the first run: retire it once scraped items outnumber it. */
  private async retireBuiltin(): Promise<void> {
    const all = this.items();
    const builtin = all.filter(isBuiltin).map((i) => i.id);
    if (builtin.length > 0 && all.length - builtin.length >= builtin.length) {
      await this.catalog.remove(builtin);
      this.logger.info(
        { retired: builtin.length },
        'scraped content now outnumbers the built-in catalog; built-in items retired',
      );
    }
  }
}
