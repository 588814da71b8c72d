/**
 * Candidate generation for large catalogs: an approximate nearest-neighbour (ANN) index over the item text
 * vectors. Core defines the port (`VectorIndex`, `VectorIndexFactory`) and keeps an exact implementation (the
 * test oracle and the small-catalog default); `models/ann/usearch.ts` implements it with usearch's HNSW.
 *
 * Keys are the catalog's item *slots*: stable numbers given to an item's vector when it enters the index (a
 * changed item gets a new slot), so rows can be renumbered by removals without touching the index. An index
 * opened from a snapshot may be a read-only memory-mapped view; `AnnLayer` then keeps changes in a small
 * mutable delta index and a set of retired slots until the next full rebuild.
 */

/** An index over L2-normalised vectors; similarity is the inner product (= cosine). */
export interface VectorIndex {
  /** What it is, for logs and the snapshot manifest, e.g. `usearch hnsw f16 M=16`. */
  readonly id: string;
  readonly dim: number;
  /** Vectors held (retired ones excluded where the library counts them). */
  readonly size: number;
  /** False for a read-only view of a saved file: `add`/`remove` throw. */
  readonly mutable: boolean;
  add(keys: Uint32Array, vectors: Float32Array): void;
  remove(keys: Uint32Array): void;
  /** The `k` most similar keys, best first, with their (approximate) similarities. */
  search(query: Float32Array, k: number): { keys: Uint32Array; scores: Float32Array };
  /** Writes the index to one file (the snapshot's `ann` file). */
  save(path: string): void;
}

/** Makes and opens indexes of one kind (library, quantization, graph parameters). */
export interface VectorIndexFactory {
  /** Identifies the kind: a saved index is only reopened by a factory with the same id. */
  readonly id: string;
  create(dim: number, capacity: number): VectorIndex;
  /** Opens a saved index: memory-mapped and read-only where the library allows, else loaded. */
  open(path: string, dim: number): VectorIndex;
}

/**
 * Brute force over the vectors it holds: exact, mutable, no files of its own. The oracle for ANN recall tests,
 * and a stand-in where no ANN library is configured.
 */
export class ExactVectorIndex implements VectorIndex {
  readonly id = 'exact';
  readonly mutable = true;
  private keys = new Uint32Array(0);
  private vectors = new Float32Array(0);
  private live = new Uint8Array(0);
  private count = 0;
  private liveCount = 0;
  private readonly where = new Map<number, number>();

  constructor(readonly dim: number) {}

  get size(): number {
    return this.liveCount;
  }

  add(keys: Uint32Array, vectors: Float32Array): void {
    if (vectors.length !== keys.length * this.dim) throw new Error('ExactVectorIndex.add: vectors ≠ keys × dim');
    this.reserve(this.count + keys.length);
    for (let i = 0; i < keys.length; i++) {
      const old = this.where.get(keys[i]!);
      if (old !== undefined && this.live[old]) {
        this.live[old] = 0;
        this.liveCount--;
      }
      this.keys[this.count] = keys[i]!;
      this.vectors.set(vectors.subarray(i * this.dim, (i + 1) * this.dim), this.count * this.dim);
      this.live[this.count] = 1;
      this.where.set(keys[i]!, this.count);
      this.count++;
      this.liveCount++;
    }
  }

  remove(keys: Uint32Array): void {
    for (const k of keys) {
      const at = this.where.get(k);
      if (at === undefined) continue;
      this.where.delete(k);
      if (this.live[at]) {
        this.live[at] = 0;
        this.liveCount--;
      }
    }
  }

  search(query: Float32Array, k: number): { keys: Uint32Array; scores: Float32Array } {
    const { dim } = this;
    const best: { key: number; score: number }[] = [];
    for (let r = 0; r < this.count; r++) {
      if (!this.live[r]) continue;
      let s = 0;
      const off = r * dim;
      for (let d = 0; d < dim; d++) s += this.vectors[off + d]! * query[d]!;
      if (best.length < k) {
        best.push({ key: this.keys[r]!, score: s });
        if (best.length === k) best.sort((a, b) => b.score - a.score);
      } else if (s > best[k - 1]!.score) {
        best[k - 1] = { key: this.keys[r]!, score: s };
        for (let j = k - 1; j > 0 && best[j]!.score > best[j - 1]!.score; j--) {
          [best[j], best[j - 1]] = [best[j - 1]!, best[j]!];
        }
      }
    }
    if (best.length < k) best.sort((a, b) => b.score - a.score);
    return { keys: Uint32Array.from(best, (b) => b.key), scores: Float32Array.from(best, (b) => b.score) };
  }

  save(): void {
    throw new Error('ExactVectorIndex has no file form');
  }

  private reserve(n: number): void {
    if (n <= this.keys.length) return;
    const cap = Math.max(n, this.keys.length * 2, 64);
    const keys = new Uint32Array(cap);
    keys.set(this.keys);
    const vectors = new Float32Array(cap * this.dim);
    vectors.set(this.vectors);
    const live = new Uint8Array(cap);
    live.set(this.live);
    this.keys = keys;
    this.vectors = vectors;
    this.live = live;
  }
}

/** The exact index as a factory (tests; no snapshot file). */
export const exactIndexFactory: VectorIndexFactory = {
  id: 'exact',
  create: (dim) => new ExactVectorIndex(dim),
  open: () => {
    throw new Error('the exact index is not saved to files');
  },
};

/**
 * The live ANN state of a catalog: a base index (built here, or a read-only view of the snapshot's file), a
 * mutable delta for slots added since the base was opened read-only, and the retired slots of the base.
 * `search` merges both and drops retired slots.
 */
export class AnnLayer {
  private delta: VectorIndex | undefined;
  private readonly retired = new Set<number>();

  constructor(
    readonly base: VectorIndex,
    private readonly factory: VectorIndexFactory,
  ) {}

  get id(): string {
    return this.base.id;
  }

  /** Slots kept outside the base (delta vectors and retired base slots): a measure of how stale the base is. */
  get pending(): number {
    return (this.delta?.size ?? 0) + this.retired.size;
  }

  get size(): number {
    return this.base.size + (this.delta?.size ?? 0) - (this.base.mutable ? 0 : this.retired.size);
  }

  add(slots: Uint32Array, vectors: Float32Array): void {
    if (slots.length === 0) return;
    if (this.base.mutable) {
      this.base.add(slots, vectors);
      return;
    }
    this.delta ??= this.factory.create(this.base.dim, Math.max(1024, slots.length));
    this.delta.add(slots, vectors);
  }

  remove(slots: Uint32Array): void {
    if (slots.length === 0) return;
    if (this.base.mutable) {
      this.base.remove(slots);
      return;
    }
    this.delta?.remove(slots);
    for (const s of slots) this.retired.add(s);
  }

  /** The `k` best live slots, best first. */
  search(query: Float32Array, k: number): Uint32Array {
    const wanted = Math.min(k + this.retired.size, k * 4);
    const base = this.base.size > 0 ? this.base.search(query, Math.max(1, wanted)) : undefined;
    const delta = this.delta && this.delta.size > 0 ? this.delta.search(query, k) : undefined;
    const merged: { key: number; score: number }[] = [];
    if (base) {
      for (let i = 0; i < base.keys.length; i++) {
        const key = base.keys[i]!;
        if (!this.retired.has(key)) merged.push({ key, score: base.scores[i]! });
      }
    }
    if (delta)
      for (let i = 0; i < delta.keys.length; i++) merged.push({ key: delta.keys[i]!, score: delta.scores[i]! });
    if (delta) merged.sort((a, b) => b.score - a.score);
    return Uint32Array.from(merged.slice(0, k), (m) => m.key);
  }
}
