/** `/help` (`/start` is onboarding's: the picker at first contact, the help otherwise). */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { langOf, type TgDeps } from '../shared.js';

export function helpComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('help', async (ctx) => {
    const lang = await langOf(deps, ctx);
    await ctx.reply(`${t(lang, 'tg.help')}\n${t(lang, 'help.sources')}`);
  });
  return c;
}
