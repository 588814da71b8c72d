/**
 * `/forget`: ephemeral confirmation with Delete / Cancel buttons. The buttons carry the caller's user
 * id and the time they were made: only the caller can press them, for 10 minutes, and they keep
 * working across a restart (no in-memory collector). Deleting only ever touches the caller's data.
 */
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  SlashCommandBuilder,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { t } from '../../../core/messages.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { interactionActor } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const PREFIX = 'forget';
export const FORGET_CONFIRM_TTL_MS = 10 * 60_000;
const d = desc('discord.cmd.forget');

const data = new SlashCommandBuilder()
  .setName('forget')
  .setNameLocalizations({ ko: '잊기' })
  .setDescription(d.en)
  .setDescriptionLocalizations(d.ko);

async function execute(interaction: ChatInputCommandInteraction, app: App, ctx: BotContext): Promise<void> {
  const lang = await app.core.identity.langOf(interactionActor(interaction));
  const stamp = Date.now().toString(36);
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(`${PREFIX}:yes:${interaction.user.id}:${stamp}`)
      .setLabel(t(lang, 'discord.forget.yes'))
      .setStyle(ButtonStyle.Danger),
    new ButtonBuilder()
      .setCustomId(`${PREFIX}:no:${interaction.user.id}:${stamp}`)
      .setLabel(t(lang, 'discord.forget.no'))
      .setStyle(ButtonStyle.Secondary),
  );
  const response = await interaction.reply({
    content: t(lang, 'forget.confirm'),
    components: [row],
    flags: MessageFlags.Ephemeral,
    withResponse: true,
  });
  ctx.log.debug({ message: response.resource?.message?.id, user: interaction.user.id }, '/forget confirmation sent');
}

async function handle(interaction: ButtonInteraction, app: App, ctx: BotContext): Promise<void> {
  const [, choice, ownerId, stamp] = interaction.customId.split(':');
  const actor = interactionActor(interaction);
  const lang = await app.core.identity.langOf(actor);
  if (!ownerId || interaction.user.id !== ownerId) {
    await interaction.reply({ content: t(lang, 'discord.notYourButton'), flags: MessageFlags.Ephemeral });
    return;
  }
  const made = stamp ? parseInt(stamp, 36) : NaN;
  if (!Number.isFinite(made) || Date.now() - made > FORGET_CONFIRM_TTL_MS) {
    await interaction.update({ content: t(lang, 'discord.forget.expired'), components: [] });
    return;
  }
  if (choice !== 'yes') {
    await interaction.update({ content: t(lang, 'forget.cancelled'), components: [] });
    return;
  }
  const r = await app.core.forget.forget(actor);
  ctx.log.info({ user: interaction.user.id }, 'a Discord user deleted their data with /forget');
  await interaction.update({ content: r.message, components: [] });
}

export const forget: Command = { data, execute, buttons: { prefix: PREFIX, handle } };
