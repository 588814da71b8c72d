/** `/unmute filter:<filter | N> [scope]`: removes a filter (autocomplete lists the caller's own). Ephemeral. */
import {
  MessageFlags,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { App } from '../../../app/compose.js';
import { describeFilter } from '../../../core/filters/filters.js';
import { t } from '../../../core/messages.js';
import type { BotContext } from '../context.js';
import { PLATFORM, interactionActor, truncate } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';
import { scopeOf, scopeOption } from './scope.js';

const d = { cmd: desc('discord.cmd.unmute'), filter: desc('discord.opt.unmute') };

const data = new SlashCommandBuilder()
  .setName('unmute')
  .setNameLocalizations({ ko: '뮤트해제' })
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
      : (await app.core.controls.unmute(actor, interaction.options.getString('filter', true), scope)).message;
  await interaction.reply({
    content: truncate(content, 2000),
    flags: MessageFlags.Ephemeral,
    allowedMentions: { parse: [] },
  });
}

/** The caller's own filters and the channel's, as they can be typed back (`source:…`, `category:…`, words). */
async function autocomplete(interaction: AutocompleteInteraction, app: App): Promise<void> {
  const res = await app.core.controls.filters(interactionActor(interaction), {
    platform: PLATFORM,
    chatId: interaction.channelId,
  });
  const q = String(interaction.options.getFocused() ?? '')
    .toLowerCase()
    .trim();
  const typed = [...res.user, ...res.chat].map((f) => (f.kind === 'word' ? f.pattern : `${f.kind}:${f.pattern}`));
  const names = [...res.user, ...res.chat].map((f) => describeFilter(f, res.lang));
  const choices = typed
    .map((value, i) => ({ name: truncate(names[i]!, 100), value: value.slice(0, 100) }))
    .filter((c) => !q || c.value.toLowerCase().includes(q));
  await interaction.respond(choices.slice(0, 25));
}

export const unmute: Command = { data, execute, autocomplete };
