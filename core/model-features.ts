/**
 * The ONE mapping from what the bot stores about a person (persona + latest feedback) to what the learned model
 * reads (`UserFeatures`). Serving (core/recommend/ranker.ts `featuresOf`) and training (models/twotower/learned-model.ts,
 * the rows `readFeedbackLog` turns into the training set) both call it, so the two towers see the same user at
 * training and at serving time — tests/twotower/features.test.ts feeds one user document through both paths and
 * compares the encoded tensors.
 */
import type { FeedbackState, Persona } from './domain.js';
import type { UserFeatures } from './ports.js';
import { topInterests } from './persona.js';

/** How many of the strongest interests the model reads. */
export const MODEL_INTERESTS = 20;

export interface ModelFeatureSource {
  userId: string;
  lang: UserFeatures['lang'];
  /** The platform the person is on (serving: the request's; training: their first identity's). */
  platform: string;
  persona: Persona;
  feedback: Record<string, FeedbackState>;
}

export interface ModelFeatureCatalog {
  /** The encoder the catalog's text vectors come from: a persona vector from another encoder is left out. */
  textEncoderId: string;
  /** Whether an item is in the catalog (feedback on items that are gone is left out). */
  has(itemId: string): boolean;
}

/** The learned model's view of one person. */
export function userModelFeatures(src: ModelFeatureSource, catalog: ModelFeatureCatalog): UserFeatures {
  const signals = Object.values(src.feedback).filter((x) => catalog.has(x.itemId));
  const f: UserFeatures = {
    userId: src.userId,
    lang: src.lang,
    platform: src.platform,
    attributes: { ...src.persona.attributes },
    interests: topInterests(src.persona, MODEL_INTERESTS),
    categories: Object.entries(src.persona.categories)
      .filter(([, v]) => (v ?? 0) > 0)
      .map(([c]) => c),
    likedItemIds: signals.filter((x) => x.signal === 'like').map((x) => x.itemId),
    dislikedItemIds: signals.filter((x) => x.signal === 'dislike').map((x) => x.itemId),
  };
  if (src.persona.vector && src.persona.encoderId === catalog.textEncoderId)
    f.personaVector = Float32Array.from(src.persona.vector);
  return f;
}
