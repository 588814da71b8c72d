/**
 * The shape every slash command has: `data` (a SlashCommandBuilder with Korean localisations) and
 * `execute(interaction, app, ctx)`; optionally `autocomplete`, `buttons` and `selects` (component custom-id
 * prefix → handler). One file per command; commands/index.ts lists them.
 */
import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
  StringSelectMenuInteraction,
} from 'discord.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';

export interface Command {
  data: { name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  execute(interaction: ChatInputCommandInteraction, app: App, ctx: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, app: App, ctx: BotContext): Promise<void>;
  /** Button custom ids start with `<prefix>:`. */
  buttons?: { prefix: string; handle(interaction: ButtonInteraction, app: App, ctx: BotContext): Promise<void> };
  /** String select menu custom ids start with `<prefix>:`. */
  selects?: {
    prefix: string;
    handle(interaction: StringSelectMenuInteraction, app: App, ctx: BotContext): Promise<void>;
  };
}
