/** `/explore [0-3]`: shows or sets how adventurous recommendations are. */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { actorOf, langOf, type TgDeps } from '../shared.js';

export function exploreComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('explore', async (ctx) => {
    const actor = actorOf(ctx);
    if (!actor) return;
    const arg = ctx.match.trim();
    if (arg && !/^[0-3]$/.test(arg)) {
      await ctx.reply(t(await langOf(deps, ctx), 'cmd.badArg', { arg: 'level', reason: '0-3' }));
      return;
    }
    const res = await deps.core.persona.explore(actor, arg ? Number(arg) : undefined);
    await ctx.reply(res.message);
  });
  return c;
}
