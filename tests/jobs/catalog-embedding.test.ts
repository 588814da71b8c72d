/**
 * Re-embedding the catalog for a new model as jobs (app/catalog-embedding.ts): chunks with stable ids, so a
 * second process switching to the same model adds no work; vectors land in the cache by content hash, and the
 * encoder switch afterwards embeds nothing more.
 */
import { describe, expect, it } from 'vitest';
import { embedCatalogAsJobs, embedChunkHandler, embedChunks, embedKind } from '../../app/catalog-embedding.js';
import { CatalogService } from '../../core/catalog/catalog.js';
import { InProcessJobQueue } from '../../core/jobs/in-process.js';
import { LexicalEncoder } from '../../core/lexical.js';
import { silentLogger, type TextEncoder } from '../../core/ports.js';
import { NS_ITEMS } from '../../core/store/namespaces.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { topicCatalog } from '../helpers/items.js';

/** Counts the texts a model embeds. */
function counting(inner: TextEncoder): TextEncoder & { rows: number } {
  const enc = {
    rows: 0,
    id: inner.id,
    label: inner.label,
    dim: inner.dim,
    encode: async (texts: string[]) => {
      enc.rows += texts.length;
      return inner.encode(texts);
    },
  };
  return enc as TextEncoder & { rows: number };
}

describe('catalog embedding jobs', () => {
  it('GIVEN two processes switching to one model THEN each item is embedded once and the switch reuses the cache', async () => {
    const store = new MemoryStore();
    const items = topicCatalog(new Date('2026-03-10T00:00:00Z'));
    for (const it of items) await store.set(NS_ITEMS, it.id, it);
    const catalog = new CatalogService({ store, text: new LexicalEncoder({ dim: 8 }), logger: silentLogger });
    await catalog.refresh();
    const model = counting(new LexicalEncoder({ dim: 32 }));
    expect(embedChunks(model.id, items, 7).map((c) => c.chunkId)).toEqual(
      embedChunks(model.id, [...items].reverse(), 7).map((c) => c.chunkId),
    ); // the same catalog gives the same job ids, whatever the order

    const replicas = [new InProcessJobQueue({ store }), new InProcessJobQueue({ store })];
    for (const q of replicas) {
      q.handle(embedKind(model.id), embedChunkHandler({ store, text: model, logger: silentLogger, batch: 4 }));
      await q.start();
    }
    const run = (q: InProcessJobQueue) =>
      embedCatalogAsJobs({ jobs: q, catalog, store, text: model, logger: silentLogger, chunkSize: 7, pollMs: 10 });
    expect(await run(replicas[0]!)).toBe(1);
    expect(model.rows).toBe(items.length);
    expect(await run(replicas[1]!)).toBe(1); // the second process finds every chunk done
    expect(model.rows).toBe(items.length);
    expect(await catalog.cachedShare(model.id)).toBe(1);

    await catalog.switchEncoders({ text: model });
    expect(catalog.textEncoder.id).toBe(model.id);
    expect(model.rows).toBe(items.length); // nothing embedded twice
    await Promise.all(replicas.map((q) => q.close()));
  });
});
