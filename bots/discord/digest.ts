/**
 * Daily digests on Discord: the `DigestSender` the root's digest scheduler ticks for `discord` schedules (set
 * with `/digest`, commands/digest.ts). A digest goes to its channel (a guild channel, a thread, or the DM channel
 * of a private schedule), or where the channel routed it (`/digest channel:`): a text channel, or a forum — then
 * each digest is a forum post of its own (its intro the starter message, tagged with the forum tags the route
 * names, else a tag called "digest"), and its items follow inside the post. Item refs are keyed by the post (a
 * thread is a channel of its own: reactions there come from it). Messages go through the adapter's outbox as
 * `digest` lanes, behind interactive lists.
 *
 * Failures are classified for core/digest/run.ts: the bot cannot see or post in the channel any more (Missing
 * Access 50001, Unknown Channel 10003, Cannot send messages to this user 50007) → `blocked`; any other answer
 * from Discord or a message that never left the outbox → `rejected`; anything else → `ambiguous`.
 */
import { ChannelType, DiscordAPIError, type ForumChannel, type Message, type SendableChannels } from 'discord.js';
import { DeliveryError, type DigestSender } from '../../core/digest/types.js';
import { OutboxClosedError } from '../../core/outbox/outbox.js';
import type { DeliveryTarget, ListItemView, ListToSend, SentMessage } from '../../core/recommend/delivery.js';
import type { BotContext } from './context.js';
import { discordLane, sendItemPayload } from './delivery.js';
import { itemMessage } from './embeds.js';
import { truncate } from './util.js';

const BLOCKED = new Set([10003, 50001, 50007]);
/** Tag names used when the route names none. */
const DEFAULT_TAGS = ['digest', 'digests', 'daily digest', '다이제스트'];

export class DiscordDigestSender implements DigestSender {
  readonly platform = 'discord' as const;
  stopping = false;
  /** The forum post of a list being sent (list id → thread id); also stored, for a resumed digest. */
  private readonly posts = new Map<string, string>();

  constructor(private readonly ctx: BotContext) {}

  ready(target: DeliveryTarget, list: ListToSend): Promise<void> {
    return this.ctx.outbox.reserve(discordLane(target, list));
  }

  finish(target: DeliveryTarget, list: ListToSend): void {
    this.ctx.outbox.finish(discordLane(target, list));
    if (list.id) this.posts.delete(list.id);
  }

  async sendHeader(target: DeliveryTarget, list: ListToSend): Promise<{ messageIds: string[] }> {
    return this.guard(async () => {
      const dest = await this.destination(target);
      const lane = discordLane(target, list);
      if (dest.type === ChannelType.GuildForum) {
        const forum = dest as ForumChannel;
        const route = await this.ctx.app.routes.get('discord', target.chatId);
        const thread = await this.ctx.outbox.send(lane, () =>
          forum.threads.create({
            name: truncate(list.header.split('\n')[0] || list.header, 100),
            message: { content: truncate(list.header, 2000), allowedMentions: { parse: [] } },
            appliedTags: tagsFor(forum, route?.digestTags),
          }),
        );
        if (list.id) {
          this.posts.set(list.id, thread.id);
          await this.ctx.app.routes.rememberPost(list.id, thread.id);
        }
        // A forum post's starter message has the thread's id.
        return { messageIds: [thread.id] };
      }
      const msg = await this.ctx.outbox.send(lane, (): Promise<Message<boolean>> =>
        (dest as SendableChannels).send({ content: truncate(list.header, 2000), allowedMentions: { parse: [] } }),
      );
      return { messageIds: [msg.id] };
    });
  }

  async sendItem(target: DeliveryTarget, view: ListItemView, list: ListToSend): Promise<SentMessage> {
    return this.guard(async () => {
      let dest = await this.destination(target);
      if (dest.type === ChannelType.GuildForum) {
        const post = (list.id && (this.posts.get(list.id) ?? (await this.ctx.app.routes.postOf(list.id)))) || undefined;
        if (!post)
          throw new DeliveryError('rejected', 'the forum post of this digest is unknown (its intro was not sent)');
        dest = await this.channel(post);
      }
      const payload = itemMessage(view, list.lang, view.explanation, view.header);
      const { msg, writes } = await sendItemPayload(
        {
          outbox: this.ctx.outbox,
          media: this.ctx.app.media,
          lane: discordLane(target, list),
          now: () => this.ctx.app.core.clock.now().getTime(),
        },
        payload,
        (p): Promise<Message<boolean>> => (dest as SendableChannels).send({ ...p, allowedMentions: { parse: [] } }),
      );
      return { messageIds: [msg.id], writes, ...(dest.id !== target.chatId ? { chatId: dest.id } : {}) };
    });
  }

  /** The channel the digest goes to: the chat's route, else the chat itself. */
  private async destination(target: DeliveryTarget) {
    const route = await this.ctx.app.routes.get('discord', target.chatId);
    return this.channel(route?.digestChannelId ?? target.chatId);
  }

  private async channel(id: string) {
    const ch = await this.ctx.client.channels.fetch(id);
    if (!ch || (!ch.isSendable() && ch.type !== ChannelType.GuildForum))
      throw new DeliveryError('blocked', `channel ${id} cannot take messages`);
    return ch;
  }

  private async guard<T>(send: () => Promise<T>): Promise<T> {
    if (this.stopping) throw new DeliveryError('rejected', 'the bot is stopping');
    try {
      return await send();
    } catch (e) {
      if (e instanceof DeliveryError) throw e;
      if (e instanceof OutboxClosedError) throw new DeliveryError('rejected', e.message, { cause: e });
      if (e instanceof DiscordAPIError) {
        const code = typeof e.code === 'number' ? e.code : Number(e.code);
        throw new DeliveryError(BLOCKED.has(code) ? 'blocked' : 'rejected', `${e.status} ${code} ${e.message}`, {
          cause: e,
        });
      }
      throw new DeliveryError('ambiguous', (e as Error)?.message ?? String(e), { cause: e });
    }
  }
}

/** The forum's tags whose names the route names (or a "digest" tag), at most 5 (Discord's limit). */
export function tagsFor(forum: Pick<ForumChannel, 'availableTags'>, names: readonly string[] | undefined): string[] {
  const wanted = (names && names.length > 0 ? names : DEFAULT_TAGS).map((n) => n.trim().toLowerCase());
  return forum.availableTags
    .filter((t) => wanted.includes(t.name.trim().toLowerCase()))
    .map((t) => t.id)
    .slice(0, 5);
}
