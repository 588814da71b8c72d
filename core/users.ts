/**
 * Per-user state, kept as one document per user so a feedback event, its idempotency key and the
 * persona change are written together (one atomic write) before the user is told it counted.
 */
import { randomUUID } from 'node:crypto';
import type { FeedbackEvent, FeedbackState, Lang, MessageRef, Persona, Platform, User } from './domain.js';
import { RecoError, toRecoError } from './errors.js';
import type { Clock, KeyValueStore } from './ports.js';

export const NS_USERS = 'users';
export const NS_IDENTITIES = 'identities';
export const NS_MESSAGES = 'messages';
export const NS_IMPRESSIONS = 'impressions';

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

function pushCapped<T>(list: T[], value: T, cap: number): void {
  list.push(value);
  if (list.length > cap) list.splice(0, list.length - cap);
}
export { pushCapped };

/**
 * Reads and writes user documents. Writes for one user are serialised in-process; with a shared
 * store (several processes) a store lock with expiry serialises them across processes too.
 */
export class UserRepository {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly owner = randomUUID();

  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
    private readonly defaults: { lang: Lang; explore: number; sharedStore: boolean },
  ) {}

  /** Runs a store call, turning driver errors into `STORE_UNAVAILABLE`. */
  async wrapStore<T>(fn: () => Promise<T>): Promise<T> {
    return this.wrap(fn);
  }

  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RecoError) throw e;
      throw new RecoError('STORE_UNAVAILABLE', `store operation failed: ${(e as Error)?.message ?? e}`, { cause: e });
    }
  }

  async findUserId(platform: Platform, externalId: string): Promise<string | undefined> {
    return this.wrap(() => this.store.get<string>(NS_IDENTITIES, identityKey(platform, externalId)));
  }

  async get(userId: string): Promise<UserDoc | undefined> {
    return this.wrap(() => this.store.get<UserDoc>(NS_USERS, userId));
  }

  /** Finds or creates the user behind a platform identity. */
  async resolve(actor: Actor): Promise<UserDoc> {
    const existingId = await this.findUserId(actor.platform, actor.externalId);
    if (existingId) {
      const doc = await this.get(existingId);
      if (doc) return doc;
    }
    const key = `identity:${identityKey(actor.platform, actor.externalId)}`;
    return this.serial(key, async () => {
      const again = await this.findUserId(actor.platform, actor.externalId);
      if (again) {
        const doc = await this.get(again);
        if (doc) return doc;
      }
      const now = this.clock.now().toISOString();
      const id = `u_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
      const identity = {
        platform: actor.platform,
        externalId: actor.externalId,
        ...(actor.displayName ? { displayName: actor.displayName } : {}),
      };
      const doc = newUserDoc(
        {
          id,
          createdAt: now,
          lang: langFromLocale(actor.locale, this.defaults.lang),
          identities: [identity],
          explore: this.defaults.explore,
        },
        now,
      );
      await this.wrap(() => this.store.set(NS_USERS, id, doc));
      await this.wrap(() => this.store.set(NS_IDENTITIES, identityKey(actor.platform, actor.externalId), id));
      return doc;
    });
  }

  /**
   * Read-modify-write of one user document, serialised per user. The mutator returns a result;
   * the document is written (durably) before this resolves.
   */
  async update<T>(userId: string, mutate: (doc: UserDoc) => T | Promise<T>): Promise<T> {
    return this.serial(userId, async () => {
      const doc = await this.get(userId);
      if (!doc) throw new RecoError('NOT_FOUND', `user ${userId} does not exist`);
      const result = await mutate(doc);
      await this.wrap(() => this.store.set(NS_USERS, userId, doc));
      return result;
    });
  }

  async delete(userId: string): Promise<void> {
    await this.wrap(() => this.store.delete(NS_USERS, userId));
  }

  /** Every user document (for offline training / evaluation). */
  async *all(): AsyncIterable<UserDoc> {
    const ids: string[] = [];
    for await (const k of this.store.keys(NS_USERS)) ids.push(k);
    for (let i = 0; i < ids.length; i += 100) {
      const docs = await this.store.getMany<UserDoc>(NS_USERS, ids.slice(i, i + 100));
      for (const d of docs) if (d) yield d;
    }
  }

  async saveMessageRef(ref: MessageRef): Promise<string> {
    const key = messageKey(ref.platform, ref.chatId, ref.messageId);
    await this.wrap(() => this.store.set(NS_MESSAGES, key, ref));
    return key;
  }

  async getMessageRef(platform: Platform, chatId: string, messageId: string): Promise<MessageRef | undefined> {
    return this.wrap(() => this.store.get<MessageRef>(NS_MESSAGES, messageKey(platform, chatId, messageId)));
  }

  private async serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.withStoreLock(key, fn));
    this.chains.set(key, run);
    try {
      return await run;
    } finally {
      if (this.chains.get(key) === run) this.chains.delete(key);
    }
  }

  private async withStoreLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (!this.defaults.sharedStore) return fn();
    const name = `user:${key}`;
    for (let attempt = 0; ; attempt++) {
      let got = false;
      try {
        got = await this.store.acquireLock(name, this.owner, 10_000);
      } catch (e) {
        throw toRecoError(e, 'STORE_UNAVAILABLE');
      }
      if (got) break;
      if (attempt > 200) throw new RecoError('STORE_UNAVAILABLE', `could not take the lock for ${name}`);
      await new Promise((r) => setTimeout(r, 25 + Math.random() * 25));
    }
    try {
      return await fn();
    } finally {
      await this.store.releaseLock(name, this.owner).catch(() => undefined);
    }
  }
}
