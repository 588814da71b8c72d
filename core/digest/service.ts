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
import type { MuteFilter } from '../filters/filters.js';
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
import { addDays, formatTime, isTimeZone, localParts, parseTime } from './time.js';
import {
  chatKeyOf,
  type ChatOutcome,
  type DigestChat,
  type DigestRun,
  type DigestSchedule,
  type DigestSender,
  type TickReport,
} from './types.js';

const MAX_MEMBERS = 200;

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
  /** A chat's own hard filters (core/filters), applied to its digest on top of the subject's. */
  chatFilters?: (chat: { platform: Platform; chatId: string }) => Promise<readonly MuteFilter[]>;
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
      ...(options.chatFilters ? { chatFilters: options.chatFilters } : {}),
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

  /** Whether a schedule is due at `now`, and for which local date. */
  isDue(s: DigestSchedule, now: Date): { due: boolean; date: string } {
    const local = localParts(now, s.tz);
    if (!s.enabled) return { due: false, date: local.date };
    if (s.pending === local.date) return { due: true, date: local.date };
    const slot = parseTime(s.time) ?? 0;
    return { due: local.minutes >= slot && (!s.lastDate || local.date > s.lastDate), date: local.date };
  }

  /** Chats due at `now`: enabled, past their slot, and no digest planned yet for their local date (or one to resume). */
  async due(now = this.clock.now(), platform?: Platform): Promise<DigestSchedule[]> {
    return (await this.schedules(platform)).filter((s) => this.isDue(s, now).due);
  }

  /** Runs every due chat of the sender's platform, one after another. */
  async tick(sender: DigestSender, now = this.clock.now()): Promise<TickReport> {
    const due = await this.due(now, sender.platform);
    const outcomes: Record<string, ChatOutcome> = {};
    for (const s of due) {
      try {
        outcomes[chatKeyOf(s)] = await this.runChat(s, sender, now);
      } catch (e) {
        this.log.error({ err: e, chat: chatKeyOf(s) }, 'digest run failed; retried on the next tick');
        outcomes[chatKeyOf(s)] = 'retry-later';
      }
    }
    return { at: now.toISOString(), due: due.length, outcomes };
  }

  /** Plans (once) and delivers (the rest of) one chat's digest for today, under the chat's lock. */
  async runChat(chat: DigestChat, sender: DigestSender, now = this.clock.now()): Promise<ChatOutcome> {
    const lock = `digest:${chatKeyOf(chat)}`;
    if (!(await storeCall(() => this.store.acquireLock(lock, this.owner, this.lockTtlMs)))) return 'locked';
    try {
      // Re-read under the lock: another process may have finished it meanwhile.
      const s = await this.getSchedule(chat);
      if (!s) return 'not-due';
      const { due, date } = this.isDue(s, now);
      if (!due) return s.enabled ? 'not-due' : 'disabled';
      let run = await this.getRun(chat, date);
      if (run && run.state !== 'sending') {
        delete s.pending;
        if (!s.lastDate || s.lastDate < date) s.lastDate = date;
        await this.saveSchedule(s);
        return 'already-done';
      }
      if (!run) {
        run = await this.plan(s, date, now);
        s.lastDate = date;
        s.pending = date;
        await this.saveSchedule(s);
      }
      return await this.runs.deliver(run, s, sender, lock);
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

  /** Makes the plan and writes it before anything is sent. */
  async plan(s: DigestSchedule, date: string, now: Date): Promise<DigestRun> {
    const run = await this.planner.plan(s, date, now);
    await this.runs.saveRun(run);
    this.log.info({ chat: run.chatKey, date, items: run.parts.length }, 'digest planned');
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
