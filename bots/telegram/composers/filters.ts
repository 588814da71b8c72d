/**
 * `/filters`: the filters in force. In a private chat, the person's own; in a group, the group's (set by its
 * admins) — a person's own filters are not listed in front of the group.
 */
import { Composer, type Context } from 'grammy';
import { formatFilters } from '../../../core/filters/service.js';
import { actorOf, chatOf, type TgDeps } from '../shared.js';

export function filtersComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('filters', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const res = await deps.core.controls.filters(actor, chat.kind === 'group' ? chat : undefined);
    await ctx.reply(chat.kind === 'group' ? formatFilters(res.lang, [], res.chat) : res.text);
  });
  return c;
}
