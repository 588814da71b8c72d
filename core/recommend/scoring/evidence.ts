/** The evidence of a ranked row: the facts explanations and "why?" may state, from the real scoring terms. */
import type { Evidence } from '../../domain.js';
import { dot } from '../../vectors.js';
import { matchedTerms } from './terms.js';
import type { CatalogScores, RankInput } from './types.js';

/**
 * The evidence of one row from a scoring pass (`scoreCatalog`): the facts explanations and "why?" may state.
 * `exploration`: the row was picked by the diversity re-ranker rather than by score alone.
 */
export function evidenceOf(
  input: RankInput,
  scores: Pick<
    CatalogScores,
    'score' | 'pop' | 'liked' | 'personaVec' | 'likedC' | 'dislikedC' | 'likedZ' | 'topicTerms'
  >,
  row: number,
  exploration: boolean,
): Evidence {
  const { index, persona, weights: w, now } = input;
  const { score, pop, liked, personaVec, likedC, dislikedC, likedZ, topicTerms } = scores;
  const dim = index.textDim;
  const nowMs = now.getTime();
  const halfLifeMs = w.halfLifeHours * 3_600_000;
  const interestTerms = persona.interests.slice(0, 20).map((i) => i.term);
  const it = index.items[row]!;
  const likedSimilar = (likedZ(row) >= 1 ? liked : [])
    .slice(-200)
    .map((lr) => ({
      itemId: index.items[lr]!.id,
      title: index.items[lr]!.title,
      similarity: dot(index.text, index.text, row * dim, lr * dim, dim),
    }))
    .filter((l) => l.similarity > 0.05)
    .sort((a, b) => b.similarity - a.similarity)
    .slice(0, 2);
  const components: Record<string, number> = {
    persona: personaVec ? dot(index.text, personaVec, row * dim, 0, dim) : 0,
    liked: likedC ? dot(index.text, likedC, row * dim, 0, dim) : 0,
    disliked: dislikedC ? dot(index.text, dislikedC, row * dim, 0, dim) : 0,
    topic: input.topic?.vector ? dot(index.text, input.topic.vector, row * dim, 0, dim) : 0,
    freshness: Math.pow(2, -Math.max(0, nowMs - index.publishedMs[row]!) / halfLifeMs),
    popularity: pop[row]!,
    learned: input.learned?.[row] ?? 0,
    image:
      index.image && index.hasImage[row] && input.topic?.imageVector
        ? dot(index.image, input.topic.imageVector, row * index.imageDim, 0, index.imageDim)
        : 0,
    shown: input.shown[it.id]?.count ?? 0,
  };
  return {
    itemId: it.id,
    title: it.title,
    category: it.category,
    source: it.source,
    likedSimilar,
    interests: matchedTerms(index, row, interestTerms).slice(0, 3),
    topicTerms: matchedTerms(index, row, topicTerms),
    likedCategory: (persona.categories[it.category] ?? 0) > 0.2,
    ageHours: Math.max(0, (nowMs - index.publishedMs[row]!) / 3_600_000),
    popular: index.sourcePopularity[row]! >= 0.8,
    exploration,
    components,
    score: Number.isFinite(score[row]!) ? score[row]! : 0,
  };
}
