/** `/status`: the core status plus this adapter's line (whether the Message Content intent is on). */
import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { Lang } from '../../../core/domain.js';
import { t } from '../../../core/messages.js';
import { formatStatus } from '../../../core/status/status.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { interactionActor, replyInParts } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const d = desc('discord.cmd.status');
const data = new SlashCommandBuilder()
  .setName('status')
  .setNameLocalizations({ ko: '상태' })
  .setDescription(d.en)
  .setDescriptionLocalizations(d.ko);

/** The adapter's `/status` line in a language (English is what other platforms' `/status` shows). */
export function discordStatusLine(ctx: Pick<BotContext, 'contentIntent'>, lang: Lang): string {
  const key =
    ctx.contentIntent === 'on'
      ? 'discord.status.contentOn'
      : ctx.contentIntent === 'denied'
        ? 'discord.status.contentDenied'
        : 'discord.status.contentOff';
  return t(lang, key);
}

async function execute(interaction: ChatInputCommandInteraction, app: App, ctx: BotContext): Promise<void> {
  const actor = interactionActor(interaction);
  const lang = await app.core.identity.langOf(actor);
  const report = await app.core.status.status(actor);
  const english = discordStatusLine(ctx, 'en');
  const mine = discordStatusLine(ctx, lang);
  report.extra = report.extra.includes(english)
    ? report.extra.map((l) => (l === english ? mine : l))
    : [...report.extra, mine];
  await replyInParts(interaction, formatStatus(report, lang));
}

export const status: Command = { data, execute };
