/**
 * Large-catalog mode on tiny generated data: ANN candidates (usearch and the exact oracle) against exact scoring,
 * keyword-only matches staying reachable, snapshots (warm restart, corruption, staleness), the change log across
 * two processes on one store, and seeding by content hash.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExactVectorIndex, exactIndexFactory } from '../../core/catalog/ann.js';
import { CatalogService, seedOfItems, type CatalogServiceOptions } from '../../core/catalog/catalog.js';
import { catalogSeed } from '../../infra/catalog/builtin.js';
import type { ContentItem } from '../../core/domain.js';
import { silentLogger, type Logger, type TextEncoder } from '../../core/ports.js';
import { rankItems, scoreCatalog, type RankInput } from '../../core/recommend.js';
import { emptyPersona } from '../../core/users/doc.js';
import { FileCatalogSnapshots } from '../../infra/catalog/snapshot.js';
import { MemoryStore } from '../../infra/store/memory.js';
import { UsearchFactory } from '../../models/ann/usearch.js';
import { settingsFrom } from '../../app/settings.js';
import { defaultConfig } from '../../core/config.js';
import { clusteredVectors, generateRows } from '../../scripts/bench/catalog-gen.js';
import { loadBuiltinCatalog } from '../../infra/catalog/builtin.js';
import { item } from '../helpers/items.js';

const WEIGHTS = settingsFrom(defaultConfig()).weights;
const NOW = new Date('2026-11-26T00:00:00Z');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'reco-large-'));
  dirs.push(d);
  return d;
};

/** A text encoder that looks vectors up by text in a generated matrix (so tests control the geometry). */
function tableEncoder(
  items: readonly ContentItem[],
  vectors: Float32Array,
  dim: number,
): TextEncoder & { calls: number } {
  const byText = new Map<string, number>();
  items.forEach((it, i) => byText.set([it.title, it.summary, ...(it.tags ?? [])].join(' \n'), i));
  const enc = {
    id: `table:${dim}`,
    dim,
    label: 'table',
    calls: 0,
    async encode(texts: readonly string[]) {
      enc.calls += texts.length;
      const out = new Float32Array(texts.length * dim);
      texts.forEach((t, k) => {
        const i = byText.get(t);
        if (i !== undefined) out.set(vectors.subarray(i * dim, (i + 1) * dim), k * dim);
        else out[k * dim] = 1;
      });
      return out;
    },
  };
  return enc;
}

function generated(n: number, dim: number) {
  const path = join(tmp(), 'rows.json');
  writeFileSync(path, JSON.stringify(generateRows(n, 5)));
  const items = loadBuiltinCatalog({ path, now: NOW });
  const vectors = clusteredVectors(n, dim, 3, 32, 0.8);
  return { items, vectors, path };
}

async function service(items: readonly ContentItem[], enc: TextEncoder, extra: Partial<CatalogServiceOptions> = {}) {
  const store = (extra.store as MemoryStore | undefined) ?? new MemoryStore();
  if (!extra.store) for (const it of items) await store.set('items', it.id, it);
  const catalog = new CatalogService({ store, text: enc, logger: silentLogger, ...extra });
  await catalog.refresh();
  await catalog.idle();
  return { store, catalog };
}

function input(index: RankInput['index'], persona = emptyPersona('u', NOW.toISOString())): RankInput {
  return { index, persona, feedback: {}, shown: {}, explore: 0, count: 10, now: NOW, weights: WEIGHTS };
}

describe('ANN candidate generation', () => {
  it('GIVEN generated clustered vectors THEN usearch recall@10 against the exact oracle is at least 0.95, and f16/i8 are measured', () => {
    const n = 3000,
      dim = 32;
    const vectors = clusteredVectors(n, dim, 9, 24, 0.8);
    const keys = Uint32Array.from({ length: n }, (_, i) => i);
    const exact = new ExactVectorIndex(dim);
    exact.add(keys, vectors);
    const queries = clusteredVectors(50, dim, 99, 24, 0.8);
    for (const quantization of ['f32', 'f16', 'i8'] as const) {
      const ann = new UsearchFactory({ quantization, expansionSearch: 128 }).create(dim);
      ann.add(keys, vectors);
      let hit = 0;
      for (let qi = 0; qi < 50; qi++) {
        const q = queries.subarray(qi * dim, (qi + 1) * dim);
        const truth = new Set(exact.search(q, 10).keys);
        for (const k of ann.search(q, 10).keys) if (truth.has(k)) hit++;
      }
      expect(hit / 500, quantization).toBeGreaterThanOrEqual(quantization === 'i8' ? 0.85 : 0.95);
    }
  });

  it('GIVEN a catalog above the threshold THEN the ANN list matches exact scoring, and a keyword-only item is still found', async () => {
    const n = 1500,
      dim = 16;
    const { items, vectors } = generated(n, dim);
    // One item whose vector points away from everything but whose text names a rare term.
    items.push(item('needle', 'Zyxwvut festival announced', 'music', { now: NOW, views: 1 }));
    const v2 = new Float32Array((n + 1) * dim);
    v2.set(vectors);
    v2[n * dim + dim - 1] = -1;
    const enc = tableEncoder(items, v2, dim);
    const { catalog } = await service(items, enc, {
      annFactory: new UsearchFactory({ quantization: 'f32' }),
      annMinItems: 1000,
    });
    const index = catalog.index;
    expect(index.ann).toBeDefined();
    expect(catalog.describe()).toMatch(/ANN candidates/);
    const persona = emptyPersona('u', NOW.toISOString());
    persona.vector = Array.from(v2.subarray(7 * dim, 8 * dim));
    persona.encoderId = enc.id;
    const viaAnn = rankItems(input(index, persona)).map((r) => r.row);
    const exact = rankItems({ ...input(index, persona), mode: 'exact' }).map((r) => r.row);
    const overlap = viaAnn.filter((r) => exact.includes(r)).length;
    expect(overlap).toBeGreaterThanOrEqual(9);
    // Topic by keyword only: the needle's vector is far from the topic vector, its term is not.
    const topic = rankItems({ ...input(index), topic: { text: 'zyxwvut', vector: v2.subarray(0, dim) } });
    expect(topic.map((r) => index.items[r.row]!.id)).toContain('needle');
    // Filters still hold with candidates (a category absent from the candidates falls back to exact scoring).
    const sports = rankItems({ ...input(index, persona), category: 'sports' });
    expect(sports.length).toBe(10);
    expect(sports.every((r) => index.items[r.row]!.category === 'sports')).toBe(true);
  });

  it('GIVEN candidate scoring twice on one index THEN the reused buffers (scores, prior, row positions) carry nothing of the first request', async () => {
    const n = 1500,
      dim = 16;
    const { items, vectors } = generated(n, dim);
    const enc = tableEncoder(items, vectors, dim);
    const { catalog } = await service(items, enc, { annFactory: exactIndexFactory, annMinItems: 1000 });
    const index = catalog.index;
    // A term many rows carry: its rows join the candidates and get keyword scores through the position table.
    const term = [...index.termRows.entries()].find(([t, r]) => r.length > 50 && t.length > 3)![0];
    const personaAt = (row: number) => {
      const p = emptyPersona('u', NOW.toISOString());
      p.vector = Array.from(vectors.subarray(row * dim, (row + 1) * dim));
      p.encoderId = enc.id;
      p.interests = [{ term, weight: 1, source: 'message', updatedAt: NOW.toISOString() }];
      return p;
    };
    const a = { ...input(index, personaAt(3)), annCandidates: 60 };
    const b = { ...input(index, personaAt(1200)), annCandidates: 60 };
    const first = scoreCatalog(b);
    const firstScore = Float32Array.from(first.score);
    const firstPop = Float32Array.from(first.rows!, (r) => first.pop[r]!);
    const other = scoreCatalog(a);
    expect(other.rows!.some((r) => !first.rows!.includes(r))).toBe(true); // the two requests score other rows
    const again = scoreCatalog(b);
    expect(Array.from(again.rows!)).toEqual(Array.from(first.rows!));
    // Every score as on the first pass: rows only A scored are −∞ again, B's rows have B's values.
    expect(Array.from(again.score)).toEqual(Array.from(firstScore));
    expect(Array.from(again.rows!, (r) => again.pop[r]!)).toEqual(Array.from(firstPop));
    // An item only A scored, marked as shown to B: not a B candidate, so it changes nothing (a position left over
    // from A would put its penalty on whichever B row took that position).
    scoreCatalog(a);
    const onlyA = other.rows!.find((r) => !first.rows!.includes(r))!;
    const shown = { [index.items[onlyA]!.id]: { count: 1, lastAt: NOW.toISOString() } };
    expect(Array.from(scoreCatalog({ ...b, shown }).score)).toEqual(Array.from(firstScore));
  });

  it('GIVEN upserts and removals THEN the ANN index follows without a rebuild and only new rows are embedded', async () => {
    const n = 1200,
      dim = 16;
    const { items, vectors } = generated(n, dim);
    const enc = tableEncoder(items, vectors, dim);
    const { catalog } = await service(items.slice(0, 1100), enc, { annFactory: exactIndexFactory, annMinItems: 1000 });
    const before = enc.calls;
    await catalog.upsert(items.slice(1100));
    expect(enc.calls - before).toBe(100);
    const target = vectors.subarray(1150 * dim, 1151 * dim);
    expect(Array.from(catalog.index.ann!.nearest(target, 1))).toEqual([1150]);
    await catalog.remove([items[1150]!.id]);
    const near = catalog.index.ann!.nearest(target, 5);
    expect(Array.from(near).map((r) => catalog.index.items[r]!.id)).not.toContain(items[1150]!.id);
  });
});

describe('catalog snapshots', () => {
  function capture(): Logger & { warnings: string[] } {
    const warnings: string[] = [];
    const log: Logger & { warnings: string[] } = {
      warnings,
      debug() {},
      info() {},
      warn(_o, msg) {
        warnings.push(msg ?? '');
      },
      error() {},
      child: () => log,
    };
    return log;
  }

  it('GIVEN a snapshot THEN a restart reads no item rows, keeps the ANN index (memory-mapped) and catches up with later store changes', async () => {
    const n = 1200,
      dim = 16;
    const { items, vectors } = generated(n, dim);
    const enc = tableEncoder(items, vectors, dim);
    const dir = tmp();
    const annFactory = new UsearchFactory({ quantization: 'f16' });
    const opts = { annFactory, annMinItems: 1000, snapshots: new FileCatalogSnapshots({ dir, annFactory }) };
    const { store, catalog } = await service(items, enc, opts);
    expect(readdirSync(dir).length).toBe(1);
    // Another process changes the store (through its own catalog service) after the snapshot was written.
    const other = new CatalogService({ store, text: enc, logger: silentLogger });
    await other.refresh();
    const edited = { ...items[3]!, title: 'Edited while away' };
    await other.upsert([edited]);
    await other.remove([items[4]!.id]);
    await catalog.close();

    let reads = 0;
    const getMany = store.getMany.bind(store);
    store.getMany = async <T>(ns: string, keys: readonly string[]) => {
      if (ns === 'items') reads += keys.length;
      return getMany<T>(ns, keys);
    };
    const callsBefore = enc.calls;
    const warm = new CatalogService({ store, text: enc, logger: silentLogger, ...opts });
    await warm.refresh();
    expect(warm.size).toBe(n - 1);
    expect(reads).toBe(2); // only the two rows the change log names
    expect(enc.calls - callsBefore).toBe(0); // the edited row's vector comes from the store's cache (the other process embedded it)
    const idx = warm.index;
    expect(idx.items[idx.rowOf.get(items[3]!.id)!]!.title).toBe('Edited while away');
    expect(idx.rowOf.has(items[4]!.id)).toBe(false);
    expect(idx.ann?.id).toMatch(/view/);
    await warm.close();
  });

  it('GIVEN a corrupt snapshot file THEN a warning, a rebuild from the store, and a new good snapshot', async () => {
    const { items, vectors } = generated(300, 8);
    const enc = tableEncoder(items, vectors, 8);
    const dir = tmp();
    const { store, catalog } = await service(items, enc, { snapshots: new FileCatalogSnapshots({ dir }) });
    await catalog.close();
    const [keyDir] = readdirSync(dir);
    const [snap] = readdirSync(join(dir, keyDir!));
    writeFileSync(join(dir, keyDir!, snap!, 'text.f32'), Buffer.alloc(300 * 8 * 4, 7));
    const log = capture();
    const again = new CatalogService({ store, text: enc, logger: log, snapshots: new FileCatalogSnapshots({ dir }) });
    await again.refresh();
    await again.idle();
    expect(again.size).toBe(300);
    expect(log.warnings.join('\n')).toMatch(/snapshot unusable/);
    expect(Array.from(again.index.text.subarray(0, 8))).toEqual(Array.from(vectors.subarray(0, 8)));
    await again.close();
    const good = readdirSync(join(dir, keyDir!));
    expect(good).toHaveLength(1);
    expect(good[0]).not.toBe(snap);
  });

  it('GIVEN a snapshot made from another store (wiped or replaced) THEN it is not trusted', async () => {
    const { items, vectors } = generated(200, 8);
    const enc = tableEncoder(items, vectors, 8);
    const dir = tmp();
    const first = await service(items, enc, { snapshots: new FileCatalogSnapshots({ dir }) });
    await first.catalog.close();
    const fresh = new MemoryStore();
    for (const it of items.slice(0, 50)) await fresh.set('items', it.id, it);
    const log = capture();
    const other = new CatalogService({
      store: fresh,
      text: enc,
      logger: log,
      snapshots: new FileCatalogSnapshots({ dir }),
    });
    await other.refresh();
    expect(other.size).toBe(50);
    expect(log.warnings.join('\n')).toMatch(/stale/);
    await other.close();
  });
});

describe('CatalogService.syncSeed', () => {
  it('GIVEN an edited CATALOG_PATH with the same row count THEN edited rows update, removed rows retire, freshness stays', async () => {
    const dir = tmp();
    const path = join(dir, 'catalog.json');
    const rows = generateRows(20, 8);
    writeFileSync(path, JSON.stringify(rows));
    const store = new MemoryStore();
    const catalog = new CatalogService({ store, text: tableEncoder([], new Float32Array(0), 8), logger: silentLogger });
    const first = await catalog.syncSeed(catalogSeed({ path, now: NOW }));
    expect(first).toMatchObject({ unchanged: false, added: 20 });
    expect((await catalog.syncSeed(catalogSeed({ path, now: new Date(NOW.getTime() + 3_600_000) }))).unchanged).toBe(
      true,
    );
    const firstPublished = (await store.get<ContentItem>('items', rows[0]!.id))!.publishedAt;
    // Same number of rows: row 0 edited, row 1 replaced by a new id.
    const next = rows.map((r) => ({ ...r }));
    next[0] = { ...next[0]!, title: 'A corrected title' };
    const removedId = next[1]!.id;
    next[1] = { ...next[1]!, id: 'builtin-zz-0001', url: 'https://example.com/zz/1' };
    writeFileSync(path, JSON.stringify(next));
    const later = new Date(NOW.getTime() + 86_400_000);
    const sync = await catalog.syncSeed(catalogSeed({ path, now: later }));
    expect(sync).toEqual({ unchanged: false, added: 1, updated: 1, retired: 1 });
    const row0 = await store.get<ContentItem>('items', rows[0]!.id);
    expect(row0?.title).toBe('A corrected title');
    expect(row0?.publishedAt).toBe(firstPublished);
    expect(await store.get('items', removedId)).toBeUndefined();
    // A scraped item is never retired by a seed.
    await store.set('items', 'scraped-1', item('scraped-1', 'Scraped story', 'news'));
    writeFileSync(path, JSON.stringify(next.slice(0, 10)));
    expect((await catalog.syncSeed(catalogSeed({ path, now: later }))).retired).toBe(10);
    expect(await store.get('items', 'scraped-1')).toBeDefined();
  });

  it('GIVEN a running index THEN a seed change reaches it without a reload', async () => {
    const items = [item('a', 'Alpha story', 'news'), item('b', 'Beta story', 'tech')];
    const enc = tableEncoder(items, new Float32Array(16), 8);
    const { catalog } = await service([], enc);
    await catalog.syncSeed(seedOfItems(items));
    expect(catalog.size).toBe(2);
    await catalog.syncSeed(seedOfItems([items[0]!]));
    expect(catalog.index.rowOf.has('b')).toBe(false);
  });
});
