/**
 * The `scope` option of the control commands: `me` (default) changes the caller's own settings; `channel` changes
 * the channel's (chat-wide, on top of every member's own), for members who may manage the server or the channel
 * (Manage Server or Manage Channels, from the interaction's resolved member permissions). In a DM the channel is
 * the caller's own: `channel` means `me`.
 */
import { PermissionFlagsBits, SlashCommandStringOption, type ChatInputCommandInteraction } from 'discord.js';
import type { ControlScope } from '../../../core/filters/service.js';
import { PLATFORM } from '../util.js';
import { desc } from './i18n.js';

const d = {
  scope: desc('discord.opt.scope'),
  me: desc('discord.opt.scopeMe'),
  channel: desc('discord.opt.scopeChannel'),
};

export function scopeOption(o: SlashCommandStringOption): SlashCommandStringOption {
  return o
    .setName('scope')
    .setNameLocalizations({ ko: '범위' })
    .setDescription(d.scope.en)
    .setDescriptionLocalizations(d.scope.ko)
    .addChoices(
      { name: d.me.en, name_localizations: d.me.ko, value: 'me' },
      { name: d.channel.en, name_localizations: d.channel.ko, value: 'channel' },
    );
}

/** The scope asked for, or `forbidden` when the caller may not change the channel's settings. */
export function scopeOf(interaction: ChatInputCommandInteraction): ControlScope | 'forbidden' {
  if (interaction.options.getString('scope') !== 'channel' || !interaction.guildId) return { kind: 'user' };
  const perms = interaction.memberPermissions;
  const admin = perms?.has(PermissionFlagsBits.ManageGuild) || perms?.has(PermissionFlagsBits.ManageChannels);
  return admin ? { kind: 'chat', platform: PLATFORM, chatId: interaction.channelId } : 'forbidden';
}
