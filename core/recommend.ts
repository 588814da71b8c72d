/**
 * Scoring and re-ranking: candidates → score → MMR re-rank → evidence.
 *
 * score(i) = fused_sim(i, q)                          one mat-vec over the catalog, where
 *            q = w_p·persona + w_f·(liked − disliked) + w_t·topic   (centroids, L2-normalised)
 *            fused_sim = (1−w_img)·text_sim + w_img·image_sim for items with an image vector
 *          + w_t·keyword(topic terms)  + 0.15·keyword(persona interests) − 0.6·keyword(dislikes)
 *          + w_fresh·2^(−age/half-life) + w_pop·popularity prior + w_learned·two-tower(i)
 *          + 0.1·category preference + 0.05 per stated preference matched (source, format, language)
 *          − shown penalty;   items the user reacted to, filtered out or muted (core/filters) are excluded.
 * The popularity prior blends the item's percentile within its source with a Bayesian weighted
 * rating of the bot's own reactions: (v/(v+m))·R + (m/(v+m))·C.
 *
 * The code lives in core/recommend/scoring/: types.ts (weights, RankInput, CatalogScores), score.ts (the scoring
 * pass), candidates.ts (ANN + keyword candidates), priors.ts (popularity, freshness, preferences), terms.ts
 * (keyword matching), normalize.ts (spread standardisation), rank.ts (MMR re-rank), evidence.ts. This module is
 * their one public entry point.
 */
export type { CatalogScores, ItemStats, Ranked, RankInput, ScoringWeights } from './recommend/scoring/types.js';
export { CONTENT_SCALE, sampleRows, SPREAD_SAMPLE, standardize } from './recommend/scoring/normalize.js';
export { rowsMatching } from './recommend/scoring/terms.js';
export {
  popularityPrior,
  PREFERENCE_BONUS,
  preferenceBonus,
  SOURCE_FORMATS,
  SUBSCRIBED_SOURCE_BONUS,
} from './recommend/scoring/priors.js';
export { ANN_CANDIDATES, INTEREST_CANDIDATES, KEYWORD_CANDIDATES } from './recommend/scoring/candidates.js';
export { scoreCatalog, textQuery } from './recommend/scoring/score.js';
export { evidenceOf } from './recommend/scoring/evidence.js';
export { mmr, MMR_LAMBDA, rankItems } from './recommend/scoring/rank.js';
export { normalizeInPlace } from './vectors.js';
