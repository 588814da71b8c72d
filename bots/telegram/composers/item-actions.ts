/**
 * The item actions beside 👍/👎 and "More like this" (signed callback data `ia:<w|s>:<item ref>:<sig>`):
 * "Why?" answers with the evidence behind the pick (as a reply to the item, for the person who pressed), and
 * "Mute source" adds a hard filter for the person who pressed. The item must be one the message carries;
 * the acting person is always `callback_query.from`; every callback is answered.
 */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, itemRef, langOf, type TgDeps } from '../shared.js';

/** answerCallbackQuery's text limit. */
const MAX_ANSWER = 200;

export function itemActionsComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.callbackQuery(/^ia:/, async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    const msg = ctx.callbackQuery.message;
    const parsed = chat ? deps.signer.parseAction(ctx.callbackQuery.data, chat.chatId) : undefined;
    if (!actor || !chat || !msg || !parsed) {
      deps.logger.warn(
        { chat: chat?.chatId, from: ctx.from?.id },
        'rejected an item action callback with invalid data',
      );
      await ctx.answerCallbackQuery({ text: t(await langOf(deps, ctx), 'tg.badButton'), show_alert: true });
      return;
    }
    const message = { platform: 'telegram' as const, chatId: chat.chatId, messageId: String(msg.message_id) };
    const pick = (ids: readonly string[]) => ids.find((id) => itemRef(id) === parsed.ref);
    if (parsed.action === 's') {
      const res = await deps.core.controls.muteSourceOf(actor, message, pick);
      await ctx.answerCallbackQuery({ text: res.message.slice(0, MAX_ANSWER), show_alert: res.status !== 'added' });
      return;
    }
    const res = await deps.core.why.why(actor, message, pick);
    if (res.status !== 'ok') {
      await ctx.answerCallbackQuery({ text: res.message.slice(0, MAX_ANSWER), show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await ctx.api.sendMessage(chat.chatId, res.text, {
      reply_parameters: { message_id: msg.message_id, allow_sending_without_reply: true },
      ...('message_thread_id' in msg && msg.is_topic_message && msg.message_thread_id
        ? { message_thread_id: msg.message_thread_id }
        : {}),
    });
  });
  return c;
}
