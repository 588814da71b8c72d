/**
 * `/recommend [topic] [count]`: a header, then one message per item with 👍/👎 and "More like this"
 * buttons (the core's list-delivery flow through `TelegramListSender`). "More like this" (signed callback
 * data `mr:…`) sends, for the person who pressed it (`callback_query.from`), a list like `/recommend`'s
 * built around that item — which must be one of the items mapped to `callback_query.message`.
 */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import type { DeliveryTarget } from '../../../core/recommend/delivery.js';
import { userMessage } from '../../../core/status/status.js';
import { TelegramListSender } from '../sender.js';
import { actorOf, chatOf, itemRef, langOf, type TgDeps } from '../shared.js';

/** Where a list goes: the chat (and forum topic), as a reply to `replyTo` in groups. */
function targetOf(ctx: Context, chatId: string, replyTo: number | undefined): DeliveryTarget {
  const msg = ctx.msg ?? ctx.callbackQuery?.message;
  const thread = msg && 'is_topic_message' in msg && msg.is_topic_message ? msg.message_thread_id : undefined;
  return {
    platform: 'telegram',
    chatId,
    ...(replyTo ? { replyTo: String(replyTo) } : {}),
    ...(thread ? { threadId: String(thread) } : {}),
  };
}

export function recommendComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  const recommend = deps.core.recommend;

  c.command('recommend', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const words = ctx.match.trim().split(/\s+/).filter(Boolean);
    let count: number | undefined;
    const last = words.at(-1);
    if (last && /^\d{1,2}$/.test(last)) {
      count = Number(last);
      words.pop();
    }
    const topic = words.join(' ');
    const replyTo = chat.kind === 'group' ? ctx.msg?.message_id : undefined;
    await recommend.deliver(
      actor,
      { ...(topic ? { topic } : {}), ...(count ? { count } : {}) },
      targetOf(ctx, chat.chatId, replyTo),
      new TelegramListSender(ctx.api, deps),
    );
  });

  c.callbackQuery(/^mr:/, async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    const msg = ctx.callbackQuery.message;
    const parsed = chat ? deps.signer.parseMore(ctx.callbackQuery.data, chat.chatId) : undefined;
    if (!actor || !chat || !msg || !parsed) {
      deps.logger.warn(
        { chat: chat?.chatId, from: ctx.from?.id },
        'rejected a "More like this" callback with invalid data',
      );
      await ctx.answerCallbackQuery({ text: t(await langOf(deps, ctx), 'tg.badButton'), show_alert: true });
      return;
    }
    const more = await recommend.openMore(
      actor,
      { platform: 'telegram', chatId: chat.chatId, messageId: String(msg.message_id) },
      (ids) => ids.find((id) => itemRef(id) === parsed.ref),
    );
    if (more.status !== 'ok') {
      await ctx.answerCallbackQuery({ text: more.message, show_alert: true });
      return;
    }
    // Stop the button's spinner now; the list follows as new messages (a reply to the item in groups).
    await ctx.answerCallbackQuery();
    const target = targetOf(ctx, chat.chatId, chat.kind === 'group' ? msg.message_id : undefined);
    try {
      await more.deliver(target, new TelegramListSender(ctx.api, deps));
    } catch (e) {
      // The query is answered already, so the error boundary could not tell the user: say it in the chat (topic).
      deps.logger.error({ err: e, chat: chat.chatId }, '"More like this" failed');
      await ctx.api
        .sendMessage(
          chat.chatId,
          userMessage(e, more.lang),
          target.threadId ? { message_thread_id: Number(target.threadId) } : {},
        )
        .catch(() => undefined);
    }
  });
  return c;
}
