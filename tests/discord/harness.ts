/** Starts the real Discord adapter (real discord.js client) against the fake Discord, with an in-memory or SQLite app. */
import { once, type EventEmitter } from 'node:events';
import { afterAll, beforeAll } from 'vitest';
import { createApp, type App } from '../../app/compose.js';
import { startDiscord, type DiscordHandle } from '../../bots/discord/index.js';
import { defaultConfig, type ConfigKey } from '../../core/config.js';
import type { ContentItem } from '../../core/domain.js';
import type { Logger } from '../../core/ports.js';
import { FakeDiscord } from '../helpers/fake-discord.js';
import { topicCatalog } from '../helpers/items.js';

export const NOW = new Date('2026-11-26T00:00:00Z');

/** Eight items (every item fits one list of 10, so "what is excluded" is exact), two with thumbnails. */
export function smallCatalog(): ContentItem[] {
  const keep = ['f1', 'f2', 'b1', 'r1', 'r2', 'a1', 'g1', 'm2'];
  return topicCatalog(NOW)
    .filter((i) => keep.includes(i.id))
    .map((i) =>
      i.id === 'f1'
        ? { ...i, thumbnail: 'core/catalog/builtin/thumbs/builtin-cl-0001.webp' }
        : i.id === 'f2'
          ? { ...i, thumbnail: 'https://img.example.com/f2.jpg' }
          : i,
    );
}

export interface LogLine {
  level: string;
  obj: object;
  msg: string;
}

export function captureLogger(lines: LogLine[], bindings: object = {}): Logger {
  const at = (level: string) => (obj: object, msg?: string) =>
    lines.push({ level, obj: { ...bindings, ...obj }, msg: msg ?? '' });
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (b) => captureLogger(lines, { ...bindings, ...b }),
  };
}

export interface Bot {
  fake: FakeDiscord;
  app: App;
  discord: DiscordHandle;
  logs: LogLine[];
  stop(): Promise<void>;
}

export async function startBot(
  fake: FakeDiscord,
  o: {
    env?: Partial<Record<ConfigKey, string>>;
    dataDir?: string;
    items?: ContentItem[];
    app?: App;
    logs?: LogLine[];
  } = {},
): Promise<Bot> {
  const logs = o.logs ?? [];
  const config = defaultConfig({
    LOG_LEVEL: 'silent',
    DISCORD_TOKEN: fake.token,
    DISCORD_API_BASE: fake.apiBase,
    DISCORD_APPLICATION_ID: fake.appId,
    DISCORD_GUILD_ID: fake.guildId,
    ...(o.dataDir ? { DATA_DIR: o.dataDir } : {}),
    ...o.env,
  });
  const app =
    o.app ??
    (await createApp({
      config,
      logger: captureLogger(logs),
      ...(o.dataDir ? {} : { memory: true }),
      seedItems: o.items ?? smallCatalog(),
      now: () => NOW,
    }));
  const discord = await startDiscord(app);
  return {
    fake,
    app,
    discord,
    logs,
    async stop() {
      await discord.stop();
      if (!o.app) await app.close();
    },
  };
}

/** Resolves with the next event `name` on `emitter` that matches (subscribe BEFORE triggering it). */
export function nextEvent<T>(
  emitter: EventEmitter,
  name: string,
  pred: (v: T) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, on);
      reject(new Error(`timed out waiting for ${name}`));
    }, timeoutMs);
    const on = (v: T) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      emitter.off(name, on);
      resolve(v);
    };
    emitter.on(name, on);
  });
}

export { once };

/** User document of a Discord user (undefined when the bot holds nothing about them). */
export async function docOf(app: App, discordUserId: string) {
  const id = await app.reco.users.findUserId('discord', discordUserId);
  return id ? app.reco.users.get(id) : undefined;
}

/** Discord's "ephemeral" message flag. */
export const EPHEMERAL = 64;

/**
 * Starts a fake Discord and a bot on it for the enclosing `describe` (beforeAll/afterAll), handing both to
 * `use`. The client is destroyed before the fake closes, or it keeps reconnecting.
 */
export function withDiscordBot(use: (fake: FakeDiscord, bot: Bot) => void): void {
  let fake: FakeDiscord | undefined;
  let bot: Bot | undefined;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
    bot = await startBot(fake);
    use(fake, bot);
  });
  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
  });
}
