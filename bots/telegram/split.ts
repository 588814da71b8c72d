/**
 * Every Telegram text the bot sends goes through this API transformer, so no reply can exceed the Bot
 * API's limits whoever wrote it: a `sendMessage` longer than 4,096 characters becomes several messages
 * (cut by the one splitter, core/split.ts: paragraphs, lines, sentences, spaces), the first keeping the
 * reply target and the last the keyboard; an `editMessageText` (one message by nature) is clipped with
 * an ellipsis. The caller gets the last part's message (the one with the buttons).
 */
import type { Transformer } from 'grammy';
import { TELEGRAM_TEXT_LIMIT, clipMessage, splitMessage } from '../../core/split.js';

export function splitLongMessages(limit = TELEGRAM_TEXT_LIMIT): Transformer {
  return async (prev, method, payload, signal) => {
    const p = payload as Record<string, unknown>;
    if (method === 'editMessageText' && typeof p.text === 'string' && p.text.length > limit)
      return prev(method, { ...payload, text: clipMessage(p.text, limit) } as typeof payload, signal);
    if (method !== 'sendMessage' || typeof p.text !== 'string' || p.text.length <= limit)
      return prev(method, payload, signal);
    const parts = splitMessage(p.text, limit);
    const { reply_markup, reply_parameters, ...common } = p;
    let last: Awaited<ReturnType<typeof prev>> | undefined;
    for (const [i, text] of parts.entries()) {
      const part = {
        ...common,
        text,
        ...(i === 0 && reply_parameters !== undefined ? { reply_parameters } : {}),
        ...(i === parts.length - 1 && reply_markup !== undefined ? { reply_markup } : {}),
      };
      last = await prev(method, part as typeof payload, signal);
      if (!last.ok) return last;
    }
    return last!;
  };
}
