/**
 * `/forget` asks for confirmation with two buttons bound (signed) to the person who asked: only they can
 * confirm, and the deletion is for `callback_query.from`, who must be that person.
 */
import { Composer, InlineKeyboard, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, langOf, type TgDeps } from '../shared.js';

export function forgetComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('forget', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const lang = await langOf(deps, ctx);
    const kb = new InlineKeyboard()
      .text(t(lang, 'tg.forgetYes'), deps.signer.forget(chat.chatId, 'y', actor.externalId))
      .text(t(lang, 'tg.forgetNo'), deps.signer.forget(chat.chatId, 'n', actor.externalId));
    await ctx.reply(t(lang, 'forget.confirm'), { reply_markup: kb });
  });

  c.callbackQuery(/^fg:/, async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    const lang = await langOf(deps, ctx);
    const parsed = chat ? deps.signer.parseForget(ctx.callbackQuery.data, chat.chatId) : undefined;
    if (!actor || !chat || !parsed) {
      await ctx.answerCallbackQuery({ text: t(lang, 'tg.badButton'), show_alert: true });
      return;
    }
    if (parsed.userId !== actor.externalId) {
      await ctx.answerCallbackQuery({ text: t(lang, 'tg.notYourButton'), show_alert: true });
      return;
    }
    const text = parsed.answer === 'y' ? (await deps.core.forget.forget(actor)).message : t(lang, 'forget.cancelled');
    await ctx.answerCallbackQuery();
    if (ctx.callbackQuery.message) await ctx.editMessageText(text).catch(() => ctx.reply(text));
    else await ctx.reply(text);
  });
  return c;
}
