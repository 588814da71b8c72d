/**
 * The bot's live catalog as the dashboard sees it when it runs on its own (`npm run dashboard`): the same encoders
 * the bot would pick from the same config, over a read-only view of the bot's store — so every vector comes from the
 * bot's embedding cache, and an item not cached yet is embedded here without being written back. Inside the bot the
 * dashboard uses the bot's own `CatalogService` instead.
 */
import { CatalogService, NS_META, itemText } from '../core/catalog/catalog.js';
import type { CatalogIndex } from '../core/catalog/catalog.js';
import type { Config } from '../core/config.js';
import { datasetItemsFromContent } from '../core/eval/datasets.js';
import { LexicalEncoder, type LexicalModel } from '../core/lexical.js';
import type { KeyValueStore, Logger } from '../core/ports.js';
import { createEncoders, type EncoderConfig } from '../models/encoders.js';
import { latestModelDir } from '../models/twotower/artifacts.js';
import { encodeItems } from '../models/twotower/features.js';
import { itemInputsOf, loadOnnxModel, runItemTower } from '../models/twotower/serve.js';
import { ThumbnailCache } from '../scrapers/thumbnails.js';

/** A view of a store that reads through and never writes (set/delete are dropped, locks are never granted). */
export function readOnlyStore(store: KeyValueStore): KeyValueStore {
  return {
    description: `${store.description} (read-only)`,
    capabilities: store.capabilities,
    get: (ns, key) => store.get(ns, key),
    getMany: (ns, keys) => store.getMany(ns, keys),
    keys: (ns, prefix) => store.keys(ns, prefix),
    readBatch: (keys) => store.readBatch(keys),
    writeBatch: async () => false,
    set: async () => undefined,
    delete: async () => false,
    acquireLock: async () => false,
    acquireLease: async () => ({ ok: false, remainingMs: 0 }),
    releaseLock: async () => undefined,
    close: async () => undefined,
  };
}

export type LiveCatalogConfig = EncoderConfig &
  Pick<Config, 'DATA_DIR' | 'THUMB_MAX_BYTES' | 'THUMB_MAX_PIXELS' | 'SCRAPE_TIMEOUT_MS'>;

/** Builds the catalog index from the bot's store with the bot's encoders (read-only). */
export async function openLiveCatalog(
  config: LiveCatalogConfig,
  store: KeyValueStore,
  logger: Logger,
): Promise<CatalogService> {
  const ro = readOnlyStore(store);
  const saved = await ro.get<LexicalModel>(NS_META, 'lexical-model');
  const lexical = new LexicalEncoder(saved ?? {});
  if (!saved || saved.docs === 0) {
    // The bot fits the lexical model on first start and stores it; without one, fit it the same way (not stored).
    const probe = new CatalogService({ store: ro, text: lexical, logger });
    lexical.fit((await probe.loadItems()).map(itemText));
  }
  const enc = await createEncoders({ config, logger, fallbackText: lexical });
  const thumbs = new ThumbnailCache({
    dataDir: config.DATA_DIR,
    maxBytes: config.THUMB_MAX_BYTES,
    maxPixels: config.THUMB_MAX_PIXELS,
    timeoutMs: config.SCRAPE_TIMEOUT_MS,
    store: ro,
    logger,
  });
  const catalog = new CatalogService({
    store: ro,
    text: enc.text,
    ...(enc.image ? { image: enc.image, loadImage: thumbs.loadImage } : {}),
    logger,
  });
  await catalog.refresh();
  return catalog;
}

/**
 * The two-tower item tower over a catalog: the newest complete model in `dir` run on the items' features, exactly as
 * the bot's scorer embeds its catalog. Undefined when there is no model or its text size does not match.
 */
export async function twoTowerItemVectors(
  dir: string,
  index: CatalogIndex,
  intraOpThreads = 0,
  now = new Date(),
): Promise<{ version: string; dim: number; vectors: Float32Array } | undefined> {
  const folder = await latestModelDir(dir);
  if (!folder || index.items.length === 0) return undefined;
  const model = await loadOnnxModel(folder, intraOpThreads);
  try {
    if (model.spec.textDim !== index.textDim) return undefined;
    const image =
      model.spec.imageDim && index.image && index.image.length === index.items.length * model.spec.imageDim
        ? index.image
        : undefined;
    const batch = encodeItems(model.spec, itemInputsOf(datasetItemsFromContent(index.items, now)), index.text, image);
    const vectors = await runItemTower(model, batch);
    return { version: model.config.name, dim: model.config.sizes.outputDim, vectors };
  } finally {
    await Promise.allSettled([model.user.release(), model.item.release()]);
  }
}
