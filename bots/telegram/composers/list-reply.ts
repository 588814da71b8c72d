/**
 * "👍 2" / "👎 3" as text: feedback on item N of a list. As a reply to a bot list message (a compact list in a
 * group), item N of that message; otherwise (private chats) item N of the last list in the chat. Telegram lets
 * people react with a fixed set of emoji only (no keycap digits), so a reaction on a compact list of several
 * items cannot say which item it is for: the per-item 👍/👎 buttons and this text form can.
 */
import { Composer, type Context } from 'grammy';
import { actorOf, chatOf, type TgDeps } from '../shared.js';

const FORM = /^\s*(-?)\s*(\S+)\s+(\d{1,2})\s*$/u;

export function listReplyComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.on('message:text', async (ctx, next) => {
    const m = FORM.exec(ctx.msg.text);
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    const emoji = m?.[2];
    const feedback = deps.core.feedback;
    if (!m || !actor || !chat || !emoji || !feedback.emojis.signalOf(emoji)) return next();
    const replied = ctx.msg.reply_to_message;
    const toBot = replied?.from?.id === deps.botId;
    if (chat.kind === 'group' && !toBot) return next();
    const position = Number(m[3]);
    const action = m[1] ? ('remove' as const) : ('add' as const);
    const key = `tg:txt:${chat.chatId}:${ctx.msg.message_id}`;
    const res = toBot
      ? await feedback.react(
          actor,
          {
            platform: 'telegram',
            chatId: chat.chatId,
            messageId: String(replied.message_id),
            pickItem: (ids) => (ids.length === 1 ? ids[0] : ids[position - 1]),
          },
          emoji,
          action,
          { idempotencyKey: key, chat },
        )
      : await feedback.reactToListItem(actor, chat.chatId, position, emoji, action, key);
    await ctx.reply(res.message, {
      reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true },
    });
  });
  return c;
}
