/**
 * The idempotency keys of reaction events.
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
