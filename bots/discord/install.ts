/**
 * Guild installs and user installs. DEEP-RECO's commands are registered for both installation types
 * (`integration_types` [0 guild, 1 user]) and every context (`contexts` [0 guild, 1 the bot's DM, 2 other DMs and
 * group DMs]), so a person can add the app to their account and use it anywhere.
 *
 * Where the interaction comes from decides what the bot may do beyond answering it:
 * - `guild`: a server where the app is installed (`authorizing_integration_owners["0"]` is that server): the
 *   bot user is a member and works with the channel (reactions, channel permissions in `app_permissions`).
 * - `bot-dm`: the DM with the app's bot user (context 1): the bot is in the conversation.
 * - `user-install`: a server without the bot, or a DM / group DM between people (context 2): the app can
 *   only answer the interaction (replies and follow-ups through the interaction webhook, which need no
 *   channel permission). It cannot add reactions, read the channel or be granted a permission there, so it
 *   never asks anyone to grant one; 👍/👎 are buttons instead of reactions.
 *
 * Source: Discord API docs, "Interaction Object" (context, authorizing_integration_owners, app_permissions:
 * "includes ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE for (G)DMs with other users") and "Application
 * Command Object" (integration_types, contexts).
 */
import { ApplicationIntegrationType, InteractionContextType, type BaseInteraction } from 'discord.js';

export const INTEGRATION_TYPES = [ApplicationIntegrationType.GuildInstall, ApplicationIntegrationType.UserInstall];
export const CONTEXTS = [
  InteractionContextType.Guild,
  InteractionContextType.BotDM,
  InteractionContextType.PrivateChannel,
];

export type Presence = 'guild' | 'bot-dm' | 'user-install';

/** Whether the bot user is in the conversation an interaction came from (see the module comment). */
export function presenceOf(interaction: BaseInteraction): Presence {
  const owners = interaction.authorizingIntegrationOwners;
  const guildOwner = owners?.guildId ?? null;
  switch (interaction.context) {
    case InteractionContextType.BotDM:
      return 'bot-dm';
    case InteractionContextType.PrivateChannel:
      return 'user-install';
    case InteractionContextType.Guild:
      return guildOwner !== null && guildOwner === interaction.guildId ? 'guild' : 'user-install';
    default:
      // Older payloads without `context`: a guild the client knows (GUILD_CREATE) has the bot; DMs are the bot's.
      if (!interaction.guildId) return 'bot-dm';
      return interaction.client.guilds.cache.has(interaction.guildId) ? 'guild' : 'user-install';
  }
}

/** Whether the bot can act in the channel itself (react, read, be granted permissions). */
export function botInChannel(interaction: BaseInteraction): boolean {
  return presenceOf(interaction) !== 'user-install';
}
