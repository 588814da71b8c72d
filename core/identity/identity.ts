/**
 * Who is talking: the user behind a platform identity, and the language to answer them in.
 *
 * @example
 * const identity = new IdentityService(users, 'en');
 * const doc = await identity.resolve({ platform: 'telegram', externalId: '42' });
 */
import type { Lang } from '../domain.js';
import { langFromLocale, type Actor, type UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';

export class IdentityService {
  constructor(
    private readonly users: UserRepository,
    private readonly defaultLang: Lang,
  ) {}

  /** Finds or creates the user behind the actor. */
  resolve(actor: Actor): Promise<UserDoc> {
    return this.users.resolve(actor);
  }

  /** The user's reply language, without creating the user (the platform locale for people not met yet). */
  async langOf(actor: Actor): Promise<Lang> {
    try {
      const id = await this.users.findUserId(actor.platform, actor.externalId);
      const doc = id ? await this.users.get(id) : undefined;
      if (doc) return doc.user.lang;
    } catch {
      /* the store may be down: fall back to the locale */
    }
    return langFromLocale(actor.locale, this.defaultLang);
  }
}
