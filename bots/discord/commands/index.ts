/**
 * The slash commands, one file each. Every command has the same shape: `data` (a SlashCommandBuilder
 * with Korean localisations) and `execute(interaction, app, ctx)`; optionally `autocomplete` and
 * `buttons` (component custom-id prefix → handler).
 */
import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { explore } from './explore.js';
import { forget } from './forget.js';
import { help } from './help.js';
import { link } from './link.js';
import { persona } from './persona.js';
import { recommend } from './recommend.js';
import { status } from './status.js';

export interface Command {
  data: { name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  execute(interaction: ChatInputCommandInteraction, app: App, ctx: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, app: App, ctx: BotContext): Promise<void>;
  /** Button custom ids start with `<prefix>:`. */
  buttons?: { prefix: string; handle(interaction: ButtonInteraction, app: App, ctx: BotContext): Promise<void> };
}

export const COMMANDS: readonly Command[] = [recommend, persona, forget, explore, status, help, link];
