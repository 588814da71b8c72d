/**
 * 👍/👎 as buttons, for item messages where reactions cannot teach the bot: in a user install (a server
 * without the bot, a DM or group DM between people) the bot receives no reaction events and cannot add its
 * own, so each item carries two buttons (custom ids `fb:l:<item>` / `fb:d:<item>`). A press is feedback
 * from the person who pressed it (`interaction.user`), for an item the message is mapped to (never taken
 * from the custom id alone), applied like Telegram's buttons: pressing the active one again undoes it.
 */
import { createHash } from 'node:crypto';
import { ButtonBuilder, ButtonStyle, MessageFlags, type ButtonInteraction } from 'discord.js';
import type { App } from '../../app/compose.js';
import { t } from '../../core/messages.js';
import type { BotContext } from './context.js';
import { PLATFORM, interactionActor } from './util.js';

export const FEEDBACK_PREFIX = 'fb';
const MAX_CUSTOM_ID = 100;

/** `fb:<l|d>:<itemId>`, or `fb:<l|d>:~<hash>` for an id too long for Discord's 100 characters. */
export function feedbackCustomId(action: 'l' | 'd', itemId: string): string {
  const plain = `${FEEDBACK_PREFIX}:${action}:${itemId}`;
  if (plain.length <= MAX_CUSTOM_ID) return plain;
  return `${FEEDBACK_PREFIX}:${action}:~${createHash('sha256').update(itemId).digest('base64url').slice(0, 16)}`;
}

/** The two buttons of one item. */
export function feedbackButtons(itemId: string, emojis: { like: string; dislike: string }): ButtonBuilder[] {
  return [
    new ButtonBuilder()
      .setCustomId(feedbackCustomId('l', itemId))
      .setEmoji(emojis.like)
      .setStyle(ButtonStyle.Secondary),
    new ButtonBuilder()
      .setCustomId(feedbackCustomId('d', itemId))
      .setEmoji(emojis.dislike)
      .setStyle(ButtonStyle.Secondary),
  ];
}

async function handle(interaction: ButtonInteraction, app: App, ctx: BotContext): Promise<void> {
  const action = interaction.customId.split(':')[1];
  const actor = interactionActor(interaction);
  if (action !== 'l' && action !== 'd') {
    const lang = await app.core.identity.langOf(actor);
    await interaction.reply({ content: t(lang, 'button.expired'), flags: MessageFlags.Ephemeral });
    return;
  }
  const { like, dislike } = app.core.feedback.emojis.defaults;
  const res = await app.core.feedback.react(
    actor,
    {
      platform: PLATFORM,
      chatId: interaction.channelId,
      messageId: interaction.message.id,
      pickItem: (ids) => ids.find((id) => feedbackCustomId(action, id) === interaction.customId),
    },
    action === 'l' ? like : dislike,
    'add',
    { idempotencyKey: `discord:button:${interaction.id}`, origin: 'button', toggle: true },
  );
  ctx.events.emit('reaction', {
    action: 'add',
    userId: interaction.user.id,
    channelId: interaction.channelId,
    messageId: interaction.message.id,
    emoji: action === 'l' ? like : dislike,
    idempotencyKey: `discord:button:${interaction.id}`,
    status: res.status,
  });
  await interaction.reply({ content: res.message, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
}

export const feedbackButtonHandler = { prefix: FEEDBACK_PREFIX, handle };
