/** Maps the configuration onto the recommender's settings (one place, shared by the app and tests). */
import type { Config } from '../core/config.js';
import type { RecoSettings } from '../core/recommend/ranker.js';
import { DEFAULT_BANDIT } from '../core/elicitation/bandit.js';

export function settingsFrom(config: Config): RecoSettings {
  return {
    defaultLang: config.DEFAULT_LANG,
    defaultCount: config.RECO_DEFAULT_COUNT,
    maxCount: config.RECO_MAX_COUNT,
    defaultExplore: config.RECO_DEFAULT_EXPLORE,
    maxMessageChars: config.MAX_MESSAGE_CHARS,
    likeEmojis: config.FEEDBACK_LIKE_EMOJIS,
    dislikeEmojis: config.FEEDBACK_DISLIKE_EMOJIS,
    defaultLayout: config.LAYOUT_DEFAULT,
    weights: {
      persona: config.RECO_W_PERSONA,
      feedback: config.RECO_W_FEEDBACK,
      topic: config.RECO_W_TOPIC,
      freshness: config.RECO_W_FRESHNESS,
      popularity: config.RECO_W_POPULARITY,
      learned: config.RECO_W_LEARNED,
      image: config.RECO_W_IMAGE,
      shownPenalty: config.RECO_SHOWN_PENALTY,
      halfLifeHours: config.RECO_FRESHNESS_HALF_LIFE_HOURS,
    },
    elicitation: { mode: config.RECO_ELICITATION, bandit: DEFAULT_BANDIT },
  };
}
