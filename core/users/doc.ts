/**
 * The per-user document: one per person, so a feedback event, its idempotency key and the persona change
 * are written together (one atomic write) before the user is told it counted.
 */
import type { FeedbackEvent, FeedbackState, Impression, Lang, Persona, Platform, User } from '../domain.js';

/** Caps that keep a user document bounded however long someone uses the bot. */
export const LIMITS = {
  seenKeys: 2000,
  history: 5000,
  shown: 3000,
  impressions: 500,
  messageRefs: 1500,
  recentTexts: 20,
};

export interface ShownState {
  count: number;
  lastAt: string;
}

export interface UserDoc {
  user: User;
  persona: Persona;
  /** Latest signal per item (the latest reaction wins). */
  feedback: Record<string, FeedbackState>;
  /** Idempotency keys already applied, newest last. */
  seenKeys: string[];
  /** Append-only log of applied events (capped), for training and analysis. */
  history: FeedbackEvent[];
  shown: Record<string, ShownState>;
  impressionIds: string[];
  /** Keys in NS_MESSAGES of messages sent to this user. */
  messageKeys: string[];
  /** The last list shown in each chat, so "👍 2" can refer to item 2 of it. */
  lastLists: Record<string, { impressionId: string; itemIds: string[] }>;
  /** Feature-specific state (digest schedule, …), owned by that feature. */
  ext: Record<string, unknown>;
  /** A fresh id per write: after an unconfirmed write, tells whether it was stored (see UserRepository.commit). */
  rev?: string;
}

export interface Actor {
  platform: Platform;
  /** Platform user id. */
  externalId: string;
  displayName?: string;
  /** Platform locale (`ko`, `en-US`, …), used for the reply language of a new user. */
  locale?: string;
}

export function identityKey(platform: Platform, externalId: string): string {
  return `${platform}:${externalId}`;
}

export function messageKey(platform: Platform, chatId: string, messageId: string): string {
  return `${platform}:${chatId}:${messageId}`;
}

/** The key of a chat's (or a thread's) last list in `UserDoc.lastLists`: lists are per chat and thread. */
export function listKey(platform: Platform, chatId: string, threadId?: string): string {
  return threadId ? `${platform}:${chatId}:${threadId}` : `${platform}:${chatId}`;
}

export function langFromLocale(locale: string | undefined, fallback: Lang): Lang {
  if (!locale) return fallback;
  return locale.toLowerCase().startsWith('ko') ? 'ko' : locale.toLowerCase().startsWith('en') ? 'en' : fallback;
}

export function emptyPersona(userId: string, now: string): Persona {
  return {
    userId,
    interests: [],
    dislikes: [],
    categories: {},
    attributes: {},
    recentTexts: [],
    messageCount: 0,
    updatedAt: now,
  };
}

/** A fresh document for a new user: empty persona, no feedback, nothing shown. */
export function newUserDoc(user: User, now: string): UserDoc {
  return {
    user,
    persona: emptyPersona(user.id, now),
    feedback: {},
    seenKeys: [],
    history: [],
    shown: {},
    impressionIds: [],
    messageKeys: [],
    lastLists: {},
    ext: {},
  };
}

export function pushCapped<T>(list: T[], value: T, cap: number): void {
  list.push(value);
  if (list.length > cap) list.splice(0, list.length - cap);
}

/** Marks an impression's items shown (capped, oldest dropped) and makes it the chat's last list. */
export function recordShown(d: UserDoc, impression: Impression): void {
  pushCapped(d.impressionIds, impression.id, LIMITS.impressions);
  for (const id of impression.itemIds) {
    const prev = d.shown[id];
    d.shown[id] = { count: (prev?.count ?? 0) + 1, lastAt: impression.at };
  }
  const ids = Object.keys(d.shown);
  if (ids.length > LIMITS.shown) {
    ids.sort((a, b) => d.shown[a]!.lastAt.localeCompare(d.shown[b]!.lastAt));
    for (const id of ids.slice(0, ids.length - LIMITS.shown)) delete d.shown[id];
  }
  d.lastLists[listKey(impression.platform, impression.chatId, impression.threadId)] = {
    impressionId: impression.id,
    itemIds: impression.itemIds,
  };
}

/**
 * Why a stored value is not a usable user document (undefined when it is one). Checks the shape every flow
 * relies on, not every field: enough that a damaged or foreign row is named instead of crashing a flow.
 */
export function userDocProblem(v: unknown): string | undefined {
  const obj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!obj(v)) return 'not an object';
  if (!obj(v.user)) return 'user: not an object';
  if (typeof v.user.id !== 'string' || v.user.id === '') return 'user.id: not a string';
  if (!Array.isArray(v.user.identities)) return 'user.identities: not a list';
  for (const i of v.user.identities)
    if (!obj(i) || typeof i.platform !== 'string' || typeof i.externalId !== 'string')
      return 'user.identities: an entry without platform/externalId';
  if (v.user.lang !== 'ko' && v.user.lang !== 'en') return 'user.lang: not ko/en';
  if (!obj(v.persona)) return 'persona: not an object';
  for (const k of ['interests', 'dislikes', 'recentTexts'] as const)
    if (!Array.isArray(v.persona[k])) return `persona.${k}: not a list`;
  for (const k of ['feedback', 'shown', 'lastLists', 'ext'] as const) if (!obj(v[k])) return `${k}: not an object`;
  for (const k of ['seenKeys', 'history', 'impressionIds', 'messageKeys'] as const)
    if (!Array.isArray(v[k])) return `${k}: not a list`;
  return undefined;
}
