/**
 * `/mute <word | source:<id> | category:<name>>`: a hard filter — never shown again, in lists, "more like this"
 * and digests. In a private chat it is the person's own; in a group, an admin's `/mute` mutes for the whole chat
 * (on top of every member's own filters) and anyone else's mutes for themselves. `/unmute <filter | N>` removes
 * one (by what was muted, or its number in `/filters`), with the same scopes: both are one command shape.
 */
import { Composer, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, controlScope, langOf, type TgDeps } from '../shared.js';

export function filterEditComposer(deps: TgDeps, command: 'mute' | 'unmute'): Composer<Context> {
  const c = new Composer<Context>();
  c.command(command, async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const arg = ctx.match.trim();
    if (!arg) {
      await ctx.reply(t(await langOf(deps, ctx), 'filters.usage'));
      return;
    }
    const res = await deps.core.controls[command](actor, arg, await controlScope(ctx, chat, actor));
    await ctx.reply(res.message);
  });
  return c;
}

export const muteComposer = (deps: TgDeps): Composer<Context> => filterEditComposer(deps, 'mute');
