/** `/persona` shows what the bot knows; `/persona remove <term>` drops an interest or dislike. */
import { Composer, type Context } from 'grammy';
import { actorOf, type TgDeps } from '../shared.js';

export function personaComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('persona', async (ctx) => {
    const actor = actorOf(ctx);
    if (!actor) return;
    const m = /^(?:remove|삭제|지우기)\s+(.+)$/i.exec(ctx.match.trim());
    if (m) {
      const res = await deps.core.persona.removeInterest(actor, m[1]!);
      await ctx.reply(res.message);
      return;
    }
    const res = await deps.core.persona.persona(actor);
    await ctx.reply(res.text);
  });
  return c;
}
