/**
 * One user document through the two paths of the learned model — training (models/twotower/learned-model.ts `toFeedbackUser` →
 * the feedback log → `DatasetFeatures.encodeUsers`) and serving (core/model-features.ts `userModelFeatures`, what
 * `Ranker.featuresOf` returns → `encodeServingUser`) — must give the same user-tower input tensors.
 */
import { describe, expect, it } from 'vitest';
import { toFeedbackUser } from '../../models/twotower/learned-model.js';
import type { ContentItem, FeedbackState } from '../../core/domain.js';
import { datasetItemsFromContent, readFeedbackLog } from '../../core/eval/datasets.js';
import { hashedTextVectors } from '../../core/eval/text.js';
import { userModelFeatures } from '../../core/model-features.js';
import { newUserDoc } from '../../core/users/doc.js';
import { encodeItems, itemCategoryBags, type UserBatch } from '../../models/twotower/features.js';
import { initParams, DEFAULT_SIZES } from '../../models/twotower/model.js';
import { encodeServingUser, itemInputsOf } from '../../models/twotower/serve.js';
import { DatasetFeatures } from '../../models/twotower/train.js';
import { createRng } from '../../core/eval/random.js';

const NOW = new Date('2026-11-30T12:00:00Z');
const dim = 16;
const items: ContentItem[] = ['ramen guide', 'esports final', 'jazz night', 'kimchi recipe', 'gpu review'].map(
  (title, i) => ({
    id: `it${i}`,
    url: `https://example.com/${i}`,
    canonicalUrl: `https://example.com/${i}`,
    title,
    summary: `${title} summary`,
    category: (['food', 'games', 'music', 'food', 'tech'] as const)[i]!,
    source: i % 2 ? 'youtube' : 'naver-news',
    lang: i % 2 ? 'ko' : 'en',
    publishedAt: new Date(NOW.getTime() - i * 3_600_000).toISOString(),
    fetchedAt: NOW.toISOString(),
    popularity: { views: 100 * (i + 1) },
  }),
);
const text = hashedTextVectors(
  items.map((x) => `${x.title} ${x.summary}`),
  dim,
);
const catalog = { textEncoderId: 'enc-a', has: (id: string) => items.some((x) => x.id === id) };

function userDoc() {
  const doc = newUserDoc(
    {
      id: 'u-1',
      createdAt: NOW.toISOString(),
      lang: 'ko',
      identities: [{ platform: 'telegram', externalId: '42' }],
      explore: 1,
    },
    NOW.toISOString(),
  );
  // interests stored out of weight order: both paths must read the same strongest ones
  doc.persona.interests = Array.from({ length: 25 }, (_, k) => ({
    term: `term${k}`,
    weight: ((k * 7) % 25) / 25,
    source: 'message' as const,
    updatedAt: NOW.toISOString(),
  }));
  doc.persona.attributes = { age: '25-34', occupation: 'engineer' };
  doc.persona.categories = { food: 0.6, tech: -0.4, games: 0.2 };
  doc.persona.vector = Array.from({ length: dim }, (_, k) => Math.sin(k));
  doc.persona.encoderId = 'enc-a';
  const fb = (itemId: string, signal: FeedbackState['signal'], h: number): FeedbackState => ({
    itemId,
    signal,
    origin: 'reaction',
    at: new Date(NOW.getTime() - h * 3_600_000).toISOString(),
  });
  doc.feedback = {
    it0: fb('it0', 'like', 5),
    it3: fb('it3', 'like', 3),
    it1: fb('it1', 'dislike', 2),
    gone: fb('gone', 'like', 1), // no longer in the catalog
  };
  return doc;
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]!).toBeCloseTo(b[i]!, 6);
};

describe('one user → model feature mapping for training and serving', () => {
  it('GIVEN one user document THEN the training and the serving path give the same user-tower tensors', async () => {
    const doc = userDoc();
    // training path
    const row = toFeedbackUser(doc, catalog);
    async function* docs() {
      yield row;
    }
    const ds = await readFeedbackLog(docs(), datasetItemsFromContent(items, NOW), { itemText: text, textDim: dim });
    const feats = new DatasetFeatures(ds, ds.interactions, { attrBuckets: 16, interestBuckets: 32, idDim: 4 });
    const table = initParams(feats.spec, DEFAULT_SIZES, createRng(1))['item.id']!.data;
    const trained = feats.encodeUsers([0], table);
    // serving path: what DeepReco.featuresOf returns for the same person on the same platform
    const features = userModelFeatures(
      { userId: doc.user.id, lang: doc.user.lang, platform: 'telegram', persona: doc.persona, feedback: doc.feedback },
      catalog,
    );
    const dsItems = datasetItemsFromContent(items, NOW);
    const inputs = itemInputsOf(dsItems);
    const served = encodeServingUser(
      feats.spec,
      {
        index: new Map(items.map((x, i) => [x.id, i])),
        text,
        categoryBags: itemCategoryBags(feats.spec, inputs),
        idRows: encodeItems(feats.spec, inputs, text).itemId,
      },
      table,
      features,
    );
    expect(features.interests[0]).toBe('term7'); // weight (7·7 mod 25)/25 = 24/25: the strongest
    expect(features.likedItemIds.sort()).toEqual(['it0', 'it3']);
    for (const key of ['lang', 'platform', 'userId'] as const) expect([...served[key]]).toEqual([...trained[key]]);
    expect(served.userId[0]).toBeGreaterThan(0); // the user is in the model's vocabulary
    for (const key of ['attrs', 'interests', 'categories', 'dense', 'history'] as const satisfies (keyof UserBatch)[])
      close(served[key], trained[key]);
    expect(served.dense.some((x) => x !== 0)).toBe(true);
    expect(served.history.some((x) => x !== 0)).toBe(true);
  });

  it('GIVEN a persona vector from another encoder THEN neither path uses it', () => {
    const doc = userDoc();
    doc.persona.encoderId = 'enc-old';
    expect(toFeedbackUser(doc, catalog).personaVector).toBeUndefined();
    expect(
      userModelFeatures({ ...doc.user, userId: doc.user.id, platform: 'telegram', ...doc }, catalog).personaVector,
    ).toBeUndefined();
  });
});
