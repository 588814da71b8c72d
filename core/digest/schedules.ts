/**
 * The digest schedules (the base of `DigestService`, service.ts): the per-chat schedule and its edits, when a
 * chat is due (`planTarget`, `isDue`, `scan` with each slot's spread), the group members a group digest blends
 * (kept on a reaction's own round trips) and `/forget`'s part. Planning and delivering runs: service.ts.
 */
import { randomUUID } from 'node:crypto';
import type { CatalogService } from '../catalog/catalog.js';
import type { Evidence, Lang, Platform } from '../domain.js';
import type { ChatSettings } from '../filters/settings.js';
import { RecoError } from '../errors.js';
import type { ReactionObserver } from '../feedback/service.js';
import type { Clock, KeyValueStore, Logger, StoreWrite } from '../ports.js';
import { silentLogger, systemClock } from '../ports.js';
import type { ListDelivery } from '../recommend/delivery.js';
import type { Explanations } from '../recommend/explanations.js';
import type { Ranker } from '../recommend/ranker.js';
import { storeCall } from '../store/call.js';
import { assertSharingSafe } from '../store/capabilities.js';
import { withStoreLock } from '../store/lock.js';
import { NS_DIGEST } from '../store/namespaces.js';
import { identityKey, type Actor, type UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
import { planSlot, type SpreadPolicy } from './spread.js';
import { addDays, formatTime, isTimeZone, localParts, parseTime, zonedInstant } from './time.js';
import { chatKeyOf, type DigestChat, type DigestScan, type DigestSchedule } from './types.js';

const MAX_MEMBERS = 200;

/**
 * Digest messages per second a platform is planned for: two thirds of Telegram's ~30/s bulk limit, so
 * interactive replies keep a third of it while a large slot goes out (the outbox enforces the real limits).
 */
export const DIGEST_RATE_PER_SECOND = 20;

export interface DigestServiceOptions {
  users: UserRepository;
  ranker: Ranker;
  explanations: Explanations;
  catalog: CatalogService;
  delivery: ListDelivery;
  store: KeyValueStore;
  /** The most items one ranking call returns (RECO_MAX_COUNT). */
  maxCount: number;
  clock?: Clock;
  logger?: Logger;
  defaultTime: string;
  defaultTz: string;
  /** Items per digest. */
  size: number;
  /** Lock expiry in ms (renewed before each send). Default 60 s. */
  lockTtlMs?: number;
  /** This process's lock owner id (default random). */
  owner?: string;
  /** Rewords the intro from the picked items' evidence (the LLM layer); see DigestPlannerOptions. */
  introWriter?: (input: { userId: string; lang: Lang; template: string; evidence: Evidence[] }) => Promise<string>;
  /** Plan each digest this many minutes before its slot (DIGEST_PLAN_AHEAD_MINUTES; default 0: at the slot). */
  planAheadMinutes?: number;
  /** How a shared slot is spread and which layout it uses (default: no window, cards). See spread.ts. */
  spread?: Partial<Omit<SpreadPolicy, 'size'>>;
  /** Chats one tick works on at the same time (default 32: a chat's own messages go ~1/s, so many chats fill the rate). */
  sendConcurrency?: number;
  /** A chat's own settings (core/filters): its hard filters apply to its digest on top of the subject's, its layout choice over the slot's. */
  chatSettings?: (chat: { platform: Platform; chatId: string }) => Promise<ChatSettings | undefined>;
}

interface DigestExt {
  chats: string[];
  groups: string[];
}

function digestExt(d: UserDoc): DigestExt {
  const cur = d.ext.digest as Partial<DigestExt> | undefined;
  const ext: DigestExt = { chats: cur?.chats ?? [], groups: cur?.groups ?? [] };
  d.ext.digest = ext;
  return ext;
}

const schedKey = (c: { platform: Platform; chatId: string }) => `sched:${chatKeyOf(c)}`;
const membersKey = (c: { platform: Platform; chatId: string }) => `members:${chatKeyOf(c)}`;

export abstract class DigestSchedules {
  readonly owner: string;
  protected readonly o: DigestServiceOptions;
  protected readonly clock: Clock;
  protected readonly log: Logger;
  protected readonly lockTtlMs: number;
  protected readonly aheadMs: number;
  protected readonly spread: SpreadPolicy;
  protected readonly sendConcurrency: number;

  constructor(options: DigestServiceOptions) {
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ module: 'digest' });
    this.lockTtlMs = options.lockTtlMs ?? 60_000;
    this.owner = options.owner ?? `digest-${randomUUID()}`;
    if (parseTime(options.defaultTime) === undefined)
      throw new RecoError('CONFIG_INVALID', `DIGEST_DEFAULT_TIME must be HH:MM, got ${options.defaultTime}`);
    if (!isTimeZone(options.defaultTz))
      throw new RecoError('CONFIG_INVALID', `DIGEST_DEFAULT_TZ is not an IANA time zone: ${options.defaultTz}`);
    // Exactly once across replicas rests on the chat lock: a shared store must lock across processes.
    assertSharingSafe(options.store);
    this.aheadMs = Math.max(0, options.planAheadMinutes ?? 0) * 60_000;
    this.spread = {
      windowMinutes: 0,
      layout: 'cards',
      ratePerSecond: DIGEST_RATE_PER_SECOND,
      ...options.spread,
      size: options.size,
    };
    this.sendConcurrency = Math.max(1, options.sendConcurrency ?? 32);
  }

  protected get store(): KeyValueStore {
    return this.o.store;
  }

  async getSchedule(chat: { platform: Platform; chatId: string }): Promise<DigestSchedule | undefined> {
    return storeCall(() => this.store.get<DigestSchedule>(NS_DIGEST, schedKey(chat)));
  }

  protected async saveSchedule(s: DigestSchedule): Promise<void> {
    await storeCall(() => this.store.set(NS_DIGEST, schedKey(s), s));
  }

  /**
   * Turns a chat's digest on or off or moves its slot. A schedule switched on (or moved) after today's
   * slot has passed starts tomorrow; one whose slot is still ahead today starts today.
   */
  async setSchedule(
    chat: DigestChat,
    change: { enabled?: boolean; time?: string; tz?: string },
    actor: Actor,
    lang: Lang,
  ): Promise<{ schedule: DigestSchedule; next?: string }> {
    if (change.time !== undefined && parseTime(change.time) === undefined)
      throw new RecoError('INPUT_INVALID', `bad time ${change.time}`, { details: { arg: 'time' } });
    if (change.tz !== undefined && !isTimeZone(change.tz))
      throw new RecoError('INPUT_INVALID', `bad time zone ${change.tz}`, { details: { arg: 'tz' } });
    const now = this.clock.now();
    return withStoreLock(this.store, `sched-edit:${chatKeyOf(chat)}`, { ttlMs: 10_000 }, async () => {
      const prev = await this.getSchedule(chat);
      const s: DigestSchedule = prev ?? {
        ...chat,
        enabled: false,
        time: this.o.defaultTime,
        tz: this.o.defaultTz,
        lang,
        updatedAt: now.toISOString(),
      };
      const wasOn = s.enabled;
      if (change.enabled !== undefined) s.enabled = change.enabled;
      if (change.time !== undefined) s.time = formatTime(parseTime(change.time)!);
      if (change.tz !== undefined) s.tz = change.tz;
      s.lang = lang;
      s.updatedAt = now.toISOString();
      if (chat.kind === 'private') s.owner = { platform: actor.platform, externalId: actor.externalId };
      if (s.enabled) delete s.disabledReason;
      else s.disabledReason = 'user';
      if (s.enabled && (!wasOn || change.time !== undefined || change.tz !== undefined)) {
        const local = localParts(now, s.tz);
        const slot = parseTime(s.time)!;
        if (s.pending !== local.date && local.minutes >= slot && (!s.lastDate || s.lastDate < local.date))
          s.lastDate = local.date;
      }
      await this.saveSchedule(s);
      const doc = await this.o.users.resolve(actor);
      await this.o.users.update(doc.user.id, (d) => {
        const ext = digestExt(d);
        if (chat.kind === 'private' && !ext.chats.includes(chatKeyOf(chat))) ext.chats.push(chatKeyOf(chat));
      });
      return s.enabled ? { schedule: s, next: this.nextSlot(s, now) } : { schedule: s };
    });
  }

  /** `YYYY-MM-DD HH:MM` (local) of the next digest. */
  nextSlot(s: DigestSchedule, now = this.clock.now()): string {
    const local = localParts(now, s.tz);
    const slot = parseTime(s.time)!;
    let date = local.minutes < slot ? local.date : addDays(local.date, 1);
    if (s.lastDate && date <= s.lastDate) date = addDays(s.lastDate, 1);
    return `${date} ${s.time}`;
  }

  /**
   * Keeps group members on a reaction's own round trips: the members record is read with the reaction's
   * identity, and updated (with the member's document) in the reaction's one write.
   */
  readonly reactionObserver: ReactionObserver = {
    keys: (chat) => (chat.kind === 'group' ? [{ ns: NS_DIGEST, key: membersKey(chat) }] : []),
    applied: (chat, actor, values, doc, at) =>
      chat.kind === 'group' ? this.memberWrites(chat, actor, values[0] as Record<string, string>, doc, at) : [],
  };

  /** Remembers that a person gave feedback in a group (their persona joins the group digest). */
  async noteMember(chat: DigestChat, actor: Actor): Promise<void> {
    if (chat.kind !== 'group') return;
    const session = await this.o.users.open(actor, [{ ns: NS_DIGEST, key: membersKey(chat) }]);
    const at = this.clock.now().toISOString();
    await this.o.users.commit(
      session,
      (d, s) => this.memberWrites(chat, actor, s.extra[0] as Record<string, string> | undefined, d, at),
      (writes) => writes,
    );
  }

  protected memberWrites(
    chat: DigestChat,
    actor: Actor,
    current: Record<string, string> | undefined,
    d: UserDoc,
    at: string,
  ): StoreWrite[] {
    const ck = chatKeyOf(chat);
    const members = { ...(current ?? {}) };
    members[identityKey(actor.platform, actor.externalId)] = at;
    const entries = Object.entries(members)
      .sort((a, b) => b[1].localeCompare(a[1]))
      .slice(0, MAX_MEMBERS);
    const ext = digestExt(d);
    if (!ext.groups.includes(ck)) ext.groups.push(ck);
    return [{ op: 'set', ns: NS_DIGEST, key: membersKey(chat), value: Object.fromEntries(entries) }];
  }

  async members(chat: { platform: Platform; chatId: string }): Promise<string[]> {
    const m = await storeCall(() => this.store.get<Record<string, string>>(NS_DIGEST, membersKey(chat)));
    return Object.keys(m ?? {});
  }

  async schedules(platform?: Platform): Promise<DigestSchedule[]> {
    const keys: string[] = [];
    for await (const k of this.store.keys(NS_DIGEST, platform ? `sched:${platform}:` : 'sched:')) keys.push(k);
    const out: DigestSchedule[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      const docs = await storeCall(() => this.store.getMany<DigestSchedule>(NS_DIGEST, keys.slice(i, i + 100)));
      for (const d of docs) if (d) out.push(d);
    }
    return out;
  }

  /**
   * The local date whose digest should be planned at `now`, if any: the first date after `lastDate` whose
   * slot is at most `planAheadMinutes` away (or already past: a process that was down delivers late the same
   * day). `lastDate` only moves forward, so a clock jump backwards never plans a day twice.
   */
  planTarget(s: DigestSchedule, now: Date): string | undefined {
    if (!s.enabled) return undefined;
    const slot = parseTime(s.time) ?? 0;
    const dates = new Set([localParts(now, s.tz).date, localParts(new Date(now.getTime() + this.aheadMs), s.tz).date]);
    for (const date of [...dates].sort()) {
      if (s.lastDate && date <= s.lastDate) continue;
      if (zonedInstant(date, slot, s.tz).getTime() - this.aheadMs <= now.getTime()) return date;
    }
    return undefined;
  }

  /** Whether a schedule has work at `now` (a digest to plan or to send), and for which local date. */
  isDue(s: DigestSchedule, now: Date): { due: boolean; date: string } {
    const target = this.planTarget(s, now);
    if (target) return { due: true, date: target };
    if (s.enabled && s.pending && Date.parse(s.sendAt ?? '') <= now.getTime()) return { due: true, date: s.pending };
    if (s.enabled && s.pending && !s.sendAt) return { due: true, date: s.pending };
    return { due: false, date: localParts(now, s.tz).date };
  }

  /** Chats with work at `now`: a digest to plan, or a planned one to send. */
  async due(now = this.clock.now(), platform?: Platform): Promise<DigestSchedule[]> {
    return (await this.schedules(platform)).filter((s) => this.isDue(s, now).due);
  }

  /**
   * One pass over the schedules: what to plan now (with each slot's layout and spread, from how many chats of
   * the platform share the slot), and which planned digests are due to go out.
   */
  async scan(now = this.clock.now(), platform?: Platform): Promise<DigestScan> {
    const all = (await this.schedules(platform)).filter((s) => s.enabled);
    const audience = new Map<string, number>();
    for (const s of all) audience.set(this.slotKey(s, now), (audience.get(this.slotKey(s, now)) ?? 0) + 1);
    const out: DigestScan = { plan: [], send: [] };
    for (const s of all) {
      const chat: DigestChat = { platform: s.platform, chatId: s.chatId, kind: s.kind };
      const date = this.planTarget(s, now);
      if (date) out.plan.push({ chat, date, slot: planSlot(audience.get(this.slotKey(s, now)) ?? 1, this.spread) });
      else if (s.pending && Date.parse(s.sendAt ?? '1970-01-01') <= now.getTime())
        out.send.push({ chat, date: s.pending, sendAt: s.sendAt ?? now.toISOString() });
    }
    return out;
  }

  /** Chats that share a slot instant on one platform share its send rate: platform + the slot as UTC minute. */
  protected slotKey(s: DigestSchedule, now: Date): string {
    const local = localParts(now, s.tz);
    const utc = now.getUTCHours() * 60 + now.getUTCMinutes();
    const offset = local.minutes - utc; // the zone's offset, ± a day
    return `${s.platform}|${((((parseTime(s.time) ?? 0) - offset) % 1440) + 1440) % 1440}`;
  }

  /** `/forget`'s part: drops the person's private schedules, their runs, and their group memberships. */
  readonly forgetHook = async (_userId: string, doc: UserDoc): Promise<void> => {
    const ext = doc.ext.digest as DigestExt | undefined;
    const idns = doc.user.identities.map((i) => identityKey(i.platform, i.externalId));
    const writes: StoreWrite[] = [];
    for (const ck of ext?.chats ?? []) {
      writes.push({ op: 'delete', ns: NS_DIGEST, key: `sched:${ck}` });
      for await (const k of this.store.keys(NS_DIGEST, `run:${ck}:`))
        writes.push({ op: 'delete', ns: NS_DIGEST, key: k });
    }
    const groups = ext?.groups ?? [];
    const got = await storeCall(() =>
      this.store.readBatch(groups.map((ck) => ({ ns: NS_DIGEST, key: `members:${ck}` }))),
    );
    got.values.forEach((v, i) => {
      const m = v as Record<string, string> | undefined;
      if (!m) return;
      for (const idn of idns) delete m[idn];
      writes.push({ op: 'set', ns: NS_DIGEST, key: `members:${groups[i]}`, value: m });
    });
    if (writes.length > 0) await storeCall(() => this.store.writeBatch(writes));
  };
}
