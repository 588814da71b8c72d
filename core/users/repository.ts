/**
 * Reads and writes user documents with as few store round trips as a flow allows.
 *
 * A flow opens a `UserSession` (round trip 1: the identity key plus any keys the flow needs, such as
 * the message a reaction is on; round trip 2: the user document), works on it, and commits once
 * (round trip 3: the document plus every other write of the flow in one batch). The commit is a
 * compare-and-set on the document's version, so it holds across processes without a lock: when
 * someone else wrote the document in between, the session is read again and the change re-applied.
 * A new user's document and identity key are created by that same commit ("must be absent"), so two
 * processes meeting a new person at once make one user.
 */
import { randomUUID } from 'node:crypto';
import type { Impression, Lang, MessageRef, Platform } from '../domain.js';
import { RecoError } from '../errors.js';
import type { Clock, KeyValueStore, StoreKey, StoreWrite } from '../ports.js';
import { storeCall } from '../store/call.js';
import { assertSharingSafe } from '../store/capabilities.js';
import { NS_IDENTITIES, NS_IMPRESSIONS, NS_MESSAGES, NS_USERS } from '../store/namespaces.js';
import { identityKey, langFromLocale, messageKey, newUserDoc, type Actor, type UserDoc } from './doc.js';

/** How often a commit re-reads and re-applies after losing a compare-and-set before giving up. */
const MAX_COMMIT_ATTEMPTS = 25;

/** A user document read for one flow, with what was read beside it. */
export interface UserSession {
  /** Who the flow is for (absent when opened by user id). */
  actor?: Actor;
  userId: string;
  doc: UserDoc;
  /** The stored document's version; undefined for a new user not stored yet. */
  version: string | undefined;
  isNew: boolean;
  /** Values of the extra keys read with the identity, in request order. */
  extra: unknown[];
}

export interface UserRepositoryOptions {
  lang: Lang;
  explore: number;
  /** Called once per user document this process created (the bot-wide user count). */
  onCreated?: () => void;
}

export class UserRepository {
  private readonly chains = new Map<string, Promise<unknown>>();

  /** @throws RecoError CONFIG_INVALID for a store shared across processes that cannot compare-and-set there. */
  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
    private readonly defaults: UserRepositoryOptions,
  ) {
    assertSharingSafe(store);
  }

  async findUserId(platform: Platform, externalId: string): Promise<string | undefined> {
    return storeCall(() => this.store.get<string>(NS_IDENTITIES, identityKey(platform, externalId)));
  }

  async get(userId: string): Promise<UserDoc | undefined> {
    return storeCall(() => this.store.get<UserDoc>(NS_USERS, userId));
  }

  /**
   * Round trips 1 and 2 of a flow: the actor's identity key with `extra` keys, then the document. A person
   * never seen before gets a fresh document in memory; it is stored by the first `commit`.
   */
  async open(actor: Actor, extra: readonly StoreKey[] = []): Promise<UserSession> {
    const first = await storeCall(() =>
      this.store.readBatch([{ ns: NS_IDENTITIES, key: identityKey(actor.platform, actor.externalId) }, ...extra]),
    );
    const userId = first.values[0] as string | undefined;
    const extraValues = first.values.slice(1);
    if (userId) {
      const got = await storeCall(() => this.store.readBatch([{ ns: NS_USERS, key: userId }]));
      const doc = got.values[0] as UserDoc | undefined;
      if (doc) return { actor, userId, doc, version: got.versions[0], isNew: false, extra: extraValues };
    }
    const doc = this.fresh(actor);
    return { actor, userId: doc.user.id, doc, version: undefined, isNew: true, extra: extraValues };
  }

  /** Opens an existing user's document by id (one round trip); undefined when there is none. */
  async openById(userId: string): Promise<UserSession | undefined> {
    const got = await storeCall(() => this.store.readBatch([{ ns: NS_USERS, key: userId }]));
    const doc = got.values[0] as UserDoc | undefined;
    return doc ? { userId, doc, version: got.versions[0], isNew: false, extra: [] } : undefined;
  }

  /**
   * The last round trip of a flow: applies `mutate` to the session's document and writes it, a new user's
   * identity key, and `writes(result)` in ONE batch, compare-and-set on the document. On a lost race the
   * session is re-read and `mutate` runs again on the fresh document (so it must be a pure function of it).
   */
  async commit<T>(
    session: UserSession,
    mutate: (doc: UserDoc, session: UserSession) => T,
    writes: (result: T, doc: UserDoc) => readonly StoreWrite[] = () => [],
  ): Promise<T> {
    let s = session;
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const result = mutate(s.doc, s);
      const batch: StoreWrite[] = [{ op: 'set', ns: NS_USERS, key: s.userId, value: s.doc }, ...writes(result, s.doc)];
      const expect: { ns: string; key: string; version: string | undefined }[] = [
        { ns: NS_USERS, key: s.userId, version: s.version },
      ];
      if (s.isNew && s.actor) {
        const key = identityKey(s.actor.platform, s.actor.externalId);
        batch.push({ op: 'set', ns: NS_IDENTITIES, key, value: s.userId });
        expect.push({ ns: NS_IDENTITIES, key, version: undefined });
      }
      if (await storeCall(() => this.store.writeBatch(batch, { expect }))) {
        if (s.isNew) this.defaults.onCreated?.();
        session.doc = s.doc;
        session.userId = s.userId;
        session.isNew = false;
        session.version = undefined; // the new version is unknown here: a second commit re-reads first
        return result;
      }
      s = await this.reopen(s);
    }
    throw new RecoError('STORE_UNAVAILABLE', `user ${session.userId} kept changing under this write`, {
      details: { userId: session.userId },
    });
  }

  private async reopen(s: UserSession): Promise<UserSession> {
    if (s.actor) {
      const again = await this.open(s.actor);
      return { ...again, extra: s.extra };
    }
    const again = await this.openById(s.userId);
    if (!again) throw new RecoError('NOT_FOUND', `user ${s.userId} does not exist`);
    return again;
  }

  /**
   * Runs a flow of one person's (open → commit) alone in this process, after the flows of that person
   * that came before it: events apply in the order they arrived, and a person met for the first time is
   * created once. (Across processes the commit's compare-and-set keeps the document whole.)
   */
  exclusive<T>(actor: Actor, fn: () => Promise<T>): Promise<T> {
    return this.serial(`identity:${identityKey(actor.platform, actor.externalId)}`, fn);
  }

  /** Finds or creates the user behind a platform identity (created users are stored before this resolves). */
  async resolve(actor: Actor): Promise<UserDoc> {
    const s = await this.open(actor);
    if (!s.isNew) return s.doc;
    return this.serial(`identity:${identityKey(actor.platform, actor.externalId)}`, async () => {
      const again = await this.open(actor);
      if (again.isNew) await this.commit(again, () => undefined);
      return again.doc;
    });
  }

  /**
   * Read-modify-write of one user document by id (two round trips), serialised per user in this process
   * and compare-and-set across processes. The document is durable before this resolves.
   */
  async update<T>(userId: string, mutate: (doc: UserDoc) => T): Promise<T> {
    return this.serial(userId, async () => {
      const s = await this.openById(userId);
      if (!s) throw new RecoError('NOT_FOUND', `user ${userId} does not exist`);
      return this.commit(s, (d) => mutate(d));
    });
  }

  async delete(userId: string): Promise<void> {
    await storeCall(() => this.store.delete(NS_USERS, userId));
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

  async getMessageRef(platform: Platform, chatId: string, messageId: string): Promise<MessageRef | undefined> {
    return storeCall(() => this.store.get<MessageRef>(NS_MESSAGES, messageKey(platform, chatId, messageId)));
  }

  /** @throws RecoError NOT_FOUND when the impression does not exist. */
  async getImpression(id: string): Promise<Impression> {
    const imp = await storeCall(() => this.store.get<Impression>(NS_IMPRESSIONS, id));
    if (!imp) throw new RecoError('NOT_FOUND', `impression ${id} does not exist`);
    return imp;
  }

  private fresh(actor: Actor): UserDoc {
    const now = this.clock.now().toISOString();
    const id = `u_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    return newUserDoc(
      {
        id,
        createdAt: now,
        lang: langFromLocale(actor.locale, this.defaults.lang),
        identities: [
          {
            platform: actor.platform,
            externalId: actor.externalId,
            ...(actor.displayName ? { displayName: actor.displayName } : {}),
          },
        ],
        explore: this.defaults.explore,
      },
      now,
    );
  }

  private async serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(fn);
    this.chains.set(key, run);
    try {
      return await run;
    } finally {
      if (this.chains.get(key) === run) this.chains.delete(key);
    }
  }
}
