/**
 * `/persona [remove]`: what the bot knows about the caller (ephemeral — only they see it). With
 * `remove`, drops one interest or dislike term (autocomplete lists the caller's own terms, nobody else's).
 */
import {
  MessageFlags,
  SlashCommandBuilder,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { topInterests } from '../../../core/persona.js';
import type { App } from '../../app.js';
import type { BotContext } from '../context.js';
import { PLATFORM, interactionActor, truncate } from '../util.js';
import type { Command } from './index.js';
import { desc } from './i18n.js';

const d = { cmd: desc('discord.cmd.persona'), remove: desc('discord.opt.remove') };

const data = new SlashCommandBuilder()
  .setName('persona')
  .setNameLocalizations({ ko: '페르소나' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko)
  .addStringOption((o) =>
    o
      .setName('remove')
      .setNameLocalizations({ ko: '삭제' })
      .setDescription(d.remove.en)
      .setDescriptionLocalizations(d.remove.ko)
      .setAutocomplete(true)
      .setMaxLength(100),
  );

async function execute(interaction: ChatInputCommandInteraction, app: App, _ctx: BotContext): Promise<void> {
  const actor = interactionActor(interaction);
  const term = interaction.options.getString('remove')?.trim();
  const parts: string[] = [];
  if (term) {
    const r = await app.reco.removeInterest(actor, term);
    parts.push(r.message);
  }
  const p = await app.reco.persona(actor);
  parts.push(p.text);
  await interaction.reply({
    content: truncate(parts.join('\n\n'), 2000),
    flags: MessageFlags.Ephemeral,
    allowedMentions: { parse: [] },
  });
}

/** The caller's own terms only; reading never creates a user. */
async function autocomplete(interaction: AutocompleteInteraction, app: App): Promise<void> {
  const userId = await app.reco.users.findUserId(PLATFORM, interaction.user.id);
  const doc = userId ? await app.reco.users.get(userId) : undefined;
  if (!doc) {
    await interaction.respond([]);
    return;
  }
  const q = String(interaction.options.getFocused() ?? '')
    .toLowerCase()
    .trim();
  const terms = [...new Set([...topInterests(doc.persona, 40), ...doc.persona.dislikes.map((x) => x.term)])];
  const matches = terms.filter((x) => x.toLowerCase().includes(q)).slice(0, 25);
  await interaction.respond(matches.map((x) => ({ name: truncate(x, 100), value: x.slice(0, 100) })));
}

export const persona: Command = { data, execute, autocomplete };
