/**
 * The scoring pass's shapes: its weights, its input (`RankInput`), what it computes (`CatalogScores`) and what
 * ranking returns (`Ranked`). The pass itself: score.ts; the re-rank: rank.ts (both re-exported by core/recommend.ts).
 */
import type { Category, Evidence, FeedbackState, Persona } from '../../domain.js';
import type { CatalogIndex } from '../../catalog/catalog.js';
import type { ShownState } from '../../users/doc.js';

export interface ScoringWeights {
  persona: number;
  feedback: number;
  topic: number;
  freshness: number;
  popularity: number;
  learned: number;
  /** Share of the image similarity in the fused content similarity (items with an image only). */
  image: number;
  shownPenalty: number;
  halfLifeHours: number;
}

export interface ItemStats {
  likes: Float32Array;
  dislikes: Float32Array;
}

export interface RankInput {
  index: CatalogIndex;
  persona: Persona;
  feedback: Record<string, FeedbackState>;
  shown: Record<string, ShownState>;
  explore: number;
  count: number;
  topic?: { text: string; vector?: Float32Array; imageVector?: Float32Array };
  category?: Category;
  source?: string;
  /** `index.text · textQuery(input).q`, when the caller computed it with faster matrix math (MatrixOps). */
  textScores?: Float32Array;
  /** Two-tower scores, one per catalog row. */
  learned?: Float32Array;
  stats?: ItemStats;
  now: Date;
  weights: ScoringWeights;
  /** Items never to return (e.g. a digest's already-sent items). */
  exclude?: ReadonlySet<string>;
  /** Only items published after this time (digest freshness). */
  publishedAfter?: Date;
  /** Hard filters (core/filters): true for a row that must never be returned, whatever its score. */
  muted?: (row: number) => boolean;
  random?: () => number;
  /**
   * `auto` (default): when the index has an ANN candidate generator, score only its candidates (plus keyword,
   * topic and popular rows); `exact`: score every row (the oracle).
   */
  mode?: 'auto' | 'exact';
  /** How many nearest rows the ANN contributes (default {@link ANN_CANDIDATES}). */
  annCandidates?: number;
  /**
   * Chooses the list from the scores instead of the MMR re-rank (the elicitation bandit, core/elicitation):
   * rows best first, and which of them were chosen to explore. Undefined (or no rows): the MMR list stands.
   */
  select?: (
    score: Float32Array,
    rows: Int32Array | undefined,
  ) => { rows: number[]; exploration: Set<number> } | undefined;
  /** Sources the subject subscribed to (`/subscribe`): {@link SUBSCRIBED_SOURCE_BONUS} for their items. */
  boostSources?: readonly string[];
}

export interface Ranked {
  row: number;
  score: number;
  evidence: Evidence;
}

/**
 * Everything the scoring pass computes that re-ranking and evidence reuse. With candidates (`rows`), `score` and
 * `pop` are catalog-length buffers the index reuses (no 2 × 4 MB allocation per request at 1M items, which
 * drove full GCs): read them before the next scoring pass on the same index (ranking is synchronous).
 */
export interface CatalogScores {
  /** One score per catalog row; `-Infinity` marks excluded rows (and, with candidates, rows not scored). */
  score: Float32Array;
  /** The rows that were scored when candidate generation ran (ANN + keyword + popular rows); absent: every row. */
  rows?: Int32Array;
  /** The popularity prior per row (with candidates: set for `rows` only). */
  pop: Float32Array;
  liked: number[];
  personaVec: Float32Array | undefined;
  likedC: Float32Array | undefined;
  dislikedC: Float32Array | undefined;
  /** Standard score of a row's similarity to the liked centroid (−∞ without likes). */
  likedZ: (row: number) => number;
  topicTerms: string[];
}
