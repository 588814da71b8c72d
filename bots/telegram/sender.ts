/**
 * The Telegram list sender, used by `/recommend`, "more like this" and digests alike: a header message,
 * then one message per item (photo with caption, or text with a large link preview) with 👍/👎, "More like
 * this", "Why?" and "Mute source" buttons — or, in the compact layout, one numbered message with a row of
 * those buttons per item; better LLM lines are edited in. Failures are classified for the digests'
 * exactly-once state machine (core/digest/run.ts): 403 (blocked, kicked) or "chat not found" → `blocked`
 * (unsubscribe); any other answer from the Bot API (GrammyError) → `rejected` (definitely not sent,
 * retried later); anything else (network error, timeout) → `ambiguous` (may have arrived: never sent again).
 */
import { GrammyError, type Api } from 'grammy';
import type { Message } from 'grammy/types';
import { DeliveryError, type DigestSender } from '../../core/digest/types.js';
import type { Lang } from '../../core/domain.js';
import type { DeliveryTarget, ListItemView, ListToSend, SentItem } from '../../core/recommend/delivery.js';
import { compactKeyboard, compactText, feedbackKeyboard, itemCaption, sendItem, type TgDeps } from './shared.js';

function replyTo(target: DeliveryTarget) {
  return {
    ...(target.replyTo
      ? { reply_parameters: { message_id: Number(target.replyTo), allow_sending_without_reply: true } }
      : {}),
    ...(target.threadId ? { message_thread_id: Number(target.threadId) } : {}),
  };
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

  async sendHeader(target: DeliveryTarget, list: ListToSend): Promise<{ messageIds: string[] }> {
    return this.guard(async () => {
      const msg = await this.api.sendMessage(target.chatId, list.header, replyTo(target));
      return { messageIds: [String(msg.message_id)] };
    });
  }

  async sendItem(target: DeliveryTarget, view: ListItemView, list: ListToSend): Promise<{ messageIds: string[] }> {
    return this.guard(async () => {
      const opts = {
        position: view.position,
        ...(view.header ? { header: view.header } : {}),
        ...(view.translation ? { translation: view.translation } : {}),
      };
      const msg: Message = await sendItem(
        this.api,
        target.chatId,
        view.item,
        view.explanation,
        list.lang,
        feedbackKeyboard(this.deps, target.chatId, view.item.id, list.lang),
        { ...opts, ...(target.threadId ? { threadId: Number(target.threadId) } : {}) },
      );
      if (msg.photo) this.photos.add(String(msg.message_id));
      return { messageIds: [String(msg.message_id)] };
    });
  }

  /** The compact layout: the whole list in one text message with a row of buttons per item. */
  async sendCompact(target: DeliveryTarget, list: ListToSend): Promise<{ messageIds: string[] }[]> {
    return this.guard(async () => {
      const msg = await this.api.sendMessage(target.chatId, compactText(list), {
        parse_mode: 'HTML',
        reply_markup: compactKeyboard(this.deps, target.chatId, list.items),
        link_preview_options: { is_disabled: true },
        ...replyTo(target),
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

  private async guard<T>(send: () => Promise<T>): Promise<T> {
    if (this.stopping) throw new DeliveryError('rejected', 'the bot is stopping');
    try {
      return await send();
    } catch (e) {
      if (e instanceof DeliveryError) throw e;
      if (e instanceof GrammyError) {
        const blocked =
          e.error_code === 403 || /chat not found|bot was kicked|user is deactivated/i.test(e.description);
        throw new DeliveryError(blocked ? 'blocked' : 'rejected', `${e.error_code} ${e.description}`, { cause: e });
      }
      throw new DeliveryError('ambiguous', (e as Error)?.message ?? String(e), { cause: e });
    }
  }
}
