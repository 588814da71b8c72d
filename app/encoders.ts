/**
 * Start-up pieces of the composition root that are about the catalog and its encoders: the fitted lexical encoder, the priority queue in front of the encoders, and
 * thumbnail bytes for CLIP.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { NS_META } from '../core/store/namespaces.js';
import type { ContentItem } from '../core/domain.js';
import { LexicalEncoder, type LexicalModel } from '../core/lexical.js';
import type { ImageEncoder, KeyValueStore, TextEncoder } from '../core/ports.js';
import type { EmbedQueue } from '../models/embed-queue.js';
import type { ThumbnailCache } from '../scrapers/thumbnails.js';

/** The lexical encoder, fitted once on the catalog text and persisted so its id (and cached vectors) stay stable. */
export async function lexicalEncoder(store: KeyValueStore, corpus: () => Promise<string[]>): Promise<LexicalEncoder> {
  const saved = await store.get<LexicalModel>(NS_META, 'lexical-model');
  if (saved && saved.docs > 0) return new LexicalEncoder(saved);
  const enc = new LexicalEncoder();
  const texts = await corpus();
  if (texts.length > 0) await store.set(NS_META, 'lexical-model', enc.fit(texts));
  return enc;
}

/** Chat-path encodes (a topic, a message: ≤ 4 texts) go ahead of catalog ingest batches. */
export function prioritizedText(queue: EmbedQueue, enc: TextEncoder): TextEncoder {
  return {
    id: enc.id,
    dim: enc.dim,
    label: enc.label,
    encode: (texts) => (texts.length <= 4 ? queue.encodeInteractive(enc, texts) : queue.ingestTexts(enc, texts)),
  };
}

export function prioritizedImage(queue: EmbedQueue, enc: ImageEncoder): ImageEncoder {
  const out: ImageEncoder = {
    id: enc.id,
    dim: enc.dim,
    label: enc.label,
    encode: (images) => queue.ingestImages(enc, images),
  };
  if (enc.encodeText) out.encodeText = (texts) => queue.encodeInteractiveImageText(enc, texts);
  return out;
}

/** Thumbnail bytes: built-in thumbnails are files in the repository; scraped ones come from the thumbnail cache. */
export async function loadThumbnail(thumbs: ThumbnailCache, item: ContentItem): Promise<Uint8Array | undefined> {
  const t = item.thumbnail;
  if (!t) return undefined;
  if (/^https?:/i.test(t)) return thumbs.loadImage(item).catch(() => undefined);
  const path = isAbsolute(t) ? t : resolve(process.cwd(), t);
  return readFile(path).then(
    (b) => new Uint8Array(b),
    () => undefined,
  );
}
