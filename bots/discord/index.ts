/**
 * The Discord adapter (discord.js v14). `startDiscord(app)` registers the slash commands (guild when
 * DISCORD_GUILD_ID is set, else global), logs in, wires the listeners and resolves once the client is
 * ready. `stop()` detaches everything and destroys the client. See docs/DISCORD.md.
 *
 * @example
 * const app = await createApp({ config, logger });
 * const discord = await startDiscord(app);
 * // … on shutdown:
 * await discord.stop();
 * await app.close();
 */
import { EventEmitter } from 'node:events';
import { Client, Events, GatewayIntentBits, Options, Partials, type ClientOptions } from 'discord.js';
import { RecoError } from '../../core/errors.js';
import type { App } from '../../app/compose.js';
import type { PlatformAdapter } from '../adapter.js';
import { COMMANDS } from './commands/index.js';
import { discordStatusLine } from './commands/status.js';
import type { BotContext, ContentIntentState } from './context.js';
import { attachListeners } from './listeners/index.js';
import { ReactionKeys } from './reaction-keys.js';
import { applicationIdFromToken, registerCommands } from './register.js';
import { describeError } from './util.js';
import { createDiscordOutbox, watchRateLimits } from './delivery.js';
import { DiscordDigestSender } from './digest.js';
import { describeOutbox } from '../../core/outbox/outbox.js';
import { startWithRetry } from '../startup.js';

export type { BotContext, CommandReport, ReactionReport } from './context.js';
export { INVITE_PERMISSIONS } from './util.js';

export interface DiscordHandle {
  client: Client;
  /** What handlers did: `reaction`, `command`, `message` (see context.ts). */
  events: EventEmitter;
  contentIntent: ContentIntentState;
  stop(): Promise<void>;
}

export interface StartDiscordOptions {
  /** Wait at most this long for the gateway to become ready (default 60 s). */
  readyTimeoutMs?: number;
  /** Give up reaching Discord at start after this long (default PLATFORM_START_TIMEOUT_MS). */
  startTimeoutMs?: number;
  /** First delay between start-up attempts (default 1 s, doubling up to 30 s). */
  startRetryDelayMs?: number;
}

export function intentsFor(messageContent: boolean): GatewayIntentBits[] {
  return [
    GatewayIntentBits.Guilds,
    GatewayIntentBits.GuildMessages,
    GatewayIntentBits.GuildMessageReactions,
    GatewayIntentBits.DirectMessages,
    GatewayIntentBits.DirectMessageReactions,
    ...(messageContent ? [GatewayIntentBits.MessageContent] : []),
  ];
}

function clientOptions(app: App, messageContent: boolean): ClientOptions {
  return {
    intents: intentsFor(messageContent),
    // Reactions on messages sent before a restart (and in DMs) arrive for uncached objects.
    partials: [Partials.Message, Partials.Reaction, Partials.Channel, Partials.User],
    ...(app.config.DISCORD_API_BASE ? { rest: { api: app.config.DISCORD_API_BASE } } : {}),
    allowedMentions: { parse: [], repliedUser: false },
    // Bounded caches: the bot needs no message history in memory (the mapping lives in the store).
    makeCache: Options.cacheWithLimits({
      ...Options.DefaultMakeCacheSettings,
      MessageManager: 50,
      ReactionManager: 50,
    }),
    sweepers: { ...Options.DefaultSweeperSettings, messages: { interval: 3600, lifetime: 1800 } },
  };
}

function isDisallowedIntents(e: unknown): boolean {
  return e instanceof Error && /disallowed intent/i.test(e.message);
}

/** Starts the Discord bot. Throws RecoError CONFIG_INVALID (bad token / settings) or PLATFORM_FAILED. */
export async function startDiscord(app: App, options: StartDiscordOptions = {}): Promise<DiscordHandle> {
  const { config } = app;
  const log = app.logger.child({ module: 'discord' });
  const token = config.DISCORD_TOKEN;
  if (!token)
    throw new RecoError('CONFIG_INVALID', 'DISCORD_TOKEN is not set', { details: { variables: ['DISCORD_TOKEN'] } });

  const events = new EventEmitter();
  const links = app.links;
  // One outbox for the adapter's lifetime (reconnects included): list messages, in order and by priority.
  const outbox = createDiscordOutbox(config, log);
  try {
    const n = await app.media.load(app.store, 'discord');
    if (n > 0) log.info({ thumbnails: n }, 'reusing uploaded thumbnails (CDN URLs)');
  } catch (e) {
    log.warn({ err: describeError(e) }, 'could not load the stored thumbnail URLs; thumbnails are uploaded again');
  }
  const reactionKeys = new ReactionKeys();
  let commandsRegistered = false;

  const connect = async (
    messageContent: boolean,
    state: ContentIntentState,
  ): Promise<{ ctx: BotContext; detach: () => void }> => {
    const client = new Client(clientOptions(app, messageContent));
    const ctx: BotContext = {
      app,
      core: app.core,
      log,
      client,
      contentIntent: state,
      links,
      reactionKeys,
      events,
      outbox,
    };
    const unwatch = watchRateLimits(client, outbox, log);
    const detachListeners = attachListeners(ctx);
    const detach = () => {
      unwatch();
      detachListeners();
    };
    client.rest.setToken(token);
    // Only the process holding shard 0 registers commands (one registration per bot, not per shard).
    const registers = !client.shard || client.shard.ids.includes(0);
    const configuredAppId = config.DISCORD_APPLICATION_ID ?? applicationIdFromToken(token);
    if (registers && !commandsRegistered && configuredAppId) {
      await registerCommands(client.rest, {
        applicationId: configuredAppId,
        guildId: config.DISCORD_GUILD_ID,
        commands: COMMANDS,
        log,
      });
      commandsRegistered = true;
    }
    let readyTimer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      readyTimer = setTimeout(
        () => reject(new RecoError('PLATFORM_FAILED', 'the Discord gateway did not become ready in time')),
        options.readyTimeoutMs ?? 60_000,
      );
      client.once(Events.ClientReady, () => {
        clearTimeout(readyTimer);
        resolve();
      });
    });
    ready.catch(() => undefined);
    try {
      await client.login(token);
      await ready;
    } catch (e) {
      clearTimeout(readyTimer); // a failed attempt must not keep the process alive
      detach();
      await client.destroy().catch(() => undefined);
      throw e;
    }
    if (registers && !commandsRegistered) {
      await registerCommands(client.rest, {
        applicationId: client.application!.id,
        guildId: config.DISCORD_GUILD_ID,
        commands: COMMANDS,
        log,
      });
      commandsRegistered = true;
    }
    return { ctx, detach };
  };

  // Discord unreachable at start: a warning with the cause at once, retries with backoff, a clear exit after
  // PLATFORM_START_TIMEOUT_MS. A rejected token or a refused intent is not retried (handled below).
  const connectRetrying = (messageContent: boolean, state: ContentIntentState) =>
    startWithRetry(
      {
        platform: 'Discord',
        endpoint: config.DISCORD_API_BASE ?? 'https://discord.com/api',
        logger: log,
        limitMs: options.startTimeoutMs ?? config.PLATFORM_START_TIMEOUT_MS,
        attemptTimeoutMs: (options.readyTimeoutMs ?? 60_000) + 30_000,
        ...(options.startRetryDelayMs !== undefined ? { minDelayMs: options.startRetryDelayMs } : {}),
        fatal: (e) => isDisallowedIntents(e) || startError(e).code === 'CONFIG_INVALID',
      },
      () => connect(messageContent, state),
    );

  let running: { ctx: BotContext; detach: () => void };
  try {
    running = await connectRetrying(config.DISCORD_MESSAGE_CONTENT, config.DISCORD_MESSAGE_CONTENT ? 'on' : 'off');
  } catch (e) {
    if (config.DISCORD_MESSAGE_CONTENT && isDisallowedIntents(e)) {
      log.warn(
        {},
        'Discord refused the Message Content intent (close code 4014): enable "Message Content Intent" in the Developer Portal (Bot → Privileged Gateway Intents), or set DISCORD_MESSAGE_CONTENT=false. Continuing without it: commands, reactions, DMs and @mentions still work.',
      );
      try {
        running = await connectRetrying(false, 'denied');
      } catch (e2) {
        throw startError(e2);
      }
    } else throw startError(e);
  }

  const { ctx, detach } = running;
  const statusLine = () => [discordStatusLine(ctx, 'en'), describeOutbox(outbox.stats())];
  app.statusLines.push(statusLine);
  // Scheduled digests for Discord channels and DMs (`/digest`), through the same outbox.
  const digestSender = new DiscordDigestSender(ctx);
  const unregisterDigests = app.digestScheduler.register(digestSender);
  log.info(
    { user: ctx.client.user?.tag, guilds: ctx.client.guilds.cache.size, messageContent: ctx.contentIntent },
    'Discord bot ready',
  );

  let stopped = false;
  return {
    client: ctx.client,
    events,
    contentIntent: ctx.contentIntent,
    async stop() {
      if (stopped) return;
      stopped = true;
      digestSender.stopping = true;
      const i = app.statusLines.indexOf(statusLine);
      if (i >= 0) app.statusLines.splice(i, 1);
      outbox.close();
      await unregisterDigests();
      await ctx.client
        .destroy()
        .catch((e: unknown) => log.warn({ err: describeError(e) }, 'error while closing the Discord client'));
      detach();
      log.info({}, 'Discord bot stopped');
    },
  };
}

/** The Discord adapter for the composition root (bots/main.ts). */
export const adapter: PlatformAdapter = {
  name: 'discord',
  configured: (c) => Boolean(c.DISCORD_TOKEN),
  start: (app) => startDiscord(app),
};

function startError(e: unknown): RecoError {
  if (e instanceof RecoError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (
    /TokenInvalid|invalid token|401|Authentication failed/i.test(msg) ||
    (e as { code?: unknown })?.code === 'TokenInvalid'
  ) {
    return new RecoError(
      'CONFIG_INVALID',
      'Discord rejected DISCORD_TOKEN: reset it in the Developer Portal (Bot → Reset Token) and update DISCORD_TOKEN',
      { cause: e, details: { variables: ['DISCORD_TOKEN'] } },
    );
  }
  return new RecoError('PLATFORM_FAILED', `could not connect to Discord: ${msg}`, { cause: e });
}
