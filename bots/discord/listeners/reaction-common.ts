/** Shared by messageReactionAdd/Remove: from discord.js objects (partials allowed) to `handleReaction`. */
import type { MessageReaction, PartialMessageReaction, PartialUser, User } from 'discord.js';
import type { BotContext } from '../context.js';
import { handleReaction, reactionEmoji, type ReactionAction } from '../reactions.js';

export async function onReaction(
  ctx: BotContext,
  action: ReactionAction,
  reaction: MessageReaction | PartialMessageReaction,
  user: User | PartialUser,
): Promise<void> {
  // A partial reaction still has what we need (message id, channel id, emoji): fetching the message
  // would cost a REST call for every reaction on every message in the server. The core's persisted
  // message → items mapping decides whether the message is ours; the user is fetched (if partial)
  // only for our messages, to skip bots.
  const emojiKey = String(reaction.emoji.id ?? reaction.emoji.name ?? '');
  const key = ctx.reactionKeys.take(action, reaction.message.channelId, reaction.message.id, user.id, emojiKey);
  await handleReaction(ctx, {
    action,
    userId: user.id,
    user,
    channelId: reaction.message.channelId,
    messageId: reaction.message.id,
    emoji: reactionEmoji(ctx, reaction.emoji),
    idempotencyKey: key,
  });
}
