/**
 * Sub-topics of the built-in catalog. Every hand-written row names one; the topic decides the
 * item's category, the default "subject colour" of its thumbnail and the icon drawn on it.
 * Topics recur across sources and languages so that similar items cluster.
 */
import type { Category } from '../../../core/domain.js';

export interface TopicInfo {
  category: Category;
  /** Dominant colour of the subject (a row may override it, e.g. red sneakers). */
  color: string;
}

export const TOPICS = {
  // news
  weather: { category: 'news', color: '#4a90d9' },
  transit: { category: 'news', color: '#2e7d32' },
  education: { category: 'news', color: '#6d4c41' },
  health: { category: 'news', color: '#e53935' },
  city: { category: 'news', color: '#78909c' },
  // tech
  ai: { category: 'tech', color: '#7c4dff' },
  phone: { category: 'tech', color: '#37474f' },
  chip: { category: 'tech', color: '#00897b' },
  pc: { category: 'tech', color: '#546e7a' },
  security: { category: 'tech', color: '#f9a825' },
  // games
  lol: { category: 'games', color: '#c8aa6e' },
  starcraft: { category: 'games', color: '#1e88e5' },
  indie: { category: 'games', color: '#ec407a' },
  mmorpg: { category: 'games', color: '#8e24aa' },
  console: { category: 'games', color: '#e4000f' },
  fps: { category: 'games', color: '#ff4655' },
  // sports
  football: { category: 'sports', color: '#f5f5f5' },
  baseball: { category: 'sports', color: '#fafafa' },
  basketball: { category: 'sports', color: '#ef6c00' },
  golf: { category: 'sports', color: '#43a047' },
  running: { category: 'sports', color: '#ff7043' },
  // entertainment
  drama: { category: 'entertainment', color: '#ad1457' },
  movie: { category: 'entertainment', color: '#212121' },
  variety: { category: 'entertainment', color: '#fdd835' },
  webtoon: { category: 'entertainment', color: '#00c853' },
  anime: { category: 'entertainment', color: '#ff80ab' },
  // music
  kpop: { category: 'music', color: '#e040fb' },
  jazz: { category: 'music', color: '#1d3557' },
  hiphop: { category: 'music', color: '#ffb300' },
  classical: { category: 'music', color: '#795548' },
  acoustic: { category: 'music', color: '#a1887f' },
  // food
  ramen: { category: 'food', color: '#f4a261' },
  kimchi: { category: 'food', color: '#d62828' },
  baking: { category: 'food', color: '#d4a373' },
  coffee: { category: 'food', color: '#6f4e37' },
  streetfood: { category: 'food', color: '#e76f51' },
  // travel
  jeju: { category: 'travel', color: '#f77f00' },
  tokyo: { category: 'travel', color: '#e63946' },
  hiking: { category: 'travel', color: '#2d6a4f' },
  busan: { category: 'travel', color: '#0077b6' },
  camping: { category: 'travel', color: '#588157' },
  // fashion
  sneakers: { category: 'fashion', color: '#eeeeee' },
  streetwear: { category: 'fashion', color: '#424242' },
  vintage: { category: 'fashion', color: '#8d6e63' },
  ootd: { category: 'fashion', color: '#bcaaa4' },
  // science
  space: { category: 'science', color: '#3949ab' },
  climate: { category: 'science', color: '#ef5350' },
  biology: { category: 'science', color: '#43a047' },
  physics: { category: 'science', color: '#00acc1' },
  // finance
  stocks: { category: 'finance', color: '#2e7d32' },
  crypto: { category: 'finance', color: '#f7931a' },
  realestate: { category: 'finance', color: '#8d6e63' },
  saving: { category: 'finance', color: '#f06292' },
  // lifestyle
  home: { category: 'lifestyle', color: '#d7ccc8' },
  fitness: { category: 'lifestyle', color: '#455a64' },
  pets: { category: 'lifestyle', color: '#a1887f' },
  productivity: { category: 'lifestyle', color: '#5c6bc0' },
  plants: { category: 'lifestyle', color: '#388e3c' },
} as const satisfies Record<string, TopicInfo>;

export type Topic = keyof typeof TOPICS;

/**
 * One hand-written row: topic, language, title, summary, tags ("a|b|c"), the search query or
 * hashtag the item's URL points at, and an optional dominant-colour override for the thumbnail.
 */
export type Row = readonly [
  topic: Topic,
  lang: 'ko' | 'en',
  title: string,
  summary: string,
  tags: string,
  q: string,
  color?: string,
];
