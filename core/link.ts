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
 * - Merge rule (the code's creator survives, the redeemer's document is absorbed and deleted):
 *   feedback — latest `at` wins per item; history — both, sorted by time (capped); shown — counts summed,
 *   latest time kept; interests/dislikes — union by term (max weight; a term liked by one side and
 *   disliked by the other goes to the side updated last); persona vectors — averaged (same encoder) and
 *   re-normalised; identities — union; every identity key and impression is repointed to the survivor.
 *
 * @example
 * const links = new LinkService({ reco, store });
 * const { code } = await links.createCode({ platform: 'telegram', externalId: '42' });
 * await links.redeem({ platform: 'console', externalId: 'alice' }, code); // status 'linked'
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Category, FeedbackState, Impression, Interest, Lang, Persona } from './domain.js';
import { RecoError } from './errors.js';
import { categoryPreferences } from './feedback.js';
import { t } from './messages.js';
import type { Clock, KeyValueStore, Logger } from './ports.js';
import { silentLogger, systemClock } from './ports.js';
import type { DeepReco } from './service.js';
import { LIMITS, NS_IDENTITIES, NS_IMPRESSIONS, NS_USERS, identityKey, type Actor, type UserDoc } from './users.js';

export const NS_LINK = 'link-codes';
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

export type RedeemStatus = 'linked' | 'already-linked' | 'invalid' | 'expired' | 'busy';

export interface RedeemResult {
  status: RedeemStatus;
  lang: Lang;
  message: string;
  /** The surviving user id (when linked or already linked). */
  userId?: string;
}

export interface LinkServiceOptions {
  reco: DeepReco;
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
  private readonly reco: DeepReco;
  private readonly store: KeyValueStore;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly log: Logger;

  constructor(o: LinkServiceOptions) {
    this.reco = o.reco;
    this.store = o.store;
    this.clock = o.clock ?? systemClock;
    this.ttlMs = o.ttlMs ?? LINK_TTL_MS;
    this.log = (o.logger ?? silentLogger).child({ module: 'link' });
    // A pending code belongs to the user: forget it with them.
    this.reco.onForget(async (userId) => {
      const code = await this.store.get<string>(NS_LINK, `user:${userId}`);
      if (code) await this.store.delete(NS_LINK, `code:${code}`);
      await this.store.delete(NS_LINK, `user:${userId}`);
    });
  }

  /** A fresh one-time code for the actor's user (a newer code replaces an older pending one). */
  async createCode(
    actor: Actor,
  ): Promise<{ code: string; display: string; expiresAt: Date; lang: Lang; message: string }> {
    const doc = await this.reco.resolve(actor);
    const lang = doc.user.lang;
    let code = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      code = Array.from({ length: LINK_CODE_LENGTH }, () => LINK_ALPHABET[randomInt(LINK_ALPHABET.length)]).join('');
      if (!(await this.store.get(NS_LINK, `code:${code}`))) break;
    }
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    const previous = await this.store.get<string>(NS_LINK, `user:${doc.user.id}`);
    if (previous) await this.store.delete(NS_LINK, `code:${previous}`);
    const stored: StoredCode = {
      code,
      userId: doc.user.id,
      platform: actor.platform,
      externalId: actor.externalId,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
    };
    await this.wrap(() => this.store.set(NS_LINK, `code:${code}`, stored, this.ttlMs));
    await this.wrap(() => this.store.set(NS_LINK, `user:${doc.user.id}`, code, this.ttlMs));
    const minutes = Math.max(1, Math.round(this.ttlMs / 60_000));
    return {
      code,
      display: formatCode(code),
      expiresAt,
      lang,
      message: t(lang, 'link.code', { code: formatCode(code), minutes }),
    };
  }

  /** Redeems a code typed by `actor`: merges the actor's user into the code creator's user. */
  async redeem(actor: Actor, typed: string): Promise<RedeemResult> {
    const lang = await this.reco.langOf(actor);
    const code = normalizeCode(typed);
    if (!code) return { status: 'invalid', lang, message: t(lang, 'link.invalid') };
    const lockName = `link:${code}`;
    const owner = randomUUID();
    if (!(await this.wrap(() => this.store.acquireLock(lockName, owner, 30_000))))
      return { status: 'busy', lang, message: t(lang, 'link.invalid') };
    let stored: StoredCode | undefined;
    try {
      stored = await this.wrap(() => this.store.get<StoredCode>(NS_LINK, `code:${code}`));
      if (!stored) return { status: 'invalid', lang, message: t(lang, 'link.invalid') };
      // Single use: the code is gone before anything else happens, whatever the outcome.
      await this.wrap(() => this.store.delete(NS_LINK, `code:${code}`));
      await this.wrap(() => this.store.delete(NS_LINK, `user:${stored!.userId}`));
    } finally {
      await this.store.releaseLock(lockName, owner).catch(() => undefined);
    }
    if (Date.parse(stored.expiresAt) <= this.clock.now().getTime())
      return { status: 'expired', lang, message: t(lang, 'link.expired') };
    const survivor = await this.reco.users.get(stored.userId);
    if (!survivor) return { status: 'invalid', lang, message: t(lang, 'link.invalid') };
    const mine = await this.reco.resolve(actor);
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

  /**
   * Merges user `absorbedId` into `survivorId` and deletes the absorbed document. Order chosen for
   * crash safety: the survivor is written first (so nothing is lost), then keys are repointed, then the
   * absorbed document is deleted.
   */
  async merge(survivorId: string, absorbedId: string): Promise<void> {
    const absorbed = await this.reco.users.get(absorbedId);
    if (!absorbed) throw new RecoError('NOT_FOUND', `user ${absorbedId} does not exist`);
    const encoderId = this.reco.catalog.textEncoder.id;
    const categoryOf = (id: string) => {
      if (this.reco.catalog.size === 0) return undefined;
      const idx = this.reco.catalog.index;
      const r = idx.rowOf.get(id);
      return r === undefined ? undefined : idx.items[r]!.category;
    };
    let before: FeedbackState[] = [];
    let after: FeedbackState[] = [];
    await this.reco.users.update(survivorId, (d) => {
      before = [...Object.values(d.feedback), ...Object.values(absorbed.feedback)];
      mergeDocs(d, absorbed, encoderId, categoryOf);
      after = Object.values(d.feedback);
    });
    for (const idn of absorbed.user.identities) {
      await this.wrap(() => this.store.set(NS_IDENTITIES, identityKey(idn.platform, idn.externalId), survivorId));
    }
    for (const impId of absorbed.impressionIds) {
      const imp = await this.wrap(() => this.store.get<Impression>(NS_IMPRESSIONS, impId));
      if (imp && imp.userId === absorbedId)
        await this.wrap(() => this.store.set(NS_IMPRESSIONS, impId, { ...imp, userId: survivorId }));
    }
    await this.wrap(() => this.store.delete(NS_USERS, absorbedId));
    this.reco.feedbackMerged(before, after);
  }

  private async wrap<T>(fn: () => Promise<T>): Promise<T> {
    return this.reco.users.wrapStore(fn);
  }
}

function maxIso(a: string, b: string): string {
  return a >= b ? a : b;
}

function cap<T>(list: T[], n: number): T[] {
  return list.length > n ? list.slice(list.length - n) : list;
}

/** Merges `b` into `a` (mutates `a`). Exported for unit tests. */
export function mergeDocs(
  a: UserDoc,
  b: UserDoc,
  encoderId: string,
  categoryOf: (itemId: string) => Category | undefined,
): void {
  // user
  const ids = new Map(a.user.identities.map((i) => [identityKey(i.platform, i.externalId), i]));
  for (const i of b.user.identities)
    if (!ids.has(identityKey(i.platform, i.externalId))) ids.set(identityKey(i.platform, i.externalId), i);
  a.user.identities = [...ids.values()];
  if (b.user.createdAt < a.user.createdAt) a.user.createdAt = b.user.createdAt;

  // feedback: the latest reaction wins
  for (const [itemId, fb] of Object.entries(b.feedback)) {
    const mine = a.feedback[itemId];
    if (!mine || fb.at > mine.at) a.feedback[itemId] = fb;
  }
  a.seenKeys = cap([...new Set([...a.seenKeys, ...b.seenKeys])], LIMITS.seenKeys);
  a.history = cap(
    [...a.history, ...b.history.map((e) => ({ ...e, userId: a.user.id }))].sort((x, y) => x.at.localeCompare(y.at)),
    LIMITS.history,
  );
  for (const [itemId, s] of Object.entries(b.shown)) {
    const mine = a.shown[itemId];
    a.shown[itemId] = mine ? { count: mine.count + s.count, lastAt: maxIso(mine.lastAt, s.lastAt) } : s;
  }
  const shownIds = Object.keys(a.shown);
  if (shownIds.length > LIMITS.shown) {
    shownIds.sort((x, y) => a.shown[x]!.lastAt.localeCompare(a.shown[y]!.lastAt));
    for (const id of shownIds.slice(0, shownIds.length - LIMITS.shown)) delete a.shown[id];
  }
  a.impressionIds = cap(
    [...a.impressionIds, ...b.impressionIds.filter((i) => !a.impressionIds.includes(i))],
    LIMITS.impressions,
  );
  a.messageKeys = cap(
    [...a.messageKeys, ...b.messageKeys.filter((k) => !a.messageKeys.includes(k))],
    LIMITS.messageRefs,
  );
  for (const [k, v] of Object.entries(b.lastLists)) if (!a.lastLists[k]) a.lastLists[k] = v;
  for (const [k, v] of Object.entries(b.ext)) {
    const mine = a.ext[k];
    if (mine === undefined) a.ext[k] = v;
    else if (isPlainObject(mine) && isPlainObject(v)) a.ext[k] = mergeExt(v, mine);
  }

  // persona
  mergePersona(a.persona, b.persona, encoderId);
  a.persona.categories = categoryPreferences(a.feedback, categoryOf);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Shallow merge of feature state: arrays are unioned, other values of `win` win. */
function mergeExt(lose: Record<string, unknown>, win: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...lose, ...win };
  for (const [k, v] of Object.entries(lose)) {
    const w = win[k];
    if (Array.isArray(v) && Array.isArray(w)) out[k] = [...new Set([...w, ...v])];
  }
  return out;
}

function mergePersona(a: Persona, b: Persona, encoderId: string): void {
  const aNewer = a.updatedAt >= b.updatedAt;
  const interests = new Map<string, Interest>();
  const dislikes = new Map<string, Interest>();
  const put = (m: Map<string, Interest>, i: Interest) => {
    const prev = m.get(i.term);
    if (!prev) m.set(i.term, { ...i });
    else
      m.set(i.term, {
        ...prev,
        weight: Math.max(prev.weight, i.weight),
        updatedAt: maxIso(prev.updatedAt, i.updatedAt),
        source: prev.source === 'user' || i.source === 'user' ? 'user' : prev.source,
      });
  };
  for (const i of [...a.interests, ...b.interests]) put(interests, i);
  for (const i of [...a.dislikes, ...b.dislikes]) put(dislikes, i);
  // A term on both lists goes to the list where it was updated last.
  for (const [term, like] of interests) {
    const dis = dislikes.get(term);
    if (!dis) continue;
    if (like.updatedAt > dis.updatedAt) dislikes.delete(term);
    else interests.delete(term);
  }
  a.interests = [...interests.values()].sort((x, y) => y.weight - x.weight).slice(0, 40);
  a.dislikes = [...dislikes.values()].sort((x, y) => y.weight - x.weight).slice(0, 40);

  // vectors: average under one encoder, re-normalised; prefer the active encoder
  const av = a.vector && a.encoderId ? { v: a.vector, e: a.encoderId } : undefined;
  const bv = b.vector && b.encoderId ? { v: b.vector, e: b.encoderId } : undefined;
  if (av && bv && av.e === bv.e && av.v.length === bv.v.length) {
    const v = av.v.map((x, i) => (x + bv.v[i]!) / 2);
    const n = Math.hypot(...v) || 1;
    a.vector = v.map((x) => x / n);
  } else if (bv && (!av || (bv.e === encoderId && av.e !== encoderId))) {
    a.vector = [...bv.v];
    a.encoderId = bv.e;
  }

  a.attributes = aNewer ? { ...b.attributes, ...a.attributes } : { ...a.attributes, ...b.attributes };
  a.recentTexts = cap(
    [...a.recentTexts, ...b.recentTexts].sort((x, y) => x.at.localeCompare(y.at)),
    LIMITS.recentTexts,
  );
  a.messageCount += b.messageCount;
  a.updatedAt = maxIso(a.updatedAt, b.updatedAt);
  if (b.removedTerms?.length) a.removedTerms = [...new Set([...(a.removedTerms ?? []), ...b.removedTerms])].slice(-200);
  if (b.lockedAttributes?.length)
    a.lockedAttributes = [...new Set([...(a.lockedAttributes ?? []), ...b.lockedAttributes])];
  if (!a.preferences && b.preferences) a.preferences = b.preferences;
}
