/**
 * The two-tower model inside the bot: serves the latest trained model (scores blended with the content
 * terms by RECO_W_LEARNED), keeps its item embeddings in step with the catalog, and retrains as a background
 * job — on RETRAIN_INTERVAL_HOURS, or early after RETRAIN_MIN_NEW_FEEDBACK new reactions — in a worker
 * thread, under a store lock so one replica trains, then swaps the new model in atomically; other processes
 * follow TWO_TOWER_DIR and swap it in too (a shared directory when they run on several machines).
 */
import { Worker } from 'node:worker_threads';
import type { Config } from '../../core/config.js';
import type { CatalogIndex, CatalogService } from '../../core/catalog/catalog.js';
import type { FeedbackUserDoc } from '../../core/eval/datasets.js';
import { userModelFeatures, type ModelFeatureCatalog } from '../../core/model-features.js';
import type { KeyValueStore, Logger, MatrixOps } from '../../core/ports.js';
import type { UserDoc } from '../../core/users/doc.js';
import { GuardedScorer } from './guard.js';
import { TwoTowerScorer } from './serve.js';
import { latestModelDir } from './artifacts.js';
import type { RetrainJob, RetrainReply } from './retrain-worker.js';
import type { TrainOptions } from './train.js';

const LOCK = 'two-tower-retrain';

export type RetrainOutcome =
  { status: 'trained'; modelDir: string; likes: number } | { status: 'skipped'; reason: string };

export interface LearnedModelOptions {
  config: Pick<
    Config,
    'TWO_TOWER_DIR' | 'RETRAIN_INTERVAL_HOURS' | 'RETRAIN_MIN_NEW_FEEDBACK' | 'ORT_INTRA_OP_THREADS'
  >;
  catalog: CatalogService;
  store: KeyValueStore;
  users: () => AsyncIterable<UserDoc>;
  logger: Logger;
  /** Faster matrix math for scoring (the app's onnxruntime MatMul). */
  matrixOps?: MatrixOps;
  /** Fewer likes than this in the log: no training yet. Default 20. */
  minLikes?: number;
  train?: TrainOptions;
  now?: () => Date;
}

/**
 * A stored user as a training row of the feedback log: the model's view of the person comes from the same
 * `userModelFeatures` serving uses (core/model-features.ts); the signals keep their times.
 */
export function toFeedbackUser(doc: UserDoc, catalog: ModelFeatureCatalog): FeedbackUserDoc {
  const f = userModelFeatures(
    {
      userId: doc.user.id,
      lang: doc.user.lang,
      platform: doc.user.identities[0]?.platform ?? 'console',
      persona: doc.persona,
      feedback: doc.feedback,
    },
    catalog,
  );
  const at = new Map(Object.values(doc.feedback).map((s) => [s.itemId, s.at]));
  return {
    userId: f.userId,
    feedback: [
      ...f.likedItemIds.map((itemId) => ({ itemId, signal: 'like' as const, at: at.get(itemId)! })),
      ...f.dislikedItemIds.map((itemId) => ({ itemId, signal: 'dislike' as const, at: at.get(itemId)! })),
    ],
    attributes: f.attributes,
    lang: f.lang,
    platform: f.platform,
    interests: f.interests,
    categories: f.categories,
    ...(f.personaVector ? { personaVector: f.personaVector } : {}),
  };
}

export class LearnedModel {
  readonly scorer: TwoTowerScorer;
  /** What the ranking uses: the scorer behind the finite-output checks and the fallback to a good version. */
  readonly serving: GuardedScorer;
  private newFeedback = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RetrainOutcome> | undefined;
  private early: (() => void) | undefined;
  private earlyRequested = false;
  private readonly owner = `retrain-${process.pid}-${Math.random().toString(36).slice(2)}`;

  constructor(private readonly o: LearnedModelOptions) {
    this.scorer = new TwoTowerScorer({
      modelsDir: o.config.TWO_TOWER_DIR,
      logger: o.logger,
      intraOpThreads: o.config.ORT_INTRA_OP_THREADS,
      ...(o.matrixOps ? { matrixOps: o.matrixOps } : {}),
    });
    this.serving = new GuardedScorer(this.scorer, {
      modelsDir: o.config.TWO_TOWER_DIR,
      catalog: () => (o.catalog.size > 0 ? o.catalog.index : undefined),
      logger: o.logger,
    });
    o.catalog.onRefresh((idx) => this.follow(idx));
  }

  /** Loads the newest trained model that passes the load checks (else an older one), and embeds the catalog. */
  async init(): Promise<void> {
    try {
      if (this.o.catalog.size > 0) await this.follow(this.o.catalog.index);
      await this.serving.loadGood();
    } catch (e) {
      this.o.logger.warn(
        { err: e, dir: this.o.config.TWO_TOWER_DIR },
        'the two-tower model could not be loaded; content scoring only. Retrain with `npm run train`',
      );
    }
  }

  private follow(idx: CatalogIndex): Promise<void> {
    return this.scorer.setContentCatalog(idx.version, idx.items, idx.text, idx.image);
  }

  /** Counts a new reaction; enough of them trigger an early retrain (once, until a retrain has run). */
  noteFeedback(): void {
    this.newFeedback++;
    const min = this.o.config.RETRAIN_MIN_NEW_FEEDBACK;
    if (!this.early || this.earlyRequested || min <= 0 || this.newFeedback < min) return;
    this.earlyRequested = true;
    try {
      this.early();
    } catch (e) {
      this.earlyRequested = false;
      this.o.logger.warn({ err: e }, 'could not ask for an early two-tower retrain; the schedule still runs');
    }
  }

  /**
   * Turns background retraining on. The schedule itself (every RETRAIN_INTERVAL_HOURS) is a background job the
   * composition root declares; here: `early` asks for a retrain once RETRAIN_MIN_NEW_FEEDBACK new reactions
   * arrived (it adds a job), and `followEveryMs` watches TWO_TOWER_DIR for a model another process trained
   * (a worker or another replica) and swaps it in.
   */
  start(o: { early?: () => void; followEveryMs?: number } = {}): void {
    if (o.early) this.early = o.early;
    if (o.followEveryMs && o.followEveryMs > 0 && !this.timer) {
      this.timer = setInterval(() => void this.followLatest().catch(() => undefined), o.followEveryMs);
      this.timer.unref();
    }
  }

  /** Loads a newer complete model from TWO_TOWER_DIR if another process trained one and it passes the checks. */
  async followLatest(): Promise<boolean> {
    const dir = await latestModelDir(this.o.config.TWO_TOWER_DIR);
    if (!dir || dir === this.scorer.modelDir || this.running || this.serving.isSetAside(dir)) return false;
    try {
      // Through the same finite-output checks as a model trained here (a bad one is set aside, once).
      if (!(await this.serving.adopt(dir))) return false;
      this.o.logger.info({ modelDir: dir }, 'a two-tower model trained by another process was swapped in');
      return true;
    } catch (e) {
      this.o.logger.warn(
        { err: e, modelDir: dir },
        'a newer two-tower model could not be loaded; the current one serves',
      );
      return false;
    }
  }

  /** Retrains now (one at a time; across replicas one holder of the store lock). */
  retrain(): Promise<RetrainOutcome> {
    this.running ??= this.retrainLocked().finally(() => (this.running = undefined));
    return this.running;
  }

  private async retrainLocked(): Promise<RetrainOutcome> {
    const log = this.o.logger.child({ module: 'two-tower' });
    if (!(await this.o.store.acquireLock(LOCK, this.owner, 2 * 3_600_000)))
      return { status: 'skipped', reason: 'another replica is training' };
    try {
      const index = this.o.catalog.index;
      const users: FeedbackUserDoc[] = [];
      const catalog = { textEncoderId: index.textEncoderId, has: (id: string) => index.rowOf.has(id) };
      for await (const d of this.o.users())
        if (Object.keys(d.feedback).length > 0) users.push(toFeedbackUser(d, catalog));
      const job: RetrainJob = {
        users,
        items: [...index.items],
        text: index.text.slice(),
        ...(index.image ? { image: index.image.slice() } : {}),
        modelsDir: this.o.config.TWO_TOWER_DIR,
        minLikes: this.o.minLikes ?? 20,
        ...(this.o.train ? { train: this.o.train } : {}),
        now: (this.o.now?.() ?? new Date()).toISOString(),
      };
      const seen = this.newFeedback;
      log.info({ users: users.length, items: job.items.length }, 'retraining the two-tower model in a worker thread');
      const reply = await runWorker(job);
      this.earlyRequested = false;
      if (!reply.ok) {
        if (reply.code === 'DATASET_INVALID') return { status: 'skipped', reason: reply.message };
        throw new Error(`two-tower retraining failed: ${reply.message}`);
      }
      if (!(await this.serving.adopt(reply.modelDir)))
        return { status: 'skipped', reason: `the new model ${reply.modelDir} failed the finite-output check` };
      this.newFeedback = Math.max(0, this.newFeedback - seen);
      log.info({ modelDir: reply.modelDir, likes: reply.likes }, 'new two-tower model swapped in');
      return { status: 'trained', modelDir: reply.modelDir, likes: reply.likes };
    } finally {
      await this.o.store.releaseLock(LOCK, this.owner).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
    await this.scorer.close();
  }
}

function runWorker(job: RetrainJob): Promise<RetrainReply> {
  return new Promise((resolve, reject) => {
    const transfer = [job.text.buffer, ...(job.image ? [job.image.buffer] : [])] as ArrayBuffer[];
    const worker = new Worker(new URL('./retrain-worker.mjs', import.meta.url), {
      workerData: job,
      transferList: transfer,
    });
    let settled = false;
    worker.once('message', (reply: RetrainReply) => {
      settled = true;
      resolve(reply);
      void worker.terminate();
    });
    worker.once('error', (e) => {
      if (!settled) reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the retrain worker exited with code ${code}`));
    });
  });
}
