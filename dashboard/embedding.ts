/**
 * The embedding map: item vectors of one space (text, image, a model's item tower) → 2-D points with display data.
 * Sources are the bot's live catalog (a `CatalogIndex`, plus the two-tower item tower run over it) and an eval run's
 * pools.json (the harness's similarity space, plus `modelItemVectors` when the producer stores them).
 */
import type { CatalogIndex } from '../core/catalog/catalog.js';
import type { ExperimentPools } from '../core/eval/experiment.js';
import { project, type ProjectionResult } from './projection.js';

export interface ItemInfo {
  id: string;
  title?: string | undefined;
  category?: string | undefined;
  source?: string | undefined;
  /** A thumbnail can be served for this item (`/api/thumb/<id>`). */
  thumb?: boolean;
}

export interface VectorSpace {
  name: string;
  label: string;
  dim: number;
  /** `items.length × dim`, row-major, in `items` order. */
  vectors: Float32Array;
  /** Rows that have a vector in this space (all when absent). */
  has?: Uint8Array;
}

export interface MapSource {
  /** Changes whenever the items or vectors change (cache key). */
  version: string;
  items: ItemInfo[];
  spaces: VectorSpace[];
}

export interface MapPoint {
  id: string;
  x: number;
  y: number;
  title: string;
  category: string;
  source: string;
  cluster: number;
  thumb: boolean;
}

export interface EmbeddingMap {
  space: string;
  spaces: { name: string; label: string; dim: number }[];
  points: MapPoint[];
  /** Items with a vector in this space, before sampling. */
  total: number;
  sampled: boolean;
  clusters: number;
}

/** The live catalog's spaces: text, image (items with a thumbnail vector) and, when given, the two-tower item tower. */
export function liveSource(
  index: CatalogIndex,
  twoTower?: { version: string; dim: number; vectors: Float32Array },
): MapSource {
  const spaces: VectorSpace[] = [
    { name: 'text', label: `text (${index.textEncoderId})`, dim: index.textDim, vectors: index.text },
  ];
  if (index.image && index.imageDim > 0)
    spaces.push({
      name: 'image',
      label: `image (${index.imageEncoderId ?? 'image'})`,
      dim: index.imageDim,
      vectors: index.image,
      has: index.hasImage,
    });
  if (twoTower)
    spaces.push({
      name: 'twotower',
      label: `two-tower item tower (${twoTower.version})`,
      dim: twoTower.dim,
      vectors: twoTower.vectors,
    });
  return {
    version: `${index.version}|${twoTower?.version ?? ''}`,
    items: index.items.map((it) => ({
      id: it.id,
      title: it.title,
      category: it.category,
      source: it.source,
      thumb: Boolean(it.thumbnail),
    })),
    spaces,
  };
}

/** An eval run's spaces from pools.json. */
export function poolsSource(runId: string, pools: ExperimentPools): MapSource {
  const ids = Object.keys(pools.itemVectors).sort();
  const matrix = (byId: Record<string, number[]>): { dim: number; vectors: Float32Array; has: Uint8Array } => {
    const dim = Object.values(byId)[0]?.length ?? 0;
    const vectors = new Float32Array(ids.length * dim);
    const has = new Uint8Array(ids.length);
    ids.forEach((id, i) => {
      const v = byId[id];
      if (v && v.length === dim) {
        vectors.set(v, i * dim);
        has[i] = 1;
      }
    });
    return { dim, vectors, has };
  };
  const spaces: VectorSpace[] = [
    { name: 'text', label: 'item text (the harness similarity space)', ...matrix(pools.itemVectors) },
  ];
  for (const [model, byId] of Object.entries(pools.modelItemVectors ?? {}))
    spaces.push({ name: `model:${model}`, label: `${model} item embedding`, ...matrix(byId) });
  return {
    version: `run:${runId}`,
    items: ids.map((id) => ({ id, ...(pools.itemMeta?.[id] ?? {}) })),
    spaces,
  };
}

/** Evenly spread row sample (deterministic). */
export function spreadSample(rows: readonly number[], max: number): number[] {
  if (rows.length <= max) return [...rows];
  const step = rows.length / max;
  return Array.from({ length: max }, (_, i) => rows[Math.floor(i * step)]!);
}

const cache = new Map<string, Promise<EmbeddingMap>>();
const CACHE_SIZE = 12;

export interface MapOptions {
  space: string;
  maxPoints: number;
  clusters: number;
  seed?: number;
  /** UMAP epochs (tests use few). */
  epochs?: number;
}

/** Projects one space of a source (cached per source version and options). */
export function buildMap(src: MapSource, o: MapOptions): Promise<EmbeddingMap> {
  const key = JSON.stringify([src.version, o.space, o.maxPoints, o.clusters, o.seed ?? 42, o.epochs ?? 0]);
  let hit = cache.get(key);
  if (!hit) {
    hit = computeMap(src, o);
    cache.set(key, hit);
    hit.catch(() => cache.delete(key));
    while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  return hit;
}

async function computeMap(src: MapSource, o: MapOptions): Promise<EmbeddingMap> {
  const space = src.spaces.find((s) => s.name === o.space) ?? src.spaces[0];
  const spaces = src.spaces.map(({ name, label, dim }) => ({ name, label, dim }));
  if (!space) return { space: o.space, spaces, points: [], total: 0, sampled: false, clusters: 0 };
  const withVector = src.items.map((_, i) => i).filter((i) => !space.has || space.has[i]);
  const rows = spreadSample(withVector, o.maxPoints);
  const vectors = new Float32Array(rows.length * space.dim);
  rows.forEach((r, j) => vectors.set(space.vectors.subarray(r * space.dim, (r + 1) * space.dim), j * space.dim));
  const clusters = Math.max(0, Math.min(o.clusters, 30));
  const result: ProjectionResult = await project({
    vectors,
    n: rows.length,
    dim: space.dim,
    clusters,
    seed: o.seed ?? 42,
    ...(o.epochs ? { epochs: o.epochs } : {}),
  });
  const points = rows.map((r, j): MapPoint => {
    const it = src.items[r]!;
    return {
      id: it.id,
      x: result.coords[j * 2]!,
      y: result.coords[j * 2 + 1]!,
      title: it.title ?? it.id,
      category: it.category ?? '—',
      source: it.source ?? '—',
      cluster: result.clusters[j]!,
      thumb: it.thumb ?? false,
    };
  });
  return {
    space: space.name,
    spaces,
    points,
    total: withVector.length,
    sampled: rows.length < withVector.length,
    clusters,
  };
}

/**
 * Where a query vector (a persona) lands on a map: the mean position of its `k` most cosine-similar mapped items in
 * the map's own space (UMAP places a new point near its neighbours the same way).
 */
export function placeQuery(
  map: EmbeddingMap,
  src: MapSource,
  query: Float32Array,
  k = 10,
): { x: number; y: number } | undefined {
  const space = src.spaces.find((s) => s.name === map.space);
  if (!space || space.dim !== query.length) return undefined;
  const row = new Map(src.items.map((it, i) => [it.id, i]));
  const sims = map.points.map((p) => {
    const r = row.get(p.id)!;
    let d = 0;
    for (let t = 0; t < space.dim; t++) d += space.vectors[r * space.dim + t]! * query[t]!;
    return { p, d };
  });
  sims.sort((a, b) => b.d - a.d);
  const near = sims.slice(0, k);
  if (near.length === 0) return undefined;
  return {
    x: near.reduce((s, n) => s + n.p.x, 0) / near.length,
    y: near.reduce((s, n) => s + n.p.y, 0) / near.length,
  };
}
