/**
 * `/persona [remove] [mute] [unmute]`: what the bot learned about the caller and what they muted (ephemeral —
 * only they see it). `remove` drops one learned interest or dislike term (autocomplete lists the caller's own
 * terms, nobody else's); `mute` / `unmute` add and remove the caller's own hard filters (as /mute, /unmute).
 */
import { SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { interactionActor, replyInParts, truncate } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const d = {
  cmd: desc('discord.cmd.persona'),
  remove: desc('discord.opt.remove'),
  mute: desc('discord.opt.mute'),
  unmute: desc('discord.opt.unmute'),
};

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
  )
  .addStringOption((o) =>
    o
      .setName('mute')
      .setNameLocalizations({ ko: '뮤트' })
      .setDescription(d.mute.en)
      .setDescriptionLocalizations(d.mute.ko)
      .setMaxLength(100),
  )
  .addStringOption((o) =>
    o
      .setName('unmute')
      .setNameLocalizations({ ko: '뮤트해제' })
      .setDescription(d.unmute.en)
      .setDescriptionLocalizations(d.unmute.ko)
      .setMaxLength(100),
  );

async function execute(interaction: ChatInputCommandInteraction, app: App, _ctx: BotContext): Promise<void> {
  const actor = interactionActor(interaction);
  const term = interaction.options.getString('remove')?.trim();
  const parts: string[] = [];
  if (term) {
    const r = await app.core.persona.removeInterest(actor, term);
    parts.push(r.message);
  }
  const mute = interaction.options.getString('mute')?.trim();
  if (mute) parts.push((await app.core.controls.mute(actor, mute, { kind: 'user' })).message);
  const unmute = interaction.options.getString('unmute')?.trim();
  if (unmute) parts.push((await app.core.controls.unmute(actor, unmute, { kind: 'user' })).message);
  const p = await app.core.persona.persona(actor);
  parts.push(p.text);
  await replyInParts(interaction, parts.join('\n\n'));
}

/** The caller's own terms only; reading never creates a user. */
async function autocomplete(interaction: AutocompleteInteraction, app: App): Promise<void> {
  const terms = await app.core.persona.terms(interactionActor(interaction));
  const q = String(interaction.options.getFocused() ?? '')
    .toLowerCase()
    .trim();
  const matches = terms.filter((x) => x.toLowerCase().includes(q)).slice(0, 25);
  await interaction.respond(matches.map((x) => ({ name: truncate(x, 100), value: x.slice(0, 100) })));
}

export const persona: Command = { data, execute, autocomplete };
