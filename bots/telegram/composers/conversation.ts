/**
 * Free text teaches the persona. Privacy: in private chats every message counts; in groups only messages
 * addressed to the bot (a reply to one of its messages, or an @mention) do — even when privacy mode is
 * off and the bot receives everything. Unknown commands get a hint in private chats only.
 *
 * The bot's own @username is never learned: mentions of the bot (the `mention` entities Telegram marks,
 * and the plain text form in any case) are stripped in every chat type before the text reaches the core.
 */
import { Composer, type Context } from 'grammy';
import type { MessageEntity } from 'grammy/types';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, langOf, type TgDeps } from '../shared.js';

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `text` without mentions of the bot: the entities Telegram marked (`mention` of `@botUsername`,
 * `text_mention` of the bot's id; offsets are UTF-16, as JavaScript strings), then any plain
 * `@botUsername` left (case-insensitive, not part of a longer name).
 */
export function withoutSelfMentions(
  text: string,
  entities: readonly MessageEntity[] | undefined,
  bot: { id: number; username: string },
): { text: string; mentioned: boolean } {
  const handle = `@${bot.username}`.toLowerCase();
  let mentioned = false;
  let out = text;
  const own = (entities ?? [])
    .filter(
      (e) =>
        (e.type === 'mention' && text.slice(e.offset, e.offset + e.length).toLowerCase() === handle) ||
        (e.type === 'text_mention' && e.user.id === bot.id),
    )
    .sort((a, b) => b.offset - a.offset);
  for (const e of own) {
    mentioned = true;
    out = `${out.slice(0, e.offset)} ${out.slice(e.offset + e.length)}`;
  }
  const plain = new RegExp(`${escapeRe(handle)}(?![A-Za-z0-9_])`, 'gi');
  if (plain.test(out)) {
    mentioned = true;
    out = out.replace(plain, ' ');
  }
  return { text: out.replace(/\s+/g, ' ').trim(), mentioned };
}

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
    const { text: body, mentioned } = withoutSelfMentions(text, ctx.msg.entities, {
      id: deps.botId,
      username: deps.botUsername,
    });
    if (chat.kind === 'group') {
      const isReply = ctx.msg.reply_to_message?.from?.id === deps.botId;
      if ((!isReply && !mentioned) || !body) return;
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
