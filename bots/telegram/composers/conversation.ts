/**
 * Free text teaches the persona. Privacy: in private chats every message counts; in groups only messages
 * addressed to the bot (a reply to one of its messages, or an @mention) do — even when privacy mode is
 * off and the bot receives everything. Unknown commands get a hint in private chats only.
 */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, langOf, type TgDeps } from '../shared.js';

export function conversationComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.on('message:text', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const text = ctx.msg.text;
    const mention = `@${deps.botUsername}`.toLowerCase();
    if (text.startsWith('/')) {
      const cmd = text.split(/\s+/)[0]!;
      const addressed = chat.kind === 'private' || cmd.toLowerCase().endsWith(mention);
      if (addressed) await ctx.reply(t(await langOf(deps, ctx), 'cmd.unknown', { command: cmd.replace(/@.*/, '') }));
      return;
    }
    let body = text;
    if (chat.kind === 'group') {
      const isReply = ctx.msg.reply_to_message?.from?.id === deps.botId;
      const mentioned = text.toLowerCase().includes(mention);
      if (!isReply && !mentioned) return;
      body = text.replace(new RegExp(mention.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'ig'), '').trim();
      if (!body) return;
    }
    const res = await deps.core.conversation.message(actor, body);
    await ctx.reply(
      res.reply,
      chat.kind === 'group'
        ? { reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true } }
        : {},
    );
  });
  return c;
}
