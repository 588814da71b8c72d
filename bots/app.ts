/**
 * The composition root: config → store → encoders → catalog → recommender. Chat adapters
 * (console, Discord, Telegram) receive the assembled `App` and only parse, call and format.
 */
import type { Config } from '../core/config.js';
import type { ContentItem } from '../core/domain.js';
import { RecoError } from '../core/errors.js';
import { CatalogService, NS_META, itemText } from '../core/catalog/catalog.js';
import { loadBuiltinCatalog } from '../core/catalog/builtin.js';
import { LexicalEncoder, type LexicalModel } from '../core/lexical.js';
import type { ImageEncoder, KeyValueStore, Logger, TextEncoder } from '../core/ports.js';
import { DeepReco, type ListExplainer } from '../core/service.js';
import { settingsFrom } from './settings.js';

export { settingsFrom } from './settings.js';
import { LinkService } from '../core/link.js';
import { LearnedModel } from './learned.js';
import { OrtMatrixOps } from '../models/matrix-ops.js';
import { openStore } from '../infra/store/index.js';
import { createEncoders } from '../models/encoders.js';
import { createChatModel, describeLlm } from '../infra/llm/openai.js';
import { ExtractionScheduler, createLlmServices, mergeExtraction, type LlmServices } from '../core/llm/index.js';
import { EmbedQueue } from '../models/embed-queue.js';
import { readFile } from 'node:fs/promises';
import { ThumbnailCache } from '../scrapers/thumbnails.js';
import { isAbsolute, resolve } from 'node:path';

export interface App {
  config: Config;
  logger: Logger;
  store: KeyValueStore;
  catalog: CatalogService;
  reco: DeepReco;
  /** Notes for `/status` and the start-up log (active encoders, fallbacks, …). */
  notes: string[];
  /** The LLM layer (explanations, digest intros, persona extraction); `enabled` is false without LLM settings. */
  llm: LlmServices;
  /** The two-tower model: serving, and background retraining (`learned.start()` turns the schedule on). */
  learned: LearnedModel;
  /** Resolves when a background model switch (re-embedding the catalog) has finished; at once when none is needed. */
  encodersReady: Promise<void>;
  /** One-time codes that merge a person's identities across platforms (`/link`), shared by every adapter. */
  links: LinkService;
  /** Extra `/status` lines contributed by features (scrapers, platform adapters). */
  statusLines: (() => string[] | Promise<string[]>)[];
  close(): Promise<void>;
}

export interface CreateAppOptions {
  config: Config;
  logger: Logger;
  /** Use the in-memory store (tests). */
  memory?: boolean;
  /** Use this store instead of opening one from config. */
  store?: KeyValueStore;
  /** Seed with these items instead of the built-in catalog (tests). */
  seedItems?: ContentItem[];
  /** Replace the text encoder (tests, or the ONNX encoder). */
  textEncoder?: TextEncoder;
  imageEncoder?: ImageEncoder;
  explainer?: ListExplainer;
  now?: () => Date;
}

/** The built-in catalog's seeding marker: bump when the file changes so existing installs pick it up. */
const BUILTIN_SEED_KEY = 'builtin-seeded';

/** Loads the built-in catalog into an empty store (idempotent: a marker records the seeded file's size). */
async function seedCatalog(store: KeyValueStore, items: ContentItem[], logger: Logger): Promise<void> {
  const marker = await store.get<{ count: number }>(NS_META, BUILTIN_SEED_KEY);
  if (marker && marker.count === items.length) return;
  const existing = await store.getMany<ContentItem>(
    'items',
    items.map((i) => i.id),
  );
  let added = 0;
  for (let i = 0; i < items.length; i++) {
    if (existing[i]) continue; // keep first-load times: re-seeding never resets freshness
    await store.set('items', items[i]!.id, items[i]);
    added++;
  }
  await store.set(NS_META, BUILTIN_SEED_KEY, { count: items.length });
  logger.info({ added, total: items.length }, 'built-in catalog loaded');
}

/** The lexical encoder, fitted once on the catalog text and persisted so its id (and cached vectors) stay stable. */
async function lexicalEncoder(store: KeyValueStore, corpus: () => Promise<string[]>): Promise<LexicalEncoder> {
  const saved = await store.get<LexicalModel>(NS_META, 'lexical-model');
  if (saved && saved.docs > 0) return new LexicalEncoder(saved);
  const enc = new LexicalEncoder();
  const texts = await corpus();
  if (texts.length > 0) await store.set(NS_META, 'lexical-model', enc.fit(texts));
  return enc;
}

function prioritizedText(queue: EmbedQueue, enc: TextEncoder): TextEncoder {
  return {
    id: enc.id,
    dim: enc.dim,
    label: enc.label,
    encode: (texts) => (texts.length <= 4 ? queue.encodeInteractive(enc, texts) : queue.ingestTexts(enc, texts)),
  };
}

function prioritizedImage(queue: EmbedQueue, enc: ImageEncoder): ImageEncoder {
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
async function loadThumbnail(thumbs: ThumbnailCache, item: ContentItem): Promise<Uint8Array | undefined> {
  const t = item.thumbnail;
  if (!t) return undefined;
  if (/^https?:/i.test(t)) return thumbs.loadImage(item).catch(() => undefined);
  const path = isAbsolute(t) ? t : resolve(process.cwd(), t);
  return readFile(path).then(
    (b) => new Uint8Array(b),
    () => undefined,
  );
}

export async function createApp(options: CreateAppOptions): Promise<App> {
  const { config, logger } = options;
  const store =
    options.store ??
    (await openStore(config, {
      ...(options.memory ? { memory: true } : {}),
      logger: logger.child({ module: 'store' }),
    }));
  const notes: string[] = [];
  try {
    const now = options.now ?? (() => new Date());
    const seed =
      options.seedItems ??
      loadBuiltinCatalog({ now: now(), ...(config.CATALOG_PATH ? { path: config.CATALOG_PATH } : {}) });
    await seedCatalog(store, seed, logger);

    const probe = new CatalogService({ store, text: new LexicalEncoder({ dim: 8 }), logger });
    let text: TextEncoder;
    let image: ImageEncoder | undefined = options.imageEncoder;
    let release: (() => Promise<void>) | undefined;
    let lexical: LexicalEncoder | undefined;
    if (options.textEncoder) text = options.textEncoder;
    else {
      lexical = await lexicalEncoder(store, async () => (await probe.loadItems()).map(itemText));
      const enc = await createEncoders({ config, logger, fallbackText: lexical });
      notes.push(...enc.notes);
      text = enc.text;
      image ??= enc.image;
      if (enc.runtime) release = () => enc.runtime!.release();
    }
    // Embedding runs through one priority queue: chat-path encodes (a topic, a message) go ahead of
    // catalog ingest batches, so a large ingest never delays a reply.
    // Read-only use of the scrapers' thumbnail cache (downloads happen in the scrape pipeline).
    const thumbs = new ThumbnailCache({
      dataDir: config.DATA_DIR,
      maxBytes: config.THUMB_MAX_BYTES,
      maxPixels: config.THUMB_MAX_PIXELS,
      timeoutMs: config.SCRAPE_TIMEOUT_MS,
      store,
      logger,
    });
    const queue = new EmbedQueue({ batchSize: config.EMBED_BATCH_SIZE, logger });
    const textQ = prioritizedText(queue, text);
    const imageQ = image ? prioritizedImage(queue, image) : undefined;
    // A model change (first start with SBERT files, or another model) re-embeds the catalog in the background
    // while the previous vectors keep serving: start on the lexical encoder unless the new model's vectors
    // are all cached already, then switch encoders and index in one step.
    const switching = lexical !== undefined && text !== lexical && (await probe.cachedShare(text.id)) < 1;
    const catalog = new CatalogService({
      store,
      text: switching ? prioritizedText(queue, lexical!) : textQ,
      ...(imageQ && !switching ? { image: imageQ } : {}),
      ...(imageQ ? { loadImage: (item: ContentItem) => loadThumbnail(thumbs, item) } : {}),
      logger: logger.child({ module: 'catalog' }),
    });
    // The encoder notes (which is active, and the exact command that fetches missing model files) go to /status too.
    const statusLines: App['statusLines'] = [
      () => notes.filter((n) => /fallback|missing|off —|device/.test(n)).map((n) => `• ${n}`),
    ];
    // The LLM layer: off (templates, keyword personas) unless LLM_BASE_URL / LLM_API_KEY are set.
    const clock = { now };
    const llm = createLlmServices({ model: createChatModel(config, logger), store, config, logger, clock });
    statusLines.push(() => [describeLlm(config)]);
    const holder: { reco?: DeepReco; learned?: LearnedModel } = {};
    const extraction = llm.enabled
      ? new ExtractionScheduler({
          logger,
          run: async (userId) => {
            const doc = await holder.reco!.users.get(userId);
            if (!doc || doc.persona.recentTexts.length === 0) return;
            const r = await llm.extractor.extract(
              userId,
              doc.user.lang,
              doc.persona.recentTexts.map((t) => t.text),
            );
            if (!r.ok) return; // already logged; the keyword persona stands
            await holder.reco!.users.update(userId, (d) => {
              d.persona = mergeExtraction(d.persona, r.value, now());
            });
          },
        })
      : undefined;
    const explainer = options.explainer ?? (llm.enabled ? llm.explainer : undefined);
    const matrixOps = await OrtMatrixOps.create({ intraOpThreads: config.ORT_INTRA_OP_THREADS }).catch((e: unknown) => {
      logger.warn({ err: e }, 'onnxruntime MatMul unavailable; scoring with the JS loop');
      return undefined;
    });
    const reco = new DeepReco({
      store,
      catalog,
      settings: settingsFrom(config),
      logger,
      ...(explainer ? { explainer } : {}),
      ...(matrixOps ? { matrixOps } : {}),
      ...(extraction ? { onMessage: (userId: string) => extraction.noteMessage(userId) } : {}),
      ...(llm.enabled ? { llmUsage: (userId: string | undefined) => llm.budget.usage(userId) } : {}),
      onFeedback: () => holder.learned?.noteFeedback(),
      clock,
      statusLines: async () => (await Promise.all(statusLines.map((f) => f()))).flat(),
    });
    holder.reco = reco;
    await reco.init();
    const learned = new LearnedModel({
      config,
      catalog,
      store,
      users: () => reco.users.all(),
      logger,
      now,
      ...(matrixOps ? { matrixOps } : {}),
    });
    holder.learned = learned;
    await learned.init();
    reco.setLearnedScorer(learned.scorer);
    const links = new LinkService({ reco, store, clock, logger });
    let encodersReady: Promise<void> = Promise.resolve();
    if (switching) {
      const target = imageQ ? { text: textQ, image: imageQ } : { text: textQ };
      const note = `• switching to ${text.label}: embedding ${catalog.size} items in the background; ${lexical!.label} serves meanwhile`;
      statusLines.push(() => (catalog.textEncoder.id === text.id ? [] : [note]));
      logger.info({ items: catalog.size, to: text.id }, 'model change: re-embedding the catalog in the background');
      encodersReady = catalog.switchEncoders(target).then(
        () => logger.info({ text: text.id, image: image?.id }, 'encoders switched: the new model now serves'),
        (e: unknown) =>
          logger.error({ err: e }, `re-embedding with ${text.id} failed; the lexical encoder keeps serving`),
      );
    }
    return {
      encodersReady,
      learned,
      links,
      config,
      logger,
      store,
      catalog,
      reco,
      llm,
      notes,
      statusLines,
      async close() {
        // A background re-embedding still running stops here; the vectors it cached are reused at the next start.
        extraction?.close();
        await learned.close().catch(() => undefined);
        await matrixOps?.release().catch(() => undefined);
        await llm.explainer.idle().catch(() => undefined);
        await queue.onIdle().catch(() => undefined);
        await release?.().catch(() => undefined);
        await store.close();
      },
    };
  } catch (e) {
    await store.close().catch(() => undefined);
    if (e instanceof RecoError) throw e;
    throw new RecoError('INTERNAL', `start-up failed: ${(e as Error).message}`, { cause: e });
  }
}
