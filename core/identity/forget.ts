/**
 * `/forget`: deletes everything held about a person — persona, feedback, impressions, message mappings,
 * identities, and what features registered (`ForgetHook`: pending link codes, digest schedules) — in one
 * batched delete after the hooks ran.
 */
import type { Lang } from '../domain.js';
import type { BotStats } from '../feedback/stats.js';
import { t } from '../messages.js';
import type { KeyValueStore, Logger, StoreWrite } from '../ports.js';
import { storeCall } from '../store/call.js';
import { NS_IDENTITIES, NS_IMPRESSIONS, NS_MESSAGES, NS_USERS } from '../store/namespaces.js';
import { identityKey, type Actor, type UserDoc } from '../users/doc.js';
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
    const userId = await this.o.users.findUserId(actor.platform, actor.externalId);
    if (!userId) return { lang, message: t(lang, 'forget.done') };
    const doc = await this.o.users.get(userId);
    const deletes: StoreWrite[] = [];
    if (doc) {
      for (const hook of this.hooks) await hook(userId, doc);
      for (const k of doc.messageKeys) deletes.push({ op: 'delete', ns: NS_MESSAGES, key: k });
      for (const id of doc.impressionIds) deletes.push({ op: 'delete', ns: NS_IMPRESSIONS, key: id });
      for (const idn of doc.user.identities)
        deletes.push({ op: 'delete', ns: NS_IDENTITIES, key: identityKey(idn.platform, idn.externalId) });
    }
    deletes.push({ op: 'delete', ns: NS_IDENTITIES, key: identityKey(actor.platform, actor.externalId) });
    deletes.push({ op: 'delete', ns: NS_USERS, key: userId });
    await storeCall(() => this.o.store.writeBatch(deletes));
    this.o.stats.userRemoved(doc);
    this.o.logger.info({ userId }, 'user data deleted on request');
    return { lang, message: t(lang, 'forget.done') };
  }
}
