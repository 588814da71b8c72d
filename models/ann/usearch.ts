/**
 * `VectorIndexFactory` on usearch (HNSW, single-file indexes, prebuilt binaries): cosine similarity over the
 * catalog's L2-normalised text vectors, stored as f32, f16 or i8 (`CATALOG_VECTOR_QUANTIZATION`). A saved index
 * is reopened with usearch's `view` (memory-mapped, read-only): a warm restart maps the file instead of
 * rebuilding the graph; the catalog keeps later changes in a small mutable delta (core/catalog/ann.ts).
 */
import usearch from 'usearch';
import type { VectorIndex, VectorIndexFactory } from '../../core/catalog/ann.js';

const { Index, MetricKind, ScalarKind } = usearch;

export type Quantization = 'f32' | 'f16' | 'i8';

export interface UsearchOptions {
  quantization: Quantization;
  /** HNSW graph degree M (usearch `connectivity`). */
  connectivity: number;
  /** Candidate list size while inserting (`expansion_add`). */
  expansionAdd: number;
  /** Candidate list size while searching (`expansion_search`): the recall/latency knob. */
  expansionSearch: number;
}

export const DEFAULT_USEARCH: UsearchOptions = {
  quantization: 'f16',
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: 256,
};

const SCALAR = { f32: ScalarKind.F32, f16: ScalarKind.F16, i8: ScalarKind.I8 } as const;

/** Keys to usearch's 64-bit keys. */
function bigKeys(keys: Uint32Array): BigUint64Array {
  const out = new BigUint64Array(keys.length);
  for (let i = 0; i < keys.length; i++) out[i] = BigInt(keys[i]!);
  return out;
}

class UsearchIndex implements VectorIndex {
  constructor(
    readonly id: string,
    readonly dim: number,
    private readonly index: InstanceType<typeof Index>,
    readonly mutable: boolean,
  ) {}

  get size(): number {
    return this.index.size();
  }

  add(keys: Uint32Array, vectors: Float32Array): void {
    if (!this.mutable) throw new Error(`${this.id}: a memory-mapped index is read-only`);
    if (keys.length === 0) return;
    this.index.add(bigKeys(keys), vectors, 0);
  }

  remove(keys: Uint32Array): void {
    if (!this.mutable) throw new Error(`${this.id}: a memory-mapped index is read-only`);
    if (keys.length === 0) return;
    this.index.remove(bigKeys(keys));
  }

  search(query: Float32Array, k: number): { keys: Uint32Array; scores: Float32Array } {
    if (this.index.size() === 0 || k <= 0) return { keys: new Uint32Array(0), scores: new Float32Array(0) };
    const m = this.index.search(query, k, 1);
    const n = m.keys.length;
    const keys = new Uint32Array(n);
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      keys[i] = Number(m.keys[i]!);
      scores[i] = 1 - m.distances[i]!; // cosine distance → similarity
    }
    return { keys, scores };
  }

  save(path: string): void {
    this.index.save(path);
  }
}

export class UsearchFactory implements VectorIndexFactory {
  readonly id: string;
  private readonly o: UsearchOptions;

  constructor(options: Partial<UsearchOptions> = {}) {
    this.o = { ...DEFAULT_USEARCH, ...options };
    this.id = `usearch-hnsw:${this.o.quantization}:M${this.o.connectivity}:efc${this.o.expansionAdd}`;
  }

  private make(dim: number): InstanceType<typeof Index> {
    return new Index({
      dimensions: dim,
      metric: MetricKind.Cos,
      quantization: SCALAR[this.o.quantization],
      connectivity: this.o.connectivity,
      expansion_add: this.o.expansionAdd,
      expansion_search: this.o.expansionSearch,
      multi: false,
    });
  }

  create(dim: number, _capacity?: number): VectorIndex {
    return new UsearchIndex(`${this.id}:efs${this.o.expansionSearch}`, dim, this.make(dim), true);
  }

  open(path: string, dim: number): VectorIndex {
    const index = this.make(dim);
    index.view(path);
    if (index.dimensions() !== dim)
      throw new Error(`${path}: index has ${index.dimensions()} dimensions, expected ${dim}`);
    return new UsearchIndex(`${this.id}:efs${this.o.expansionSearch} (view)`, dim, index, false);
  }
}
