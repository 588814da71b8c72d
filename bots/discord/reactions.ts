/**
 * Reactions → feedback, and their idempotency keys.
 *
 * The key must make a REDELIVERED gateway event count once, but a GENUINE re-add (add, remove, add
 * again) count every time. Discord reaction events carry no id or timestamp, so the key cannot come
 * from the payload alone (message + user + emoji + add/remove is the same for the first and the third
 * event above; a time bucket would drop a quick genuine re-add and still double-count a redelivery
 * that crosses a bucket edge). What does identify one dispatched event is the gateway session id
 * plus the dispatch sequence number `s`: every event in a session gets a new, increasing `s`, and a
 * RESUME replays missed events with their ORIGINAL `s` in the same session. So the key is
 * `discord:<add|remove>:<message>:<user>:<emoji>:<session_id>:<s>`:
 * - a replay after RESUME (same session, same s) → same key → the core counts it once;
 * - a genuine re-add is a new dispatch → new s → a new key → it counts again;
 * - after a new session (IDENTIFY, restart) Discord does not replay old events, and the session id
 *   differs, so sequence numbers restarting at 1 never collide.
 * The session id comes from the READY dispatch of each shard and `s` from the raw packet (discord.js
 * does not pass `s` to `messageReactionAdd`), matched to the listener call by the event's signature
 * (FIFO, so two identical events in a row get their own keys). If no raw packet was seen (should not
 * happen) the key falls back to a per-process counter: counted once per delivery.
 */
import { randomUUID } from 'node:crypto';
import type { PartialUser, User } from 'discord.js';
import type { BotContext, ReactionReport } from './context.js';
import { PLATFORM, actorOf, describeError } from './util.js';

export type ReactionAction = 'add' | 'remove';

interface RawPacket {
  t?: unknown;
  s?: unknown;
  d?: unknown;
}

const MAX_PENDING = 1000;

function signature(
  action: ReactionAction,
  channelId: string,
  messageId: string,
  userId: string,
  emoji: string,
): string {
  return `${action}|${channelId}|${messageId}|${userId}|${emoji}`;
}

export class ReactionKeys {
  private readonly sessions = new Map<number, string>();
  private readonly pending = new Map<string, string[]>();
  private pendingCount = 0;
  private counter = 0;
  private readonly bootId = randomUUID().slice(0, 8);

  /** Call for every raw gateway dispatch (the `raw` client event), before discord.js handles it. */
  observe(packet: RawPacket, shardId: number): { action: ReactionAction; key: string } | undefined {
    if (packet.t === 'READY') {
      const sid = (packet.d as { session_id?: unknown } | null)?.session_id;
      if (typeof sid === 'string' && sid) this.sessions.set(shardId, sid);
      return undefined;
    }
    if (packet.t !== 'MESSAGE_REACTION_ADD' && packet.t !== 'MESSAGE_REACTION_REMOVE') return undefined;
    const d = packet.d as {
      channel_id?: unknown;
      message_id?: unknown;
      user_id?: unknown;
      emoji?: { id?: unknown; name?: unknown } | null;
    } | null;
    if (
      !d ||
      typeof d.channel_id !== 'string' ||
      typeof d.message_id !== 'string' ||
      typeof d.user_id !== 'string' ||
      !d.emoji
    )
      return undefined;
    const emoji = String(d.emoji.id ?? d.emoji.name ?? '');
    const action: ReactionAction = packet.t === 'MESSAGE_REACTION_ADD' ? 'add' : 'remove';
    const seq = typeof packet.s === 'number' ? packet.s : undefined;
    const session = this.sessions.get(shardId) ?? `boot-${this.bootId}-${shardId}`;
    const marker = seq === undefined ? `local-${this.bootId}-${++this.counter}` : `${session}:${seq}`;
    const key = `discord:${action}:${d.message_id}:${d.user_id}:${emoji}:${marker}`;
    const sig = signature(action, d.channel_id, d.message_id, d.user_id, emoji);
    const list = this.pending.get(sig) ?? [];
    list.push(key);
    this.pending.set(sig, list);
    this.pendingCount++;
    if (this.pendingCount > MAX_PENDING) this.evictOldest();
    return { action, key };
  }

  /** The key of the event the listener is handling now (consumes it). */
  take(action: ReactionAction, channelId: string, messageId: string, userId: string, emoji: string): string {
    const sig = signature(action, channelId, messageId, userId, emoji);
    const list = this.pending.get(sig);
    const key = list?.shift();
    if (list && list.length === 0) this.pending.delete(sig);
    if (key) {
      this.pendingCount--;
      return key;
    }
    return `discord:${action}:${messageId}:${userId}:${emoji}:local-${this.bootId}-${++this.counter}`;
  }

  /** Events discord.js dropped (never reached a listener) must not pile up. */
  private evictOldest(): void {
    const first = this.pending.keys().next();
    if (first.done) return;
    const list = this.pending.get(first.value)!;
    list.shift();
    this.pendingCount--;
    if (list.length === 0) this.pending.delete(first.value);
  }
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
  const result = await ctx.core.feedback.react(
    actor,
    { platform: PLATFORM, chatId: ev.channelId, messageId: ev.messageId },
    ev.emoji,
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
