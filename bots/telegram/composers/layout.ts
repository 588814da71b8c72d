/**
 * `/layout [compact | cards]`: how lists look — one numbered message with a row of buttons per item, or one
 * message per item with its picture. A group admin sets the group's; anyone else sets their own.
 */
import { Composer, type Context } from 'grammy';
import type { Layout } from '../../../core/filters/settings.js';
import { t } from '../../../core/messages.js';
import { actorOf, chatOf, controlScope, langOf, type TgDeps } from '../shared.js';

const LAYOUT: Record<string, Layout> = {
  compact: 'compact',
  간결: 'compact',
  cards: 'cards',
  card: 'cards',
  카드: 'cards',
};

export function layoutComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.command('layout', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const arg = ctx.match.trim().toLowerCase();
    const layout = arg ? LAYOUT[arg] : undefined;
    if (arg && !layout) {
      await ctx.reply(t(await langOf(deps, ctx), 'layout.usage'));
      return;
    }
    // Showing in a group names the group's layout too; setting needs an admin for the group's.
    const scope = layout
      ? await controlScope(ctx, chat, actor)
      : chat.kind === 'group'
        ? { kind: 'chat' as const, platform: 'telegram' as const, chatId: chat.chatId }
        : { kind: 'user' as const };
    const res = await deps.core.controls.layout(actor, layout, scope);
    await ctx.reply(res.message);
  });
  return c;
}
