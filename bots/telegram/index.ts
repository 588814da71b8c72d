/**
 * The Telegram adapter (grammY). `startTelegram(app)` builds the bot, registers the commands in Korean
 * and English, and takes updates by long polling with @grammyjs/runner — or by webhook when
 * TELEGRAM_WEBHOOK_URL is set (node:http server on TELEGRAM_WEBHOOK_PORT, secret token checked). Message
 * calls go through the outbox (outbox.ts: Telegram's limits, priorities, fair per-list order, 429 flood waits);
 * other calls through auto-retry. Uploaded photos' file_ids are loaded at start and reused. Digests, links
 * and everything else come built from the composition root; this adapter registers its list sender with
 * the root's digest scheduler.
 *
 * @example
 * const tg = await startTelegram(app);
 * // … on shutdown:
 * await tg.stop();
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { run, sequentialize, type RunnerHandle } from '@grammyjs/runner';
import { Bot, GrammyError, webhookCallback, type BotError, type Context } from 'grammy';
import type { BotCommand, Update } from 'grammy/types';
import type { App } from '../../app/compose.js';
import type { DigestService } from '../../core/digest/service.js';
import type { TickReport } from '../../core/digest/types.js';
import type { Lang } from '../../core/domain.js';
import { RecoError } from '../../core/errors.js';
import type { LinkService } from '../../core/identity/link.js';
import { t, type MessageKey } from '../../core/messages.js';
import { describeOutbox, type OutboxLimits } from '../../core/outbox/outbox.js';
import { systemClock, type Clock } from '../../core/ports.js';
import { userMessage } from '../../core/status/status.js';
import type { PlatformAdapter } from '../adapter.js';
import { startWithRetry } from '../startup.js';
import { digestComposer } from './composers/digest.js';
import { exploreComposer } from './composers/explore.js';
import { feedbackComposer } from './composers/feedback.js';
import { forgetComposer } from './composers/forget.js';
import { helpComposer } from './composers/help.js';
import { linkComposer } from './composers/link.js';
import { onboardingComposer } from './composers/onboarding.js';
import { pictureComposer } from './composers/picture.js';
import { personaComposer } from './composers/persona.js';
import { quietComposer } from './composers/quiet.js';
import { recommendComposer } from './composers/recommend.js';
import { statusComposer } from './composers/status.js';
import { filtersComposer } from './composers/filters.js';
import { itemActionsComposer } from './composers/item-actions.js';
import { layoutComposer } from './composers/layout.js';
import { listReplyComposer } from './composers/list-reply.js';
import { muteComposer } from './composers/mute.js';
import { translateComposer } from './composers/translate.js';
import { unmuteComposer } from './composers/unmute.js';
import { conversationComposer } from './composers/conversation.js';
import { autoRetryOutsideOutbox, createTelegramOutbox, outboxTransformer, telegramLimits } from './outbox.js';
import { sourcesComposer } from './composers/sources.js';
import { staleButtonsComposer } from './composers/stale-buttons.js';
import { updatesComposer } from './composers/updates.js';
import { splitLongMessages } from './split.js';
import { TelegramListSender } from './sender.js';
import { CallbackSigner, langOf, type TgDeps } from './shared.js';

/** The update types the bot asks for. `message_reaction` is not sent unless asked for. */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'message_reaction', 'my_chat_member'] as const;

export const COMMANDS = [
  'recommend',
  'digest',
  'quiet',
  'persona',
  'interests',
  'mute',
  'unmute',
  'filters',
  'layout',
  'translate',
  'explore',
  'link',
  'forget',
  'status',
  'help',
  'subscribe',
  'unsubscribe',
  'sources',
] as const;

export interface StartTelegramOptions {
  clock?: Clock;
  /** The outbox's limits; default from the configuration (TELEGRAM_MAX_PER_SECOND, …: Telegram's FAQ numbers). */
  limits?: OutboxLimits;
  /** auto-retry (calls outside the outbox): the longest `retry_after` to wait (s). Default 120. */
  maxRetryAfterSeconds?: number;
  /** Long-polling timeout in seconds (default 30). */
  pollTimeoutSeconds?: number;
  /** Webhook mode: where the HTTP server listens (default TELEGRAM_WEBHOOK_HOST and TELEGRAM_WEBHOOK_PORT). */
  webhookHost?: string;
  webhookPort?: number;
  /** Called after each update was handled (or failed): metrics, and tests waiting for an update. */
  onUpdateHandled?: (updateId: number) => void;
  /** Give up reaching Telegram at start after this long (default PLATFORM_START_TIMEOUT_MS). */
  startTimeoutMs?: number;
  /** First delay between start-up attempts (default 1 s, doubling up to 30 s). */
  startRetryDelayMs?: number;
}

export interface TelegramHandle {
  bot: Bot;
  digest: DigestService;
  links: LinkService;
  /** Runs one digest tick for Telegram now (the root's scheduler does this every minute). */
  tick(): Promise<TickReport>;
  /** The webhook server's port (webhook mode only). */
  webhookPort?: number;
  stop(): Promise<void>;
}

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
  // Installed last = runs first: the outbox schedules message calls (and waits out their 429s itself);
  // auto-retry handles every other call.
  const outbox = createTelegramOutbox(opts.limits ?? telegramLimits(cfg), logger);
  bot.api.config.use(autoRetryOutsideOutbox(opts.maxRetryAfterSeconds ?? 120));
  bot.api.config.use(outboxTransformer(outbox));
  const media = app.media;
  try {
    const n = await media.load(app.store, 'telegram');
    if (n > 0) logger.info({ photos: n }, 'reusing uploaded photos (file_id)');
  } catch (e) {
    logger.warn({ err: e }, 'could not load the stored photo file_ids; photos are uploaded again');
  }
  // Runs before both: a text over 4,096 characters becomes several messages, each through the outbox.
  bot.api.config.use(splitLongMessages());

  // Telegram unreachable at start: a warning with the cause at once, retries with backoff, a clear exit after
  // PLATFORM_START_TIMEOUT_MS. A token Telegram rejects (401/404) is not retried.
  await startWithRetry(
    {
      platform: 'Telegram',
      endpoint: cfg.TELEGRAM_API_ROOT ?? 'https://api.telegram.org',
      logger,
      limitMs: opts.startTimeoutMs ?? cfg.PLATFORM_START_TIMEOUT_MS,
      ...(opts.startRetryDelayMs !== undefined ? { minDelayMs: opts.startRetryDelayMs } : {}),
      fatal: (e) => e instanceof GrammyError && (e.error_code === 401 || e.error_code === 404),
    },
    // getMe itself, not bot.init(): init retries network errors silently for minutes (grammY's withRetries).
    async (signal) => {
      bot.botInfo = await bot.api.getMe(signal as Parameters<typeof bot.api.getMe>[0]);
    },
  );
  const digest = app.digests;
  const links = app.links;
  const deps: TgDeps = {
    app,
    core: app.core,
    digest,
    links,
    signer: new CallbackSigner(token),
    clock,
    logger,
    botId: bot.botInfo.id,
    botUsername: bot.botInfo.username,
    outbox,
    media,
    routes: app.routes,
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
  // One update at a time per (chat, topic, user): a reaction change and a button press are applied in order;
  // two forum topics of one chat are handled independently.
  bot.use(
    sequentialize((ctx: Context) => {
      const msg = ctx.msg ?? ctx.callbackQuery?.message;
      const topic = msg && 'is_topic_message' in msg && msg.is_topic_message ? `:${msg.message_thread_id}` : '';
      return ctx.chat ? [`${ctx.chat.id}${topic}:${ctx.from?.id ?? ''}`] : ctx.from ? [`u:${ctx.from.id}`] : [];
    }),
  );
  const boundary = (feature: string) => async (err: BotError<Context>) => {
    logger.error({ err: err.error, feature, update: err.ctx.update.update_id }, 'telegram handler failed');
    try {
      const lang = await langOf(deps, err.ctx);
      const text = userMessage(err.error, lang);
      if (err.ctx.callbackQuery) await err.ctx.answerCallbackQuery({ text, show_alert: true });
      else if (err.ctx.chat && err.ctx.message) await err.ctx.reply(text);
    } catch (e) {
      logger.warn({ err: e }, 'could not tell the user about an error');
    }
  };
  const features = {
    updates: updatesComposer, // first: edits and channel posts stop here
    recommend: recommendComposer,
    digest: digestComposer,
    quiet: quietComposer,
    persona: personaComposer,
    forget: forgetComposer,
    explore: exploreComposer,
    link: linkComposer,
    status: statusComposer,
    help: helpComposer,
    onboarding: onboardingComposer,
    picture: pictureComposer,
    sources: sourcesComposer,
    mute: muteComposer,
    unmute: unmuteComposer,
    filters: filtersComposer,
    layout: layoutComposer,
    translate: translateComposer,
    itemActions: itemActionsComposer,
    feedback: feedbackComposer,
    listReply: listReplyComposer,
    conversation: conversationComposer,
    stale: staleButtonsComposer, // last: every button press is answered
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
    const handle = webhookCallback(bot, webhookAdapter, {
      secretToken: secret,
      onTimeout: 'return',
      timeoutMilliseconds: 8000,
    });
    server = createServer((req, res) => {
      if (req.method === 'POST' && (req.url ?? '').split('?')[0] === path) {
        handle(req, res).catch((e: unknown) => {
          if (e instanceof BadWebhookBody) {
            // Not an update (malformed JSON, wrong shape, too large): the sender's fault, not ours.
            logger.warn({ reason: e.message }, 'webhook request refused: not a Telegram update');
            if (!res.headersSent) res.writeHead(e.status, { 'Content-Type': 'text/plain' }).end(e.message);
            return;
          }
          logger.error({ err: e }, 'webhook handler failed');
          if (!res.headersSent) res.writeHead(500).end();
        });
        return;
      }
      res.writeHead(404).end();
    });
    const srv = server;
    const host = opts.webhookHost ?? cfg.TELEGRAM_WEBHOOK_HOST;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(opts.webhookPort ?? cfg.TELEGRAM_WEBHOOK_PORT, host, () => resolve());
    });
    const addr = srv.address();
    webhookPort = typeof addr === 'object' && addr ? addr.port : undefined;
    await bot.api.setWebhook(cfg.TELEGRAM_WEBHOOK_URL, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES] });
    logger.info({ host, port: webhookPort, path }, 'telegram webhook mode');
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

  // ---------------------------------------------------------------- digests (the root's scheduler ticks them)
  const sender = new TelegramListSender(bot.api, deps);
  const unregister = app.digestScheduler.register(sender);
  const tick = (): Promise<TickReport> => app.digestScheduler.tick('telegram');
  let stopped = false;
  const statusLine = async () => {
    const on = (await digest.schedules('telegram')).filter((s) => s.enabled).length;
    return [
      `Telegram: @${bot.botInfo.username}, ${server ? 'webhook' : 'long polling'}, ${on} digest chats`,
      describeOutbox(outbox.stats()),
    ];
  };
  // The outbox in the logs: one line a minute while messages wait.
  const outboxLog = setInterval(() => {
    const s = outbox.stats();
    if (s.waiting.interactive + s.waiting.digest > 0) logger.info({ outbox: s }, describeOutbox(s));
  }, 60_000);
  outboxLog.unref();
  app.statusLines.push(statusLine);

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
      clearInterval(outboxLog);
      // Messages still waiting are refused (digests retry them on the next start); those in flight finish.
      outbox.close();
      const i = app.statusLines.indexOf(statusLine);
      if (i >= 0) app.statusLines.splice(i, 1);
      if (runner?.isRunning()) await runner.stop();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      // Let a digest tick in flight stop at its next part (bounded: a hung request is abandoned).
      await unregister();
    },
  };
}

/** A webhook request body that is not a Telegram update (answered with `status`, never 500). */
class BadWebhookBody extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

/** Telegram updates are small; anything bigger is refused before it is parsed. */
const MAX_WEBHOOK_BODY = 1024 * 1024;

/** Reads a webhook body as an update: JSON, an object with a numeric `update_id`. */
/** What grammY's `webhookCallback` expects of an adapter (grammY's `ReqResHandler`). */
type ReqResHandler = ReturnType<Extract<Parameters<typeof webhookCallback>[1], (...a: never[]) => unknown>>;

function readUpdate(req: IncomingMessage): Promise<Update> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_WEBHOOK_BODY) chunks.push(chunk); // past the limit: read on, keep nothing
    });
    req.once('error', reject);
    req.once('end', () => {
      if (size > MAX_WEBHOOK_BODY) {
        reject(new BadWebhookBody(`body larger than ${MAX_WEBHOOK_BODY} bytes`, 413));
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        reject(new BadWebhookBody('body is not valid JSON'));
        return;
      }
      const id = (body as { update_id?: unknown } | null)?.update_id;
      if (typeof body !== 'object' || body === null || Array.isArray(body) || !Number.isSafeInteger(id))
        reject(new BadWebhookBody('body is not a Telegram update (an object with a numeric update_id)'));
      else resolve(body as Update);
    });
  });
}

/** grammY's node `http` adapter, with the body checked (`readUpdate`) after the secret token was. */
function webhookAdapter(req: IncomingMessage, res: ServerResponse): ReqResHandler {
  const header = req.headers['x-telegram-bot-api-secret-token'];
  const value = Array.isArray(header) ? header[0] : header;
  return {
    get update() {
      return readUpdate(req);
    },
    ...(value !== undefined ? { header: value } : {}),
    end: () => res.end(),
    respond: (json: string) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(json),
    unauthorized: () => res.writeHead(401).end('secret token is wrong'),
  };
}

/** The Telegram adapter for the composition root (bots/main.ts). */
export const adapter: PlatformAdapter = {
  name: 'telegram',
  configured: (c) => Boolean(c.TELEGRAM_TOKEN),
  start: (app) => startTelegram(app),
};
