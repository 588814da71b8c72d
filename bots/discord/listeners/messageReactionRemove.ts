/** A reaction removed → the signal it gave is undone for that person (see reactions.ts). */
import type { MessageReaction, PartialMessageReaction, PartialUser, User } from 'discord.js';
import type { BotContext } from '../context.js';
import type { Listener } from './listener.js';
import { onReaction } from './reaction-common.js';

export const messageReactionRemove: Listener = {
  event: 'messageReactionRemove',
  run: (ctx: BotContext, reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser) =>
    onReaction(ctx, 'remove', reaction, user),
};
