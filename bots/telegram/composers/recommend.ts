/** `/recommend [topic] [count]`: a header, then one message per item with 👍/👎 buttons. */
import { Composer, type Context } from 'grammy';
import type { Message } from 'grammy/types';
import type { RecommendResult } from '../../../core/service.js';
import { actorOf, chatOf, feedbackKeyboard, itemCaption, sendItem, type TgDeps } from '../shared.js';

export function recommendComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('recommend', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const reco = deps.app.reco;
    const words = ctx.match.trim().split(/\s+/).filter(Boolean);
    let count: number | undefined;
    const last = words.at(-1);
    if (last && /^\d{1,2}$/.test(last)) {
      count = Number(last);
      words.pop();
    }
    const topic = words.join(' ');
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
        const markup = { parse_mode: 'HTML' as const, reply_markup: feedbackKeyboard(deps, chat.chatId, r.item.id) };
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
              markup,
            );
        } catch (e) {
          deps.logger.debug({ err: e }, 'could not edit an explanation in');
        }
      }
    };
    const res = await reco.recommend(
      actor,
      { ...(topic ? { topic } : {}), ...(count ? { count } : {}) },
      {
        chatId: chat.chatId,
        onImproved: (lines) => {
          improved = lines;
          void applyImproved();
        },
      },
    );
    const replyTo = chat.kind === 'group' ? ctx.msg?.message_id : undefined;
    if (res.empty) {
      await ctx.reply(
        res.empty,
        replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {},
      );
      return;
    }
    await ctx.reply(
      res.header,
      replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {},
    );
    for (const [i, r] of res.items.entries()) {
      const msg = await sendItem(
        ctx.api,
        chat.chatId,
        r.item,
        r.explanation,
        res.lang,
        feedbackKeyboard(deps, chat.chatId, r.item.id),
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
  });
  return c;
}
