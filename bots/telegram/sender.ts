/**
 * The Telegram list sender, used by `/recommend`, "more like this" and digests alike: a header message,
 * then one message per item (photo with caption, or text with a large link preview) with 👍/👎, "More like
 * this", "Why?" and "Mute source" buttons — or, in the compact layout, one numbered message with a row of
 * those buttons per item; better LLM lines are edited in. Every message goes through the outbox (outbox.ts)
 * in the list's lane: its priority (`ListToSend.priority`), its id, its size. Sending is kept apart from
 * rendering (captions and keyboards are shared.ts's).
 *
 * Media: a photo's `file_id` is remembered per thumbnail (core/recommend/media.ts) and sent instead of the
 * upload next time; a stale id Telegram refuses (400) is dropped and the photo uploaded again. A thumbnail
 * that cannot be sent (too large for a photo, missing file, Telegram refuses the upload or cannot fetch the
 * URL) falls back to a text message with a large link preview of the item's URL.
 *
 * Topics: a target with `threadId` (a forum topic) gets `message_thread_id` on every message; a digest with
 * no thread goes to the topic its chat chose with `/digest topic` (routes.ts).
 *
 * Failures are classified for the digests' exactly-once state machine (core/digest/run.ts): 403 (blocked,
 * kicked) or "chat not found" → `blocked` (unsubscribe); any other answer from the Bot API (GrammyError), or a
 * message that never left the outbox (the bot is stopping) → `rejected` (definitely not sent, retried later);
 * anything else (network error, timeout) → `ambiguous` (may have arrived: never sent again).
 */
import { isAbsolute, resolve } from 'node:path';
import { GrammyError, HttpError, InputFile, type Api, type InlineKeyboard } from 'grammy';
import type { Message } from 'grammy/types';
import { DeliveryError, type DigestSender } from '../../core/digest/types.js';
import type { ContentItem, Lang } from '../../core/domain.js';
import { OutboxClosedError, type OutboxLane } from '../../core/outbox/outbox.js';
import type { StoreWrite } from '../../core/ports.js';
import type {
  DeliveryTarget,
  ItemTranslation,
  ListItemView,
  ListToSend,
  SentItem,
} from '../../core/recommend/delivery.js';
import type { MediaRefs } from '../../core/recommend/media.js';
import { fileMedia, urlMediaKey } from '../media-key.js';
import { withLane } from './outbox.js';
import { compactKeyboard, compactText, feedbackKeyboard, itemCaption, type TgDeps } from './shared.js';

/** Telegram's limit for a photo sent by upload (larger files would be refused with 413). */
const MAX_PHOTO_UPLOAD_BYTES = 10 * 1024 * 1024;

function replyTo(target: DeliveryTarget) {
  return {
    ...(target.replyTo
      ? { reply_parameters: { message_id: Number(target.replyTo), allow_sending_without_reply: true } }
      : {}),
    ...(target.threadId ? { message_thread_id: Number(target.threadId) } : {}),
  };
}

/** Where a thumbnail comes from: a local file to upload or an https URL Telegram fetches, and its media key. */
function photoSource(thumbnail: string | undefined): { key: string; input: () => InputFile | string } | undefined {
  if (!thumbnail) return undefined;
  if (/^https:\/\//i.test(thumbnail)) return { key: urlMediaKey(thumbnail), input: () => thumbnail };
  if (/^[a-z][a-z0-9+.-]*:/i.test(thumbnail)) return undefined; // http:, data:, file: … are not sent
  const path = isAbsolute(thumbnail) ? thumbnail : resolve(thumbnail);
  const file = fileMedia(path); // one stat; the hash is computed once per file
  if (!file || file.size === 0 || file.size > MAX_PHOTO_UPLOAD_BYTES) return undefined;
  return { key: file.key, input: () => new InputFile(path) };
}

/** Telegram refused the photo itself (bad or stale file id, unreachable URL, bad image, too large). */
function photoRefused(e: unknown): boolean {
  return e instanceof GrammyError && (e.error_code === 400 || e.error_code === 413);
}

/**
 * Sends one item message: the photo by remembered `file_id`, else by upload/URL (remembering the new id), else
 * — the thumbnail cannot be sent — text with a large link preview. Returns the message and the media writes.
 */
export async function sendItemMessage(
  api: Api,
  chatId: string,
  item: ContentItem,
  explanation: string,
  lang: Lang,
  keyboard: InlineKeyboard,
  opts: {
    position?: number;
    header?: string;
    translation?: ItemTranslation;
    reply: ReturnType<typeof replyTo>;
    media?: MediaRefs;
  },
): Promise<{ msg: Message; writes: StoreWrite[] }> {
  const writes: StoreWrite[] = [];
  const src = photoSource(item.thumbnail);
  const media = opts.media;
  const caption = {
    ...(opts.position !== undefined ? { position: opts.position } : {}),
    ...(opts.header !== undefined ? { header: opts.header } : {}),
    ...(opts.translation ? { translation: opts.translation } : {}),
  };
  const photoOpts = {
    caption: itemCaption(item, explanation, lang, caption),
    parse_mode: 'HTML' as const,
    reply_markup: keyboard,
    ...opts.reply,
  };
  if (src) {
    const cached = media?.get('telegram', src.key);
    if (cached) {
      try {
        return { msg: await api.sendPhoto(chatId, cached, photoOpts), writes };
      } catch (e) {
        if (!photoRefused(e)) throw e;
        writes.push(media!.forget('telegram', src.key)); // stale id: upload again below
      }
    }
    try {
      const msg = await api.sendPhoto(chatId, src.input(), photoOpts);
      const largest = msg.photo?.at(-1);
      if (media && largest) writes.push(media.remember('telegram', src.key, { id: largest.file_id }));
      return { msg, writes };
    } catch (e) {
      if (!photoRefused(e)) throw e;
    }
  }
  const msg = await api.sendMessage(chatId, itemCaption(item, explanation, lang, { ...caption, withSummary: true }), {
    parse_mode: 'HTML',
    reply_markup: keyboard,
    link_preview_options: { url: item.url, prefer_large_media: true },
    ...opts.reply,
  });
  return { msg, writes };
}

export class TelegramListSender implements DigestSender {
  readonly platform = 'telegram' as const;
  /** Set on stop: no new message starts (a digest resumes where it stopped on the next start). */
  stopping = false;
  private readonly photos = new Set<string>();

  constructor(
    private readonly api: Api,
    private readonly deps: TgDeps,
  ) {}

  /** The outbox lane of a list: its chat, priority, id and size (header + items; a compact list is one message). */
  private lane(target: DeliveryTarget, list: ListToSend): OutboxLane {
    return {
      chat: target.chatId,
      group: target.chatId.startsWith('-'),
      priority: list.priority ?? 'interactive',
      ...(list.id ? { list: list.id } : {}),
      size: list.parts ?? (list.layout === 'compact' ? 1 : list.items.length + 1),
    };
  }

  /** A digest without a thread goes where its chat routed it (`/digest topic`). */
  private async route(target: DeliveryTarget, list: ListToSend): Promise<DeliveryTarget> {
    if (target.threadId || list.priority !== 'digest' || !this.deps.routes) return target;
    const r = await this.deps.routes.get('telegram', target.chatId);
    return r?.digestThreadId ? { ...target, threadId: r.digestThreadId } : target;
  }

  async ready(target: DeliveryTarget, list: ListToSend): Promise<void> {
    await this.deps.outbox.reserve(this.lane(target, list));
  }

  finish(target: DeliveryTarget, list: ListToSend): void {
    this.deps.outbox.finish(this.lane(target, list));
  }

  async sendHeader(target: DeliveryTarget, list: ListToSend): Promise<{ messageIds: string[] }> {
    return this.guard(target, list, async (to) => {
      const msg = await this.api.sendMessage(to.chatId, list.header, replyTo(to));
      return { messageIds: [String(msg.message_id)] };
    });
  }

  async sendItem(
    target: DeliveryTarget,
    view: ListItemView,
    list: ListToSend,
  ): Promise<{ messageIds: string[]; writes: StoreWrite[] }> {
    return this.guard(target, list, async (to) => {
      const { msg, writes } = await sendItemMessage(
        this.api,
        to.chatId,
        view.item,
        view.explanation,
        list.lang,
        feedbackKeyboard(this.deps, to.chatId, view.item.id, list.lang),
        {
          position: view.position,
          ...(view.header ? { header: view.header } : {}),
          ...(view.translation ? { translation: view.translation } : {}),
          reply: replyTo(to),
          ...(this.deps.media ? { media: this.deps.media } : {}),
        },
      );
      if (msg.photo) this.photos.add(String(msg.message_id));
      return { messageIds: [String(msg.message_id)], writes };
    });
  }

  /** The compact layout: the whole list in one text message with a row of buttons per item (one outbox slot). */
  async sendCompact(target: DeliveryTarget, list: ListToSend): Promise<{ messageIds: string[] }[]> {
    return this.guard(target, list, async (to) => {
      const msg = await this.api.sendMessage(to.chatId, compactText(list), {
        parse_mode: 'HTML',
        reply_markup: compactKeyboard(this.deps, to.chatId, list.items),
        link_preview_options: { is_disabled: true },
        ...replyTo(to),
      });
      return list.items.map(() => ({ messageIds: [String(msg.message_id)] }));
    });
  }

  async editCompact(target: DeliveryTarget, sent: readonly SentItem[], list: ListToSend): Promise<void> {
    const messageId = sent[0]?.messageIds[0];
    if (!messageId) return;
    await this.api.editMessageText(target.chatId, Number(messageId), compactText(list), {
      parse_mode: 'HTML',
      reply_markup: compactKeyboard(this.deps, target.chatId, list.items),
      link_preview_options: { is_disabled: true },
    });
  }

  async editItem(
    target: DeliveryTarget,
    sent: { messageIds: string[] },
    view: ListItemView,
    list: ListToSend,
  ): Promise<void> {
    const lang: Lang = list.lang;
    const messageId = sent.messageIds[0];
    if (!messageId) return;
    const markup = {
      parse_mode: 'HTML' as const,
      reply_markup: feedbackKeyboard(this.deps, target.chatId, view.item.id, lang),
    };
    if (this.photos.has(messageId))
      await this.api.editMessageCaption(target.chatId, Number(messageId), {
        caption: itemCaption(view.item, view.explanation, lang, {
          position: view.position,
          ...(view.translation ? { translation: view.translation } : {}),
        }),
        ...markup,
      });
    else
      await this.api.editMessageText(
        target.chatId,
        Number(messageId),
        itemCaption(view.item, view.explanation, lang, {
          position: view.position,
          withSummary: true,
          ...(view.translation ? { translation: view.translation } : {}),
        }),
        // Without these, the edit would fall back to Telegram's default (small) preview.
        { ...markup, link_preview_options: { url: view.item.url, prefer_large_media: true } },
      );
  }

  async sendEmpty(target: DeliveryTarget, text: string): Promise<void> {
    await this.api.sendMessage(target.chatId, text, replyTo(target));
  }

  private async guard<T>(
    target: DeliveryTarget,
    list: ListToSend,
    send: (to: DeliveryTarget) => Promise<T>,
  ): Promise<T> {
    if (this.stopping) throw new DeliveryError('rejected', 'the bot is stopping');
    try {
      const to = await this.route(target, list);
      return await withLane(this.lane(to, list), () => send(to));
    } catch (e) {
      if (e instanceof DeliveryError) throw e;
      if (e instanceof OutboxClosedError) throw new DeliveryError('rejected', e.message, { cause: e });
      if (e instanceof GrammyError) {
        const blocked =
          e.error_code === 403 || /chat not found|bot was kicked|user is deactivated/i.test(e.description);
        throw new DeliveryError(blocked ? 'blocked' : 'rejected', `${e.error_code} ${e.description}`, { cause: e });
      }
      throw new DeliveryError('ambiguous', networkMessage(e), { cause: e });
    }
  }
}

/**
 * grammY's HttpError says only "Network request for 'x' failed!"; the socket's own error (ECONNRESET, a timeout…)
 * is in `.error`: both go into the message so the operator's log line says what failed.
 */
export function networkMessage(e: unknown): string {
  if (e instanceof HttpError) {
    const inner = e.error as { code?: unknown; message?: unknown } | undefined;
    const detail = [inner?.code, inner?.message].filter((x) => typeof x === 'string' && x !== '').join(' ');
    return detail ? `${e.message} (${detail})` : e.message;
  }
  return (e as Error)?.message ?? String(e);
}
