/**
 * Re-embedding the catalog for a new text model as background jobs: the catalog is cut into chunks of item
 * ids, each chunk is a job with an id derived from the model and the chunk's ids (so every replica that
 * starts with the new model adds the same jobs, once), and whichever process takes a chunk embeds the items
 * whose vectors are not cached yet and writes them to the vector cache (keyed by content hash: running a
 * chunk twice writes the same vectors). A process waits until every chunk is marked done, then swaps its
 * encoders in one step (`CatalogService.switchEncoders`, which now finds the vectors cached).
 */
import { createHash } from 'node:crypto';
import { contentHash, itemText, vectorNamespace, type CatalogService } from '../core/catalog/catalog.js';
import type { ContentItem } from '../core/domain.js';
import type { JobQueue } from '../core/jobs/port.js';
import type { KeyValueStore, Logger, StoreWrite, TextEncoder } from '../core/ports.js';
import { NS_ITEMS, NS_META } from '../core/store/namespaces.js';
import { vectorToBytes } from '../core/vectors.js';
import { JOB } from './jobs.js';

export interface EmbedChunk {
  encoderId: string;
  chunkId: string;
  ids: string[];
}

/** The job kind for one model (only processes that have this model take its chunks). */
export function embedKind(encoderId: string): string {
  return `${JOB.embed}.${encoderId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

const doneKey = (c: Pick<EmbedChunk, 'encoderId' | 'chunkId'>) => `embed-done.${c.encoderId}.${c.chunkId}`;

/** The chunks of a catalog (sorted ids, `size` per chunk), each with a stable id. */
export function embedChunks(encoderId: string, items: readonly Pick<ContentItem, 'id'>[], size = 512): EmbedChunk[] {
  const ids = items.map((i) => i.id).sort();
  const out: EmbedChunk[] = [];
  for (let i = 0; i < ids.length; i += size) {
    const part = ids.slice(i, i + size);
    const chunkId = createHash('sha256').update(part.join('\n')).digest('hex').slice(0, 20);
    out.push({ encoderId, chunkId, ids: part });
  }
  return out;
}

/** The job: embeds a chunk's items that have no cached vector for this model, then marks the chunk done. */
export function embedChunkHandler(deps: { store: KeyValueStore; text: TextEncoder; logger: Logger; batch?: number }) {
  return async (c: EmbedChunk): Promise<{ embedded: number }> => {
    const { store, text } = deps;
    if (c.encoderId !== text.id) throw new Error(`chunk for ${c.encoderId}, but this process embeds with ${text.id}`);
    const ns = vectorNamespace(text.id);
    const items = (await store.getMany<ContentItem>(NS_ITEMS, c.ids)).filter((x): x is ContentItem => !!x);
    const hashes = items.map((it) => contentHash(itemText(it)));
    const cached = await store.getMany<Uint8Array>(ns, hashes);
    const missing = items.flatMap((it, k) => (cached[k] ? [] : [{ it, hash: hashes[k]! }]));
    const batch = deps.batch ?? 64;
    for (let i = 0; i < missing.length; i += batch) {
      const part = missing.slice(i, i + batch);
      const vecs = await text.encode(part.map((m) => itemText(m.it)));
      const writes: StoreWrite[] = part.map((m, k) => ({
        op: 'set',
        ns,
        key: m.hash,
        value: vectorToBytes(vecs.subarray(k * text.dim, (k + 1) * text.dim)),
      }));
      await store.writeBatch(writes);
    }
    await store.set(NS_META, doneKey(c), { at: new Date().toISOString(), embedded: missing.length });
    deps.logger.debug({ chunk: c.chunkId, embedded: missing.length }, 'catalog chunk embedded');
    return { embedded: missing.length };
  };
}

/**
 * Adds the chunk jobs for the current catalog and waits until all are done (polling the done markers), or
 * until no chunk finished for `stallMs` (then the caller embeds what is left itself). Returns the share done.
 */
export async function embedCatalogAsJobs(o: {
  jobs: JobQueue;
  catalog: CatalogService;
  store: KeyValueStore;
  text: TextEncoder;
  logger: Logger;
  chunkSize?: number;
  pollMs?: number;
  stallMs?: number;
  signal?: AbortSignal;
}): Promise<number> {
  const items = o.catalog.size > 0 ? o.catalog.index.items : await o.catalog.loadItems();
  const chunks = embedChunks(o.text.id, items, o.chunkSize);
  if (chunks.length === 0) return 1;
  const kind = embedKind(o.text.id);
  await o.jobs.enqueueMany(
    kind,
    chunks.map((c) => ({ data: c, id: `embed.${c.encoderId}.${c.chunkId}` })),
  );
  o.logger.info({ chunks: chunks.length, items: items.length, model: o.text.id }, 'catalog embedding jobs added');
  let done = 0;
  let lastProgress = Date.now();
  const stallMs = o.stallMs ?? 10 * 60_000;
  for (;;) {
    const marks = await o.store.getMany(NS_META, chunks.map(doneKey));
    const now = marks.filter((m) => m !== undefined).length;
    if (now > done) lastProgress = Date.now();
    done = now;
    if (done === chunks.length || o.signal?.aborted) break;
    if (Date.now() - lastProgress > stallMs) {
      o.logger.warn(
        { done, chunks: chunks.length },
        'catalog embedding jobs made no progress; this process embeds the rest itself',
      );
      break;
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 2_000).unref());
  }
  return done / chunks.length;
}
