/**
 * Feedback from 👍/👎 buttons (callback queries) and from message reactions (`message_reaction`).
 * Both go through the core's `feedback.react` with the message → items mapping, so they produce the same
 * feedback events. Buttons toggle: pressing the active one again undoes it; the other one replaces it.
 * Reactions: old vs new reaction lists → removals (undo) then additions, applied together.
 */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, itemRef, langOf, type TgDeps } from '../shared.js';

export function feedbackComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  const feedback = deps.core.feedback;

  c.callbackQuery(/^fb:/, async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    const msg = ctx.callbackQuery.message;
    const parsed = chat ? deps.signer.parseFeedback(ctx.callbackQuery.data, chat.chatId) : undefined;
    if (!actor || !chat || !msg || !parsed) {
      deps.logger.warn({ chat: chat?.chatId, from: ctx.from?.id }, 'rejected a callback with invalid data');
      await ctx.answerCallbackQuery({ text: t(await langOf(deps, ctx), 'tg.badButton'), show_alert: true });
      return;
    }
    const { like, dislike } = feedback.emojis.defaults;
    const res = await feedback.react(
      actor,
      {
        platform: 'telegram',
        chatId: chat.chatId,
        messageId: String(msg.message_id),
        pickItem: (ids) => ids.find((id) => itemRef(id) === parsed.ref),
      },
      parsed.action === 'l' ? like : dislike,
      'add',
      { idempotencyKey: `tg:cb:${ctx.callbackQuery.id}`, origin: 'button', toggle: true, chat },
    );
    if (res.status === 'unknown-message' || res.status === 'not-shown') {
      await ctx.answerCallbackQuery({ text: t(res.lang, 'react.notShown'), show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery({ text: res.message });
  });

  c.on('message_reaction', async (ctx) => {
    const actor = actorOf(ctx); // the reacting user; anonymous (actor_chat) reactions are skipped
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const r = ctx.messageReaction;
    const { emojiAdded, emojiRemoved } = ctx.reactions();
    const changes = [
      ...emojiRemoved.map((emoji) => ({ emoji, action: 'remove' as const })),
      ...emojiAdded.map((emoji) => ({ emoji, action: 'add' as const })),
    ].map((x) => ({
      ...x,
      idempotencyKey: `tg:re:${chat.chatId}:${r.message_id}:${actor.externalId}:${ctx.update.update_id}:${x.action}:${x.emoji}`,
    }));
    if (changes.length === 0) return;
    await feedback.reactAll(
      actor,
      { platform: 'telegram', chatId: chat.chatId, messageId: String(r.message_id) },
      changes,
      { chat },
    );
  });
  return c;
}
