/**
 * Interaction datasets for training and evaluation: one columnar type (`interactions.ts`), and its sources —
 * MovieLens folders (`movielens.ts`), synthetic generators with planted structure (`synthetic-planted.ts` and
 * `synthetic.ts`) and the bot's own feedback log (`feedback-log.ts`). This module re-exports them all, and holds
 * the MovieLens genre/age vocabularies, the relevance relabelling (`withPositive`) and the dataset fingerprint.
 */
import { createHash } from 'node:crypto';
import type { InteractionDataset } from './interactions.js';

export {
  buildInteractions,
  selectRows,
  type DatasetItem,
  type DatasetUser,
  type InteractionDataset,
  type Interactions,
  type RawInteraction,
  type SignalValue,
} from './interactions.js';
export { generateSynthetic, type SyntheticOptions } from './synthetic-planted.js';
export {
  datasetItemsFromContent,
  freshnessOf,
  readFeedbackLog,
  type FeedbackLogOptions,
  type FeedbackUserDoc,
} from './feedback-log.js';

// ---------------------------------------------------------------- MovieLens-100K

export const MOVIELENS_GENRES = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
] as const;

/** MovieLens-1M style age bands, applied to the exact ages of ML-100K. */
export function ageBand(age: number): string {
  if (age < 18) return 'under-18';
  if (age < 25) return '18-24';
  if (age < 35) return '25-34';
  if (age < 45) return '35-44';
  if (age < 50) return '45-49';
  if (age < 56) return '50-55';
  return '56+';
}
// ---------------------------------------------------------------- relevance and identity

/** Which rated rows are positives: every rating (`all`) or ratings ≥ a threshold. */
export type Positive = 'all' | number;

/**
 * Relabels the rows that carry a rating: `all` makes every rating a positive (the implicit-feedback convention of
 * RecBole's MovieLens benchmarks, where a rating is a view); a threshold `t` makes ratings ≥ t positives, ratings
 * ≤ `dislikeAtMost` (default 2) below t dislikes and the rest neutral (seen, never a target). Rows without a rating
 * (the bot's reactions, the planted generator's non-likes) keep their signal.
 */
export function withPositive(ds: InteractionDataset, positive: Positive, dislikeAtMost = 2): InteractionDataset {
  const inter = ds.interactions;
  const signal = new Int8Array(inter.length);
  for (let r = 0; r < inter.length; r++) {
    const rating = inter.rating[r]!;
    if (Number.isNaN(rating)) signal[r] = inter.signal[r]!;
    else if (positive === 'all' || rating >= positive) signal[r] = 1;
    else signal[r] = rating <= dislikeAtMost ? -1 : 0;
  }
  return { ...ds, interactions: { ...inter, signal }, meta: { ...ds.meta, positive } };
}

/**
 * sha256 (hex) over the canonical rows — `userId⇥itemId⇥rating⇥time` (signal instead of the rating where there is
 * none), sorted — and the item ids in order: equal fingerprints mean the same data whatever the file order.
 */
export function datasetFingerprint(ds: InteractionDataset): string {
  const inter = ds.interactions;
  const lines: string[] = [];
  for (let r = 0; r < inter.length; r++) {
    const rating = inter.rating[r]!;
    lines.push(
      `${ds.users[inter.user[r]!]!.id}\t${ds.items[inter.item[r]!]!.id}\t${Number.isNaN(rating) ? `s${inter.signal[r]}` : rating}\t${inter.time[r]}`,
    );
  }
  lines.sort();
  const h = createHash('sha256');
  for (const l of lines) h.update(`${l}\n`);
  h.update('items\n');
  for (const it of ds.items) h.update(`${it.id}\n`);
  return h.digest('hex');
}
