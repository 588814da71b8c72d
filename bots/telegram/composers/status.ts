/** `/status`: the system status (store, encoders, catalog, users) plus Telegram lines. */
import { Composer, type Context } from 'grammy';
import { formatStatus } from '../../../core/status/status.js';
import { actorOf, langOf, type TgDeps } from '../shared.js';

export function statusComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('status', async (ctx) => {
    const lang = await langOf(deps, ctx);
    await ctx.reply(formatStatus(await deps.core.status.status(actorOf(ctx)), lang));
  });
  return c;
}
