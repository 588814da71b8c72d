/**
 * Daily digests, platform-free: the per-chat schedule, the planner, and the exactly-once delivery
 * state machine. Platform adapters supply a `DigestSender` and call `tick` every minute.
 *
 * Exactly once per chat per local date:
 * 1. Due: a chat is due when it is enabled, its local time (IANA zone) is at or past its slot, and the local
 *    date is AFTER `lastDate` (the last local date planned or deliberately skipped). `lastDate` only moves
 *    forward, so a clock jump backwards (even across midnight) never plans a second digest, and a process
 *    that was down at the slot delivers late the same local day.
 * 2. Lock: each chat runs under a store lock with expiry (`digest:<chat>`; atomic in SQLite and Redis), so
 *    two processes sharing a store never both work on one chat. The lock is renewed before every send; a
 *    process that lost it stops.
 * 3. Plan once: the plan (item ids per section, explanation lines, intro) is written to the store as a run
 *    record keyed by chat + local date BEFORE anything is sent, with `lastDate` moved to that date.
 * 4. Record as it goes: before each send the part index is written as `inflight`; after it, the message id.
 *    A resumed run skips recorded parts. A part left `inflight` by a crash or an ambiguous network error is
 *    NOT sent again (it may have arrived): at most once per message, never a repeat. A definite refusal
 *    (the API answered with an error) clears `inflight` and is retried on the next tick (at most 5 times).
 *    A 403 (the user blocked the bot) unsubscribes the chat and cancels the run.
 *
 * Groups: the digest blends the personas of the members who gave feedback (buttons or reactions) in that
 * group (`noteMember`), see `blendSubject`.
 */
import { randomUUID } from 'node:crypto';
import type { ContentItem, Evidence, FeedbackState, Impression, Interest, Lang, Persona, Platform } from './domain.js';
import { RecoError } from './errors.js';
import { categoryName, t } from './messages.js';
import type { Clock, KeyValueStore, Logger } from './ports.js';
import { silentLogger, systemClock } from './ports.js';
import type { Ranked } from './recommend.js';
import type { DeepReco, Subject } from './service.js';
import { NS_IMPRESSIONS, emptyPersona, identityKey, type Actor, type UserDoc } from './users.js';

export const NS_DIGEST = 'digest';
/** How often a definitely refused part is retried before it is given up. */
export const MAX_PART_FAILURES = 5;
const MAX_MEMBERS = 200;

export interface DigestChat {
  platform: Platform;
  chatId: string;
  kind: 'private' | 'group';
}

export interface DigestSchedule extends DigestChat {
  enabled: boolean;
  /** `HH:MM`, local time. */
  time: string;
  /** IANA time zone. */
  tz: string;
  lang: Lang;
  /** Private chats: the person the digest is for. */
  owner?: Actor;
  /** The last local date (YYYY-MM-DD) planned or deliberately skipped. Only moves forward. */
  lastDate?: string;
  /** A local date whose run is planned but not finished (resume it). */
  pending?: string;
  disabledReason?: 'user' | 'blocked';
  updatedAt: string;
}

export type DigestPart =
  | { kind: 'intro'; text: string }
  | { kind: 'item'; itemId: string; position: number; explanation: string; header?: string };

export type PartResult =
  { status: 'sent'; messageId: string } | { status: 'unknown' } | { status: 'failed'; error: string };

export interface DigestRun {
  chatKey: string;
  date: string;
  state: 'sending' | 'done' | 'cancelled';
  lang: Lang;
  subjectUserId: string;
  impressionId: string;
  impressionRecorded: boolean;
  parts: DigestPart[];
  results: (PartResult | null)[];
  inflight?: number;
  failures: number;
  plannedAt: string;
  completedAt?: string;
  /** Which process planned it (diagnostics). */
  plannedBy: string;
}

/** What a sender throws so the state machine knows whether the message may have arrived. */
export class DeliveryError extends Error {
  constructor(
    /** blocked: the chat refuses the bot (unsubscribe). rejected: definitely not delivered (retry later). ambiguous: may have arrived. */
    readonly kind: 'blocked' | 'rejected' | 'ambiguous',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

export interface DigestSender {
  readonly platform: Platform;
  /** Sends one part; resolves with the platform message id once it is sent. Throws `DeliveryError`. */
  send(
    schedule: DigestSchedule,
    part: DigestPart,
    ctx: { item?: ContentItem; lang: Lang },
  ): Promise<{ messageId: string }>;
}

export type ChatOutcome =
  'delivered' | 'already-done' | 'not-due' | 'locked' | 'lost-lock' | 'retry-later' | 'blocked' | 'disabled' | 'empty';

export interface TickReport {
  at: string;
  due: number;
  outcomes: Record<string, ChatOutcome>;
}

export interface DigestServiceOptions {
  reco: DeepReco;
  store: KeyValueStore;
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
  /**
   * Rewords the template intro line from the picked items' evidence (the LLM layer's `introLine`); must
   * return the template itself when it cannot do better. Absent: the template is used.
   */
  introWriter?: (input: { userId: string; lang: Lang; template: string; evidence: Evidence[] }) => Promise<string>;
}

export function chatKeyOf(c: { platform: Platform; chatId: string }): string {
  return `${c.platform}:${c.chatId}`;
}

// ------------------------------------------------------------------ time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The local date (YYYY-MM-DD) and minutes since local midnight of `now` in `tz`. */
export function localParts(now: Date, tz: string): { date: string; minutes: number } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(now)) p[part.type] = part.value;
  return { date: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute) };
}

export function parseTime(s: string): number | undefined {
  const m = /^([01]?\d|2[0-3])[:.]([0-5]\d)$/.exec(s.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

export function formatTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

// ------------------------------------------------------------------ group blending

/**
 * The scoring subject of a group digest. Rule: the members who gave feedback in the group are blended
 * with equal weight — persona vectors averaged (same encoder) and re-normalised; interest weights
 * averaged over members; a dislike of ANY member is kept (nobody gets what they said they hate);
 * category preferences averaged; feedback unioned (latest reaction wins per item; reacted items are
 * excluded as for one user). "Shown" and the exploration level are the group's own (what was shown in
 * that chat). With no such members, the group's own (empty) persona is used: fresh and popular items.
 */
export function blendSubject(
  group: UserDoc,
  members: readonly UserDoc[],
  platform: Platform,
  lang: Lang,
  encoderId: string,
): Subject {
  const base: Subject = {
    userId: group.user.id,
    lang,
    platform,
    persona: group.persona,
    feedback: group.feedback,
    shown: group.shown,
    explore: group.user.explore,
  };
  if (members.length === 0) return base;
  const n = members.length;
  const persona: Persona = emptyPersona(group.user.id, group.persona.updatedAt);
  const vecs = members.map((m) => m.persona).filter((p) => p.vector && p.encoderId === encoderId);
  const dim = vecs[0]?.vector?.length ?? 0;
  if (dim > 0) {
    const v = new Float64Array(dim);
    let used = 0;
    for (const p of vecs) {
      if (p.vector!.length !== dim) continue;
      for (let i = 0; i < dim; i++) v[i]! += p.vector![i]!;
      used++;
    }
    const norm = Math.hypot(...v) || 1;
    if (used > 0) {
      persona.vector = Array.from(v, (x) => x / norm);
      persona.encoderId = encoderId;
    }
  }
  const interests = new Map<string, Interest>();
  const dislikes = new Map<string, Interest>();
  const cats = new Map<string, number>();
  const feedback: Record<string, FeedbackState> = {};
  for (const m of members) {
    for (const i of m.persona.interests) {
      const prev = interests.get(i.term);
      interests.set(i.term, { ...(prev ?? i), weight: (prev?.weight ?? 0) + i.weight / n });
    }
    for (const d of m.persona.dislikes) {
      const prev = dislikes.get(d.term);
      dislikes.set(d.term, prev && prev.weight >= d.weight ? prev : d);
    }
    for (const [c, v] of Object.entries(m.persona.categories)) cats.set(c, (cats.get(c) ?? 0) + (v ?? 0) / n);
    for (const [id, f] of Object.entries(m.feedback)) if (!feedback[id] || f.at > feedback[id]!.at) feedback[id] = f;
  }
  for (const term of dislikes.keys()) interests.delete(term);
  persona.interests = [...interests.values()].sort((a, b) => b.weight - a.weight).slice(0, 40);
  persona.dislikes = [...dislikes.values()];
  persona.categories = Object.fromEntries(cats) as Persona['categories'];
  return { ...base, persona, feedback };
}

// ------------------------------------------------------------------ the service

export class DigestService {
  readonly owner: string;
  private readonly o: DigestServiceOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly lockTtlMs: number;

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
    options.reco.onForget((userId, doc) => this.forgetUser(doc));
  }

  private get store(): KeyValueStore {
    return this.o.store;
  }

  private wrap<T>(fn: () => Promise<T>): Promise<T> {
    return this.o.reco.users.wrapStore(fn);
  }

  async getSchedule(chat: { platform: Platform; chatId: string }): Promise<DigestSchedule | undefined> {
    return this.wrap(() => this.store.get<DigestSchedule>(NS_DIGEST, `sched:${chatKeyOf(chat)}`));
  }

  private async saveSchedule(s: DigestSchedule): Promise<void> {
    await this.wrap(() => this.store.set(NS_DIGEST, `sched:${chatKeyOf(s)}`, s));
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
    const key = `sched-edit:${chatKeyOf(chat)}`;
    const lockOwner = randomUUID();
    await this.acquireWithWait(key, lockOwner);
    try {
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
      const doc = await this.o.reco.resolve(actor);
      await this.o.reco.users.update(doc.user.id, (d) => {
        const ext = digestExt(d);
        if (chat.kind === 'private' && !ext.chats.includes(chatKeyOf(chat))) ext.chats.push(chatKeyOf(chat));
      });
      return s.enabled ? { schedule: s, next: this.nextSlot(s, now) } : { schedule: s };
    } finally {
      await this.store.releaseLock(key, lockOwner).catch(() => undefined);
    }
  }

  /** `YYYY-MM-DD HH:MM` (local) of the next digest. */
  nextSlot(s: DigestSchedule, now = this.clock.now()): string {
    const local = localParts(now, s.tz);
    const slot = parseTime(s.time)!;
    let date = local.minutes < slot ? local.date : addDays(local.date, 1);
    if (s.lastDate && date <= s.lastDate) date = addDays(s.lastDate, 1);
    return `${date} ${s.time}`;
  }

  /** Remembers that a person gave feedback in a group (their persona joins the group digest). */
  async noteMember(chat: DigestChat, actor: Actor): Promise<void> {
    if (chat.kind !== 'group') return;
    const ck = chatKeyOf(chat);
    const key = `members:${ck}`;
    const idn = identityKey(actor.platform, actor.externalId);
    const members = (await this.wrap(() => this.store.get<Record<string, string>>(NS_DIGEST, key))) ?? {};
    const known = idn in members;
    members[idn] = this.clock.now().toISOString();
    const entries = Object.entries(members)
      .sort((a, b) => b[1].localeCompare(a[1]))
      .slice(0, MAX_MEMBERS);
    await this.wrap(() => this.store.set(NS_DIGEST, key, Object.fromEntries(entries)));
    if (!known) {
      const doc = await this.o.reco.resolve(actor);
      await this.o.reco.users.update(doc.user.id, (d) => {
        const ext = digestExt(d);
        if (!ext.groups.includes(ck)) ext.groups.push(ck);
      });
    }
  }

  async members(chat: { platform: Platform; chatId: string }): Promise<string[]> {
    const m = await this.wrap(() => this.store.get<Record<string, string>>(NS_DIGEST, `members:${chatKeyOf(chat)}`));
    return Object.keys(m ?? {});
  }

  async schedules(platform?: Platform): Promise<DigestSchedule[]> {
    const keys: string[] = [];
    for await (const k of this.store.keys(NS_DIGEST, platform ? `sched:${platform}:` : 'sched:')) keys.push(k);
    const out: DigestSchedule[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      const docs = await this.wrap(() => this.store.getMany<DigestSchedule>(NS_DIGEST, keys.slice(i, i + 100)));
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
    if (!(await this.wrap(() => this.store.acquireLock(lock, this.owner, this.lockTtlMs)))) return 'locked';
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
      return await this.deliver(run, s, sender, lock);
    } finally {
      await this.store.releaseLock(lock, this.owner).catch(() => undefined);
    }
  }

  async getRun(chat: { platform: Platform; chatId: string }, date: string): Promise<DigestRun | undefined> {
    return this.wrap(() => this.store.get<DigestRun>(NS_DIGEST, `run:${chatKeyOf(chat)}:${date}`));
  }

  private async saveRun(run: DigestRun): Promise<void> {
    await this.wrap(() => this.store.set(NS_DIGEST, `run:${run.chatKey}:${run.date}`, run));
  }

  /** The subject a chat's digest is made for. */
  async subjectFor(s: DigestSchedule): Promise<Subject> {
    const reco = this.o.reco;
    if (s.kind === 'private') {
      const owner = s.owner ?? { platform: s.platform, externalId: s.chatId };
      const doc = await reco.resolve(owner);
      return { ...reco.subjectOf(doc, s.platform), lang: doc.user.lang };
    }
    const group = await reco.resolve({ platform: s.platform, externalId: `chat:${s.chatId}` });
    const members: UserDoc[] = [];
    for (const idn of await this.members(s)) {
      const sep = idn.indexOf(':');
      const userId = await reco.users.findUserId(idn.slice(0, sep) as Platform, idn.slice(sep + 1));
      const doc = userId ? await reco.users.get(userId) : undefined;
      if (doc && !members.some((m) => m.user.id === doc.user.id)) members.push(doc);
    }
    return blendSubject(group, members, s.platform, s.lang, reco.catalog.textEncoder.id);
  }

  /** Makes the plan and writes it (with the impression) before anything is sent. */
  async plan(s: DigestSchedule, date: string, now: Date): Promise<DigestRun> {
    const reco = this.o.reco;
    const subject = await this.subjectFor(s);
    const lang = subject.lang;
    const sections = reco.catalog.size > 0 ? await this.pick(subject) : [];
    const picked = sections.flatMap((sec) => sec.items);
    const lines = picked.length
      ? await reco.explain(
          subject.userId,
          lang,
          picked.map((r) => r.evidence),
        )
      : [];
    const parts: DigestPart[] = [];
    if (picked.length > 0) {
      const template = t(lang, s.kind === 'group' ? 'digest.introGroup' : 'digest.intro', {
        date,
        count: picked.length,
      });
      let intro = template;
      if (this.o.introWriter) {
        try {
          intro =
            (await this.o.introWriter({
              userId: subject.userId,
              lang,
              template,
              evidence: picked.map((r) => r.evidence),
            })) || template;
        } catch (e) {
          this.o.logger?.warn({ err: e }, 'digest intro rewording failed; template used');
        }
      }
      parts.push({ kind: 'intro', text: intro });
      let k = 0;
      for (const sec of sections) {
        sec.items.forEach((r, j) => {
          const part: DigestPart = {
            kind: 'item',
            itemId: r.evidence.itemId,
            position: k + 1,
            explanation: lines[k] ?? '',
          };
          if (j === 0) part.header = sec.header;
          parts.push(part);
          k++;
        });
      }
    }
    const run: DigestRun = {
      chatKey: chatKeyOf(s),
      date,
      state: parts.length ? 'sending' : 'done',
      lang,
      subjectUserId: subject.userId,
      impressionId: `imp_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      impressionRecorded: false,
      parts,
      results: parts.map(() => null),
      failures: 0,
      plannedAt: now.toISOString(),
      plannedBy: this.owner,
      ...(parts.length ? {} : { completedAt: now.toISOString() }),
    };
    await this.saveRun(run);
    this.log.info({ chat: run.chatKey, date, items: picked.length }, 'digest planned');
    return run;
  }

  /** Picks the sections: because you liked …, new in your categories, something different. */
  private async pick(subject: Subject): Promise<{ key: string; header: string; items: Ranked[] }[]> {
    const reco = this.o.reco;
    const lang = subject.lang;
    const size = this.o.size;
    const index = reco.catalog.index;
    const exclude = new Set(Object.keys(subject.shown));
    const chosen: Ranked[] = [];
    const take = (list: Ranked[], n: number, ok: (r: Ranked) => boolean = () => true): Ranked[] => {
      const out: Ranked[] = [];
      for (const r of list) {
        if (out.length >= n) break;
        if (exclude.has(r.evidence.itemId) || !ok(r)) continue;
        out.push(r);
        exclude.add(r.evidence.itemId);
        chosen.push(r);
      }
      return out;
    };
    const likes = Object.values(subject.feedback).filter((f) => f.signal === 'like');
    const nDiff = size >= 3 ? Math.max(1, Math.round(size / 6)) : 0;
    const nLiked = likes.length > 0 ? Math.min(size - nDiff, Math.ceil(size / 3)) : 0;
    const sections: { key: string; header: string; items: Ranked[] }[] = [];

    if (nLiked > 0) {
      const { ranked } = await reco.rankFor(subject, { count: Math.min(reco.settings.maxCount, nLiked * 3), exclude });
      // The scorer lists liked items in the evidence only where the resemblance is real (see rankItems).
      const items = take(ranked, nLiked, (r) => r.evidence.likedSimilar.length > 0);
      if (items.length > 0) {
        const counts = new Map<string, number>();
        for (const r of items)
          counts.set(r.evidence.likedSimilar[0]!.title, (counts.get(r.evidence.likedSimilar[0]!.title) ?? 0) + 1);
        const title = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
        sections.push({ key: 'liked', header: t(lang, 'digest.section.liked', { title: shorten(title) }), items });
      }
    }

    const nCat = size - nDiff - chosen.length;
    const cats = (Object.entries(subject.persona.categories) as [Evidence['category'], number][])
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([c]) => c);
    if (nCat > 0) {
      const pool: Ranked[] = [];
      for (const c of cats) pool.push(...(await reco.rankFor(subject, { count: nCat, category: c, exclude })).ranked);
      pool.sort((a, b) => b.score - a.score);
      const items = take(pool, nCat);
      if (items.length < nCat)
        items.push(
          ...take(
            (await reco.rankFor(subject, { count: Math.min(reco.settings.maxCount, nCat * 2), exclude })).ranked,
            nCat - items.length,
          ),
        );
      if (items.length > 0) {
        const header = cats.length
          ? t(lang, 'digest.section.categories', { list: cats.map((c) => categoryName(c, lang)).join(', ') })
          : t(lang, 'digest.section.new');
        sections.push({ key: 'categories', header, items });
      }
    }

    const nRest = size - chosen.length;
    if (nRest > 0) {
      const usedCats = new Set<string>([...cats, ...chosen.map((r) => r.evidence.category)]);
      const { ranked } = await reco.rankFor({ ...subject, explore: 3 }, { count: reco.settings.maxCount, exclude });
      let items = take(ranked, nRest, (r) => !usedCats.has(r.evidence.category));
      if (items.length < nRest) items = items.concat(take(ranked, nRest - items.length));
      if (items.length > 0) sections.push({ key: 'different', header: t(lang, 'digest.section.different'), items });
    }
    void index;
    return sections;
  }

  private async deliver(run: DigestRun, s: DigestSchedule, sender: DigestSender, lock: string): Promise<ChatOutcome> {
    const reco = this.o.reco;
    const where = { platform: s.platform, chatId: s.chatId };
    if (run.parts.length === 0) {
      await this.finish(run, s);
      return 'empty';
    }
    if (!run.impressionRecorded) {
      const exists = await this.wrap(() => this.store.get<Impression>(NS_IMPRESSIONS, run.impressionId));
      if (!exists) {
        const itemIds = run.parts.flatMap((p) => (p.kind === 'item' ? [p.itemId] : []));
        await reco.recordImpression(run.subjectUserId, {
          id: run.impressionId,
          userId: run.subjectUserId,
          platform: s.platform,
          chatId: s.chatId,
          messageIds: [],
          itemIds,
          kind: 'digest',
          at: run.plannedAt,
        });
      }
      run.impressionRecorded = true;
      await this.saveRun(run);
    }
    const index = reco.catalog.size > 0 ? reco.catalog.index : undefined;
    for (let i = 0; i < run.parts.length; i++) {
      if (run.results[i]) continue;
      if (run.inflight === i) {
        // A crash or an ambiguous error while this part was being sent: it may have arrived. Never repeat.
        run.results[i] = { status: 'unknown' };
        delete run.inflight;
        await this.saveRun(run);
        this.log.warn(
          { chat: run.chatKey, date: run.date, part: i },
          'digest part state unknown after a crash; not sent again',
        );
        continue;
      }
      // Fencing: renew the lock; if another process took it over (ours expired), stop here.
      if (!(await this.wrap(() => this.store.acquireLock(lock, this.owner, this.lockTtlMs)))) return 'lost-lock';
      const part = run.parts[i]!;
      let item: ContentItem | undefined;
      if (part.kind === 'item') {
        const row = index?.rowOf.get(part.itemId);
        item = row === undefined ? undefined : index!.items[row];
        if (!item) {
          run.results[i] = { status: 'failed', error: 'item no longer in the catalog' };
          await this.saveRun(run);
          continue;
        }
      }
      run.inflight = i;
      await this.saveRun(run);
      let messageId: string;
      try {
        ({ messageId } = await sender.send(s, part, { lang: run.lang, ...(item ? { item } : {}) }));
      } catch (e) {
        const kind = e instanceof DeliveryError ? e.kind : 'ambiguous';
        if (kind === 'blocked') {
          delete run.inflight;
          run.state = 'cancelled';
          run.completedAt = this.clock.now().toISOString();
          await this.saveRun(run);
          const fresh = (await this.getSchedule(s)) ?? s;
          fresh.enabled = false;
          fresh.disabledReason = 'blocked';
          delete fresh.pending;
          fresh.updatedAt = this.clock.now().toISOString();
          await this.saveSchedule(fresh);
          this.log.info({ chat: run.chatKey }, 'the chat blocked the bot: digest unsubscribed');
          return 'blocked';
        }
        if (kind === 'rejected') {
          delete run.inflight;
          run.failures++;
          if (run.failures >= MAX_PART_FAILURES) {
            run.results[i] = { status: 'failed', error: (e as Error).message };
            run.failures = 0;
            await this.saveRun(run);
            continue;
          }
          await this.saveRun(run);
          this.log.warn({ err: e, chat: run.chatKey, part: i }, 'digest part refused; retried on the next tick');
          return 'retry-later';
        }
        // ambiguous: leave `inflight` as written, so the part is never sent twice.
        this.log.warn(
          { err: e, chat: run.chatKey, part: i },
          'digest part may or may not have arrived; it will not be repeated',
        );
        return 'retry-later';
      }
      if (part.kind === 'item') {
        await reco
          .attachMessages(run.impressionId, where, [{ messageId, itemIds: [part.itemId] }])
          .catch((e: unknown) => this.log.warn({ err: e }, 'could not map a digest message to its item'));
      }
      run.results[i] = { status: 'sent', messageId };
      delete run.inflight;
      run.failures = 0;
      await this.saveRun(run);
    }
    await this.finish(run, s);
    return 'delivered';
  }

  private async finish(run: DigestRun, s: DigestSchedule): Promise<void> {
    run.state = 'done';
    run.completedAt ??= this.clock.now().toISOString();
    await this.saveRun(run);
    const fresh = (await this.getSchedule(s)) ?? s;
    if (fresh.pending === run.date) delete fresh.pending;
    if (!fresh.lastDate || fresh.lastDate < run.date) fresh.lastDate = run.date;
    await this.saveSchedule(fresh);
    this.log.info(
      { chat: run.chatKey, date: run.date, sent: run.results.filter((r) => r?.status === 'sent').length },
      'digest delivered',
    );
  }

  /** `/forget`: drops the person's private schedules, their runs, and their group memberships. */
  private async forgetUser(doc: UserDoc): Promise<void> {
    const ext = doc.ext.digest as DigestExt | undefined;
    const idns = doc.user.identities.map((i) => identityKey(i.platform, i.externalId));
    for (const ck of ext?.chats ?? []) {
      await this.wrap(() => this.store.delete(NS_DIGEST, `sched:${ck}`));
      const runs: string[] = [];
      for await (const k of this.store.keys(NS_DIGEST, `run:${ck}:`)) runs.push(k);
      for (const k of runs) await this.wrap(() => this.store.delete(NS_DIGEST, k));
    }
    for (const ck of ext?.groups ?? []) {
      const key = `members:${ck}`;
      const m = await this.wrap(() => this.store.get<Record<string, string>>(NS_DIGEST, key));
      if (!m) continue;
      for (const i of idns) delete m[i];
      await this.wrap(() => this.store.set(NS_DIGEST, key, m));
    }
  }

  private async acquireWithWait(name: string, owner: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (await this.wrap(() => this.store.acquireLock(name, owner, 10_000))) return;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 20));
    }
    throw new RecoError('STORE_UNAVAILABLE', `could not take the lock ${name}`);
  }
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

function shorten(title: string, max = 48): string {
  const chars = Array.from(title);
  return chars.length <= max ? title : `${chars.slice(0, max - 1).join('')}…`;
}
