/**
 * `/interests`: the interest picker — a string select menu of the catalog's categories and current topics (min 1,
 * max `MAX_PICKS` values) and a Skip button, ephemeral in servers. The same picker is a person's first contact in
 * DMs (listeners/messageCreate.ts). Choosing seeds the persona and the bandit prior, turns the picker into a
 * "Got it" line, and sends the first list in the channel. Components are bound to their person (`ob:<action>:<user>`).
 */
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  SlashCommandBuilder,
  StringSelectMenuBuilder,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type MessageComponentInteraction,
  type StringSelectMenuInteraction,
} from 'discord.js';
import { t } from '../../../core/messages.js';
import type { PickerView } from '../../../core/onboarding/service.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { PLATFORM, interactionActor, truncate } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';
import { listSender } from './recommend.js';

export const PICKER_PREFIX = 'ob';
const d = { cmd: desc('discord.cmd.interests') };

const data = new SlashCommandBuilder()
  .setName('interests')
  .setNameLocalizations({ ko: '관심사' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko);

/** The picker message: the invitation, a select menu (one option per interest, value = option number), Skip. */
export function pickerMessage(view: PickerView, userId: string) {
  const options = view.options.slice(0, 25);
  const menu = new StringSelectMenuBuilder()
    .setCustomId(`${PICKER_PREFIX}:pick:${userId}`)
    .setPlaceholder(truncate(t(view.lang, 'onboard.placeholder'), 150))
    .setMinValues(1)
    .setMaxValues(Math.min(view.maxPicks, options.length))
    .addOptions(options.map((o) => ({ label: truncate(o.label, 100), value: String(o.n) })));
  const skip = new ButtonBuilder()
    .setCustomId(`${PICKER_PREFIX}:skip:${userId}`)
    .setStyle(ButtonStyle.Secondary)
    .setLabel(t(view.lang, 'onboard.skip'));
  return {
    content: `${t(view.lang, 'onboard.intro', { max: view.maxPicks })}\n${t(view.lang, 'onboard.hintDiscord')}`,
    components: [
      new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(menu),
      new ActionRowBuilder<ButtonBuilder>().addComponents(skip),
    ],
  };
}

async function execute(interaction: ChatInputCommandInteraction, app: App): Promise<void> {
  const view = await app.core.onboarding.open(interactionActor(interaction));
  await interaction.reply({
    ...pickerMessage(view, interaction.user.id),
    ...(interaction.inGuild() ? { flags: MessageFlags.Ephemeral } : {}),
  });
}

/** A picker component pressed by someone it was not made for: refused, ephemeral. */
async function notYours(interaction: MessageComponentInteraction, app: App): Promise<boolean> {
  const owner = interaction.customId.split(':')[2];
  if (owner === interaction.user.id) return false;
  const lang = await app.core.identity.langOf(interactionActor(interaction));
  await interaction.reply({ content: t(lang, 'tg.notYourButton'), flags: MessageFlags.Ephemeral });
  return true;
}

async function pick(interaction: StringSelectMenuInteraction, app: App, ctx: BotContext): Promise<void> {
  if (await notYours(interaction, app)) return;
  const actor = interactionActor(interaction);
  const numbers = interaction.values.map(Number).filter((n) => Number.isInteger(n));
  const r = await app.core.onboarding.choose(actor, numbers);
  if (r.status !== 'done') {
    await interaction.reply({ content: r.message, flags: MessageFlags.Ephemeral });
    return;
  }
  // The picker becomes the "Got it" line; the first list follows in the channel.
  await interaction.update({ content: r.message, components: [] });
  await app.core.recommend.deliver(
    actor,
    {},
    { platform: PLATFORM, chatId: interaction.channelId },
    listSender(interaction, ctx, { followUpsOnly: true }),
  );
}

async function skip(interaction: ButtonInteraction, app: App): Promise<void> {
  if (await notYours(interaction, app)) return;
  const r = await app.core.onboarding.skip(interactionActor(interaction));
  await interaction.update({ content: r.message, components: [] });
}

export const interests: Command = {
  data,
  execute,
  buttons: { prefix: PICKER_PREFIX, handle: skip },
  selects: { prefix: PICKER_PREFIX, handle: pick },
};
