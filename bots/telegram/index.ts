/**
 * The Telegram adapter (grammY). `startTelegram(app)` builds the bot, registers the commands in Korean
 * and English, and takes updates by long polling with @grammyjs/runner — or by webhook when
 * TELEGRAM_WEBHOOK_URL is set (node:http server on TELEGRAM_WEBHOOK_PORT, secret token checked). API calls
 * go through the throttler (per-chat and global limits) and auto-retry (429 `retry_after`). The digest
 * scheduler ticks every minute in the background and never blocks update handling.
 *
 * @example
 * const tg = await startTelegram(app);
 * // … on shutdown:
 * await tg.stop();
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { autoRetry } from '@grammyjs/auto-retry';
import { run, sequentialize, type RunnerHandle } from '@grammyjs/runner';
import { apiThrottler, type APIThrottlerOptions } from '@grammyjs/transformer-throttler';
import { Bot, webhookCallback, type BotError, type Context } from 'grammy';
import type { BotCommand } from 'grammy/types';
import type { App } from '../app.js';
import { DigestService, type TickReport } from '../../core/digest.js';
import type { Lang } from '../../core/domain.js';
import { RecoError } from '../../core/errors.js';
import { LinkService } from '../../core/link.js';
import { t, type MessageKey } from '../../core/messages.js';
import { systemClock, type Clock } from '../../core/ports.js';
import { digestComposer } from './composers/digest.js';
import { exploreComposer } from './composers/explore.js';
import { feedbackComposer } from './composers/feedback.js';
import { forgetComposer } from './composers/forget.js';
import { helpComposer } from './composers/help.js';
import { linkComposer } from './composers/link.js';
import { personaComposer } from './composers/persona.js';
import { recommendComposer } from './composers/recommend.js';
import { statusComposer } from './composers/status.js';
import { conversationComposer } from './composers/conversation.js';
import { TelegramDigestSender } from './sender.js';
import { CallbackSigner, langOf, type TgDeps } from './shared.js';

/** The update types the bot asks for. `message_reaction` is not sent unless asked for. */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'message_reaction', 'my_chat_member'] as const;

export const COMMANDS = ['recommend', 'digest', 'persona', 'explore', 'link', 'forget', 'status', 'help'] as const;

export interface StartTelegramOptions {
  clock?: Clock;
  /** Share one LinkService with the console / Discord (default: a new one). */
  links?: LinkService;
  /** Digest scheduler period; 0 turns the timer off (tests call `tick()`). Default 60 000. */
  digestIntervalMs?: number;
  /** Digest lock expiry (renewed before each send). Default 60 000. */
  digestLockTtlMs?: number;
  /** Throttler limits (grammY transformer-throttler); defaults follow Telegram's published limits. */
  throttle?: APIThrottlerOptions;
  /** auto-retry: the longest `retry_after` to wait (s). Default 120. */
  maxRetryAfterSeconds?: number;
  /** Long-polling timeout in seconds (default 30). */
  pollTimeoutSeconds?: number;
  /** Webhook mode: where the HTTP server listens (default 0.0.0.0 and TELEGRAM_WEBHOOK_PORT). */
  webhookHost?: string;
  webhookPort?: number;
  /** Called after each update was handled (or failed): metrics, and tests waiting for an update. */
  onUpdateHandled?: (updateId: number) => void;
}

export interface TelegramHandle {
  bot: Bot;
  digest: DigestService;
  links: LinkService;
  /** Runs one digest tick now (the timer calls this every minute). */
  tick(): Promise<TickReport>;
  /** The webhook server's port (webhook mode only). */
  webhookPort?: number;
  stop(): Promise<void>;
}

/** Default throttling: Telegram allows ~30 messages/s overall, ~1/s per chat and 20/min per group. */
export const DEFAULT_THROTTLE: APIThrottlerOptions = {
  global: { reservoir: 30, reservoirRefreshAmount: 30, reservoirRefreshInterval: 1000 },
  group: {
    maxConcurrent: 1,
    minTime: 1000,
    reservoir: 20,
    reservoirRefreshAmount: 20,
    reservoirRefreshInterval: 60_000,
  },
  out: { maxConcurrent: 1, minTime: 350 },
};

/** The webhook secret: TELEGRAM_WEBHOOK_SECRET, or one derived from the token (always checked). */
export function webhookSecret(token: string, configured: string | undefined): string {
  return configured ?? createHmac('sha256', 'deep-reco telegram webhook v1').update(token).digest('hex').slice(0, 48);
}

function commandList(lang: Lang): BotCommand[] {
  return COMMANDS.map((command) => ({ command, description: t(lang, `cmd.desc.${command}` as MessageKey) }));
}

export async function startTelegram(app: App, opts: StartTelegramOptions = {}): Promise<TelegramHandle> {
  const cfg = app.config;
  const token = cfg.TELEGRAM_TOKEN;
  if (!token)
    throw new RecoError('CONFIG_INVALID', 'TELEGRAM_TOKEN is not set', { details: { variables: ['TELEGRAM_TOKEN'] } });
  const logger = app.logger.child({ module: 'telegram' });
  const clock = opts.clock ?? systemClock;

  const bot = new Bot(token, {
    client: { ...(cfg.TELEGRAM_API_ROOT ? { apiRoot: cfg.TELEGRAM_API_ROOT.replace(/\/+$/, '') } : {}) },
  });
  // Installed last = runs first: auto-retry wraps the throttler, so a retried call is throttled again.
  bot.api.config.use(apiThrottler(opts.throttle ?? DEFAULT_THROTTLE));
  bot.api.config.use(
    autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: opts.maxRetryAfterSeconds ?? 120, rethrowHttpErrors: true }),
  );

  const links = opts.links ?? new LinkService({ reco: app.reco, store: app.store, clock, logger });
  const digest = new DigestService({
    reco: app.reco,
    store: app.store,
    clock,
    logger,
    defaultTime: cfg.DIGEST_DEFAULT_TIME,
    defaultTz: cfg.DIGEST_DEFAULT_TZ,
    size: cfg.DIGEST_SIZE,
    lockTtlMs: opts.digestLockTtlMs ?? 60_000,
    owner: `telegram-${randomUUID()}`,
    ...(app.llm?.enabled
      ? {
          introWriter: ({ userId, lang, template, evidence }) =>
            app.llm.explainer.introLine({ id: userId }, lang, { template, evidence }, { waitMs: cfg.LLM_TIMEOUT_MS }),
        }
      : {}),
  });

  await bot.init();
  const deps: TgDeps = {
    app,
    digest,
    links,
    signer: new CallbackSigner(token),
    clock,
    logger,
    botId: bot.botInfo.id,
    botUsername: bot.botInfo.username,
  };

  if (opts.onUpdateHandled) {
    const hook = opts.onUpdateHandled;
    bot.use(async (ctx, next) => {
      try {
        await next();
      } finally {
        hook(ctx.update.update_id);
      }
    });
  }
  // One update at a time per (chat, user): a reaction change and a button press are applied in order.
  bot.use(
    sequentialize((ctx: Context) =>
      ctx.chat ? [`${ctx.chat.id}:${ctx.from?.id ?? ''}`] : ctx.from ? [`u:${ctx.from.id}`] : [],
    ),
  );
  const boundary = (feature: string) => async (err: BotError<Context>) => {
    logger.error({ err: err.error, feature, update: err.ctx.update.update_id }, 'telegram handler failed');
    try {
      const lang = await langOf(deps, err.ctx);
      const text = app.reco.userMessage(err.error, lang);
      if (err.ctx.callbackQuery) await err.ctx.answerCallbackQuery({ text, show_alert: true });
      else if (err.ctx.chat && err.ctx.message) await err.ctx.reply(text);
    } catch (e) {
      logger.warn({ err: e }, 'could not tell the user about an error');
    }
  };
  const features = {
    recommend: recommendComposer,
    digest: digestComposer,
    persona: personaComposer,
    forget: forgetComposer,
    explore: exploreComposer,
    link: linkComposer,
    status: statusComposer,
    help: helpComposer,
    feedback: feedbackComposer,
    conversation: conversationComposer,
  };
  for (const [name, make] of Object.entries(features)) bot.errorBoundary(boundary(name)).use(make(deps));
  bot.catch((err) => logger.error({ err: err.error }, 'unhandled telegram error'));

  try {
    await bot.api.setMyCommands(commandList('en'));
    await bot.api.setMyCommands(commandList('ko'), { language_code: 'ko' });
    await bot.api.setMyCommands(commandList('en'), { language_code: 'en' });
  } catch (e) {
    logger.warn({ err: e }, 'setMyCommands failed; commands still work');
  }

  // ---------------------------------------------------------------- updates
  let runner: RunnerHandle | undefined;
  let server: Server | undefined;
  let webhookPort: number | undefined;
  if (cfg.TELEGRAM_WEBHOOK_URL) {
    const secret = webhookSecret(token, cfg.TELEGRAM_WEBHOOK_SECRET);
    const path = new URL(cfg.TELEGRAM_WEBHOOK_URL).pathname;
    // 'return': answer Telegram before a slow handler ends, so it does not re-deliver the update.
    const handle = webhookCallback(bot, 'http', {
      secretToken: secret,
      onTimeout: 'return',
      timeoutMilliseconds: 8000,
    });
    server = createServer((req, res) => {
      if (req.method === 'POST' && (req.url ?? '').split('?')[0] === path) {
        handle(req, res).catch((e: unknown) => {
          logger.error({ err: e }, 'webhook handler failed');
          if (!res.headersSent) res.writeHead(500).end();
        });
        return;
      }
      res.writeHead(404).end();
    });
    const srv = server;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(opts.webhookPort ?? cfg.TELEGRAM_WEBHOOK_PORT, opts.webhookHost ?? '0.0.0.0', () => resolve());
    });
    const addr = srv.address();
    webhookPort = typeof addr === 'object' && addr ? addr.port : undefined;
    await bot.api.setWebhook(cfg.TELEGRAM_WEBHOOK_URL, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES] });
    logger.info({ port: webhookPort, path }, 'telegram webhook mode');
  } else {
    await bot.api.deleteWebhook();
    runner = run(bot, {
      runner: {
        fetch: { allowed_updates: [...ALLOWED_UPDATES], timeout: opts.pollTimeoutSeconds ?? 30 },
        silent: true,
      },
    });
    logger.info({ bot: bot.botInfo.username }, 'telegram long polling');
  }

  // ---------------------------------------------------------------- digest scheduler
  const sender = new TelegramDigestSender(bot.api, deps);
  let running: Promise<TickReport> | undefined;
  let stopped = false;
  const tick = (): Promise<TickReport> => {
    if (running) return running;
    running = digest.tick(sender, clock.now()).finally(() => (running = undefined));
    return running;
  };
  const background = () => {
    if (stopped) return;
    tick().catch((e: unknown) => logger.error({ err: e }, 'digest tick failed'));
  };
  const interval = opts.digestIntervalMs ?? 60_000;
  const timer = interval > 0 ? setInterval(background, interval) : undefined;
  timer?.unref();
  if (interval > 0) setImmediate(background); // catch up at start (late delivery after a restart)
  app.statusLines.push(async () => {
    const on = (await digest.schedules('telegram')).filter((s) => s.enabled).length;
    return [`Telegram: @${bot.botInfo.username}, ${server ? 'webhook' : 'long polling'}, ${on} digest chats`];
  });

  return {
    bot,
    digest,
    links,
    tick,
    ...(webhookPort !== undefined ? { webhookPort } : {}),
    async stop() {
      if (stopped) return;
      stopped = true;
      sender.stopping = true;
      if (timer) clearInterval(timer);
      if (runner?.isRunning()) await runner.stop();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      // Let a tick in flight stop at its next part (bounded: a hung request is abandoned).
      if (running)
        await Promise.race([running.catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
    },
  };
}
