/**
 * The bot's own feedback log as an interaction dataset (`readFeedbackLog`), and the bot's catalog items as dataset
 * items. Re-exported by `datasets.ts`.
 */
import type { ContentItem } from '../domain.js';
import { RecoError } from '../errors.js';
import {
  buildInteractions,
  type DatasetItem,
  type DatasetUser,
  type InteractionDataset,
  type RawInteraction,
  type SignalValue,
} from './interactions.js';
import { hashedTextVectors } from './text.js';

/** One user document of the bot, as the lead's store hands it over (layout-independent). */
export interface FeedbackUserDoc {
  userId: string;
  feedback: { itemId: string; signal: 'like' | 'dislike' | 'none'; at: string }[];
  /** Persona attributes (age band, occupation, …). */
  attributes?: Record<string, string>;
  lang?: string;
  platform?: string;
  interests?: string[];
  categories?: string[];
  /** Persona text vector (same encoder as the item text vectors), when the user wrote anything. */
  personaVector?: ArrayLike<number>;
}

export interface FeedbackLogOptions {
  /** Item text vectors in `items` order (`items.length × textDim`). Default: hashed bag of words of `text`. */
  itemText?: Float32Array;
  textDim?: number;
  itemImage?: Float32Array;
  imageDim?: number;
  name?: string;
}

/**
 * Reads the bot's feedback log into a dataset. The latest signal per (user, item) wins; `none` (a removed reaction)
 * deletes the pair. Feedback on items missing from `items` is skipped (counted in `meta.skippedUnknownItems`).
 */
export async function readFeedbackLog(
  docs: AsyncIterable<FeedbackUserDoc>,
  items: readonly DatasetItem[],
  options: FeedbackLogOptions = {},
): Promise<InteractionDataset> {
  const textDim = options.textDim ?? (options.itemText ? options.itemText.length / Math.max(1, items.length) : 128);
  if (!Number.isInteger(textDim))
    throw new RecoError('DATASET_INVALID', 'itemText length is not a multiple of items.length');
  const itemIndex = new Map(items.map((it, i) => [it.id, i]));
  const users: DatasetUser[] = [];
  const rows: RawInteraction[] = [];
  const personas: (ArrayLike<number> | undefined)[] = [];
  let skipped = 0;
  let docNo = 0;
  for await (const doc of docs) {
    docNo++;
    if (typeof doc.userId !== 'string' || !Array.isArray(doc.feedback)) {
      throw new RecoError('DATASET_INVALID', `feedback log user document ${docNo}: needs userId and feedback[]`, {
        details: { file: 'feedback-log', row: docNo },
      });
    }
    const u = users.length;
    const state = new Map<number, { signal: SignalValue; time: number }>();
    const events = doc.feedback.map((f, k) => ({ f, k, t: Date.parse(f.at) })).sort((a, b) => a.t - b.t || a.k - b.k);
    for (const { f, t } of events) {
      const it = itemIndex.get(f.itemId);
      if (it === undefined) {
        skipped++;
        continue;
      }
      if (f.signal === 'none') state.delete(it);
      else state.set(it, { signal: f.signal === 'like' ? 1 : -1, time: Number.isNaN(t) ? 0 : t });
    }
    for (const [item, s] of state) rows.push({ user: u, item, time: s.time, signal: s.signal });
    users.push({
      id: doc.userId,
      attributes: { ...(doc.attributes ?? {}) },
      ...(doc.lang ? { lang: doc.lang } : {}),
      ...(doc.platform ? { platform: doc.platform } : {}),
      ...(doc.interests ? { interests: [...doc.interests] } : {}),
      ...(doc.categories ? { categories: [...doc.categories] } : {}),
    });
    personas.push(doc.personaVector && doc.personaVector.length === textDim ? doc.personaVector : undefined);
  }
  let userPersona: Float32Array | undefined;
  if (personas.some(Boolean)) {
    userPersona = new Float32Array(users.length * textDim);
    personas.forEach((p, u) => p && userPersona!.set(Array.from(p), u * textDim));
  }
  return {
    name: options.name ?? 'bot-feedback',
    users,
    items: [...items],
    interactions: buildInteractions(rows, items.length),
    itemText:
      options.itemText ??
      hashedTextVectors(
        items.map((x) => x.text),
        textDim,
      ),
    textDim,
    ...(options.itemImage && options.imageDim
      ? { itemImage: options.itemImage, imageDim: options.imageDim }
      : { imageDim: 0 }),
    ...(userPersona ? { userPersona } : {}),
    meta: { source: 'feedback-log', skippedUnknownItems: skipped },
  };
}

/** Freshness in [0, 1]: 2^(−age / halfLife). */
export function freshnessOf(publishedAt: string, now: Date, halfLifeHours = 72): number {
  const t = Date.parse(publishedAt);
  if (Number.isNaN(t)) return 0;
  const ageH = Math.max(0, (now.getTime() - t) / 3_600_000);
  return Math.pow(2, -ageH / halfLifeHours);
}

/** The bot's catalog items as dataset items (popularity: views, else likes, else live viewers). */
export function datasetItemsFromContent(items: readonly ContentItem[], now: Date, halfLifeHours = 72): DatasetItem[] {
  return items.map((it) => {
    const pop = it.popularity.views ?? it.popularity.likes ?? it.popularity.viewers;
    return {
      id: it.id,
      categories: [it.category],
      text: `${it.title} ${it.summary}`,
      source: it.source,
      lang: it.lang,
      freshness: freshnessOf(it.publishedAt, now, halfLifeHours),
      ...(pop !== undefined ? { popularity: pop } : {}),
    };
  });
}
