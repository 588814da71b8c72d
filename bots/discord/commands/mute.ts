/**
 * `/mute filter:<word | source:<id> | category:<name>> [scope]`: a hard filter — never shown again, in lists,
 * "more like this" and digests. `scope: channel` (Manage Server / Manage Channels) mutes for the whole channel.
 * Ephemeral: only the caller sees the answer.
 */
import {
  MessageFlags,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { App } from '../../../app/compose.js';
import { t } from '../../../core/messages.js';
import type { BotContext } from '../context.js';
import { interactionActor, truncate } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';
import { scopeOf, scopeOption } from './scope.js';

const d = { cmd: desc('discord.cmd.mute'), filter: desc('discord.opt.filter') };

const data = new SlashCommandBuilder()
  .setName('mute')
  .setNameLocalizations({ ko: '뮤트' })
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
      : (await app.core.controls.mute(actor, interaction.options.getString('filter', true), scope)).message;
  await interaction.reply({
    content: truncate(content, 2000),
    flags: MessageFlags.Ephemeral,
    allowedMentions: { parse: [] },
  });
}

/** Suggests `source:<id>` for the catalog's sources and `category:<name>` for the categories that match. */
async function autocomplete(interaction: AutocompleteInteraction, app: App): Promise<void> {
  const q = String(interaction.options.getFocused() ?? '')
    .toLowerCase()
    .trim();
  const sources = app.catalog.size > 0 ? app.catalog.index.sources.map((s) => `source:${s}`) : [];
  const cats = app.catalog.size > 0 ? app.catalog.index.categories.map((c) => `category:${c}`) : [];
  const all = [...sources, ...cats].filter((x) => !q || x.toLowerCase().includes(q));
  await interaction.respond(all.slice(0, 25).map((x) => ({ name: truncate(x, 100), value: x.slice(0, 100) })));
}

export const mute: Command = { data, execute, autocomplete };
