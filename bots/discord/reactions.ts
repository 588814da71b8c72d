/**
 * Reactions → feedback: a reaction by whoever reacted on a bot item message becomes a core
 * `feedback.react` call with the idempotency key from `ReactionKeys` (reaction-keys.ts). On a compact list
 * message (several items), 👍/👎 cannot say which item they are for and are not counted; a keycap 1️⃣–🔟 counts
 * as a 👍 for item N of that message (removing it takes the 👍 back).
 */
import type { PartialUser, User } from 'discord.js';
import type { BotContext, ReactionReport } from './context.js';
import type { ReactionAction } from './reaction-keys.js';
import { PLATFORM, actorOf, describeError } from './util.js';

export type { ReactionAction } from './reaction-keys.js';

/**
 * The emoji a reaction gives the core: the Unicode emoji itself, or for a custom emoji (one with an id) its
 * Discord form `<:name:id>` (`<a:name:id>` when animated) — unless the feedback table lists the emoji by
 * its bare name, so an operator can map custom emoji in FEEDBACK_LIKE_EMOJIS / FEEDBACK_DISLIKE_EMOJIS
 * either way. A deleted custom emoji (name null) is its id, which no table lists.
 */
export function reactionEmoji(
  ctx: Pick<BotContext, 'core'>,
  emoji: { id?: string | null; name?: string | null; animated?: boolean | null },
): string {
  if (!emoji.id) return emoji.name ?? '';
  if (!emoji.name) return emoji.id;
  const full = `<${emoji.animated ? 'a' : ''}:${emoji.name}:${emoji.id}>`;
  const table = ctx.core.feedback.emojis;
  if (table.signalOf(full) === undefined && table.signalOf(emoji.name) !== undefined) return emoji.name;
  return full;
}

export interface ReactionEvent {
  action: ReactionAction;
  userId: string;
  /** The discord.js user when the listener has one (full or partial). */
  user?: User | PartialUser;
  channelId: string;
  messageId: string;
  /** Unicode emoji, or the custom emoji's name. */
  emoji: string;
  idempotencyKey: string;
}

/**
 * Records a reaction (by whoever reacted) on a bot item message. Own reactions and other bots'
 * are ignored; reactions on messages we never mapped are ignored quietly (debug log) — the bot sees
 * reactions on every message in its channels, so these are the common case.
 */
export async function handleReaction(ctx: BotContext, ev: ReactionEvent): Promise<ReactionReport> {
  const { client, log } = ctx;
  const base = {
    action: ev.action,
    userId: ev.userId,
    channelId: ev.channelId,
    messageId: ev.messageId,
    emoji: ev.emoji,
    idempotencyKey: ev.idempotencyKey,
  };
  const report = (status: ReactionReport['status']): ReactionReport => {
    const r = { ...base, status };
    ctx.events.emit('reaction', r);
    return r;
  };
  if (ev.userId === client.user?.id) return report('own');
  let user: User | PartialUser | undefined = ev.user;
  // Runs only for our messages (the core looked the message up first): a partial user is fetched to skip bots.
  const admit = async (): Promise<boolean> => {
    if (!user || user.partial) {
      try {
        user = await client.users.fetch(ev.userId);
      } catch (e) {
        log.debug(
          { err: describeError(e), user: ev.userId },
          'could not fetch the reacting user; treating them as a person',
        );
      }
    }
    return !user?.bot;
  };
  const actor = ev.user && !ev.user.partial ? actorOf(ev.user) : actorOf({ id: ev.userId });
  // On a compact list (several items in one message) a keycap 1️⃣–🔟 is a 👍 for that item.
  const n = keycapNumber(ev.emoji);
  const result = await ctx.core.feedback.react(
    actor,
    {
      platform: PLATFORM,
      chatId: ev.channelId,
      messageId: ev.messageId,
      ...(n ? { pickItem: (ids: readonly string[]) => (ids.length > 1 ? ids[n - 1] : undefined) } : {}),
    },
    n ? ctx.core.emojis.defaults.like : ev.emoji,
    ev.action,
    { idempotencyKey: ev.idempotencyKey, admit },
  );
  if (result.status === 'unknown-message') {
    log.debug(
      { channel: ev.channelId, message: ev.messageId },
      'reaction on a message that carries no recommendation: ignored',
    );
    return report('unknown-message');
  }
  if (result.status === 'refused') return report('bot');
  log.debug({ status: result.status, user: ev.userId, message: ev.messageId, action: ev.action }, 'reaction handled');
  return report(result.status);
}

/** 1–10 for the keycap emoji 1️⃣–9️⃣ and 🔟 (with or without the variation selector); undefined otherwise. */
export function keycapNumber(emoji: string): number | undefined {
  if (emoji === '🔟') return 10;
  const m = /^([1-9])\uFE0F?\u20E3$/u.exec(emoji);
  return m ? Number(m[1]) : undefined;
}
