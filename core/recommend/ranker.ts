/**
 * Ranking a subject (one user, or a blend for a group digest) over the catalog: encodes the topic, asks the
 * learned scorer for whole-catalog scores, runs the ORT mat-vec when available, and calls `rankItems`.
 * Writes nothing.
 */
import type { CatalogIndex, CatalogService } from '../catalog/catalog.js';
import type { Category, Evidence, FeedbackState, Lang, Persona, Platform } from '../domain.js';
import { elicitationSelect, type ElicitationSubject } from '../elicitation/select.js';
import type { BotStats } from '../feedback/stats.js';
import { compileFilters, type MuteFilter } from '../filters/filters.js';
import { mutedRowTest } from '../filters/rows.js';
import { filtersFor, type ChatSettings, type Layout } from '../filters/settings.js';
import { userModelFeatures } from '../model-features.js';
import type { Clock, LearnedScorer, Logger, MatrixOps, UserFeatures } from '../ports.js';
import {
  evidenceOf,
  rankItems,
  scoreCatalog,
  textQuery,
  type RankInput,
  type Ranked,
  type ScoringWeights,
} from '../recommend.js';
import type { BanditSettings } from '../elicitation/bandit.js';
import { sanitizeText } from '../text.js';
import { matVec } from '../vectors.js';
import { pictureSelect } from '../search/picture-rank.js';
import type { ShownState, UserDoc } from '../users/doc.js';
import { categoryOfTopic } from './topic-category.js';
import { userSources } from '../sources/types.js';

/** The recommender's settings (from the configuration, mapped once in the composition root). */
export interface RecoSettings {
  defaultLang: Lang;
  defaultCount: number;
  maxCount: number;
  defaultExplore: number;
  maxMessageChars: number;
  likeEmojis: readonly string[];
  dislikeEmojis: readonly string[];
  weights: ScoringWeights;
  /** The elicitation bandit for plain lists (`off`: the MMR re-rank alone); absent = off. */
  elicitation?: { mode: 'bandit' | 'off'; bandit: BanditSettings };
  /** The list layout when neither the chat nor the person chose one (LAYOUT_DEFAULT; default `cards`). */
  defaultLayout?: Layout;
}

export interface RecommendRequest {
  topic?: string;
  /** "More like this one": the item's own text and image vectors become the topic (image → image similarity). */
  likeItemId?: string;
  /**
   * Search by picture: the query picture's vector (the image encoder's). Items with an image vector are ranked by
   * image → image similarity first, re-ranked with the rest of the score (the `topic` caption's text match, the
   * persona); items without one are left out.
   */
  imageVector?: Float32Array;
  count?: number;
  category?: Category;
  source?: string;
}

/** What a scoring subject is: one user, or a blend (a group digest). */
export interface Subject {
  userId: string;
  lang: Lang;
  platform: Platform;
  persona: Persona;
  feedback: Record<string, FeedbackState>;
  shown: Record<string, ShownState>;
  explore: number;
  /** Set for one person's plain lists: the categories of the list are chosen by the elicitation bandit. */
  elicitation?: ElicitationSubject;
  /** Sources the subject subscribed to (`/subscribe`): their items get a small boost. */
  sources?: readonly string[];
  /** Hard filters (the person's and the chat's): muted items are never ranked, whatever their score. */
  filters?: readonly MuteFilter[];
}

export interface RankerOptions {
  catalog: CatalogService;
  settings: RecoSettings;
  stats: BotStats;
  learned?: LearnedScorer;
  /** Faster whole-catalog matrix math (ORT MatMul); the JS loop when absent. */
  matrixOps?: MatrixOps;
  clock: Clock;
  logger: Logger;
}

export class Ranker {
  private learned: LearnedScorer | undefined;
  private readonly log: Logger;

  constructor(private readonly o: RankerOptions) {
    this.learned = o.learned;
    this.log = o.logger;
  }

  /** The sources a chat follows (a chat's own sources boost the lists shown in it); set by the composition root. */
  private chatSources: ((platform: Platform, chatId: string) => readonly string[]) | undefined;

  setChatSources(f: ((platform: Platform, chatId: string) => readonly string[]) | undefined): void {
    this.chatSources = f;
  }

  /** The sources a chat follows (empty when none, or when nothing provides them). */
  sourcesOfChat(platform: Platform, chatId: string): readonly string[] {
    return this.chatSources?.(platform, chatId) ?? [];
  }

  /** Plugs in (or swaps) the learned scorer at run time. */
  setLearnedScorer(scorer: LearnedScorer | undefined): void {
    this.learned = scorer;
  }

  get learnedScorer(): LearnedScorer | undefined {
    return this.learned;
  }

  /**
   * The subject for scoring one user: with the chat's settings, when the list goes to a chat that has some, and
   * (in `chatId`) the chat's own sources next to the person's.
   */
  subjectOf(doc: UserDoc, platform: Platform, chat?: ChatSettings, chatId?: string): Subject {
    const filters = filtersFor(doc, chat);
    const sources = [...userSources(doc), ...(chatId ? this.sourcesOfChat(platform, chatId) : [])];
    return {
      userId: doc.user.id,
      lang: doc.user.lang,
      platform,
      persona: doc.persona,
      feedback: doc.feedback,
      shown: doc.shown,
      explore: doc.user.explore,
      ...(sources.length ? { sources: [...new Set(sources)] } : {}),
      ...(filters.length ? { filters } : {}),
    };
  }

  /** Ranks the catalog for a subject (one user or a blend). No state is written. */
  async rankFor(
    subject: Subject,
    request: RecommendRequest & { exclude?: ReadonlySet<string>; publishedAfter?: Date },
  ): Promise<{ index: CatalogIndex; ranked: Ranked[] }> {
    const { index, input } = await this.prepare(subject, topicAsCategory(request));
    return { index, ranked: rankItems(input) };
  }

  /**
   * The evidence of one item for a subject now (exact scoring of the whole catalog): "why?" on an item whose list
   * kept no evidence (a digest). Undefined when the item is not in the catalog.
   */
  async evidenceFor(subject: Subject, itemId: string): Promise<Evidence | undefined> {
    const { index, input } = await this.prepare(subject, {});
    const row = index.rowOf.get(itemId);
    if (row === undefined) return undefined;
    return evidenceOf(input, scoreCatalog({ ...input, mode: 'exact' }), row, false);
  }

  /** Everything one ranking reads: the index snapshot, the encoded topic, the learned scores, the filter step. */
  private async prepare(
    subject: Subject,
    req: RecommendRequest & { exclude?: ReadonlySet<string>; publishedAfter?: Date },
  ): Promise<{ index: CatalogIndex; input: RankInput }> {
    // One consistent snapshot: the index and the encoders that made it (a model switch swaps them together).
    const { index, text: textEncoder, image: img } = this.o.catalog.snapshot();
    const s = this.o.settings;
    const count = Math.max(1, Math.min(s.maxCount, req.count ?? s.defaultCount));
    let topic: { text: string; vector?: Float32Array; imageVector?: Float32Array } | undefined;
    const topicText = req.topic ? sanitizeText(req.topic, 200) : '';
    if (topicText) {
      topic = { text: topicText };
      try {
        topic.vector = await textEncoder.encode([topicText]);
      } catch (e) {
        this.log.warn({ err: e, code: 'ENCODER_FAILED' }, 'topic encoding failed; keyword matching only');
      }
      if (img?.encodeText && index.image) {
        try {
          topic.imageVector = await img.encodeText([topicText]);
        } catch (e) {
          this.log.warn({ err: e, code: 'ENCODER_FAILED' }, 'CLIP text encoding failed; text similarity only');
        }
      }
    }
    let exclude = req.exclude;
    const likeRow = req.likeItemId ? index.rowOf.get(req.likeItemId) : undefined;
    if (likeRow !== undefined) {
      const item = index.items[likeRow]!;
      const d = index.textDim;
      topic = { text: item.title, vector: index.text.slice(likeRow * d, (likeRow + 1) * d) };
      if (index.image && index.hasImage[likeRow]) {
        topic.imageVector = index.image.slice(likeRow * index.imageDim, (likeRow + 1) * index.imageDim);
      }
      exclude = new Set([...(req.exclude ?? []), item.id]);
    }
    let learned: Float32Array | undefined;
    if (this.learned) {
      try {
        learned = await this.learned.scoreAll(this.featuresOf(subject), index.version);
      } catch (e) {
        this.log.warn({ err: e }, 'two-tower scoring failed; content scoring only');
      }
    }
    // The filter step: muted rows never reach the ranking (see core/filters).
    const muted = subject.filters?.length ? mutedRowTest(index, compileFilters(subject.filters)) : undefined;
    const input: RankInput = {
      index,
      persona: subject.persona,
      feedback: subject.feedback,
      shown: subject.shown,
      explore: subject.explore,
      count,
      ...(topic ? { topic } : {}),
      ...(req.category ? { category: req.category } : {}),
      ...(req.source ? { source: req.source } : {}),
      ...(learned ? { learned } : {}),
      ...(exclude ? { exclude } : {}),
      ...(req.publishedAfter ? { publishedAfter: req.publishedAfter } : {}),
      ...(subject.sources?.length ? { boostSources: subject.sources } : {}),
      ...(muted ? { muted } : {}),
      stats: this.o.stats.forIndex(index),
      now: this.o.clock.now(),
      weights: s.weights,
    };
    if (this.o.matrixOps && index.items.length > 0) {
      try {
        input.textScores = await this.o.matrixOps.matVec(index.text, index.textDim, textQuery(input).q);
      } catch (e) {
        this.log.warn({ err: e }, 'matrix ops failed; scoring with the JS loop');
      }
    }
    if (req.imageVector && index.image && req.imageVector.length === index.imageDim) {
      // Search by picture: every row is scored (the ANN candidates follow text and persona, not the picture), the
      // picture's similarity to each thumbnail in one matrix–vector product, then the picture-first select step.
      const q = req.imageVector;
      input.topic = { ...(input.topic ?? { text: '' }), imageVector: q };
      input.mode = 'exact';
      let sims: Float32Array | undefined;
      if (this.o.matrixOps) {
        try {
          sims = await this.o.matrixOps.matVec(index.image, index.imageDim, q);
        } catch (e) {
          this.log.warn({ err: e }, 'matrix ops failed; picture similarity with the JS loop');
        }
      }
      input.select = pictureSelect(index, sims ?? matVec(index.image, index.imageDim, q), count);
    }
    const plain = !topic && likeRow === undefined && !req.category && !req.source && !req.imageVector;
    const e = s.elicitation;
    if (plain && subject.elicitation && e?.mode === 'bandit')
      input.select = elicitationSelect(subject, subject.elicitation, index, count, e.bandit);
    return { index, input };
  }

  /** What the two-tower user tower reads about a subject (serving side). */
  featuresOf(subject: Subject): UserFeatures {
    const index = this.o.catalog.index;
    return userModelFeatures(subject, { textEncoderId: index.textEncoderId, has: (id) => index.rowOf.has(id) });
  }
}

/**
 * A topic that names a category ("sports", "스포츠") becomes that category filter instead of keywords (which
 * would match "sports jackets"); an explicit category or a "more like this" request is left as it is.
 */
export function topicAsCategory<R extends RecommendRequest>(req: R): R {
  if (!req.topic || req.category || req.likeItemId) return req;
  const category = categoryOfTopic(req.topic);
  if (!category) return req;
  const { topic: _named, ...rest } = req;
  return { ...rest, category } as R;
}
