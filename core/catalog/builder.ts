/**
 * Builds catalog index versions for `CatalogService` (core/catalog/catalog.ts): rows whose content did not change
 * keep their vectors and ANN slots, the text matrix grows in place when it can, and only new or changed rows go to
 * the vector cache and then the encoders (in batches). Also keeps the ANN layer in step with each version.
 */
import type { ContentItem } from '../domain.js';
import type { ImageEncoder, TextEncoder } from '../ports.js';
import { bytesToVector, vectorToBytes } from '../vectors.js';
import { AnnLayer } from './ann.js';
import {
  buildIndex,
  candidateIndex,
  contentHash,
  itemText,
  vectorNamespace,
  withCandidates,
  type BuildIndexInput,
  type CatalogIndex,
} from './catalog-index.js';
import type { CatalogServiceOptions } from './options.js';

export class IndexBuilder {
  /** The next free ANN slot. */
  nextSlot = 0;
  /** The ANN layer over the current version's text vectors (large catalogs only). */
  ann: AnnLayer | undefined;

  constructor(private readonly o: CatalogServiceOptions) {}

  /**
   * A fresh ANN index over `idx`'s rows, built in steps so requests keep being answered meanwhile; the same index
   * with it as candidate generator, or undefined when stopped (`closed`).
   */
  async buildAnn(idx: CatalogIndex, closed: () => boolean): Promise<CatalogIndex | undefined> {
    const factory = this.o.annFactory;
    if (!factory || closed()) return undefined;
    const started = Date.now();
    const n = idx.items.length;
    const dim = idx.textDim;
    const base = factory.create(dim, n);
    const step = this.o.annBuildBatch ?? 4096;
    for (let from = 0; from < n; from += step) {
      if (closed()) return undefined;
      const to = Math.min(n, from + step);
      base.add(idx.slots.slice(from, to), idx.text.subarray(from * dim, to * dim));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.ann = new AnnLayer(base, factory);
    this.o.logger.info({ items: n, ms: Date.now() - started, ann: base.id }, 'ANN index built');
    return withCandidates(idx, candidateIndex(this.ann, idx.slots));
  }

  /**
   * The text matrix for `n` rows: the current backing buffer when the new rows extend the old ones in place (no
   * removals, same encoder), so an upsert writes only its rows; a fresh buffer with 10% headroom otherwise.
   * Older index versions keep their view of the rows they had (appends go past them).
   */
  textBacking: Float32Array | undefined;

  private textMatrixFor(n: number, dim: number, inPlace: boolean): { m: Float32Array; fresh: boolean } {
    const b = this.textBacking;
    if (inPlace && b && b.length >= n * dim) return { m: b.subarray(0, n * dim), fresh: false };
    const cap = n === 0 ? 0 : Math.ceil(n * 1.1) + 16;
    const next = new Float32Array(cap * dim);
    if (inPlace && b) next.set(b.subarray(0, Math.min(b.length, n * dim)));
    this.textBacking = next;
    return { m: next.subarray(0, n * dim), fresh: !inPlace };
  }

  /** A new index for `items`, reusing the rows (vectors, ANN slots) of `reuse` whose content did not change. */
  async build(
    items: readonly ContentItem[],
    reuse: CatalogIndex | undefined,
    enc: { text: TextEncoder; image?: ImageEncoder },
  ): Promise<CatalogIndex> {
    const { text, image } = enc;
    const n = items.length;
    const sameText = reuse && reuse.textEncoderId === text.id && reuse.textDim === text.dim && reuse.rowHashes;
    // Unchanged rows (the same object) keep their hash: an upsert into a large catalog hashes only its own rows.
    const hashes: string[] = new Array<string>(n);
    const oldRow = new Int32Array(n).fill(-1);
    for (let row = 0; row < n; row++) {
      const it = items[row]!;
      const r = reuse?.rowOf.get(it.id);
      if (r !== undefined) oldRow[row] = r;
      hashes[row] =
        r !== undefined && reuse!.rowHashes && reuse!.items[r] === it
          ? reuse!.rowHashes[r]!
          : contentHash(itemText(it));
    }
    // In place when every old row keeps its position (upserts without removals).
    let inPlace = !!sameText && n >= reuse.items.length && reuse.text.buffer === this.textBacking?.buffer;
    for (let r = 0; inPlace && r < reuse!.items.length; r++) inPlace = oldRow[r] === r;
    const { m: textMatrix } = this.textMatrixFor(n, text.dim, inPlace);
    const sameImage =
      reuse && image && reuse.image && reuse.imageEncoderId === image.id && reuse.imageDim === image.dim;
    let imageMatrix: Float32Array | undefined;
    let hasImage: Uint8Array | undefined;
    if (image && this.o.loadImage) {
      imageMatrix = new Float32Array(n * image.dim);
      hasImage = new Uint8Array(n);
    }
    // Rows whose text (and thumbnail) did not change keep their vectors and ANN slots; only the rest go to
    // cache/encoder and get new slots.
    const slots = new Uint32Array(n);
    const keptOld = new Uint8Array(reuse?.items.length ?? 0);
    const textRows: number[] = [];
    const imageRows: number[] = [];
    for (let row = 0; row < n; row++) {
      const it = items[row]!;
      const r = oldRow[row]! >= 0 ? oldRow[row]! : undefined;
      if (sameText && r !== undefined && reuse.rowHashes![r] === hashes[row]) {
        if (!inPlace) textMatrix.set(reuse.text.subarray(r * text.dim, (r + 1) * text.dim), row * text.dim);
        slots[row] = reuse.slots[r]!;
        keptOld[r] = 1;
      } else {
        textRows.push(row);
        slots[row] = this.nextSlot++;
      }
      if (!imageMatrix || !hasImage || !image) continue;
      if (sameImage && r !== undefined && reuse.items[r]!.thumbnail === it.thumbnail) {
        imageMatrix.set(reuse.image!.subarray(r * image.dim, (r + 1) * image.dim), row * image.dim);
        hasImage[row] = reuse.hasImage[r]!; // a thumbnail that could not be embedded is not retried until it changes
      } else if (it.thumbnail) imageRows.push(row);
    }
    await this.embedCached(vectorNamespace(text.id), text.dim, hashes, textRows, textMatrix, async (rows) =>
      text.encode(rows.map((r) => itemText(items[r]!))),
    );
    if (image && imageMatrix && hasImage && imageRows.length > 0) {
      await this.embedImages(image, items, imageRows, imageMatrix, hasImage);
    }
    this.updateAnn(reuse, !!sameText, keptOld, slots, textRows, textMatrix, text.dim);
    const input: BuildIndexInput = {
      items: [...items],
      textEncoderId: text.id,
      textDim: text.dim,
      text: textMatrix,
      rowHashes: hashes,
      slots,
    };
    if (this.ann && n >= (this.o.annMinItems ?? Infinity)) input.ann = candidateIndex(this.ann, slots);
    if (image && imageMatrix && hasImage) {
      input.imageEncoderId = image.id;
      input.imageDim = image.dim;
      input.image = imageMatrix;
      input.hasImage = hasImage;
    }
    return buildIndex(input);
  }

  /** Keeps the ANN index in step with a rebuild: retired rows' slots removed, new and changed rows added. */
  private updateAnn(
    reuse: CatalogIndex | undefined,
    sameText: boolean,
    keptOld: Uint8Array,
    slots: Uint32Array,
    newRows: readonly number[],
    m: Float32Array,
    dim: number,
  ): void {
    if (!this.ann) return;
    if (!reuse || !sameText || this.ann.base.dim !== dim) {
      this.ann = undefined; // another encoder: rebuilt in the background
      return;
    }
    const retired: number[] = [];
    for (let r = 0; r < keptOld.length; r++) if (!keptOld[r]) retired.push(reuse.slots[r]!);
    this.ann.remove(Uint32Array.from(retired));
    if (newRows.length === 0) return;
    const vecs = new Float32Array(newRows.length * dim);
    newRows.forEach((row, k) => vecs.set(m.subarray(row * dim, (row + 1) * dim), k * dim));
    this.ann.add(
      Uint32Array.from(newRows, (row) => slots[row]!),
      vecs,
    );
  }

  /** Image vectors for `rows`: from the cache, else thumbnails loaded and embedded in batches (and cached). */
  private async embedImages(
    image: ImageEncoder,
    items: readonly ContentItem[],
    rows: readonly number[],
    imageMatrix: Float32Array,
    hasImage: Uint8Array,
  ): Promise<void> {
    const ns = vectorNamespace(image.id);
    const keys = rows.map((row) => contentHash(items[row]!.thumbnail!));
    const cached = await this.o.store.getMany<Uint8Array>(ns, keys);
    const missing: number[] = [];
    cached.forEach((bytes, k) => {
      const row = rows[k]!;
      if (bytes) {
        imageMatrix.set(bytesToVector(bytes), row * image.dim);
        hasImage[row] = 1;
      } else missing.push(k);
    });
    for (let start = 0; start < missing.length; start += 32) {
      const loaded: { k: number; bytes: Uint8Array }[] = [];
      for (const k of missing.slice(start, start + 32)) {
        const bytes = await this.o.loadImage!(items[rows[k]!]!).catch(() => undefined);
        if (bytes) loaded.push({ k, bytes });
      }
      if (loaded.length === 0) continue;
      try {
        const vecs = await image.encode(loaded.map((l) => l.bytes));
        for (let j = 0; j < loaded.length; j++) {
          const v = vecs.subarray(j * image.dim, (j + 1) * image.dim);
          const row = rows[loaded[j]!.k]!;
          imageMatrix.set(v, row * image.dim);
          hasImage[row] = 1;
          await this.o.store.set(ns, keys[loaded[j]!.k]!, vectorToBytes(v));
        }
      } catch (e) {
        this.o.logger.warn(
          { err: e, rows: loaded.length },
          'image embedding failed for a batch; those items use text only',
        );
      }
    }
  }

  /** Fills `rows` of `m` from the vector cache, embedding (in batches) only rows whose hash is not cached. */
  private async embedCached(
    ns: string,
    dim: number,
    hashes: readonly string[],
    rows: readonly number[],
    m: Float32Array,
    embed: (rows: number[]) => Promise<Float32Array>,
  ): Promise<void> {
    if (rows.length === 0) return;
    const cached = await this.o.store.getMany<Uint8Array>(
      ns,
      rows.map((r) => hashes[r]!),
    );
    const missing: number[] = [];
    cached.forEach((bytes, k) => {
      const v = bytes ? bytesToVector(bytes) : undefined;
      if (v && v.length === dim) m.set(v, rows[k]! * dim);
      else missing.push(rows[k]!);
    });
    const batch = 256;
    for (let start = 0; start < missing.length; start += batch) {
      const part = missing.slice(start, start + batch);
      const vecs = await embed(part);
      for (let k = 0; k < part.length; k++) {
        const v = vecs.subarray(k * dim, (k + 1) * dim);
        m.set(v, part[k]! * dim);
        await this.o.store.set(ns, hashes[part[k]!]!, vectorToBytes(v));
      }
    }
    if (missing.length > 0) this.o.logger.info({ embedded: missing.length, encoder: ns }, 'embedded catalog items');
  }
}
