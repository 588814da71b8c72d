/**
 * `/forget`: deletes everything held about a person — persona, feedback, impressions, message mappings,
 * identities, and what features registered (`ForgetHook`: pending link codes, digest schedules) — in one
 * batched delete after the hooks ran, then asks the store to erase the residue of deleted data from its
 * files (SQLite WAL checkpoint with `secure_delete`; Redis AOF rewrite, rate-limited).
 *
 * Every document the identity ever pointed at is found — the one its identity key names now, and every id
 * noted in `NS_IDENTITY_LOG` when a document was created for it (so one made by a race between processes
 * goes too). The delete is a compare-and-set on each document's version: a flow of that person writing at the
 * same moment makes the delete read again (so a message key added meanwhile goes too), and that flow, finding
 * the person gone, does not bring them back (UserRepository).
 */
import type { Lang } from '../domain.js';
import { RecoError, isRecoError } from '../errors.js';
import type { BotStats } from '../feedback/stats.js';
import { t } from '../messages.js';
import type { KeyValueStore, Logger, StoreKey, StoreWrite } from '../ports.js';
import { storeCall } from '../store/call.js';
import {
  NS_IDENTITIES,
  NS_IDENTITY_LOG,
  NS_IMPRESSIONS,
  NS_MESSAGES,
  NS_QUARANTINE,
  NS_USERS,
} from '../store/namespaces.js';
import { identityKey, userDocProblem, type Actor, type UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
import type { IdentityService } from './identity.js';

/** A feature's part of `/forget`: delete what it keeps about the user. */
export type ForgetHook = (userId: string, doc: UserDoc) => Promise<void>;

export interface ForgetServiceOptions {
  store: KeyValueStore;
  users: UserRepository;
  identity: IdentityService;
  stats: BotStats;
  logger: Logger;
  hooks?: readonly ForgetHook[];
}

/** How often the delete re-reads after losing its compare-and-set to a concurrent write of the person. */
const MAX_ATTEMPTS = 10;

export class ForgetService {
  private readonly hooks: ForgetHook[];

  constructor(private readonly o: ForgetServiceOptions) {
    this.hooks = [...(o.hooks ?? [])];
  }

  /** Adds a feature's part of `/forget` (the composition root wires them). */
  onForget(hook: ForgetHook): void {
    this.hooks.push(hook);
  }

  async forget(actor: Actor): Promise<{ lang: Lang; message: string }> {
    const lang = await this.o.identity.langOf(actor);
    const own = identityKey(actor.platform, actor.externalId);
    const hooked = new Set<string>();
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const found = await this.collect(own);
      if (found.docs.length === 0 && found.identityKeys.length === 0 && found.logKeys.length === 0)
        return { lang, message: t(lang, 'forget.done') };
      for (const { id, doc } of found.docs) {
        if (hooked.has(id)) continue;
        for (const hook of this.hooks) await hook(id, doc);
        hooked.add(id);
      }
      const deletes: StoreWrite[] = [];
      for (const { doc } of found.docs) {
        for (const k of doc.messageKeys) deletes.push({ op: 'delete', ns: NS_MESSAGES, key: k });
        for (const id of doc.impressionIds) deletes.push({ op: 'delete', ns: NS_IMPRESSIONS, key: id });
      }
      for (const k of found.identityKeys) deletes.push({ op: 'delete', ns: NS_IDENTITIES, key: k.key });
      for (const k of found.logKeys) deletes.push({ op: 'delete', ns: NS_IDENTITY_LOG, key: k });
      for (const id of found.userIds) {
        deletes.push({ op: 'delete', ns: NS_USERS, key: id });
        deletes.push({ op: 'delete', ns: NS_QUARANTINE, key: `${NS_USERS}:${id}` }); // a damaged copy is theirs too
      }
      const docs = found.docs.map((d) => d.doc);
      deletes.push(...this.o.stats.removalWrites(docs));
      const expect = [
        ...found.userIds.map((id) => ({ ns: NS_USERS, key: id, version: found.versions.get(id) })),
        ...found.identityKeys.map((k) => ({ ns: NS_IDENTITIES, key: k.key, version: k.version })),
      ];
      if (await storeCall(() => this.o.store.writeBatch(deletes, { expect }))) {
        for (const d of docs) this.o.stats.userRemoved(d);
        this.o.logger.info(
          { userIds: found.userIds, identities: found.identityKeys.length },
          'user data deleted on request',
        );
        await this.erase();
        return { lang, message: t(lang, 'forget.done') };
      }
    }
    throw new RecoError('STORE_BUSY', `the data of ${own} kept changing while /forget deleted it`, {
      details: { identity: own },
    });
  }

  /**
   * Every document reachable from the identity: the one its key names, every id logged for it, then the
   * identities those documents list (their keys, when they point at one of these documents, and their logs).
   */
  private async collect(own: string): Promise<{
    userIds: string[];
    docs: { id: string; doc: UserDoc }[];
    versions: Map<string, string | undefined>;
    identityKeys: { key: string; version: string | undefined }[];
    logKeys: string[];
  }> {
    const userIds = new Set<string>();
    const identities = new Map<string, string | undefined>(); // identity key → version (when it points at ours)
    const logKeys = new Set<string>();
    const docs = new Map<string, UserDoc>();
    const versions = new Map<string, string | undefined>();
    let frontier = [own];
    const seenIdentities = new Set<string>();
    // Two rounds: the actor's identity, then the other identities of the documents found (linked platforms).
    for (let round = 0; round < 3 && frontier.length > 0; round++) {
      const keys: StoreKey[] = frontier.flatMap((k) => [
        { ns: NS_IDENTITIES, key: k },
        { ns: NS_IDENTITY_LOG, key: k },
      ]);
      frontier.forEach((k) => seenIdentities.add(k));
      const got = await storeCall(() => this.o.store.readBatch(keys));
      const pointed = new Map<string, { id: string | undefined; version: string | undefined }>();
      frontier.forEach((k, i) => {
        const id = got.values[2 * i];
        pointed.set(k, { id: typeof id === 'string' ? id : undefined, version: got.versions[2 * i] });
        const log = got.values[2 * i + 1];
        if (log !== undefined) logKeys.add(k);
        if (typeof log === 'object' && log !== null) for (const uid of Object.keys(log)) userIds.add(uid);
        if (typeof id === 'string' && id !== '') userIds.add(id);
      });
      const unread = [...userIds].filter((id) => !versions.has(id));
      if (unread.length > 0) {
        const read = await storeCall(() => this.o.store.readBatch(unread.map((key) => ({ ns: NS_USERS, key }))));
        unread.forEach((id, i) => {
          versions.set(id, read.versions[i]);
          const v = read.values[i];
          if (v !== undefined && userDocProblem(v) === undefined) docs.set(id, v as UserDoc);
        });
      }
      for (const [k, p] of pointed) {
        // The actor's own key goes; another identity's key only when it points at one of these documents.
        if (p.version !== undefined && (k === own || (p.id !== undefined && userIds.has(p.id))))
          identities.set(k, p.version);
      }
      frontier = [
        ...new Set(
          [...docs.values()].flatMap((d) => d.user.identities.map((i) => identityKey(i.platform, i.externalId))),
        ),
      ].filter((k) => !seenIdentities.has(k));
    }
    return {
      userIds: [...userIds],
      docs: [...docs].map(([id, doc]) => ({ id, doc })),
      versions,
      identityKeys: [...identities].map(([key, version]) => ({ key, version })),
      logKeys: [...logKeys],
    };
  }

  /** Deleted data out of the store's files too (bounded by the store; a failure is logged, /forget stands). */
  private async erase(): Promise<void> {
    if (!this.o.store.eraseResidue) return;
    try {
      const what = await this.o.store.eraseResidue();
      this.o.logger.info({ what }, 'store residue of deleted data erased');
    } catch (e) {
      this.o.logger.warn(
        { err: isRecoError(e) ? e.message : String(e) },
        'could not erase the residue of deleted data from the store files; it goes at the next compaction',
      );
    }
  }
}
