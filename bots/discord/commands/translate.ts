/** `/translate [on]`: items in a language the caller does not read get a translated title and summary. Ephemeral. */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { interactionActor } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const d = { cmd: desc('discord.cmd.translate'), on: desc('discord.opt.on') };

const data = new SlashCommandBuilder()
  .setName('translate')
  .setNameLocalizations({ ko: '번역' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko)
  .addBooleanOption((o) =>
    o.setName('on').setNameLocalizations({ ko: '켜기' }).setDescription(d.on.en).setDescriptionLocalizations(d.on.ko),
  );

async function execute(interaction: ChatInputCommandInteraction, app: App, _ctx: BotContext): Promise<void> {
  const on = interaction.options.getBoolean('on');
  const res = await app.core.controls.translate(interactionActor(interaction), on ?? undefined);
  await interaction.reply({ content: res.message, flags: MessageFlags.Ephemeral });
}

export const translate: Command = { data, execute };
