/**
 * Sending list messages on Discord, apart from rendering them (embeds.ts):
 *
 * - the outbox (core/outbox): every list message waits for its turn in its list's lane — interactive before
 *   digests, a started list before new ones, one message at a time per channel, at most DISCORD_MAX_PER_SECOND
 *   over all channels. Discord's own per-route buckets and 429 `retry_after` stay discord.js's job (its REST
 *   queue knows the bucket headers); a 429 it waits out is counted in the outbox's `/status` line and logged.
 * - media reuse: a local thumbnail uploaded once is shown from its CDN URL next time (until the URL's signed
 *   expiry `ex`), not uploaded again; the reference is stored with the list (core/recommend/media.ts).
 * - fallback: an upload Discord refuses (too large: 413 / code 40005) is sent again without the file — the
 *   embed keeps the item's URL, title and text.
 */
import { DiscordAPIError, RESTEvents, type AttachmentBuilder, type Client, type EmbedBuilder } from 'discord.js';
import type { Config } from '../../core/config.js';
import { Outbox, type OutboxLane } from '../../core/outbox/outbox.js';
import type { Logger, StoreWrite } from '../../core/ports.js';
import type { DeliveryTarget, ListToSend } from '../../core/recommend/delivery.js';
import type { MediaRefs } from '../../core/recommend/media.js';
import { fileMediaKey } from '../media-key.js';
import { COMPACT_PER_MESSAGE, type ItemMessage } from './embeds.js';

/** How long before a signed CDN URL's expiry we stop reusing it. */
const EXPIRY_MARGIN_MS = 3600_000;
/** When a CDN URL carries no `ex`, how long we reuse it. */
const DEFAULT_REUSE_MS = 12 * 3600_000;

export function createDiscordOutbox(cfg: Config, logger: Logger): Outbox {
  return new Outbox({
    name: 'discord',
    // Per-channel pacing is Discord's bucket headers (discord.js); the outbox keeps order, priority and the global cap.
    limits: { perSecond: cfg.DISCORD_MAX_PER_SECOND, chatIntervalMs: 0, chatBurst: 1, groupPerMinute: 0 },
    logger,
  });
}

/** Counts and logs the 429s discord.js waits out (its REST queue retries them after `retry_after`). */
export function watchRateLimits(client: Client, outbox: Outbox, logger: Logger): () => void {
  const on = (info: { global: boolean; route: string; retryAfter: number; scope: string }) => {
    outbox.noteRateLimited();
    logger.warn(
      { route: info.route, retryAfterMs: info.retryAfter, global: info.global, scope: info.scope },
      'Discord rate limit: discord.js waits and retries; if this repeats, lower DISCORD_MAX_PER_SECOND',
    );
  };
  client.rest.on(RESTEvents.RateLimited, on);
  return () => client.rest.off(RESTEvents.RateLimited, on);
}

/**
 * The outbox lane of a list on Discord (the header rides on the first item: one message per item; a compact
 * list is one message per COMPACT_PER_MESSAGE items).
 */
export function discordLane(target: DeliveryTarget, list: ListToSend): OutboxLane {
  const messages = list.layout === 'compact' ? Math.ceil(list.items.length / COMPACT_PER_MESSAGE) : list.items.length;
  return {
    chat: target.chatId,
    priority: list.priority ?? 'interactive',
    ...(list.id ? { list: list.id } : {}),
    size: list.parts ?? messages,
  };
}

/** The expiry of a signed Discord CDN URL (`ex`: hex seconds), less a margin. */
export function cdnExpiry(url: string, now: number): number {
  const ex = /[?&]ex=([0-9a-f]+)/i.exec(url)?.[1];
  return ex ? parseInt(ex, 16) * 1000 - EXPIRY_MARGIN_MS : now + DEFAULT_REUSE_MS;
}

function tooLarge(e: unknown): boolean {
  return e instanceof DiscordAPIError && (e.status === 413 || e.code === 40005);
}

function withoutFiles(payload: ItemMessage, embeds: EmbedBuilder[]): ItemMessage {
  return { ...payload, embeds, files: [] };
}

/** What a platform call answered: the message id, and the CDN URL of its first attachment. */
export interface SentLike {
  id: string;
  attachments: { first(): { url: string } | undefined };
}

/**
 * Sends an item message through the outbox with media reuse and the no-file fallback. `send` performs the
 * platform call (edit the deferred reply, follow up, or post in a channel).
 */
export async function sendItemPayload<M extends SentLike>(
  o: { outbox: Outbox; media?: MediaRefs; lane: OutboxLane; now?: () => number },
  payload: ItemMessage,
  send: (payload: ItemMessage) => Promise<M>,
): Promise<{ msg: M; writes: StoreWrite[] }> {
  const writes: StoreWrite[] = [];
  const now = o.now ?? Date.now;
  const file: AttachmentBuilder | undefined = payload.files[0];
  const path = typeof file?.attachment === 'string' ? file.attachment : undefined;
  const key = path ? fileMediaKey(path) : undefined;
  const embed = payload.embeds[0];
  let out = payload;
  const cached = key ? o.media?.get('discord', key) : undefined;
  if (cached && embed) {
    // Shown from the CDN URL of the earlier upload: no file this time.
    out = withoutFiles(payload, [embed.setThumbnail(cached), ...payload.embeds.slice(1)]);
  }
  const attempt = (p: ItemMessage) => o.outbox.send(o.lane, () => send(p));
  let msg: M;
  try {
    msg = await attempt(out);
  } catch (e) {
    if (!tooLarge(e) || out.files.length === 0 || !embed) throw e;
    // The upload was refused: the embed alone (title, link, text), no thumbnail.
    msg = await attempt(withoutFiles(payload, [embed.setThumbnail(null), ...payload.embeds.slice(1)]));
    return { msg, writes };
  }
  if (key && !cached && o.media && out.files.length > 0) {
    const url = msg.attachments.first()?.url;
    if (url) writes.push(o.media.remember('discord', key, { id: url, expiresAt: cdnExpiry(url, now()) }));
  }
  return { msg, writes };
}
