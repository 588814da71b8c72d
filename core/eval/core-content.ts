/**
 * The bot's own content scorer (core/recommend.ts `scoreCatalog`, without the two-tower term) as an
 * evaluation `Recommender`, so offline numbers measure exactly what the bot serves: persona similarity,
 * liked-minus-disliked similarity, keyword interests, freshness and the popularity prior.
 */
import { buildIndex, type CatalogIndex } from '../catalog/catalog.js';
import { CATEGORIES, type Category, type ContentItem, type FeedbackState } from '../domain.js';
import { scoreCatalog, type ScoringWeights } from '../recommend.js';
import { emptyPersona } from '../users/doc.js';
import type { Recommender, FitContext } from './baselines.js';
import type { InteractionDataset } from './datasets.js';
import { indexByUser, itemsOf, type UserItemIndex } from './ranking.js';

/** The bot's defaults (core/config.ts), minus the learned term. */
export const CONTENT_WEIGHTS: ScoringWeights = {
  persona: 0.35,
  feedback: 0.45,
  topic: 0.9,
  freshness: 0.08,
  popularity: 0.07,
  learned: 0,
  image: 0.3,
  shownPenalty: 0,
  halfLifeHours: 72,
};

const NOW = new Date('2026-01-01T00:00:00Z');

function asCategory(c: string | undefined): Category {
  const k = (c ?? '').toLowerCase();
  return (CATEGORIES as readonly string[]).includes(k) ? (k as Category) : 'entertainment';
}

/** Dataset items as catalog items (freshness becomes an age; popularity a view count). */
function toIndex(ds: InteractionDataset, halfLifeHours: number): CatalogIndex {
  const items: ContentItem[] = ds.items.map((it) => {
    const ageHours =
      it.freshness !== undefined && it.freshness > 0 ? -Math.log2(Math.min(1, it.freshness)) * halfLifeHours : 24 * 30;
    const at = new Date(NOW.getTime() - ageHours * 3_600_000).toISOString();
    return {
      id: it.id,
      url: `https://example.invalid/${encodeURIComponent(it.id)}`,
      canonicalUrl: `https://example.invalid/${encodeURIComponent(it.id)}`,
      title: it.text.slice(0, 200),
      summary: it.text,
      category: asCategory(it.categories[0]),
      source: it.source ?? 'dataset',
      lang: it.lang === 'ko' ? 'ko' : 'en',
      publishedAt: at,
      fetchedAt: at,
      popularity: it.popularity !== undefined ? { views: it.popularity } : {},
    };
  });
  return buildIndex({
    items,
    textEncoderId: 'dataset',
    textDim: ds.textDim,
    text: ds.itemText,
    ...(ds.itemImage && ds.imageDim > 0
      ? {
          imageEncoderId: 'dataset-image',
          imageDim: ds.imageDim,
          image: ds.itemImage,
          hasImage: new Uint8Array(items.length).fill(1),
        }
      : {}),
  });
}

export class CoreContentRecommender implements Recommender {
  readonly name = 'content';
  readonly family = 'content';
  private ds: InteractionDataset | undefined;
  private index: CatalogIndex | undefined;
  private likes: UserItemIndex | undefined;
  private dislikes: UserItemIndex | undefined;

  constructor(private readonly weights: ScoringWeights = CONTENT_WEIGHTS) {}

  fit(ctx: FitContext): void {
    this.ds = ctx.dataset;
    this.index = toIndex(ctx.dataset, this.weights.halfLifeHours);
    this.likes = indexByUser(ctx.train, ctx.dataset.users.length, (s) => s === 1);
    this.dislikes = indexByUser(ctx.train, ctx.dataset.users.length, (s) => s === -1);
  }

  scoreUsers(users: Int32Array): Float32Array {
    const ds = this.ds!;
    const index = this.index!;
    const n = ds.items.length;
    const out = new Float32Array(users.length * n);
    users.forEach((u, r) => {
      const user = ds.users[u]!;
      const persona = emptyPersona(user.id, NOW.toISOString());
      persona.interests = (user.interests ?? []).map((term) => ({ term, weight: 1, source: 'user', updatedAt: '' }));
      if (ds.userPersona) {
        const v = ds.userPersona.subarray(u * ds.textDim, (u + 1) * ds.textDim);
        if (v.some((x) => x !== 0)) {
          persona.vector = Array.from(v);
          persona.encoderId = 'dataset';
        }
      }
      const feedback: Record<string, FeedbackState> = {};
      for (const j of itemsOf(this.likes!, u))
        feedback[ds.items[j]!.id] = { itemId: ds.items[j]!.id, signal: 'like', origin: 'reaction', at: '' };
      for (const j of itemsOf(this.dislikes!, u))
        feedback[ds.items[j]!.id] = { itemId: ds.items[j]!.id, signal: 'dislike', origin: 'reaction', at: '' };
      const { score } = scoreCatalog({
        index,
        persona,
        feedback,
        shown: {},
        explore: 0,
        count: 10,
        now: NOW,
        weights: this.weights,
      });
      // The harness masks training items itself; keep the rest finite and comparable.
      for (let i = 0; i < n; i++) out[r * n + i] = Number.isFinite(score[i]!) ? score[i]! : -1e9;
    });
    return out;
  }

  describe(): Record<string, unknown> {
    return { scorer: 'core/recommend.ts scoreCatalog', weights: this.weights };
  }
}
