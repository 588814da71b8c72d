/**
 * `/link` gives a one-time code (private chats only: a code shown in a group could be redeemed by
 * someone else); `/link <code>` redeems a code made on another platform, merging the two identities;
 * `/link <code> confirm` when the core asked to confirm merging accounts already linked to this one.
 */
import { Composer, type Context } from 'grammy';
import { LINK_CONFIRM_WORDS } from '../../../core/identity/link.js';
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
    const [code = '', word] = ctx.match.trim().split(/\s+/);
    if (!code) {
      const res = await deps.links.createCode(actor);
      await ctx.reply(res.message);
      return;
    }
    const confirm = word !== undefined && (LINK_CONFIRM_WORDS as readonly string[]).includes(word.toLowerCase());
    const res = await deps.links.redeem(actor, code, { confirm });
    await ctx.reply(res.message);
  });
  return c;
}
