/**
 * `/link` gives a one-time code (private chats only: a code shown in a group could be redeemed by
 * someone else); `/link <code>` redeems a code made on another platform, merging the two identities.
 */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, langOf, type TgDeps } from '../shared.js';

export function linkComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('link', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    if (chat.kind !== 'private') {
      await ctx.reply(t(await langOf(deps, ctx), 'link.privateOnly', { bot: deps.botUsername }));
      return;
    }
    const code = ctx.match.trim();
    if (!code) {
      const res = await deps.links.createCode(actor);
      await ctx.reply(res.message);
      return;
    }
    const res = await deps.links.redeem(actor, code);
    await ctx.reply(res.message);
  });
  return c;
}
