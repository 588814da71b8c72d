/**
 * The item action buttons (`act:<l|d|w|s>:<itemId>`, see embeds.ts): 👍 like and 👎 "less like this" (soft
 * signals that teach, through the same feedback flow as reactions; pressing the active one again undoes it),
 * ❓ "why?" (the evidence behind the pick) and 🔇 "mute source" (a hard filter). Every answer is ephemeral and
 * for the person who pressed. The item must be one the message the button sits on is mapped to (a forged or
 * stale custom id names no such item and is refused).
 */
import { MessageFlags, type ButtonInteraction } from 'discord.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { ACTION_PREFIX, actionTarget } from '../embeds.js';
import { t } from '../../../core/messages.js';
import { PLATFORM, interactionActor, truncate } from '../util.js';

async function handle(interaction: ButtonInteraction, app: App, ctx: BotContext): Promise<void> {
  const actor = interactionActor(interaction);
  const message = { platform: PLATFORM, chatId: interaction.channelId, messageId: interaction.message.id };
  const action = /^act:([ldws]):/.exec(interaction.customId)?.[1];
  const pick = (ids: readonly string[]) => actionTarget(interaction.customId, ids)?.itemId;
  const reply = (content: string) =>
    interaction.reply({
      content: truncate(content, 2000),
      flags: MessageFlags.Ephemeral,
      allowedMentions: { parse: [] },
    });
  const refused = () =>
    ctx.log.warn(
      { customId: interaction.customId.slice(0, 100), message: interaction.message.id, user: interaction.user.id },
      'refused an item action button whose item is not on that message',
    );
  if (action === 'w') {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const res = await app.core.why.why(actor, message, pick);
    if (res.status !== 'ok') refused();
    await interaction.editReply({ content: truncate(res.status === 'ok' ? res.text : res.message, 2000) });
    return;
  }
  if (action === 's') {
    const res = await app.core.controls.muteSourceOf(actor, message, pick);
    if (res.status === 'not-shown') refused();
    await reply(res.message);
    return;
  }
  if (action === 'l' || action === 'd') {
    const { like, dislike } = app.core.emojis.defaults;
    const res = await app.core.feedback.react(
      actor,
      { ...message, pickItem: pick },
      action === 'l' ? like : dislike,
      'add',
      {
        idempotencyKey: `dc:btn:${interaction.id}`,
        origin: 'button',
        toggle: true,
        chat: { platform: PLATFORM, chatId: interaction.channelId, kind: interaction.guildId ? 'group' : 'private' },
      },
    );
    if (res.status === 'not-shown' || res.status === 'unknown-message') refused();
    await reply(res.message);
    return;
  }
  refused();
  await reply(t(await app.core.identity.langOf(actor), 'tg.badButton'));
}

export const itemActionButtons = { prefix: ACTION_PREFIX, handle };
