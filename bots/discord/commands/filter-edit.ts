/**
 * `/mute` and `/unmute` share one shape: a required `filter` string with autocomplete and the `scope` option; an
 * ephemeral answer (only the caller sees it); `scope: channel` needs Manage Server / Manage Channels. What differs
 * is the name, the descriptions, the core call and where the suggestions come from.
 */
import {
  MessageFlags,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { App } from '../../../app/compose.js';
import type { ControlScope } from '../../../core/filters/service.js';
import { t } from '../../../core/messages.js';
import type { Actor } from '../../../core/users/doc.js';
import type { BotContext } from '../context.js';
import { interactionActor, truncate } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';
import { scopeOf, scopeOption } from './scope.js';

export interface FilterEditSpec {
  name: string;
  /** Korean command name. */
  ko: string;
  descKey: Parameters<typeof desc>[0];
  optionKey: Parameters<typeof desc>[0];
  /** The core call; its `message` is the answer. */
  run(app: App, actor: Actor, filter: string, scope: ControlScope): Promise<{ message: string }>;
  /** Autocomplete choices (value as typed back, name as shown) for this caller. */
  choices(app: App, interaction: AutocompleteInteraction): Promise<Array<{ value: string; name: string }>>;
}

export function filterEditCommand(spec: FilterEditSpec): Command {
  const d = { cmd: desc(spec.descKey), filter: desc(spec.optionKey) };
  const data = new SlashCommandBuilder()
    .setName(spec.name)
    .setNameLocalizations({ ko: spec.ko })
    .setDescription(d.cmd.en)
    .setDescriptionLocalizations(d.cmd.ko)
    .addStringOption((o) =>
      o
        .setName('filter')
        .setNameLocalizations({ ko: '필터' })
        .setDescription(d.filter.en)
        .setDescriptionLocalizations(d.filter.ko)
        .setRequired(true)
        .setAutocomplete(true)
        .setMaxLength(100),
    )
    .addStringOption(scopeOption);

  async function execute(interaction: ChatInputCommandInteraction, app: App, _ctx: BotContext): Promise<void> {
    const actor = interactionActor(interaction);
    const scope = scopeOf(interaction);
    const content =
      scope === 'forbidden'
        ? t(await app.core.identity.langOf(actor), 'filters.adminOnly')
        : (await spec.run(app, actor, interaction.options.getString('filter', true), scope)).message;
    await interaction.reply({
      content: truncate(content, 2000),
      flags: MessageFlags.Ephemeral,
      allowedMentions: { parse: [] },
    });
  }

  async function autocomplete(interaction: AutocompleteInteraction, app: App): Promise<void> {
    const q = String(interaction.options.getFocused() ?? '')
      .toLowerCase()
      .trim();
    const choices = (await spec.choices(app, interaction))
      .map((c) => ({ name: truncate(c.name, 100), value: c.value.slice(0, 100) }))
      .filter((c) => !q || c.value.toLowerCase().includes(q));
    await interaction.respond(choices.slice(0, 25));
  }

  return { data, execute, autocomplete };
}
