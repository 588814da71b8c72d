/** `/help`: the Discord commands and how reactions teach the bot (ephemeral, in the caller's language). */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { t } from '../../../core/messages.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { interactionActor } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const d = desc('discord.cmd.help');
const data = new SlashCommandBuilder()
  .setName('help')
  .setNameLocalizations({ ko: '도움말' })
  .setDescription(d.en)
  .setDescriptionLocalizations(d.ko);

async function execute(interaction: ChatInputCommandInteraction, app: App, _ctx: BotContext): Promise<void> {
  const lang = await app.core.identity.langOf(interactionActor(interaction));
  const { like, dislike } = app.core.emojis.defaults;
  await interaction.reply({
    content: `${t(lang, 'discord.help', { like, dislike })}\n${t(lang, 'help.sources')}`,
    flags: MessageFlags.Ephemeral,
  });
}

export const help: Command = { data, execute };
