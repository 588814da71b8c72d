/**
 * Reads and writes user documents with as few store round trips as a flow allows.
 *
 * A flow opens a `UserSession` (round trip 1: the identity key plus any keys the flow needs, such as
 * the message a reaction is on; round trip 2: the user document), works on it, and commits once
 * (round trip 3: the document plus every other write of the flow in one batch). The commit is a
 * compare-and-set on the document's version, so it holds across processes without a lock: when
 * someone else wrote the document in between, the session is read again and the change re-applied.
 * A new user's document and identity key are created by that same commit ("must be absent"), so two
 * processes meeting a new person at once make one user; the commit also notes the new user id under the
 * identity (`NS_IDENTITY_LOG`), so `/forget` finds every document an identity ever had.
 *
 * A write whose outcome is unknown (STORE_OUTCOME_UNKNOWN: the store did not confirm it in time) is retried
 * idempotently: the document is read again. When it carries this commit's `rev`, the write was stored and the
 * document is written once more so the store confirms it (a replica has it); otherwise the change is
 * re-applied (a feedback event already in it — same idempotency key — is not applied twice). Only when that
 * fails too does the flow end with STORE_OUTCOME_UNKNOWN ("I could not confirm this was saved").
 *
 * A stored document of the wrong shape is moved to `NS_QUARANTINE` with one warning naming the row, and the
 * person continues with a fresh document under the same id.
 */
import { randomUUID } from 'node:crypto';
import type { Impression, Lang, MessageRef, Platform } from '../domain.js';
import { RecoError, isRecoError } from '../errors.js';
import type { Clock, KeyValueStore, Logger, StoreKey, StoreWrite } from '../ports.js';
import { silentLogger } from '../ports.js';
import { storeCall } from '../store/call.js';
import { assertSharingSafe } from '../store/capabilities.js';
import {
  NS_IDENTITIES,
  NS_IDENTITY_LOG,
  NS_IMPRESSIONS,
  NS_MESSAGES,
  NS_QUARANTINE,
  NS_USERS,
} from '../store/namespaces.js';
import {
  identityKey,
  langFromLocale,
  messageKey,
  newUserDoc,
  userDocProblem,
  type Actor,
  type UserDoc,
} from './doc.js';

/** How often a commit re-reads and re-applies after losing a compare-and-set before giving up. */
const MAX_COMMIT_ATTEMPTS = 25;
/** How many idempotent retries a commit makes after a write whose outcome is unknown. */
const MAX_UNCERTAIN_RETRIES = 2;

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
  /**
   * The identity key's version when it points at a document that is gone (a new document is then stored under
   * the same id, expecting the identity unchanged); undefined otherwise.
   */
  identityVersion?: string;
}

export interface UserRepositoryOptions {
  lang: Lang;
  explore: number;
  /** Called once per user document this process created (the bot-wide user count). */
  onCreated?: () => void;
  /** Writes added to the commit that creates a user (the shared user counter). */
  createdWrites?: () => StoreWrite[];
  logger?: Logger;
}

export class UserRepository {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly log: Logger;

  /** @throws RecoError CONFIG_INVALID for a store shared across processes that cannot compare-and-set there. */
  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
    private readonly defaults: UserRepositoryOptions,
  ) {
    assertSharingSafe(store);
    this.log = (defaults.logger ?? silentLogger).child({ module: 'users' });
  }

  async findUserId(platform: Platform, externalId: string): Promise<string | undefined> {
    return storeCall(() => this.store.get<string>(NS_IDENTITIES, identityKey(platform, externalId)));
  }

  async get(userId: string): Promise<UserDoc | undefined> {
    const got = await storeCall(() => this.store.readBatch([{ ns: NS_USERS, key: userId }]));
    return this.checked(userId, got.values[0], got.versions[0]);
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
    if (typeof userId === 'string' && userId !== '') {
      const got = await storeCall(() => this.store.readBatch([{ ns: NS_USERS, key: userId }]));
      const doc = await this.checked(userId, got.values[0], got.versions[0]);
      if (doc) return { actor, userId, doc, version: got.versions[0], isNew: false, extra: extraValues };
      // The identity points at a document that is gone (quarantined, or a crash between writes): a fresh
      // document under the same id, stored only if the identity still points there.
      const fresh = this.fresh(actor, userId);
      return {
        actor,
        userId,
        doc: fresh,
        version: undefined,
        isNew: true,
        extra: extraValues,
        ...(first.versions[0] !== undefined ? { identityVersion: first.versions[0] } : {}),
      };
    }
    const doc = this.fresh(actor);
    return { actor, userId: doc.user.id, doc, version: undefined, isNew: true, extra: extraValues };
  }

  /** Opens an existing user's document by id (one round trip); undefined when there is none. */
  async openById(userId: string): Promise<UserSession | undefined> {
    const got = await storeCall(() => this.store.readBatch([{ ns: NS_USERS, key: userId }]));
    const doc = await this.checked(userId, got.values[0], got.versions[0]);
    return doc ? { userId, doc, version: got.versions[0], isNew: false, extra: [] } : undefined;
  }

  /**
   * A stored value as a user document; one of the wrong shape is moved to the quarantine namespace (only if
   * unchanged) with ONE warning naming the row, and reads as absent.
   */
  private async checked(userId: string, value: unknown, version: string | undefined): Promise<UserDoc | undefined> {
    if (value === undefined) return undefined;
    const problem = userDocProblem(value);
    if (problem === undefined) return value as UserDoc;
    let moved = false;
    try {
      moved = await this.store.writeBatch(
        [
          {
            op: 'set',
            ns: NS_QUARANTINE,
            key: `${NS_USERS}:${userId}`,
            value: { value, reason: problem, at: this.clock.now().toISOString() },
          },
          { op: 'delete', ns: NS_USERS, key: userId },
        ],
        { expect: [{ ns: NS_USERS, key: userId, version }] },
      );
    } catch {
      moved = false;
    }
    this.log.warn(
      {
        rows: [{ namespace: NS_USERS, key: userId, reason: problem }],
        quarantine: moved ? NS_QUARANTINE : 'not moved',
      },
      `user document ${NS_USERS}:${userId} has the wrong shape (${problem}); ${moved ? `moved to the ${NS_QUARANTINE} namespace, the person starts afresh under the same id` : 'skipped'}`,
    );
    return undefined;
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
    let uncertain = 0;
    /** Set when a write whose outcome was unknown turned out to be stored: only its confirmation is left. */
    let landed: { result: T } | undefined;
    for (let attempt = 0; attempt < MAX_COMMIT_ATTEMPTS; attempt++) {
      const result = landed ? landed.result : mutate(s.doc, s);
      const rev = randomUUID();
      s.doc.rev = rev;
      const batch: StoreWrite[] = [{ op: 'set', ns: NS_USERS, key: s.userId, value: s.doc }];
      const expect: { ns: string; key: string; version: string | undefined }[] = [
        { ns: NS_USERS, key: s.userId, version: s.version },
      ];
      if (!landed) batch.push(...writes(result, s.doc));
      if (s.isNew && s.actor) {
        const key = identityKey(s.actor.platform, s.actor.externalId);
        batch.push({ op: 'set', ns: NS_IDENTITIES, key, value: s.userId });
        if (/^[A-Za-z0-9_]{1,64}$/.test(s.userId))
          batch.push({ op: 'incr', ns: NS_IDENTITY_LOG, key, field: s.userId, by: 1 });
        batch.push(...(this.defaults.createdWrites?.() ?? []));
        expect.push({ ns: NS_IDENTITIES, key, version: s.identityVersion });
      }
      let written: boolean;
      try {
        written = await storeCall(() => this.store.writeBatch(batch, { expect }));
      } catch (e) {
        // Unknown outcome: read again. Our write is there (its `rev`): write the document once more so the
        // store confirms it. It is not: re-apply (a change with an idempotency key is not applied twice).
        if (!isRecoError(e, 'STORE_OUTCOME_UNKNOWN') || ++uncertain > MAX_UNCERTAIN_RETRIES) throw e;
        const created = s.isNew;
        s = await this.reopenUncertain(s, e);
        if (s.doc.rev === rev) {
          landed ??= { result };
          if (created) this.defaults.onCreated?.();
        }
        continue;
      }
      if (written) {
        if (s.isNew) this.defaults.onCreated?.();
        session.doc = s.doc;
        session.userId = s.userId;
        session.isNew = false;
        session.version = undefined; // the new version is unknown here: a second commit re-reads first
        delete session.identityVersion;
        return result;
      }
      const again = await this.reopen(s);
      // A confirmation rewrite lost a race: someone wrote after our write, so it is stored and confirmed by them.
      if (landed) return landed.result;
      s = again;
    }
    throw new RecoError('STORE_BUSY', `user ${session.userId} kept changing under this write`, {
      details: { userId: session.userId },
    });
  }

  /** The read after an unconfirmed write: its own failure leaves the outcome unknown (not "nothing changed"). */
  private async reopenUncertain(s: UserSession, first: RecoError): Promise<UserSession> {
    // A few tries, a moment apart: the connection that lost the reply is usually back within a second.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.reopen(s);
      } catch (e) {
        const storeDown = isRecoError(e, 'STORE_UNAVAILABLE') || isRecoError(e, 'STORE_OUTCOME_UNKNOWN');
        if (!storeDown) throw e;
        if (attempt >= 2)
          throw new RecoError(
            'STORE_OUTCOME_UNKNOWN',
            `${first.message}; reading it back failed too: ${(e as Error).message}`,
            { cause: first, details: first.details },
          );
        await new Promise((r) => setTimeout(r, 250 * (attempt + 1)));
      }
    }
  }

  private async reopen(s: UserSession): Promise<UserSession> {
    if (s.actor) {
      const again = await this.open(s.actor);
      // The person's document existed when the flow began and is gone now with its identity: `/forget` ran in
      // between. The flow must not bring them back.
      if (!s.isNew && again.isNew && again.identityVersion === undefined)
        throw new RecoError('NOT_FOUND', `user ${s.userId} was deleted (/forget) while this flow ran`, {
          details: { userId: s.userId, forgotten: true },
        });
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

  /** Every user document (for offline training / evaluation); one of the wrong shape is skipped and quarantined. */
  async *all(): AsyncIterable<UserDoc> {
    const ids: string[] = [];
    for await (const k of this.store.keys(NS_USERS)) ids.push(k);
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const got = await storeCall(() => this.store.readBatch(chunk.map((key) => ({ ns: NS_USERS, key }))));
      for (const [j, v] of got.values.entries()) {
        const d = await this.checked(chunk[j]!, v, got.versions[j]);
        if (d) yield d;
      }
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

  private fresh(actor: Actor, reuseId?: string): UserDoc {
    const now = this.clock.now().toISOString();
    const id = reuseId ?? `u_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
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
