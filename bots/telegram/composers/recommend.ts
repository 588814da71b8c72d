/**
 * `/recommend [topic] [count]`: a header, then one message per item with 👍/👎 and "More like this"
 * buttons. "More like this" (signed callback data `mr:…`) sends, for the person who pressed it
 * (`callback_query.from`), a list like `/recommend`'s built around that item — which must be one of
 * the items mapped to `callback_query.message`.
 */
import { Composer, type Context } from 'grammy';
import type { Message } from 'grammy/types';
import type { DigestChat } from '../../../core/digest.js';
import { t } from '../../../core/messages.js';
import type { RecommendRequest, RecommendResult } from '../../../core/service.js';
import type { Actor } from '../../../core/users.js';
import { actorOf, chatOf, feedbackKeyboard, itemCaption, itemRef, langOf, sendItem, type TgDeps } from '../shared.js';

/**
 * Recommends for `actor` and sends the list to the chat: a header (a reply to `replyTo` when given), then
 * one message per item, each mapped to its item before the next is sent. LLM explanations that arrive
 * after (or while) the items are sent are edited in.
 */
async function sendList(
  deps: TgDeps,
  ctx: Context,
  actor: Actor,
  chat: DigestChat,
  req: RecommendRequest,
  replyTo: number | undefined,
): Promise<void> {
  const reco = deps.app.reco;
  let improved: string[] | undefined;
  const sent: { msg: Message; index: number }[] = [];
  // Filled once every item is sent; improved lines that came earlier are applied then.
  const state: { shown?: RecommendResult } = {};
  // Better explanations from the LLM that arrived after (or while) the items were sent: edit them in.
  const applyImproved = async (): Promise<void> => {
    const lines = improved;
    const res = state.shown;
    if (!lines || !res) return;
    improved = undefined;
    for (const { msg, index } of sent) {
      const r = res.items[index]!;
      const line = lines[index];
      if (!line || line === r.explanation) continue;
      const markup = {
        parse_mode: 'HTML' as const,
        reply_markup: feedbackKeyboard(deps, chat.chatId, r.item.id, res.lang),
      };
      try {
        if (msg.photo)
          await ctx.api.editMessageCaption(chat.chatId, msg.message_id, {
            caption: itemCaption(r.item, line, res.lang, { position: r.position }),
            ...markup,
          });
        else
          await ctx.api.editMessageText(
            chat.chatId,
            msg.message_id,
            itemCaption(r.item, line, res.lang, { position: r.position, withSummary: true }),
            // Without these, the edit would fall back to Telegram's default (small) preview.
            { ...markup, link_preview_options: { url: r.item.url, prefer_large_media: true } },
          );
      } catch (e) {
        deps.logger.debug({ err: e }, 'could not edit an explanation in');
      }
    }
  };
  const res = await reco.recommend(actor, req, {
    chatId: chat.chatId,
    onImproved: (lines) => {
      improved = lines;
      void applyImproved();
    },
  });
  const reply = replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {};
  if (res.empty) {
    await ctx.reply(res.empty, reply);
    return;
  }
  await ctx.reply(res.header, reply);
  for (const [i, r] of res.items.entries()) {
    const msg = await sendItem(
      ctx.api,
      chat.chatId,
      r.item,
      r.explanation,
      res.lang,
      feedbackKeyboard(deps, chat.chatId, r.item.id, res.lang),
      { position: r.position },
    );
    // Map the message to its item right away, so a quick button press finds it.
    await reco.attachMessages(res.impressionId, { platform: 'telegram', chatId: chat.chatId }, [
      { messageId: String(msg.message_id), itemIds: [r.item.id] },
    ]);
    sent.push({ msg, index: i });
  }
  state.shown = res;
  await applyImproved();
}

export function recommendComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
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
    await sendList(deps, ctx, actor, chat, { ...(topic ? { topic } : {}), ...(count ? { count } : {}) }, replyTo);
  });

  c.callbackQuery(/^mr:/, async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    const msg = ctx.callbackQuery.message;
    const lang = await langOf(deps, ctx);
    const parsed = chat ? deps.signer.parseMore(ctx.callbackQuery.data, chat.chatId) : undefined;
    if (!actor || !chat || !msg || !parsed) {
      deps.logger.warn(
        { chat: chat?.chatId, from: ctx.from?.id },
        'rejected a "More like this" callback with invalid data',
      );
      await ctx.answerCallbackQuery({ text: t(lang, 'tg.badButton'), show_alert: true });
      return;
    }
    const ref = await deps.app.reco.users.getMessageRef('telegram', chat.chatId, String(msg.message_id));
    const itemId = ref?.itemIds.find((id) => itemRef(id) === parsed.ref);
    if (!itemId) {
      await ctx.answerCallbackQuery({ text: t(lang, 'react.notShown'), show_alert: true });
      return;
    }
    // Stop the button's spinner now; the list follows as new messages (a reply to the item in groups).
    await ctx.answerCallbackQuery();
    try {
      await sendList(
        deps,
        ctx,
        actor,
        chat,
        { likeItemId: itemId },
        chat.kind === 'group' ? msg.message_id : undefined,
      );
    } catch (e) {
      // The query is answered already, so the error boundary could not tell the user: say it in the chat.
      deps.logger.error({ err: e, chat: chat.chatId }, '"More like this" failed');
      await ctx.api.sendMessage(chat.chatId, deps.app.reco.userMessage(e, lang)).catch(() => undefined);
    }
  });
  return c;
}
