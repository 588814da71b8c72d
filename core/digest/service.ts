/**
 * Daily digests, platform-free: the per-chat schedule, and running each due chat (plan once, deliver
 * exactly once). The composition root builds one `DigestService` and its scheduler; platform adapters
 * only supply a `DigestSender` (their list sender).
 *
 * Exactly once per chat per local date:
 * 1. Due: a chat is due when it is enabled, its local time (IANA zone) is at or past its slot, and the local
 *    date is AFTER `lastDate` (the last local date planned or deliberately skipped). `lastDate` only moves
 *    forward, so a clock jump backwards (even across midnight) never plans a second digest, and a process
 *    that was down at the slot delivers late the same local day.
 * 2. Lock: each chat runs under a store lock with expiry (`digest:<chat>`), so two processes sharing a
 *    store never both work on one chat. The lock is renewed before every send; a process that lost it stops.
 * 3. Plan once: the plan is written as a run record keyed by chat + local date BEFORE anything is sent, with
 *    `lastDate` moved to that date. 4. Deliver: see run.ts.
 *
 * Groups: the digest blends the personas of the members who gave feedback in that group (`members`, kept by
 * `reactionObserver` on the reaction's own round trips), see `blendSubject`.
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
import type { Ranker, Subject } from '../recommend/ranker.js';
import { storeCall } from '../store/call.js';
import { assertSharingSafe } from '../store/capabilities.js';
import { withStoreLock } from '../store/lock.js';
import { NS_DIGEST } from '../store/namespaces.js';
import { identityKey, type Actor, type UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
import { DigestPlanner } from './plan.js';
import { RunDelivery, runKey } from './run.js';
import { QuietHoursService } from './quiet.js';
import { chatOffsetMinutes, planSlot, type SlotPlan, type SpreadPolicy } from './spread.js';
import { addDays, formatTime, isTimeZone, localParts, parseTime, zonedInstant } from './time.js';
import {
  chatKeyOf,
  type ChatOutcome,
  type DigestChat,
  type DigestRun,
  type DigestScan,
  type DigestSchedule,
  type DigestSender,
  type TickReport,
} from './types.js';

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

export class DigestService {
  readonly owner: string;
  private readonly o: DigestServiceOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly lockTtlMs: number;
  private readonly planner: DigestPlanner;
  private readonly runs: RunDelivery;
  private readonly aheadMs: number;
  private readonly spread: SpreadPolicy;
  private readonly sendConcurrency: number;
  /** Quiet hours per person and per group chat: digests wait for their end. */
  readonly quiet: QuietHoursService;

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
    this.quiet = new QuietHoursService({
      users: options.users,
      defaultTz: options.defaultTz,
      chatTz: async (chat) => (await this.getSchedule(chat))?.tz,
    });
    this.planner = new DigestPlanner({
      users: options.users,
      ranker: options.ranker,
      explanations: options.explanations,
      catalog: options.catalog,
      size: options.size,
      maxCount: options.maxCount,
      owner: this.owner,
      logger: this.log,
      members: (chat) => this.members(chat),
      ...(options.introWriter ? { introWriter: options.introWriter } : {}),
      ...(options.chatSettings ? { chatSettings: options.chatSettings } : {}),
    });
    this.runs = new RunDelivery({
      store: options.store,
      users: options.users,
      catalog: options.catalog,
      delivery: options.delivery,
      clock: this.clock,
      logger: this.log,
      owner: this.owner,
      lockTtlMs: this.lockTtlMs,
      getSchedule: (s) => this.getSchedule(s),
      saveSchedule: (s) => this.saveSchedule(s),
    });
  }

  private get store(): KeyValueStore {
    return this.o.store;
  }

  async getSchedule(chat: { platform: Platform; chatId: string }): Promise<DigestSchedule | undefined> {
    return storeCall(() => this.store.get<DigestSchedule>(NS_DIGEST, schedKey(chat)));
  }

  private async saveSchedule(s: DigestSchedule): Promise<void> {
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

  private memberWrites(
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
  private slotKey(s: DigestSchedule, now: Date): string {
    const local = localParts(now, s.tz);
    const utc = now.getUTCHours() * 60 + now.getUTCMinutes();
    const offset = local.minutes - utc; // the zone's offset, ± a day
    return `${s.platform}|${((((parseTime(s.time) ?? 0) - offset) % 1440) + 1440) % 1440}`;
  }

  /**
   * Runs every chat of the sender's platform with work at `now`: plans what is due for planning (ahead of the
   * slot) and delivers what is due to go out, several chats at a time (each chat's messages in order).
   */
  async tick(sender: DigestSender, now = this.clock.now()): Promise<TickReport> {
    const scan = await this.scan(now, sender.platform);
    const slots = new Map(scan.plan.map((p) => [chatKeyOf(p.chat), p.slot]));
    const chats = [...scan.plan.map((p) => p.chat), ...scan.send.map((p) => p.chat)];
    const outcomes: Record<string, ChatOutcome> = {};
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chats.length) {
        const chat = chats[next++]!;
        const key = chatKeyOf(chat);
        try {
          outcomes[key] = await this.runChat(chat, sender, now, slots.get(key));
        } catch (e) {
          this.log.error({ err: e, chat: key }, 'digest run failed; retried on the next tick');
          outcomes[key] = 'retry-later';
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.sendConcurrency, chats.length) }, worker));
    const values = Object.values(outcomes);
    return {
      at: now.toISOString(),
      due: values.filter((v) => v !== 'planned' && v !== 'not-due').length,
      planned: values.filter((v) => v === 'planned').length,
      outcomes,
    };
  }

  /** Plans (once) a chat's digest if one is due for planning at `now`, under the chat's lock. */
  async planChat(chat: DigestChat, now = this.clock.now(), slot?: SlotPlan): Promise<ChatOutcome> {
    return this.locked(chat, async () => {
      const s = await this.getSchedule(chat);
      if (!s) return 'not-due';
      if (!s.enabled) return 'disabled';
      return (await this.planLocked(s, now, slot)) ? 'planned' : 'not-due';
    });
  }

  /**
   * Plans (once) and delivers (the rest of) one chat's digest, under the chat's lock: nothing is sent before
   * the digest's `sendAt`, nor while the chat is in quiet hours (it waits for their end, then goes out once).
   */
  async runChat(chat: DigestChat, sender: DigestSender, now = this.clock.now(), slot?: SlotPlan): Promise<ChatOutcome> {
    return this.locked(chat, async (lock) => {
      // Re-read under the lock: another process may have finished it meanwhile.
      const s = await this.getSchedule(chat);
      if (!s) return 'not-due';
      if (!s.enabled) return 'disabled';
      const planned = await this.planLocked(s, now, slot);
      if (!s.pending) return 'not-due';
      const run = await this.getRun(chat, s.pending);
      if (!run || run.state !== 'sending') {
        delete s.pending;
        delete s.sendAt;
        if (run && (!s.lastDate || s.lastDate < run.date)) s.lastDate = run.date;
        await this.saveSchedule(s);
        return 'already-done';
      }
      if (run.sendAt && Date.parse(run.sendAt) > now.getTime()) return planned ? 'planned' : 'not-due';
      const quietEnd = run.results.every((r) => r === null)
        ? await this.quiet.until(run.subjectUserId, now)
        : undefined;
      if (quietEnd) {
        run.sendAt = quietEnd.toISOString();
        await this.runs.saveRun(run);
        s.sendAt = run.sendAt;
        await this.saveSchedule(s);
        this.log.info({ chat: run.chatKey, date: run.date, until: run.sendAt }, 'digest held by quiet hours');
        return 'quiet';
      }
      return await this.runs.deliver(run, s, sender, lock);
    });
  }

  /** Under the chat lock: plans the due date's digest (if any) and writes it with the schedule. */
  private async planLocked(s: DigestSchedule, now: Date, slot?: SlotPlan): Promise<DigestRun | undefined> {
    const date = this.planTarget(s, now);
    if (!date) return undefined;
    const chat = { platform: s.platform, chatId: s.chatId };
    if (s.pending && s.pending !== date) {
      const stale = await this.getRun(chat, s.pending);
      if (stale?.state === 'sending') await this.runs.supersede(stale, chat);
    }
    let run = await this.getRun(chat, date);
    if (!run) run = await this.plan(s, date, now, slot ?? planSlot(1, this.spread));
    s.lastDate = date;
    if (run.state === 'sending') {
      s.pending = date;
      s.sendAt = run.sendAt ?? now.toISOString();
    } else {
      delete s.pending;
      delete s.sendAt;
    }
    await this.saveSchedule(s);
    return run;
  }

  private async locked(chat: DigestChat, fn: (lock: string) => Promise<ChatOutcome>): Promise<ChatOutcome> {
    const lock = `digest:${chatKeyOf(chat)}`;
    if (!(await storeCall(() => this.store.acquireLock(lock, this.owner, this.lockTtlMs)))) return 'locked';
    try {
      return await fn(lock);
    } finally {
      await this.store.releaseLock(lock, this.owner).catch(() => undefined);
    }
  }

  async getRun(chat: { platform: Platform; chatId: string }, date: string): Promise<DigestRun | undefined> {
    return storeCall(() => this.store.get<DigestRun>(NS_DIGEST, runKey({ chatKey: chatKeyOf(chat), date })));
  }

  /** The subject a chat's digest is made for. */
  subjectFor(s: DigestSchedule): Promise<Subject> {
    return this.planner.subjectFor(s);
  }

  /**
   * Makes the plan and writes it before anything is sent. It goes out at the slot plus the chat's stable place
   * in the slot's spread, or when the chat's quiet hours end if that falls inside them.
   */
  async plan(
    s: DigestSchedule,
    date: string,
    now: Date,
    slot: SlotPlan = planSlot(1, this.spread),
  ): Promise<DigestRun> {
    const ck = chatKeyOf(s);
    let sendAt = new Date(
      zonedInstant(date, parseTime(s.time) ?? 0, s.tz).getTime() + chatOffsetMinutes(ck, slot.spreadMinutes) * 60_000,
    );
    const quietEnd = await this.quiet.untilIn(s, sendAt);
    if (quietEnd) sendAt = quietEnd;
    const run = await this.planner.plan(s, date, now, { sendAt, layout: slot.layout });
    await this.runs.saveRun(run);
    this.log.info(
      { chat: run.chatKey, date, items: run.parts.length, sendAt: run.sendAt, layout: run.layout ?? 'cards' },
      'digest planned',
    );
    return run;
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
