/**
 * One persona across platforms: `/link` on one platform gives a one-time code; entering it on another
 * platform (`/link <code>`) merges the two identities into ONE user (one persona, one history).
 *
 * - Codes are 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L, U), shown as `ABCD-EFGH`,
 *   case-, space- and dash-insensitive on input. They are stored with a TTL (default 10 minutes) and
 *   checked against the `Clock` too (so tests control expiry).
 * - Single use, atomically: redeeming takes a store lock named after the code (`acquireLock`, atomic
 *   across processes sharing the store), reads it, deletes it, then releases. A second redeemer either
 *   fails to take the lock or finds the code gone.
 * - A third account is never merged silently: when the redeemer's identity is already linked with other
 *   accounts, those would be merged too, so `redeem` answers `confirm` (naming them, the code untouched)
 *   and merges only when asked again with `{ confirm: true }` (`/link <code> confirm`).
 * - Merge rule (the code's creator survives, the redeemer's document is absorbed and deleted):
 *   feedback — latest `at` wins per item; history — both, sorted by time (capped); shown — counts summed,
 *   latest time kept; interests/dislikes — union by term (max weight; a term liked by one side and
 *   disliked by the other goes to the side updated last); persona vectors — averaged (same encoder) and
 *   re-normalised; identities — union; every identity key and impression is repointed to the survivor.
 *
 * @example
 * const links = new LinkService({ users, identity, stats, catalog, store });
 * const { code } = await links.createCode({ platform: 'telegram', externalId: '42' });
 * await links.redeem({ platform: 'console', externalId: 'alice' }, code); // status 'linked'
 */
import { randomInt } from 'node:crypto';
import type { CatalogService } from '../catalog/catalog.js';
import type { FeedbackState, Impression, Lang } from '../domain.js';
import { RecoError } from '../errors.js';
import type { BotStats } from '../feedback/stats.js';
import { t } from '../messages.js';
import type { Clock, KeyValueStore, Logger, StoreWrite } from '../ports.js';
import { silentLogger, systemClock } from '../ports.js';
import { storeCall } from '../store/call.js';
import { fencedWrite, tryStoreLock } from '../store/lock.js';
import { NS_IDENTITIES, NS_IMPRESSIONS, NS_LINK, NS_USERS } from '../store/namespaces.js';
import { identityKey, type Actor } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
import type { IdentityService } from './identity.js';
import { mergeDocs } from './merge.js';

export { NS_LINK } from '../store/namespaces.js';
export { mergeDocs } from './merge.js';
/** Unambiguous alphabet: no 0/O, 1/I/L, U (read aloud or typed on a phone without mistakes). */
export const LINK_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
export const LINK_CODE_LENGTH = 8;
export const LINK_TTL_MS = 10 * 60_000;

interface StoredCode {
  code: string;
  userId: string;
  platform: Actor['platform'];
  externalId: string;
  createdAt: string;
  expiresAt: string;
}

export type RedeemStatus = 'linked' | 'already-linked' | 'invalid' | 'expired' | 'busy' | 'confirm';

export interface RedeemResult {
  status: RedeemStatus;
  lang: Lang;
  message: string;
  /** The surviving user id (when linked or already linked). */
  userId?: string;
  /** `confirm`: the redeemer's other accounts that the merge would take along (`platform (name)`). */
  alsoMerged?: string[];
}

/** Words that confirm a `/link <code> confirm` (any platform's parser may accept them). */
export const LINK_CONFIRM_WORDS = ['confirm', 'yes', 'y', '확인', '네', '예'] as const;

/** `platform (display name)` for each identity: what a confirmation names. */
function describeIdentities(ids: readonly { platform: string; externalId: string; displayName?: string }[]): string[] {
  return ids.map((i) => (i.displayName ? `${i.platform} (${i.displayName})` : `${i.platform} ${i.externalId}`));
}

export interface LinkServiceOptions {
  users: UserRepository;
  identity: IdentityService;
  /** Bot-wide counts: a merge makes one user out of two. */
  stats: BotStats;
  catalog: CatalogService;
  store: KeyValueStore;
  clock?: Clock;
  ttlMs?: number;
  logger?: Logger;
}

/** Normalises what a person typed: `abcd-efgh`, `ABCD EFGH` → `ABCDEFGH`; undefined when it cannot be a code. */
export function normalizeCode(input: string): string | undefined {
  const s = input.toUpperCase().replace(/[\s\-_.]/g, '');
  if (s.length !== LINK_CODE_LENGTH) return undefined;
  for (const ch of s) if (!LINK_ALPHABET.includes(ch)) return undefined;
  return s;
}

export function formatCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

export class LinkService {
  private readonly store: KeyValueStore;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly log: Logger;

  constructor(private readonly o: LinkServiceOptions) {
    this.store = o.store;
    this.clock = o.clock ?? systemClock;
    this.ttlMs = o.ttlMs ?? LINK_TTL_MS;
    this.log = (o.logger ?? silentLogger).child({ module: 'link' });
  }

  /** `/forget`'s part: a pending code belongs to the user and goes with them. */
  readonly forgetHook = async (userId: string): Promise<void> => {
    const code = await storeCall(() => this.store.get<string>(NS_LINK, `user:${userId}`));
    const writes: StoreWrite[] = [{ op: 'delete', ns: NS_LINK, key: `user:${userId}` }];
    if (code) writes.push({ op: 'delete', ns: NS_LINK, key: `code:${code}` });
    await storeCall(() => this.store.writeBatch(writes));
  };

  /** A fresh one-time code for the actor's user (a newer code replaces an older pending one). */
  async createCode(
    actor: Actor,
  ): Promise<{ code: string; display: string; expiresAt: Date; lang: Lang; message: string }> {
    const doc = await this.o.identity.resolve(actor);
    const lang = doc.user.lang;
    let code = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      code = Array.from({ length: LINK_CODE_LENGTH }, () => LINK_ALPHABET[randomInt(LINK_ALPHABET.length)]).join('');
      if (!(await storeCall(() => this.store.get(NS_LINK, `code:${code}`)))) break;
    }
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    const previous = await storeCall(() => this.store.get<string>(NS_LINK, `user:${doc.user.id}`));
    const stored: StoredCode = {
      code,
      userId: doc.user.id,
      platform: actor.platform,
      externalId: actor.externalId,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
    };
    await storeCall(() =>
      this.store.writeBatch([
        ...(previous ? [{ op: 'delete', ns: NS_LINK, key: `code:${previous}` } as const] : []),
        { op: 'set', ns: NS_LINK, key: `code:${code}`, value: stored, ttlMs: this.ttlMs },
        { op: 'set', ns: NS_LINK, key: `user:${doc.user.id}`, value: code, ttlMs: this.ttlMs },
      ]),
    );
    const minutes = Math.max(1, Math.round(this.ttlMs / 60_000));
    return {
      code,
      display: formatCode(code),
      expiresAt,
      lang,
      message: t(lang, 'link.code', { code: formatCode(code), minutes }),
    };
  }

  /**
   * Redeems a code typed by `actor`: merges the actor's user into the code creator's user. When the actor's
   * user holds other accounts too (linked earlier), nothing happens unless `confirm` is set: the answer is
   * `confirm`, naming them, and the code stays valid.
   */
  async redeem(actor: Actor, typed: string, opts: { confirm?: boolean } = {}): Promise<RedeemResult> {
    const lang = await this.o.identity.langOf(actor);
    const code = normalizeCode(typed);
    if (!code) return { status: 'invalid', lang, message: t(lang, 'link.invalid') };
    if (!opts.confirm) {
      const ask = await this.needsConfirmation(actor, code, lang);
      if (ask) return ask;
    }
    // Single use, atomically: under the code's lock, read it and delete it before anything else happens.
    const taken = await storeCall(() =>
      tryStoreLock(
        this.store,
        `link:${code}`,
        { ttlMs: 30_000 },
        async (lease) => {
          const stored = await storeCall(() => this.store.get<StoredCode>(NS_LINK, `code:${code}`));
          // Fenced: if this lease ran out and someone else took the code's lock meanwhile, nothing is deleted here.
          if (stored)
            await fencedWrite(this.store, lease, [
              { op: 'delete', ns: NS_LINK, key: `code:${code}` },
              { op: 'delete', ns: NS_LINK, key: `user:${stored.userId}` },
            ]);
          return { stored };
        },
        'busy' as const,
      ),
    );
    if (taken === 'busy') return { status: 'busy', lang, message: t(lang, 'link.invalid') };
    const stored = taken.stored;
    if (!stored) return { status: 'invalid', lang, message: t(lang, 'link.invalid') };
    if (Date.parse(stored.expiresAt) <= this.clock.now().getTime())
      return { status: 'expired', lang, message: t(lang, 'link.expired') };
    const survivor = await this.o.users.get(stored.userId);
    if (!survivor) return { status: 'invalid', lang, message: t(lang, 'link.invalid') };
    const mine = await this.o.identity.resolve(actor);
    if (mine.user.id === survivor.user.id)
      return { status: 'already-linked', lang, userId: survivor.user.id, message: t(lang, 'link.already') };
    await this.merge(survivor.user.id, mine.user.id);
    const outLang = survivor.user.lang;
    const platforms = [...new Set([...survivor.user.identities, ...mine.user.identities].map((i) => i.platform))].join(
      ', ',
    );
    this.log.info({ survivor: survivor.user.id, absorbed: mine.user.id }, 'identities linked');
    return {
      status: 'linked',
      lang: outLang,
      userId: survivor.user.id,
      message: t(outLang, 'link.done', { platforms }),
    };
  }

  /** A `confirm` answer when redeeming `code` would merge accounts beyond the actor's own; reads only. */
  private async needsConfirmation(actor: Actor, code: string, lang: Lang): Promise<RedeemResult | undefined> {
    const stored = await storeCall(() => this.store.get<StoredCode>(NS_LINK, `code:${code}`));
    if (!stored || Date.parse(stored.expiresAt) <= this.clock.now().getTime()) return undefined; // redeem says why
    const userId = await this.o.users.findUserId(actor.platform, actor.externalId);
    if (!userId || userId === stored.userId) return undefined;
    const mine = await this.o.users.get(userId);
    const others = (mine?.user.identities ?? []).filter(
      (i) => !(i.platform === actor.platform && i.externalId === actor.externalId),
    );
    if (others.length === 0) return undefined;
    const alsoMerged = describeIdentities(others);
    this.log.info(
      { user: userId, survivor: stored.userId, others: others.length },
      '/link asks for confirmation: the redeemer is linked with other accounts',
    );
    return {
      status: 'confirm',
      lang,
      alsoMerged,
      message: t(lang, 'link.confirm', { accounts: alsoMerged.join(', '), code: formatCode(code) }),
    };
  }

  /**
   * Merges user `absorbedId` into `survivorId` and deletes the absorbed document. Order chosen for
   * crash safety: the survivor is written first (so nothing is lost), then keys are repointed and the
   * absorbed document deleted in one batch.
   */
  async merge(survivorId: string, absorbedId: string): Promise<void> {
    const absorbed = await this.o.users.get(absorbedId);
    if (!absorbed) throw new RecoError('NOT_FOUND', `user ${absorbedId} does not exist`);
    const catalog = this.o.catalog;
    const encoderId = catalog.textEncoder.id;
    const categoryOf = (id: string) => {
      if (catalog.size === 0) return undefined;
      const r = catalog.index.rowOf.get(id);
      return r === undefined ? undefined : catalog.index.items[r]!.category;
    };
    let before: FeedbackState[] = [];
    let after: FeedbackState[] = [];
    await this.o.users.update(survivorId, (d) => {
      before = [...Object.values(d.feedback), ...Object.values(absorbed.feedback)];
      mergeDocs(d, absorbed, encoderId, categoryOf);
      after = Object.values(d.feedback);
    });
    const writes: StoreWrite[] = absorbed.user.identities.map((idn) => ({
      op: 'set',
      ns: NS_IDENTITIES,
      key: identityKey(idn.platform, idn.externalId),
      value: survivorId,
    }));
    const imps = await storeCall(() =>
      this.store.readBatch(absorbed.impressionIds.map((key) => ({ ns: NS_IMPRESSIONS, key }))),
    );
    imps.values.forEach((v, i) => {
      const imp = v as Impression | undefined;
      if (imp && imp.userId === absorbedId)
        writes.push({
          op: 'set',
          ns: NS_IMPRESSIONS,
          key: absorbed.impressionIds[i]!,
          value: { ...imp, userId: survivorId },
        });
    });
    writes.push({ op: 'delete', ns: NS_USERS, key: absorbedId });
    writes.push(...this.o.stats.mergeWrites(before, after)); // the shared counters move with the merge
    await storeCall(() => this.store.writeBatch(writes));
    this.o.stats.merged(before, after);
  }
}
