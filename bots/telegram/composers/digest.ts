/**
 * `/digest` — `on`, `off`, `HH:MM [time zone]`, or nothing (show the schedule); `topic` (sent in a forum
 * topic) routes the chat's digests to that topic, `topic off` back to the main chat. In groups only admins
 * may change it. A chat that blocks or removes the bot (`my_chat_member`: kicked/left) is unsubscribed.
 */
import { Composer, type Context } from 'grammy';
import { isTimeZone, parseTime } from '../../../core/digest/time.js';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, langOf, type TgDeps } from '../shared.js';

/** In groups only admins change the digest; in a private chat the person does. */
async function isAdmin(ctx: Context, kind: 'private' | 'group', userId: string): Promise<boolean> {
  if (kind !== 'group') return true;
  const member = await ctx.getChatMember(Number(userId));
  return member.status === 'creator' || member.status === 'administrator';
}

export function digestComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  const cfg = deps.app.config;

  c.command('digest', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const lang = await langOf(deps, ctx);
    const args = ctx.match.trim().split(/\s+/).filter(Boolean);
    if (args.length === 0) {
      const s = await deps.digest.getSchedule(chat);
      if (s?.enabled)
        await ctx.reply(t(lang, 'digest.statusOn', { time: s.time, tz: s.tz, next: deps.digest.nextSlot(s) }));
      else
        await ctx.reply(
          t(lang, 'digest.statusOff', { time: s?.time ?? cfg.DIGEST_DEFAULT_TIME, tz: s?.tz ?? cfg.DIGEST_DEFAULT_TZ }),
        );
      return;
    }
    const [first, tz, ...rest] = args as [string, string | undefined, ...string[]];
    const verb = first.toLowerCase();
    if (verb === 'topic' || verb === '토픽') {
      if (!(await isAdmin(ctx, chat.kind, actor.externalId))) {
        await ctx.reply(t(lang, 'digest.adminOnly'));
        return;
      }
      const off = /^(off|끄기)$/i.test(tz ?? '');
      const msg = ctx.msg;
      const thread = msg && msg.is_topic_message ? msg.message_thread_id : undefined;
      if (!off && !thread) {
        await ctx.reply(t(lang, 'digest.topicNotForum'));
        return;
      }
      await deps.routes?.set('telegram', chat.chatId, { digestThreadId: off ? undefined : String(thread) });
      await ctx.reply(t(lang, off ? 'digest.topicOff' : 'digest.topicSet'));
      return;
    }
    let change: { enabled?: boolean; time?: string; tz?: string };
    if (rest.length > 0) change = {};
    else if (verb === 'on' || verb === '켜기') change = { enabled: true, ...(tz ? { tz } : {}) };
    else if (verb === 'off' || verb === '끄기') change = { enabled: false };
    else if (parseTime(first) !== undefined) change = { enabled: true, time: first, ...(tz ? { tz } : {}) };
    else change = {};
    if (change.enabled === undefined) {
      await ctx.reply(t(lang, 'digest.usage'));
      return;
    }
    if (change.tz !== undefined && !isTimeZone(change.tz)) {
      await ctx.reply(t(lang, 'digest.badZone', { tz: change.tz }));
      return;
    }
    if (!(await isAdmin(ctx, chat.kind, actor.externalId))) {
      await ctx.reply(t(lang, 'digest.adminOnly'));
      return;
    }
    const { schedule, next } = await deps.digest.setSchedule(chat, change, actor, lang);
    await ctx.reply(
      schedule.enabled
        ? t(lang, 'digest.on', { time: schedule.time, tz: schedule.tz, next: next ?? '' })
        : t(lang, 'digest.off'),
    );
  });

  c.on('my_chat_member', async (ctx) => {
    const chat = chatOf(ctx);
    const status = ctx.myChatMember.new_chat_member.status;
    if (!chat || (status !== 'kicked' && status !== 'left')) return;
    const s = await deps.digest.getSchedule(chat);
    if (!s?.enabled) return;
    const actor = actorOf(ctx) ?? { platform: 'telegram' as const, externalId: chat.chatId };
    await deps.digest.setSchedule(chat, { enabled: false }, actor, s.lang);
    deps.logger.info({ chat: chat.chatId, status }, 'removed from a chat: digest unsubscribed');
  });
  return c;
}
