/** `/translate [on | off]`: items in a language the person does not read get a translated title and summary. */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { actorOf, langOf, type TgDeps } from '../shared.js';

export function translateComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('translate', async (ctx) => {
    const actor = actorOf(ctx);
    if (!actor) return;
    const arg = ctx.match.trim().toLowerCase();
    const on = ['on', '켜기'].includes(arg) ? true : ['off', '끄기'].includes(arg) ? false : undefined;
    if (arg && on === undefined) {
      await ctx.reply(t(await langOf(deps, ctx), 'translate.usage'));
      return;
    }
    const res = await deps.core.controls.translate(actor, on);
    await ctx.reply(res.message);
  });
  return c;
}
