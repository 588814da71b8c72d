/** A reaction added to any message the bot can see → like/dislike for whoever reacted (see reactions.ts). */
import type { MessageReaction, PartialMessageReaction, PartialUser, User } from 'discord.js';
import type { BotContext } from '../context.js';
import type { Listener } from './listener.js';
import { onReaction } from './reaction-common.js';

export const messageReactionAdd: Listener = {
  event: 'messageReactionAdd',
  run: (ctx: BotContext, reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser) =>
    onReaction(ctx, 'add', reaction, user),
};
