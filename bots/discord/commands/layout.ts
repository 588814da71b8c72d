/**
 * `/layout [layout] [scope]`: how lists look — `compact` (one numbered message, a row of buttons per item, five
 * items per message) or `cards` (one message per item with its picture). Without `layout`, shows the current one.
 * `scope: channel` (Manage Server / Manage Channels) sets the channel's. Ephemeral.
 */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { App } from '../../../app/compose.js';
import type { Layout } from '../../../core/filters/settings.js';
import { t } from '../../../core/messages.js';
import type { BotContext } from '../context.js';
import { PLATFORM, interactionActor } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';
import { scopeOf, scopeOption } from './scope.js';

const d = { cmd: desc('discord.cmd.layout'), layout: desc('discord.opt.layout') };

const data = new SlashCommandBuilder()
  .setName('layout')
  .setNameLocalizations({ ko: '형식' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko)
  .addStringOption((o) =>
    o
      .setName('layout')
      .setNameLocalizations({ ko: '형식' })
      .setDescription(d.layout.en)
      .setDescriptionLocalizations(d.layout.ko)
      .addChoices(
        { name: 'compact', name_localizations: { ko: '간결' }, value: 'compact' },
        { name: 'cards', name_localizations: { ko: '카드' }, value: 'cards' },
      ),
  )
  .addStringOption(scopeOption);

async function execute(interaction: ChatInputCommandInteraction, app: App, _ctx: BotContext): Promise<void> {
  const actor = interactionActor(interaction);
  const v = interaction.options.getString('layout');
  const layout: Layout | undefined = v === 'compact' || v === 'cards' ? v : undefined;
  const scope = layout
    ? scopeOf(interaction)
    : interaction.guildId
      ? { kind: 'chat' as const, platform: PLATFORM, chatId: interaction.channelId }
      : { kind: 'user' as const };
  const content =
    scope === 'forbidden'
      ? t(await app.core.identity.langOf(actor), 'filters.adminOnly')
      : (await app.core.controls.layout(actor, layout, scope)).message;
  await interaction.reply({ content, flags: MessageFlags.Ephemeral });
}

export const layout: Command = { data, execute };
