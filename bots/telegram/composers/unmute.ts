/** `/unmute <filter | N>`: removes a filter (by what was muted, or its number in `/filters`); admins: the group's. */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, controlScope, langOf, type TgDeps } from '../shared.js';

export function unmuteComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('unmute', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const arg = ctx.match.trim();
    if (!arg) {
      await ctx.reply(t(await langOf(deps, ctx), 'filters.usage'));
      return;
    }
    const res = await deps.core.controls.unmute(actor, arg, await controlScope(ctx, chat, actor));
    await ctx.reply(res.message);
  });
  return c;
}
