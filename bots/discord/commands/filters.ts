/** `/filters`: the caller's own filters and this channel's (set by its admins). Ephemeral. */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { PLATFORM, interactionActor, truncate } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const d = { cmd: desc('discord.cmd.filters') };

const data = new SlashCommandBuilder()
  .setName('filters')
  .setNameLocalizations({ ko: '필터' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko);

async function execute(interaction: ChatInputCommandInteraction, app: App, _ctx: BotContext): Promise<void> {
  const chat = interaction.guildId ? { platform: PLATFORM, chatId: interaction.channelId } : undefined;
  const res = await app.core.controls.filters(interactionActor(interaction), chat);
  await interaction.reply({
    content: truncate(res.text, 2000),
    flags: MessageFlags.Ephemeral,
    allowedMentions: { parse: [] },
  });
}

export const filters: Command = { data, execute };
