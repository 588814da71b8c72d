/**
 * The composition root: config → store → encoders → catalog → the core's services (recommend, feedback,
 * conversation, links, digests, …) → the LLM layer, the learned model, the ingest sink and the schedulers.
 * Everything is built here, once; chat adapters (bots/) receive the assembled `App` and only parse, call
 * and format.
 *
 * @example
 * const app = await createApp({ config, logger });
 * app.startBackground({ scraping: true });
 * // … adapters …
 * await app.close();
 */
import type { Config } from '../core/config.js';
import type { Layout } from '../core/filters/settings.js';
import type { ContentItem } from '../core/domain.js';
import { RecoError } from '../core/errors.js';
import { CatalogService, itemText, seedOfItems } from '../core/catalog/catalog.js';
import { catalogSeed } from '../infra/catalog/builtin.js';
import { largeCatalogOptions } from './large-catalog.js';
import { LexicalEncoder } from '../core/lexical.js';
import { ExtractionScheduler, createLlmServices, mergeExtraction, type LlmServices } from '../core/llm/index.js';
import { LlmTranslator } from '../core/llm/translate.js';
import {
  systemClock,
  type Clock,
  type ImageEncoder,
  type KeyValueStore,
  type Logger,
  type TextEncoder,
} from '../core/ports.js';
import { MediaRefs } from '../core/recommend/media.js';
import { ChatRoutes } from '../core/recommend/routes.js';
import { DeepReco, type CoreServices, type ListExplainer } from '../core/service.js';
import { openStore } from '../infra/store/index.js';
import { createChatModel, describeLlm } from '../infra/llm/openai.js';
import { loadGroundingVocabularies, loadPrompts } from '../infra/llm/prompts.js';
import { EmbedQueue } from '../models/embed-queue.js';
import { createEncoders } from '../models/encoders.js';
import { OrtMatrixOps } from '../models/matrix-ops.js';
import { LearnedModel } from '../models/twotower/learned-model.js';
import { ThumbnailCache } from '../scrapers/thumbnails.js';
import { CatalogIngestSink } from './catalog-sink.js';
import { buildCore, buildUsers } from './core.js';
import { DigestScheduler } from './digest-scheduler.js';
import { UserImages } from './user-images.js';
import { embedCatalogAsJobs, embedChunkHandler, embedKind } from './catalog-embedding.js';
import { JOB, createJobQueue } from './jobs.js';
import { jobStatusLines, type JobQueue } from '../core/jobs/port.js';
import { lexicalEncoder, loadThumbnail, prioritizedImage, prioritizedText } from './encoders.js';
import { settingsFrom } from './settings.js';
import { createUserSources } from './sources.js';
import type { SourcesService } from '../core/sources/service.js';
import type { AllowPrivate, Resolver } from '../scrapers/net-guard.js';

export { settingsFrom } from './settings.js';

export interface App {
  config: Config;
  logger: Logger;
  store: KeyValueStore;
  catalog: CatalogService;
  /** The core's services, one per concern. */
  core: CoreServices;
  /** A thin facade over `core` with one method per user-facing action. */
  reco: DeepReco;
  /** One-time codes that merge a person's identities across platforms (`/link`), shared by every adapter. */
  links: CoreServices['links'];
  /** Daily digests (schedules, plans, exactly-once delivery), shared by every adapter. */
  digests: CoreServices['digests'];
  /** Digest jobs: scans, plans, and sends for every platform whose adapter registered a sender. */
  digestScheduler: DigestScheduler;
  /** Background jobs: BullMQ with REDIS_URL (shared by replicas and `npm run worker`), else in this process. */
  jobs: JobQueue;
  /** Notes for `/status` and the start-up log (active encoders, fallbacks, …). */
  notes: string[];
  /** The LLM layer (explanations, digest intros, persona extraction); `enabled` is false without LLM settings. */
  llm: LlmServices;
  /** The two-tower model: serving, and background retraining (`startBackground` turns the schedule on). */
  learned: LearnedModel;
  /** Pictures people send for search by picture, read and checked at the edge (size, pixels, Discord CDN). */
  userImages: UserImages;
  /** Where scraped items enter the live catalog. */
  ingest: CatalogIngestSink;
  /** Resolves when a background model switch (re-embedding the catalog) has finished; at once when none is needed. */
  encodersReady: Promise<void>;
  /** Extra `/status` lines contributed by features (scrapers, platform adapters). */
  statusLines: (() => string[] | Promise<string[]>)[];
  /** Uploaded media the platforms reuse (Telegram file_id, Discord CDN URL), shared by every adapter. */
  media: MediaRefs;
  /** Where chats route their digests (a forum topic, a Discord forum channel). */
  routes: ChatRoutes;
  /** People's own sources: `/subscribe`, `/unsubscribe`, `/sources`, OPML (app/sources.ts). */
  sources: SourcesService;
  /**
   * Starts the background work as jobs: two-tower retraining, digest scans and plans, and (when asked)
   * scheduled scraping. A bot process with REDIS_URL and JOBS_IN_BOT=false only adds jobs (and sends its
   * platform's digests); `npm run worker` runs them.
   */
  startBackground(o?: { scraping?: boolean }): Promise<void>;
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
  clock?: Clock;
  /** Digest scheduling: tick period (0 = no timer; `digestScheduler.tick` runs one), lock expiry, owner id. */
  digest?: { intervalMs?: number; lockTtlMs?: number; owner?: string };
  /** `worker`: `npm run worker` (runs every job, no chat adapter). Default `bot`. */
  role?: 'bot' | 'worker';
  /** Use this job queue instead of one from config (tests). */
  jobs?: JobQueue;
  /** People's own sources: the address guard's switch and DNS for tests (default: SCRAPE_ALLOW_PRIVATE, system DNS). */
  sources?: { allowPrivate?: AllowPrivate; resolve?: Resolver; retries?: number };
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
  const jobs = options.jobs ?? createJobQueue(config, { store, logger });
  // With REDIS_URL, a bot process runs background jobs only with JOBS_IN_BOT (a worker always does).
  const runJobs = options.role === 'worker' || jobs.mode === 'in-process' || config.JOBS_IN_BOT;
  try {
    await jobs.start();
    const clock: Clock = options.clock ?? (options.now ? { now: options.now } : systemClock);
    const now = () => clock.now();
    const probe = new CatalogService({ store, text: new LexicalEncoder({ dim: 8 }), logger });
    await probe.syncSeed(
      options.seedItems
        ? seedOfItems(options.seedItems)
        : catalogSeed({ now: now(), ...(config.CATALOG_PATH ? { path: config.CATALOG_PATH } : {}) }),
    );
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
    // Embedding runs through one priority queue: chat-path encodes go ahead of catalog ingest batches.
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
    // A model change re-embeds the catalog in the background while the previous vectors keep serving: start
    // on the lexical encoder unless the new model's vectors are all cached already, then switch in one step.
    const switching = lexical !== undefined && text !== lexical && (await probe.cachedShare(text.id)) < 1;
    const catalog = new CatalogService({
      store,
      text: switching ? prioritizedText(queue, lexical!) : textQ,
      ...(imageQ && !switching ? { image: imageQ } : {}),
      ...(imageQ ? { loadImage: (item: ContentItem) => loadThumbnail(thumbs, item) } : {}),
      logger: logger.child({ module: 'catalog' }),
      ...largeCatalogOptions(config),
    });
    // The encoder notes (which is active, and the command that fetches missing model files) go to /status too.
    const statusLines: App['statusLines'] = [
      () => notes.filter((n) => /fallback|missing|off —|device/.test(n)).map((n) => `• ${n}`),
      () => [`• ${catalog.describe()}`],
    ];
    // The LLM layer: off (templates, keyword personas) unless LLM_BASE_URL / LLM_API_KEY are set.
    const llm = createLlmServices({
      model: createChatModel(config, logger),
      store,
      config,
      logger,
      clock,
      prompts: loadPrompts(),
      vocabularies: loadGroundingVocabularies(),
    });
    statusLines.push(() => [describeLlm(config)]);
    const explainer = options.explainer ?? (llm.enabled ? llm.explainer : undefined);
    const matrixOps = await OrtMatrixOps.create({ intraOpThreads: config.ORT_INTRA_OP_THREADS }).catch((e: unknown) => {
      logger.warn({ err: e }, 'onnxruntime MatMul unavailable; scoring with the JS loop');
      return undefined;
    });
    // Built in dependency order, no cycle: the users first (the persona extraction and the learned model read
    // them), then those two, then the core services with their hooks.
    const settings = settingsFrom(config);
    const people = buildUsers(store, clock, settings, { logger, statsRefreshMs: config.STATS_REFRESH_MS });
    const users = people.users;
    const extraction = llm.enabled
      ? new ExtractionScheduler({
          logger,
          run: async (userId) => {
            const doc = await users.get(userId);
            if (!doc || doc.persona.recentTexts.length === 0) return;
            const r = await llm.extractor.extract(
              userId,
              doc.user.lang,
              doc.persona.recentTexts.map((t) => t.text),
            );
            if (!r.ok) return; // already logged; the keyword persona stands
            await users.update(userId, (d) => {
              d.persona = mergeExtraction(d.persona, r.value, now());
            });
          },
        })
      : undefined;
    const learned = new LearnedModel({
      config,
      catalog,
      store,
      users: () => users.all(),
      logger,
      now,
      ...(matrixOps ? { matrixOps } : {}),
    });
    const translator = new LlmTranslator({
      client: llm.client,
      store,
      clock,
      waitMs: config.LLM_REPLY_WAIT_MS,
      logger,
    });
    const core = buildCore({
      store,
      people,
      translator,
      maxFilters: config.FILTERS_MAX,
      catalog,
      settings,
      clock,
      logger,
      learned: learned.serving,
      ...(explainer ? { explainer } : {}),
      ...(matrixOps ? { matrixOps } : {}),
      digest: {
        defaultTime: config.DIGEST_DEFAULT_TIME,
        defaultTz: config.DIGEST_DEFAULT_TZ,
        size: config.DIGEST_SIZE,
        planAheadMinutes: config.DIGEST_PLAN_AHEAD_MINUTES,
        spread: { windowMinutes: config.DIGEST_WINDOW_MINUTES, layout: digestLayout(config) },
        ...(options.digest?.lockTtlMs ? { lockTtlMs: options.digest.lockTtlMs } : {}),
        ...(options.digest?.owner ? { owner: options.digest.owner } : {}),
        ...(llm.enabled
          ? {
              introWriter: ({ userId, lang, template, evidence }) =>
                llm.explainer.introLine(
                  { id: userId },
                  lang,
                  { template, evidence },
                  { waitMs: config.LLM_TIMEOUT_MS },
                ),
            }
          : {}),
      },
      statusLines: async () => (await Promise.all(statusLines.map((f) => f()))).flat(),
      ...(llm.enabled ? { llmUsage: (userId: string | undefined) => llm.budget.usage(userId) } : {}),
      ...(extraction ? { onMessage: (userId: string) => extraction.noteMessage(userId) } : {}),
      onFeedback: () => learned.noteFeedback(),
    });
    const reco = new DeepReco(core);
    await reco.init();
    await learned.init();
    const digestScheduler = new DigestScheduler(core.digests, {
      jobs,
      intervalMs: options.digest?.intervalMs ?? 60_000,
      clock,
      logger,
      runJobs,
    });
    // A queue that cannot be read (Redis down) is one line, never a failed /status.
    statusLines.push(() =>
      jobStatusLines(jobs).catch((e: unknown) => [
        `Jobs (${jobs.mode}): cannot read the queue right now (${(e as Error).message.slice(0, 120)})`,
      ]),
    );
    statusLines.push(async () => {
      const on = (await core.digests.schedules()).filter((s) => s.enabled).length;
      return on > 0 ? [`Digests: ${on} chats subscribed`] : [];
    });
    const ingest = new CatalogIngestSink(catalog, store, logger);
    const userSources = await createUserSources({
      config,
      store,
      core,
      sink: ingest,
      logger,
      textEncoder: catalog.textEncoder,
      ...(catalog.imageEncoder ? { imageEncoder: catalog.imageEncoder } : {}),
      ...(options.sources?.allowPrivate !== undefined ? { allowPrivate: options.sources.allowPrivate } : {}),
      ...(options.sources?.resolve ? { resolve: options.sources.resolve } : {}),
      ...(options.sources?.retries !== undefined ? { retries: options.sources.retries } : {}),
    });
    let stopSourceSync: (() => void) | undefined;
    let encodersReady: Promise<void> = Promise.resolve();
    if (switching) {
      const target = imageQ ? { text: textQ, image: imageQ } : { text: textQ };
      const note = `• switching to ${text.label}: embedding ${catalog.size} items in the background; ${lexical!.label} serves meanwhile`;
      statusLines.push(() => (catalog.textEncoder.id === text.id ? [] : [note]));
      logger.info({ items: catalog.size, to: text.id }, 'model change: re-embedding the catalog in the background');
      // The vectors are computed as jobs (shared with other replicas switching to the same model), then swapped.
      if (runJobs) jobs.handle(embedKind(text.id), embedChunkHandler({ store, text: textQ, logger }));
      encodersReady = embedCatalogAsJobs({ jobs, catalog, store, text, logger })
        .then(() => catalog.switchEncoders(target))
        .then(
          () => logger.info({ text: text.id, image: image?.id }, 'encoders switched: the new model now serves'),
          (e: unknown) =>
            logger.error({ err: e }, `re-embedding with ${text.id} failed; the lexical encoder keeps serving`),
        );
    }
    const model = learned;
    let stopScraping: (() => Promise<void>) | undefined;
    let backgroundStarted = false;
    return {
      encodersReady,
      learned: model,
      jobs,
      links: core.links,
      digests: core.digests,
      digestScheduler,
      ingest,
      userImages: new UserImages({ config, logger: logger.child({ module: 'user-images' }) }),
      sources: userSources.service,
      config,
      logger,
      store,
      catalog,
      core,
      reco,
      llm,
      notes,
      statusLines,
      media: new MediaRefs({ clock }),
      routes: new ChatRoutes(store, { clock }),
      async startBackground(o = {}) {
        if (backgroundStarted) return;
        backgroundStarted = true;
        await digestScheduler.start();
        // Two-tower retraining (RETRAIN_INTERVAL_HOURS / RETRAIN_MIN_NEW_FEEDBACK): a job; an early retrain is
        // asked for at most once an hour across the replicas (the job id names the hour).
        model.start({
          early: () =>
            void jobs
              .enqueue(JOB.retrain, {}, { id: `retrain.early.${now().toISOString().slice(0, 13)}` })
              .catch((e: unknown) => logger.warn({ err: e }, 'could not add an early retrain job')),
          followEveryMs: jobs.mode === 'bullmq' ? 60_000 : 0,
        });
        stopSourceSync ??= userSources.startSync(5 * 60_000); // subscriptions other processes made
        if (runJobs) {
          jobs.handle(JOB.retrain, async () => {
            const r = await model.retrain();
            if (r.status === 'skipped') logger.info({ reason: r.reason }, 'two-tower retrain skipped');
            return r;
          });
          if (config.RETRAIN_INTERVAL_HOURS > 0)
            await jobs.every(JOB.retrain, 'retrain', Math.round(config.RETRAIN_INTERVAL_HOURS * 3_600_000), {});
        }
        if (runJobs && o.scraping && config.SCRAPE_INTERVAL_MINUTES > 0 && !stopScraping) {
          const { createScraping, formatHealth } = await import('../scrapers/index.js');
          const scraping = createScraping(config, {
            store,
            logger,
            sink: ingest,
            textEncoder: catalog.textEncoder,
            ...(catalog.imageEncoder ? { imageEncoder: catalog.imageEncoder } : {}),
          });
          statusLines.push(async () => formatHealth(await scraping.health.all()));
          // Each source is a scheduled job (declared by every process that scrapes; one schedule exists).
          jobs.handle<{ source: string }>(JOB.scrape, ({ source }) => scraping.scheduler.runSource(source));
          jobs.handle(JOB.expire, () => scraping.scheduler.expireNow());
          for (const p of scraping.scheduler.plans())
            await jobs.every(
              JOB.scrape,
              `scrape.${p.source}`,
              p.everyMs,
              { source: p.source },
              {
                firstDelayMs: p.firstDelayMs,
              },
            );
          if (config.ITEM_MAX_AGE_DAYS > 0) await jobs.every(JOB.expire, 'expire-items', 60 * 60_000, {});
          stopScraping = () => scraping.close();
        }
      },
      async close() {
        // A background re-embedding still running stops here; the vectors it cached are reused at the next start.
        await digestScheduler.stop().catch(() => undefined);
        await jobs.close().catch(() => undefined);
        await stopScraping?.().catch(() => undefined);
        stopSourceSync?.();
        await userSources.close().catch(() => undefined);
        extraction?.close();
        await model.close().catch(() => undefined);
        await matrixOps?.release().catch(() => undefined);
        await llm.explainer.idle().catch(() => undefined);
        await translator.idle().catch(() => undefined);
        await catalog.close().catch(() => undefined);
        await queue.onIdle().catch(() => undefined);
        await release?.().catch(() => undefined);
        people.stats.close();
        await store.close();
      },
    };
  } catch (e) {
    await jobs.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    if (e instanceof RecoError) throw e;
    throw new RecoError('INTERNAL', `start-up failed: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * The slot layout of digests nobody chose one for: DIGEST_LAYOUT, where `auto` starts from LAYOUT_DEFAULT
 * (compact stays compact; cards switch to compact when they would not fit the window). A chat's or person's
 * `/layout` wins over both (core/digest/plan.ts).
 */
function digestLayout(config: Config): 'auto' | Layout {
  return config.DIGEST_LAYOUT === 'auto' && config.LAYOUT_DEFAULT === 'compact' ? 'compact' : config.DIGEST_LAYOUT;
}
