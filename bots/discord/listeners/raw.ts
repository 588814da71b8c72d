/**
 * Every raw gateway dispatch, before discord.js handles it:
 * - records the session id and sequence number that make reaction idempotency keys (reactions.ts);
 * - handles reactions in channels discord.js has not cached — DMs after a restart, threads (channel type 11)
 *   the bot was not told about: discord.js cannot build a partial channel from a reaction payload (it carries
 *   no channel type) and drops the event, so it is handled here from the payload;
 * - fills the fields discord.js needs on an INTERACTION_CREATE that recorded payloads may lack
 *   (`entitlements`, `authorizing_integration_owners`), so it never throws while building the interaction;
 * - neutralises malformed dispatches of the events this bot handles, so a bad payload is logged
 *   instead of throwing inside discord.js.
 */
import type { BotContext } from '../context.js';
import { handleReaction, reactionEmoji } from '../reactions.js';
import type { Listener } from './listener.js';

const isId = (v: unknown): v is string => typeof v === 'string' && /^\d{1,25}$/.test(v);

/** Shape checks for the dispatches this bot relies on; false = drop it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untrusted JSON, checked field by field here
function wellFormed(t: string, d: any): boolean {
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return false;
  switch (t) {
    case 'INTERACTION_CREATE':
      return (
        isId(d.id) &&
        typeof d.token === 'string' &&
        typeof d.type === 'number' &&
        (d.user || d.member?.user) &&
        typeof (d.user ?? d.member.user).id === 'string' &&
        (d.type === 1 || (d.data !== null && typeof d.data === 'object'))
      );
    case 'MESSAGE_REACTION_REMOVE_ALL':
      return isId(d.channel_id) && isId(d.message_id);
    case 'MESSAGE_REACTION_REMOVE_EMOJI':
      return (
        isId(d.channel_id) &&
        isId(d.message_id) &&
        d.emoji !== null &&
        typeof d.emoji === 'object' &&
        (typeof d.emoji.name === 'string' || isId(d.emoji.id))
      );
    case 'MESSAGE_REACTION_ADD':
    case 'MESSAGE_REACTION_REMOVE':
      return (
        isId(d.user_id) &&
        isId(d.channel_id) &&
        isId(d.message_id) &&
        d.emoji !== null &&
        typeof d.emoji === 'object' &&
        (typeof d.emoji.name === 'string' || isId(d.emoji.id)) &&
        (d.member === undefined ||
          (d.member !== null && typeof d.member === 'object' && typeof d.member.user?.id === 'string'))
      );
    case 'MESSAGE_CREATE':
      return (
        isId(d.id) &&
        isId(d.channel_id) &&
        d.author !== null &&
        typeof d.author === 'object' &&
        isId(d.author.id) &&
        (d.content === undefined || typeof d.content === 'string') &&
        (d.mentions === undefined || Array.isArray(d.mentions))
      );
    case 'GUILD_CREATE':
      return isId(d.id);
    default:
      return true;
  }
}

export const raw: Listener = {
  event: 'raw',
  run(ctx: BotContext, packet: { t?: unknown; s?: unknown; d?: unknown; op?: unknown } | null, shardId: number) {
    if (!packet || typeof packet !== 'object' || typeof packet.t !== 'string') return;
    const t = packet.t;
    if (!wellFormed(t, packet.d)) {
      ctx.log.warn(
        { event: t, seq: packet.s },
        'ignored a malformed gateway event (nothing to do unless it repeats; then report it with this line)',
      );
      // discord.js handles the same object right after this listener: make it an event it ignores.
      (packet as { t: string }).t = `DEEP_RECO_DROPPED_${t}`;
      return;
    }
    if (t === 'INTERACTION_CREATE') {
      const d = packet.d as { entitlements?: unknown; authorizing_integration_owners?: unknown };
      if (!Array.isArray(d.entitlements)) d.entitlements = [];
      if (d.authorizing_integration_owners === null || typeof d.authorizing_integration_owners !== 'object')
        d.authorizing_integration_owners = {};
      return;
    }
    if (t === 'MESSAGE_REACTION_REMOVE_ALL' || t === 'MESSAGE_REACTION_REMOVE_EMOJI') {
      // A moderator cleared reactions (all, or one emoji). That is not the reactors taking their feedback back:
      // what people told the bot stays; only a reactor's own removal undoes their signal.
      ctx.log.debug(
        { event: t, channel: (packet.d as { channel_id: string }).channel_id },
        'reactions cleared on a message: the feedback already given stays',
      );
      return;
    }
    const marked = ctx.reactionKeys.observe(packet, typeof shardId === 'number' ? shardId : 0);
    if (!marked) return;
    const d = packet.d as {
      user_id: string;
      channel_id: string;
      message_id: string;
      guild_id?: string;
      emoji: { id?: string | null; name?: string | null; animated?: boolean };
    };
    if (ctx.client.channels.cache.has(d.channel_id)) return; // discord.js emits messageReactionAdd/Remove
    const emoji = reactionEmoji(ctx, d.emoji);
    const key = ctx.reactionKeys.take(
      marked.action,
      d.channel_id,
      d.message_id,
      d.user_id,
      String(d.emoji.id ?? d.emoji.name ?? ''),
    );
    return handleReaction(ctx, {
      action: marked.action,
      userId: d.user_id,
      channelId: d.channel_id,
      messageId: d.message_id,
      emoji,
      idempotencyKey: key,
    }).then(() => undefined);
  },
};
