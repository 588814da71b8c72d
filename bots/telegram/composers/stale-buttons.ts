/**
 * The last handler of the chain: a button press no feature recognised (data from an older version of
 * the bot, a keyboard left over from a removed feature, a game button, a press on an inline message)
 * is ALWAYS answered — otherwise the person's client shows a spinner until it times out and nothing
 * says why. Installed after every feature composer.
 */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { langOf, type TgDeps } from '../shared.js';

export function staleButtonsComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.on('callback_query', async (ctx) => {
    const q = ctx.callbackQuery;
    deps.logger.debug(
      { data: q.data?.slice(0, 64), inline: q.inline_message_id !== undefined, game: q.game_short_name },
      'a button this bot no longer knows: answered as no longer valid',
    );
    await ctx.answerCallbackQuery({ text: t(await langOf(deps, ctx), 'button.expired') });
  });
  return c;
}
