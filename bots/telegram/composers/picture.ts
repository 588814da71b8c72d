/**
 * Search by picture: a photo (or an image sent as a document, uncompressed) gets the items that look alike, with
 * the caption (if any) narrowing the search. In private chats every photo is a search; in groups only a photo
 * whose caption starts with `/image` (people share photos in groups for other reasons).
 *
 * The file is read through the Bot API: `getFile` → `file_path`, downloaded from the Bot API server the bot talks
 * to (TELEGRAM_API_ROOT) with the thumbnail limits (app/user-images.ts). Of a photo's sizes the largest one within
 * THUMB_MAX_BYTES is taken (Telegram sends several, smallest first).
 */
import { Composer, type Context } from 'grammy';
import type { Document, PhotoSize } from 'grammy/types';
import { t } from '../../../core/messages.js';
import { TelegramListSender } from '../sender.js';
import { actorOf, chatOf, langOf, type TgDeps } from '../shared.js';

const BOT_API = 'https://api.telegram.org';
/** `/image` (or `/image@bot`) at the start of a caption. */
const IMAGE_COMMAND = /^\/image(?:@\w+)?(?:\s+|$)/i;

/** The file to read: the largest photo size within the byte limit, or an image document. */
export function pictureFile(
  msg: { photo?: PhotoSize[]; document?: Document },
  maxBytes: number,
): { fileId: string; size?: number } | undefined {
  if (msg.photo?.length) {
    const fits = msg.photo.filter((p) => (p.file_size ?? 0) <= maxBytes);
    const best = (fits.length ? fits : msg.photo).reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
    return { fileId: best.file_id, ...(best.file_size !== undefined ? { size: best.file_size } : {}) };
  }
  const doc = msg.document;
  if (doc && doc.mime_type?.startsWith('image/'))
    return { fileId: doc.file_id, ...(doc.file_size !== undefined ? { size: doc.file_size } : {}) };
  return undefined;
}

export function pictureComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  const { userImages, config } = deps.app;
  c.on(['message:photo', 'message:document'], async (ctx, next) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    const msg = ctx.msg;
    const file = pictureFile(msg, userImages.maxBytes);
    if (!actor || !chat || !file) return next();
    let caption = (msg.caption ?? '').trim();
    if (chat.kind === 'group') {
      if (!IMAGE_COMMAND.test(caption)) return next();
    }
    caption = caption.replace(IMAGE_COMMAND, '').trim();
    const lang = await langOf(deps, ctx);
    if (!deps.core.images.available) {
      await ctx.reply(t(lang, 'image.noEncoder'), { reply_parameters: { message_id: msg.message_id } });
      return;
    }
    if (file.size !== undefined && file.size > userImages.maxBytes) {
      await ctx.reply(userImages.problemMessage(lang, 'tooLarge'));
      return;
    }
    await ctx.replyWithChatAction('typing').catch(() => undefined);
    const info = await ctx.api.getFile(file.fileId);
    const picture = info.file_path
      ? await userImages.fromTelegram(config.TELEGRAM_API_ROOT || BOT_API, ctx.api.token, info.file_path)
      : ({ ok: false, error: 'download' } as const);
    if (!picture.ok) {
      await ctx.reply(userImages.problemMessage(lang, picture.error));
      return;
    }
    const thread = msg.is_topic_message ? msg.message_thread_id : undefined;
    const res = await deps.core.images.search(
      actor,
      picture.value,
      caption ? { caption } : {},
      {
        platform: 'telegram',
        chatId: chat.chatId,
        ...(chat.kind === 'group' ? { replyTo: String(msg.message_id) } : {}),
        ...(thread ? { threadId: String(thread) } : {}),
      },
      new TelegramListSender(ctx.api, deps),
    );
    if (res.status !== 'sent') await ctx.reply(res.message);
  });
  return c;
}
