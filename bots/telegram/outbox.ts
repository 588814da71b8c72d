/**
 * Telegram's outbox wiring: every Bot API call that puts a message into a chat (send*, copy/forward, edits)
 * goes through the core outbox (core/outbox/outbox.ts) as a grammY API transformer, so list items, replies and
 * digests share one schedule under Telegram's limits (TELEGRAM_MAX_PER_SECOND, TELEGRAM_CHAT_INTERVAL_MS /
 * TELEGRAM_CHAT_BURST, TELEGRAM_GROUP_PER_MINUTE — the Bot API FAQ's ~30/s, ~1/s per chat, 20/min per group).
 *
 * A call made inside `withLane(lane, fn)` belongs to that lane (a list: its priority, its id, its size); any
 * other call is a one-message interactive lane of its chat. A 429 answer is a flood wait: the outbox pauses the
 * chat (or every chat) for `retry_after` and retries the message first in its lane.
 *
 * What replaced what: @grammyjs/transformer-throttler (Bottleneck, FIFO over every call) is gone — its queue
 * advanced all lists together and knew no priorities. @grammyjs/auto-retry stays for every call the outbox does
 * not schedule (getUpdates is the runner's, answerCallbackQuery, getChatMember, setMyCommands, …), where
 * sleeping on `retry_after` inside the call is right; a message call is not retried by it, because a sleep there
 * would hold the chat's slot and hide the flood wait from the scheduler (and a 5xx on a send may or may not have
 * delivered: digests decide that, see sender.ts).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { autoRetry } from '@grammyjs/auto-retry';
import type { Transformer } from 'grammy';
import type { Config } from '../../core/config.js';
import { Outbox, type OutboxLane, type OutboxLimits } from '../../core/outbox/outbox.js';
import type { Logger } from '../../core/ports.js';

/** Bot API methods that put a message into a chat: the ones Telegram's flood limits count. */
export const OUTBOX_METHODS: ReadonlySet<string> = new Set([
  'sendMessage',
  'sendPhoto',
  'sendAnimation',
  'sendVideo',
  'sendDocument',
  'sendAudio',
  'sendVoice',
  'sendMediaGroup',
  'sendPoll',
  'sendLocation',
  'sendSticker',
  'copyMessage',
  'copyMessages',
  'forwardMessage',
  'forwardMessages',
  'editMessageText',
  'editMessageCaption',
  'editMessageMedia',
  'editMessageReplyMarkup',
]);

export function telegramLimits(cfg: Config): OutboxLimits {
  return {
    perSecond: cfg.TELEGRAM_MAX_PER_SECOND,
    chatIntervalMs: cfg.TELEGRAM_CHAT_INTERVAL_MS,
    chatBurst: cfg.TELEGRAM_CHAT_BURST,
    groupPerMinute: cfg.TELEGRAM_GROUP_PER_MINUTE,
  };
}

/** A Bot API answer of 429, carried through the outbox so it can wait and retry. */
class FloodWait extends Error {
  constructor(readonly response: { ok: false; error_code: number; parameters?: { retry_after?: number } }) {
    super(`429 retry after ${response.parameters?.retry_after ?? 1}`);
  }
}

export function createTelegramOutbox(limits: OutboxLimits, logger: Logger): Outbox {
  return new Outbox({
    name: 'telegram',
    limits,
    logger,
    retryAfterOf: (e) => (e instanceof FloodWait ? (e.response.parameters?.retry_after ?? 1) : undefined),
  });
}

const lanes = new AsyncLocalStorage<OutboxLane>();

/** Runs `fn` with its message calls in `lane` (a list's sends keep their list's place in the outbox). */
export function withLane<T>(lane: OutboxLane, fn: () => Promise<T>): Promise<T> {
  return lanes.run(lane, fn);
}

/** The grammY transformer that routes message calls through the outbox. */
export function outboxTransformer(outbox: Outbox): Transformer {
  return async (prev, method, payload, signal) => {
    const chatId = payload && typeof payload === 'object' && 'chat_id' in payload ? payload.chat_id : undefined;
    if (!OUTBOX_METHODS.has(method) || chatId === undefined) return prev(method, payload, signal);
    const chat = String(chatId);
    const current = lanes.getStore();
    const lane: OutboxLane =
      current && current.chat === chat ? current : { chat, group: chat.startsWith('-'), priority: 'interactive' };
    try {
      return await outbox.send(lane, async () => {
        const res = await prev(method, payload, signal);
        if (!res.ok && res.error_code === 429) throw new FloodWait(res);
        return res;
      });
    } catch (e) {
      if (e instanceof FloodWait) return e.response as Awaited<ReturnType<typeof prev>>;
      throw e;
    }
  };
}

/** auto-retry for every call the outbox does not schedule. */
export function autoRetryOutsideOutbox(maxDelaySeconds: number): Transformer {
  const retry = autoRetry({ maxRetryAttempts: 3, maxDelaySeconds, rethrowHttpErrors: true });
  return (prev, method, payload, signal) =>
    OUTBOX_METHODS.has(method) ? prev(method, payload, signal) : retry(prev, method, payload, signal);
}
