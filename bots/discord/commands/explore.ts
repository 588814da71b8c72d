/** `/explore <level 0-3>`: how adventurous the caller's recommendations are (ephemeral). */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { exploreName } from '../../../core/messages.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { interactionActor } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const d = { cmd: desc('discord.cmd.explore'), level: desc('discord.opt.level') };

const data = new SlashCommandBuilder()
  .setName('explore')
  .setNameLocalizations({ ko: '탐색' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko)
  .addIntegerOption((o) =>
    o
      .setName('level')
      .setNameLocalizations({ ko: '수준' })
      .setDescription(d.level.en)
      .setDescriptionLocalizations(d.level.ko)
      .setRequired(true)
      .addChoices(
        ...[0, 1, 2, 3].map((n) => ({
          name: `${n} — ${exploreName(n, 'en')}`,
          name_localizations: { ko: `${n} — ${exploreName(n, 'ko')}` },
          value: n,
        })),
      ),
  );

async function execute(interaction: ChatInputCommandInteraction, app: App, _ctx: BotContext): Promise<void> {
  const level = interaction.options.getInteger('level', true);
  const r = await app.core.persona.explore(interactionActor(interaction), level);
  await interaction.reply({ content: r.message, flags: MessageFlags.Ephemeral });
}

export const explore: Command = { data, execute };
