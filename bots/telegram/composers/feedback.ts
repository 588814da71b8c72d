/**
 * Feedback from 👍/👎 buttons (callback queries) and from message reactions (`message_reaction`).
 * Both go through `reco.reactToMessage` with the message → items mapping, so they produce the same
 * feedback events. Buttons: pressing the active one again undoes it; the other one replaces it.
 * Reactions: old vs new reaction lists → removals (undo) then additions; a changed reaction replaces.
 */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, itemRef, langOf, type TgDeps } from '../shared.js';

export function feedbackComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  const reco = deps.app.reco;

  c.callbackQuery(/^fb:/, async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    const msg = ctx.callbackQuery.message;
    const lang = await langOf(deps, ctx);
    const parsed = chat ? deps.signer.parseFeedback(ctx.callbackQuery.data, chat.chatId) : undefined;
    if (!actor || !chat || !msg || !parsed) {
      deps.logger.warn({ chat: chat?.chatId, from: ctx.from?.id }, 'rejected a callback with invalid data');
      await ctx.answerCallbackQuery({ text: t(lang, 'tg.badButton'), show_alert: true });
      return;
    }
    const messageId = String(msg.message_id);
    const ref = await reco.users.getMessageRef('telegram', chat.chatId, messageId);
    const itemId = ref?.itemIds.find((id) => itemRef(id) === parsed.ref);
    if (!itemId) {
      await ctx.answerCallbackQuery({ text: t(lang, 'react.notShown'), show_alert: true });
      return;
    }
    const signal = parsed.action === 'l' ? 'like' : 'dislike';
    const emoji = parsed.action === 'l' ? reco.emojis.defaults.like : reco.emojis.defaults.dislike;
    const userId = await reco.users.findUserId('telegram', actor.externalId);
    const current = userId ? (await reco.users.get(userId))?.feedback[itemId] : undefined;
    const undo = current?.signal === signal && current.origin === 'button';
    const res = await reco.reactToMessage(
      actor,
      { platform: 'telegram', chatId: chat.chatId, messageId, itemId },
      emoji,
      undo ? 'remove' : 'add',
      {
        idempotencyKey: `tg:cb:${ctx.callbackQuery.id}`,
        origin: 'button',
      },
    );
    await ctx.answerCallbackQuery({ text: res.message });
    if (res.status === 'applied') await deps.digest.noteMember(chat, actor);
  });

  c.on('message_reaction', async (ctx) => {
    const actor = actorOf(ctx); // the reacting user; anonymous (actor_chat) reactions are skipped
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const r = ctx.messageReaction;
    const { emojiAdded, emojiRemoved } = ctx.reactions();
    const ref = { platform: 'telegram' as const, chatId: chat.chatId, messageId: String(r.message_id) };
    let applied = false;
    for (const [action, list] of [
      ['remove', emojiRemoved],
      ['add', emojiAdded],
    ] as const) {
      for (const emoji of list) {
        const res = await reco.reactToMessage(actor, ref, emoji, action, {
          idempotencyKey: `tg:re:${chat.chatId}:${r.message_id}:${actor.externalId}:${ctx.update.update_id}:${action}:${emoji}`,
        });
        if (res.status === 'unknown-message') return; // not one of our item messages
        if (res.status === 'applied') applied = true;
      }
    }
    if (applied) await deps.digest.noteMember(chat, actor);
  });
  return c;
}
