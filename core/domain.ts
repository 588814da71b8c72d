/**
 * The domain of DEEP-RECO: content, people, what they were shown and how they reacted.
 * Plain data only — no behaviour, no platform types. Everything here is JSON-serialisable
 * so any {@link KeyValueStore} can hold it.
 */

/** Languages the bot speaks and content comes in. */
export type Lang = 'ko' | 'en';
export const LANGS = ['ko', 'en'] as const satisfies readonly Lang[];

/** Where a person talks to the bot. `console` is the terminal chat. */
export type Platform = 'console' | 'discord' | 'telegram';

/** Content categories; sources map their own sections onto these. */
export const CATEGORIES = [
  'news',
  'tech',
  'games',
  'sports',
  'entertainment',
  'music',
  'food',
  'travel',
  'fashion',
  'science',
  'finance',
  'lifestyle',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Popularity signals as a source reports them (all optional: not every source has every one). */
export interface Popularity {
  views?: number;
  likes?: number;
  comments?: number;
  /** Live viewers (Twitch) at fetch time. */
  viewers?: number;
  /** Position in a ranked list (1 = top), when the source ranks. */
  rank?: number;
}

export interface ContentItem {
  /** Stable id: scraped items derive it from the canonical URL; built-in items are `builtin-<source>-NNNN`. */
  id: string;
  url: string;
  /** URL with tracking parameters stripped, used for deduplication. */
  canonicalUrl: string;
  title: string;
  summary: string;
  category: Category;
  /** Source id, e.g. `naver-news`, `youtube`, `clien`, `rss:my-feed`. */
  source: string;
  lang: Lang;
  /** Absolute https URL, or a path relative to the project root for built-in thumbnails. */
  thumbnail?: string;
  /** ISO-8601 time the source says the item was published. */
  publishedAt: string;
  /**
   * The source gave no date: `publishedAt` is then the first time we saw the item (so the age
   * limit counts from there), and ranking treats the item as not fresh.
   */
  dateUnknown?: boolean;
  /** ISO-8601 time we fetched it. */
  fetchedAt: string;
  popularity: Popularity;
  /** Free-form tags from the source (hashtags, game titles, board names). */
  tags?: string[];
  /** sha256 of the text an encoder sees; the embedding cache key. */
  contentHash?: string;
}

/** A person, independent of platform. Linked identities all point to one user. */
export interface User {
  id: string;
  createdAt: string;
  /** The language replies use; detected from the platform locale or the user's messages. */
  lang: Lang;
  identities: PlatformIdentity[];
  /** Exploration level 0..3 (0 = focused on known tastes, 3 = adventurous). */
  explore: number;
}

export interface PlatformIdentity {
  platform: Platform;
  /** The platform's user id (Discord snowflake, Telegram user id, console user name). */
  externalId: string;
  displayName?: string;
}

export type Signal = 'like' | 'dislike';
export type FeedbackOrigin = 'reaction' | 'button' | 'command';

export interface FeedbackEvent {
  userId: string;
  itemId: string;
  /** `none` undoes an earlier signal (a reaction removed). */
  signal: Signal | 'none';
  origin: FeedbackOrigin;
  emoji?: string;
  platform: Platform;
  at: string;
  /**
   * Unique per delivered event; the same key delivered twice counts once.
   * Adapters derive it from the platform's event (message id + user + emoji + added/removed + time bucket).
   */
  idempotencyKey: string;
}

/** One shown list: which items were shown to whom, in which platform message. */
export interface Impression {
  id: string;
  userId: string;
  platform: Platform;
  /** Platform chat / channel id. */
  chatId: string;
  /** The thread or forum topic in the chat, when the list went to one. */
  threadId?: string;
  /** Platform message ids, one per item message or one for the whole list. */
  messageIds: string[];
  itemIds: string[];
  /** Why it was shown: a request, a digest. */
  kind: 'recommend' | 'digest';
  topic?: string;
  at: string;
  /** The scores of the shown items, kept for offline analysis. */
  scores?: number[];
}

/** Maps a platform message back to the items in it, so a reaction finds its item. */
export interface MessageRef {
  platform: Platform;
  chatId: string;
  messageId: string;
  itemIds: string[];
  impressionId?: string;
  at: string;
  /**
   * The scoring evidence of each item (parallel to `itemIds`; null where none was kept), so "why?" on the
   * message shows what the pick was based on at the time. Absent for lists that kept none (digests).
   */
  evidence?: (Evidence | null)[];
}

/** A weighted interest term with where it came from. */
export interface Interest {
  term: string;
  weight: number;
  source: 'message' | 'feedback' | 'llm' | 'user';
  updatedAt: string;
}

export interface Persona {
  userId: string;
  /** Recency-weighted mean of message vectors, normalised; keyed by the encoder that made it. */
  vector?: number[];
  encoderId?: string;
  /** Positive interests, strongest first. */
  interests: Interest[];
  /** Things the user said they do not want. */
  dislikes: Interest[];
  /** Category preferences learned from feedback, -1..1. */
  categories: Partial<Record<Category, number>>;
  /** Attributes a user volunteers (age band, occupation, …), for the two-tower user tower. */
  attributes: Record<string, string>;
  /** The last few messages (capped), so the vector can be rebuilt under a new encoder. */
  recentTexts: { text: string; at: string }[];
  messageCount: number;
  updatedAt: string;
  /** Preferences the LLM read from conversation (core/llm/persona-extract.ts); absent without an LLM. */
  preferences?: { languages: Lang[]; formats: string[]; sources: string[]; updatedAt: string };
  /** Terms the user removed in `/persona` (lower-cased): automatic extraction never adds them back. */
  removedTerms?: string[];
  /** Attribute keys the user set or cleared in `/persona`: automatic extraction never overwrites them. */
  lockedAttributes?: string[];
}

/** The latest signal of one user on one item (the latest reaction wins). */
export interface FeedbackState {
  itemId: string;
  signal: Signal;
  origin: FeedbackOrigin;
  emoji?: string;
  at: string;
}

/**
 * Why an item was recommended: the real scoring evidence, and the only thing explanations
 * (template or LLM) may state. Every string here is a fact an explanation can name.
 */
export interface Evidence {
  itemId: string;
  /** The item's own title (an explanation may name it). */
  title: string;
  category: Category;
  source: string;
  /**
   * Liked items this one resembles most (cosine in the encoder space), strongest first, at most 2 —
   * only when the item's similarity to the liked centroid stands out in the catalog (z ≥ 1).
   */
  likedSimilar: { itemId: string; title: string; similarity: number }[];
  /** Persona interest terms this item matches. */
  interests: string[];
  /** Topic terms of the request this item matches. */
  topicTerms: string[];
  /** The category is one the user liked before. */
  likedCategory: boolean;
  /** Hours since publication. */
  ageHours: number;
  /** Among the most popular items of the catalog. */
  popular: boolean;
  /** Chosen by the diversity re-ranker rather than by score alone. */
  exploration: boolean;
  /** The score terms (for analysis, not for wording): persona, liked, disliked, topic, image (CLIP topic→thumbnail), freshness, popularity, learned, shown. */
  components: Record<string, number>;
  score: number;
}
