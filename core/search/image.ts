/**
 * Search by picture: a person sends a photo (and maybe a caption) and gets catalog items that look alike — CLIP
 * image→image similarity over the catalog's thumbnail vectors, re-ranked with the caption's text match and the
 * person's persona (the ranker's `imageVector` request) — through the one list-delivery flow. The picture arrives
 * already read and prepared at the edge (size and pixel limits, decoded with sharp: app/user-images.ts); the core
 * only encodes it with the image encoder port. Without an image encoder (or before the catalog has image vectors)
 * the person gets a clear answer instead of a list.
 *
 * @example
 * const r = await images.search(actor, webpBytes, { caption: 'red sneakers' }, target, sender);
 * if (r.status === 'unavailable') reply(r.message);
 */
import type { CatalogService } from '../catalog/catalog.js';
import type { Lang } from '../domain.js';
import { t } from '../messages.js';
import type { Logger } from '../ports.js';
import type { DeliveryTarget, ListSender } from '../recommend/delivery.js';
import type { RecommendResult, RecommendService } from '../recommend/service.js';
import { sanitizeText } from '../text.js';
import type { Actor } from '../users/doc.js';
import type { IdentityService } from '../identity/identity.js';

export type ImageSearchResult =
  { status: 'sent'; result: RecommendResult } | { status: 'unavailable'; lang: Lang; message: string };

export interface ImageSearchOptions {
  catalog: CatalogService;
  recommend: RecommendService;
  identity: IdentityService;
  logger: Logger;
}

export class ImageSearchService {
  constructor(private readonly o: ImageSearchOptions) {}

  /** Whether pictures can be searched now (an image encoder, and catalog image vectors made by it). */
  get available(): boolean {
    const { index, image } = this.o.catalog.snapshot();
    return Boolean(image && index.image && index.imageEncoderId === image.id && index.imageDim === image.dim);
  }

  async search(
    actor: Actor,
    picture: Uint8Array,
    opts: { caption?: string; count?: number },
    target: DeliveryTarget,
    sender: ListSender,
  ): Promise<ImageSearchResult> {
    const { index, image } = this.o.catalog.snapshot();
    if (!image || !index.image || index.imageEncoderId !== image.id || index.imageDim !== image.dim) {
      const lang = await this.o.identity.langOf(actor);
      return { status: 'unavailable', lang, message: t(lang, 'image.noEncoder') };
    }
    let vector: Float32Array;
    try {
      vector = (await image.encode([picture])).slice(0, image.dim);
    } catch (e) {
      this.o.logger.warn({ err: e, code: 'ENCODER_FAILED' }, 'encoding a picture for search failed');
      const lang = await this.o.identity.langOf(actor);
      return { status: 'unavailable', lang, message: t(lang, 'image.encodeFailed') };
    }
    const caption = opts.caption ? sanitizeText(opts.caption, 200) : '';
    const result = await this.o.recommend.deliver(
      actor,
      { imageVector: vector, ...(caption ? { topic: caption } : {}), ...(opts.count ? { count: opts.count } : {}) },
      target,
      sender,
    );
    return { status: 'sent', result };
  }
}
