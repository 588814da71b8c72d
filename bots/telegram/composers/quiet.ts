/**
 * `/quiet` — `HH:MM-HH:MM [time zone]`, `off`, or nothing (show). Quiet hours of the person (private chat)
 * or of the group (admins only): digests and other messages the bot sends on its own wait for their end.
 */
import { Composer, type Context } from 'grammy';
import { quietCommand } from '../../../core/digest/quiet.js';
import { actorOf, chatOf, langOf, type TgDeps } from '../shared.js';

export function quietComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('quiet', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const lang = await langOf(deps, ctx);
    const isAdmin = async () => {
      const member = await ctx.getChatMember(Number(actor.externalId));
      return member.status === 'creator' || member.status === 'administrator';
    };
    await ctx.reply(await quietCommand(deps.core.quiet, chat, actor, ctx.match, lang, isAdmin));
  });
  return c;
}
