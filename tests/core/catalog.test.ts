import { describe, expect, it } from 'vitest';
import { CatalogService } from '../../core/catalog/catalog.js';
import type { ContentItem } from '../../core/domain.js';
import { silentLogger, type ImageEncoder, type TextEncoder } from '../../core/ports.js';
import { LexicalEncoder } from '../../core/lexical.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { item, topicCatalog } from '../helpers/items.js';

function counting(): TextEncoder & { texts: number } {
  const inner = new LexicalEncoder({ dim: 64 });
  const enc = {
    id: 'count-64',
    dim: 64,
    label: 'counting',
    texts: 0,
    async encode(texts: readonly string[]) {
      enc.texts += texts.length;
      return inner.encodeSync(texts);
    },
  };
  return enc;
}

function countingImages(): ImageEncoder & { images: number } {
  const enc = {
    id: 'img-4',
    dim: 4,
    label: 'images',
    images: 0,
    async encode(images: readonly Uint8Array[]) {
      enc.images += images.length;
      return Float32Array.from(images.flatMap(() => [1, 0, 0, 0]));
    },
  };
  return enc;
}

async function setup(items: ContentItem[]) {
  const store = new MemoryStore();
  for (const it of items) await store.set('items', it.id, it);
  const text = counting();
  const image = countingImages();
  const loads: string[] = [];
  const catalog = new CatalogService({
    store,
    text,
    image,
    loadImage: async (it) => {
      loads.push(it.id);
      return it.thumbnail === 'broken' ? undefined : new Uint8Array([1, 2, 3]);
    },
    logger: silentLogger,
  });
  await catalog.refresh();
  return { store, text, image, loads, catalog };
}

describe('CatalogService', () => {
  it('GIVEN new and changed items THEN only those are embedded, and the index grows in place', async () => {
    const base = topicCatalog();
    const { text, catalog } = await setup(base);
    expect(text.texts).toBe(base.length);
    const versions: string[] = [catalog.index.version];
    catalog.onRefresh((idx) => void versions.push(idx.version));
    const fresh = item('new1', 'Brand new story about chess engines', 'tech');
    const changed = { ...base[0]!, title: 'A rewritten title about football tactics' };
    expect(await catalog.upsert([fresh, changed])).toBe(1);
    expect(text.texts).toBe(base.length + 2);
    expect(catalog.size).toBe(base.length + 1);
    expect(catalog.index.rowOf.get('new1')).toBe(base.length);
    expect(catalog.index.items[catalog.index.rowOf.get(base[0]!.id)!]!.title).toBe(changed.title);
    expect(versions).toHaveLength(2);
    // A full refresh from the store reuses every row: nothing is embedded again.
    await catalog.refresh();
    expect(text.texts).toBe(base.length + 2);
  });

  it('GIVEN removals THEN the rows go and nothing is embedded', async () => {
    const base = topicCatalog();
    const { text, catalog, store } = await setup(base);
    await catalog.remove(['f1', 'f2']);
    expect(catalog.size).toBe(base.length - 2);
    expect(catalog.index.rowOf.has('f1')).toBe(false);
    expect(await store.get('items', 'f1')).toBeUndefined();
    expect(text.texts).toBe(base.length);
    // Reused rows keep their vectors: row r of the new index equals the old vector of that item.
    const r = catalog.index.rowOf.get('r1')!;
    const fresh = await new LexicalEncoder({ dim: 64 }).encode([
      'Ramen recipe: rich tonkotsu broth at home \nRamen recipe: rich tonkotsu broth at home \nramen \nrecipe',
    ]);
    expect(Array.from(catalog.index.text.subarray(r * 64, r * 64 + 64))).toEqual(Array.from(fresh));
  });

  it('GIVEN thumbnails THEN each is embedded once; a broken one is not retried until it changes', async () => {
    const items = [
      { ...item('a', 'Alpha', 'news'), thumbnail: 'ok-a' },
      { ...item('b', 'Beta', 'news'), thumbnail: 'broken' },
      item('c', 'Gamma', 'news'),
    ];
    const { image, loads, catalog } = await setup(items);
    expect(image.images).toBe(1);
    expect(Array.from(catalog.index.hasImage)).toEqual([1, 0, 0]);
    await catalog.upsert([item('d', 'Delta', 'news')]);
    await catalog.refresh();
    expect(loads.sort()).toEqual(['a', 'b']);
    await catalog.upsert([{ ...items[1]!, thumbnail: 'ok-b' }]);
    expect(loads.sort()).toEqual(['a', 'b', 'b']);
    expect(catalog.index.hasImage[catalog.index.rowOf.get('b')!]).toBe(1);
  });

  it('GIVEN concurrent upserts THEN none is lost', async () => {
    const { catalog } = await setup(topicCatalog());
    await Promise.all(
      Array.from({ length: 10 }, (_, k) => catalog.upsert([item(`c${k}`, `Concurrent story ${k}`, 'news')])),
    );
    for (let k = 0; k < 10; k++) expect(catalog.index.rowOf.has(`c${k}`)).toBe(true);
  });
});
