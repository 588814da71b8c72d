/**
 * `/link [code]`: without a code, a one-time code to enter on another platform (Telegram, the
 * console); with a code made elsewhere, merges that identity and this Discord account into one user
 * (core/link.ts `LinkService`); `confirm: true` when the core asked to confirm merging accounts already
 * linked to this one. Ephemeral: codes are personal.
 */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { interactionActor } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const d = { cmd: desc('discord.cmd.link'), code: desc('discord.opt.code'), confirm: desc('discord.opt.confirm') };
const data = new SlashCommandBuilder()
  .setName('link')
  .setNameLocalizations({ ko: '연결' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko)
  .addStringOption((o) =>
    o
      .setName('code')
      .setNameLocalizations({ ko: '코드' })
      .setDescription(d.code.en)
      .setDescriptionLocalizations(d.code.ko)
      .setMaxLength(20),
  )
  .addBooleanOption((o) =>
    o
      .setName('confirm')
      .setNameLocalizations({ ko: '확인' })
      .setDescription(d.confirm.en)
      .setDescriptionLocalizations(d.confirm.ko),
  );

async function execute(interaction: ChatInputCommandInteraction, _app: App, ctx: BotContext): Promise<void> {
  const actor = interactionActor(interaction);
  const code = interaction.options.getString('code')?.trim();
  const confirm = interaction.options.getBoolean('confirm') === true;
  const message = code
    ? (await ctx.links.redeem(actor, code, { confirm })).message
    : (await ctx.links.createCode(actor)).message;
  await interaction.reply({ content: message, flags: MessageFlags.Ephemeral });
}

export const link: Command = { data, execute };
