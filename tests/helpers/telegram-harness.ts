/**
 * Starts the real grammY bot (`startTelegram`) against the fake Bot API, with an update-handled signal
 * so tests can wait for an update to be processed (reactions produce no API call).
 */
import { EventEmitter } from 'node:events';
import type { App } from '../../app/compose.js';
import { startTelegram, type StartTelegramOptions, type TelegramHandle } from '../../bots/telegram/index.js';
import type { ConfigKey } from '../../core/config.js';
import type { ContentItem } from '../../core/domain.js';
import { NO_LIMITS, type OutboxLimits } from '../../core/outbox/outbox.js';
import type { KeyValueStore } from '../../core/ports.js';
import type { FakeTelegram, RecordedCall } from './fake-telegram.js';
import { makeApp, type TestClock } from './telegram-app.js';

/** No rate limits in tests unless a test sets them (the outbox's scheduling is tested on its own and with the limited fake). */
export const FAST_LIMITS: OutboxLimits = NO_LIMITS;

export interface RunningBot {
  app: App;
  tg: TelegramHandle;
  /** Resolves once update `id` has been handled. */
  handled(id: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startBot(
  fake: FakeTelegram,
  store: KeyValueStore,
  clock: TestClock,
  opts: StartTelegramOptions & {
    env?: Partial<Record<ConfigKey, string>>;
    /** The digest scheduler's period (0: no timer, tests call `tick()`) and lock expiry (the root's settings). */
    digestIntervalMs?: number;
    digestLockTtlMs?: number;
    /** The catalog (default: `fixtureItems`). */
    items?: ContentItem[];
    /** People's own sources: the address guard's switch and DNS (CreateAppOptions). */
    sources?: Parameters<typeof makeApp>[0]['sources'];
  } = {},
): Promise<RunningBot> {
  const { env, digestIntervalMs, digestLockTtlMs, items, sources, ...rest } = opts;
  const app = await makeApp({
    store,
    clock,
    ...(items ? { items } : {}),
    env: { TELEGRAM_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, DIGEST_SIZE: '4', ...env },
    digest: { intervalMs: digestIntervalMs ?? 0, lockTtlMs: digestLockTtlMs ?? 5000 },
    ...(sources ? { sources } : {}),
  });
  const done = new Set<number>();
  const events = new EventEmitter();
  const tg = await startTelegram(app, {
    clock,
    limits: FAST_LIMITS,
    pollTimeoutSeconds: 10,
    ...rest,
    onUpdateHandled: (id) => {
      done.add(id);
      events.emit('handled', id);
    },
  });
  return {
    app,
    tg,
    handled(id, timeoutMs = 20_000) {
      if (done.has(id)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('handled', on);
          reject(new Error(`update ${id} was not handled in time`));
        }, timeoutMs);
        const on = (x: number) => {
          if (x !== id) return;
          clearTimeout(timer);
          events.off('handled', on);
          resolve();
        };
        events.on('handled', on);
      });
    },
    stop: async () => {
      await tg.stop();
      await app.digestScheduler.stop();
    },
  };
}

/** The inline keyboard of a recorded send call. */
export function buttonsOf(payload: Record<string, unknown>): { text: string; callback_data: string }[] {
  const markup = payload.reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined;
  return markup?.inline_keyboard?.flat() ?? [];
}

/** The text or caption a recorded send call carried. */
export function textOf(payload: Record<string, unknown>): string {
  return String(payload.text ?? payload.caption ?? '');
}

/** The successful sendMessage/sendPhoto calls among `calls`. */
export function sends(calls: RecordedCall[]): RecordedCall[] {
  return calls.filter((c) => (c.method === 'sendMessage' || c.method === 'sendPhoto') && c.ok);
}

/** The message id a send call returned. */
export function msgId(c: RecordedCall): number {
  return (c.result as { message_id: number }).message_id;
}

/** The user document behind a Telegram user, if the bot has one. */
export async function userDocOf(bot: RunningBot, tgUser: { id: number }) {
  const id = await bot.app.reco.users.findUserId('telegram', String(tgUser.id));
  return id ? bot.app.reco.users.get(id) : undefined;
}
