/**
 * `/persona` shows what the bot learned and what the person muted; `/persona remove <term>` drops a learned
 * interest or dislike, `/persona mute <filter>` and `/persona unmute <filter>` add and remove the person's own
 * hard filters (see /mute).
 */
import { Composer, type Context } from 'grammy';
import { actorOf, type TgDeps } from '../shared.js';

export function personaComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('persona', async (ctx) => {
    const actor = actorOf(ctx);
    if (!actor) return;
    const f = /^(mute|unmute|뮤트|뮤트해제)\s+(.+)$/i.exec(ctx.match.trim());
    if (f) {
      const un = /^(unmute|뮤트해제)$/i.test(f[1]!);
      const controls = deps.core.controls;
      const res = un
        ? await controls.unmute(actor, f[2]!, { kind: 'user' })
        : await controls.mute(actor, f[2]!, { kind: 'user' });
      await ctx.reply(res.message);
      return;
    }
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
