/**
 * Quiet hours: a person (for their private chats, on every linked platform) or a group chat sets a local
 * time range — `/quiet 23:00-07:00 [time zone]`, `/quiet off` — during which the bot sends nothing on its own:
 * a digest due inside it waits and goes out once, when it ends. Replies to a person's own commands are not
 * held. The range is kept in the person's (or the group's) document, with its time zone: the one given,
 * else the chat's digest zone, else DIGEST_DEFAULT_TZ.
 *
 * @example
 * await quiet.set(actor, chat, { from: '23:00', to: '07:00' });
 * const until = await quiet.until(subjectUserId, now); // Date while quiet, else undefined
 */
import type { Lang, Platform } from '../domain.js';
import { RecoError } from '../errors.js';
import { t } from '../messages.js';
import type { Actor, UserDoc } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';
import { addDays, formatTime, isTimeZone, localParts, parseTime, zonedInstant } from './time.js';
import type { DigestChat } from './types.js';

export interface QuietHours {
  /** `HH:MM` local, inclusive. */
  from: string;
  /** `HH:MM` local, exclusive (before `from`: the range wraps past midnight). */
  to: string;
  tz: string;
}

/** `23:00-07:00`, `23-7`, `22:30~06:45`, `23:00–07:00`: a range of two different local times. */
export function parseQuietRange(s: string): { from: string; to: string } | undefined {
  const m = /^\s*(\d{1,2}(?:[:.]\d{2})?)\s*[-~–—]\s*(\d{1,2}(?:[:.]\d{2})?)\s*$/.exec(s);
  if (!m) return undefined;
  const norm = (x: string) => parseTime(x.includes(':') || x.includes('.') ? x : `${x}:00`);
  const from = norm(m[1]!);
  const to = norm(m[2]!);
  if (from === undefined || to === undefined || from === to) return undefined;
  return { from: formatTime(from), to: formatTime(to) };
}

/** When the quiet range that `now` falls in ends; undefined when `now` is not in quiet hours. */
export function quietUntil(now: Date, q: QuietHours): Date | undefined {
  const from = parseTime(q.from);
  const to = parseTime(q.to);
  if (from === undefined || to === undefined || from === to) return undefined;
  const { date, minutes } = localParts(now, q.tz);
  const wraps = from > to;
  const inside = wraps ? minutes >= from || minutes < to : minutes >= from && minutes < to;
  if (!inside) return undefined;
  const endDate = wraps && minutes >= from ? addDays(date, 1) : date;
  return zonedInstant(endDate, to, q.tz);
}

/** Where a chat's quiet hours live: the person's document (private chats) or the group's. */
function holder(chat: DigestChat, actor: Actor): Actor {
  return chat.kind === 'group' ? { platform: chat.platform, externalId: `chat:${chat.chatId}` } : actor;
}

export function quietOf(doc: UserDoc | undefined): QuietHours | undefined {
  const q = doc?.ext.quiet as QuietHours | undefined;
  return q && parseTime(q.from) !== undefined && parseTime(q.to) !== undefined && isTimeZone(q.tz) ? q : undefined;
}

export interface QuietHoursServiceOptions {
  users: UserRepository;
  defaultTz: string;
  /** The time zone of a chat's digest, if it has one. */
  chatTz: (chat: { platform: Platform; chatId: string }) => Promise<string | undefined>;
}

export class QuietHoursService {
  constructor(private readonly o: QuietHoursServiceOptions) {}

  /** The quiet hours that apply in `chat` for `actor` (theirs in a private chat, the group's in a group). */
  async get(chat: DigestChat, actor: Actor): Promise<QuietHours | undefined> {
    const h = holder(chat, actor);
    const id = await this.o.users.findUserId(h.platform, h.externalId);
    return quietOf(id ? await this.o.users.get(id) : undefined);
  }

  /**
   * Sets (or with `null` clears) the quiet hours for `chat`. Throws INPUT_INVALID for a bad range or zone.
   * Group chats: the caller checks that the actor is an admin.
   */
  async set(
    chat: DigestChat,
    actor: Actor,
    range: { from: string; to: string; tz?: string } | null,
  ): Promise<QuietHours | undefined> {
    let q: QuietHours | undefined;
    if (range) {
      const parsed = parseQuietRange(`${range.from}-${range.to}`);
      if (!parsed) throw new RecoError('INPUT_INVALID', `bad quiet range ${range.from}-${range.to}`);
      if (range.tz !== undefined && !isTimeZone(range.tz))
        throw new RecoError('INPUT_INVALID', `bad time zone ${range.tz}`, { details: { arg: 'tz' } });
      q = { ...parsed, tz: range.tz ?? (await this.o.chatTz(chat)) ?? this.o.defaultTz };
    }
    const doc = await this.o.users.resolve(holder(chat, actor));
    await this.o.users.update(doc.user.id, (d) => {
      if (q) d.ext.quiet = q;
      else delete d.ext.quiet;
    });
    return q;
  }

  /** While a digest chat (its person, or the group) is in quiet hours at `at`: when they end. Else undefined. */
  async untilIn(chat: DigestChat & { owner?: Actor }, at: Date): Promise<Date | undefined> {
    const h = holder(chat, chat.owner ?? { platform: chat.platform, externalId: chat.chatId });
    const id = await this.o.users.findUserId(h.platform, h.externalId);
    const q = quietOf(id ? await this.o.users.get(id) : undefined);
    return q ? quietUntil(at, q) : undefined;
  }

  /** While the person or group `userId` is in quiet hours at `now`: when they end. Else undefined. */
  async until(userId: string, now: Date): Promise<Date | undefined> {
    const q = quietOf(await this.o.users.get(userId));
    return q ? quietUntil(now, q) : undefined;
  }
}

/** `/quiet` arguments: nothing (show), `off`, or a range with an optional time zone. */
export type QuietCommand =
  { kind: 'show' } | { kind: 'off' } | { kind: 'set'; from: string; to: string; tz?: string } | { kind: 'usage' };

export function parseQuietCommand(args: string): QuietCommand {
  const parts = args.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { kind: 'show' };
  const first = parts[0]!.toLowerCase();
  if (parts.length === 1 && (first === 'off' || first === '끄기')) return { kind: 'off' };
  // "23:00-07:00 Asia/Seoul", also "23:00 - 07:00 Asia/Seoul"
  const zoneAt = parts.findIndex((p) => /[A-Za-z]{2,}\//.test(p) || /^UTC$/i.test(p));
  const rangeText = (zoneAt >= 0 ? parts.slice(0, zoneAt) : parts).join(' ');
  if (zoneAt >= 0 && zoneAt !== parts.length - 1) return { kind: 'usage' };
  const range = parseQuietRange(rangeText);
  if (!range) return { kind: 'usage' };
  return zoneAt >= 0 ? { kind: 'set', ...range, tz: parts[zoneAt]! } : { kind: 'set', ...range };
}

/**
 * `/quiet` for every platform: parses the arguments, checks the caller may change a group's quiet hours
 * (`canChange`, the platform's admin check), applies, and returns the reply in `lang`.
 */
export async function quietCommand(
  service: QuietHoursService,
  chat: DigestChat,
  actor: Actor,
  args: string,
  lang: Lang,
  canChange: () => Promise<boolean> = async () => true,
): Promise<string> {
  const cmd = parseQuietCommand(args);
  if (cmd.kind === 'usage') return t(lang, 'quiet.usage');
  if (cmd.kind === 'show') {
    const q = await service.get(chat, actor);
    return q ? t(lang, 'quiet.statusOn', { ...q }) : t(lang, 'quiet.statusOff');
  }
  if (cmd.kind === 'set' && cmd.tz !== undefined && !isTimeZone(cmd.tz))
    return t(lang, 'digest.badZone', { tz: cmd.tz });
  if (chat.kind === 'group' && !(await canChange())) return t(lang, 'quiet.adminOnly');
  if (cmd.kind === 'off') {
    await service.set(chat, actor, null);
    return t(lang, 'quiet.off');
  }
  const q = await service.set(chat, actor, { from: cmd.from, to: cmd.to, ...(cmd.tz ? { tz: cmd.tz } : {}) });
  return t(lang, 'quiet.on', { ...q! });
}
