/**
 * A fake Discord (REST under `/api/v10` + a JSON WebSocket gateway) on 127.0.0.1, port 0, for
 * driving the REAL discord.js client in tests. It is deliberately small: only what DEEP-RECO's
 * Discord adapter and discord.js's start-up use. Every REST request is recorded so tests can assert
 * on it and wait for it (no sleeps). Tests can make a route fail (403 code 50013, 404 code 10062, …)
 * and push malformed payloads through the gateway.
 *
 * Channels (shapes from the Discord API docs, Channel Object): a guild text channel (type 0), a public thread in
 * it (type 11, `parent_id`, `thread_metadata`), a forum channel (type 15, `available_tags`, REQUIRE_TAG off);
 * `POST /channels/{forum}/threads` creates a forum post — a thread whose id is its starter message's id, the
 * response carrying that `message` — and `POST /channels/{thread}/messages` posts in it.
 *
 * @example
 * const fake = await FakeDiscord.start();
 * const client = new Client({ intents: [...], rest: { api: fake.apiBase } });
 * await client.login(fake.token);
 * const i = fake.slashCommand({ name: 'help', user: fake.users.alice, channel: fake.textChannel });
 * await fake.waitForRequest((r) => r.path.includes(`/interactions/${i.id}/`));
 * client.destroy(); await fake.close();   // destroy the client first, or it keeps reconnecting
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

/** Permission bits used by the tests (see discord-api-types PermissionFlagsBits). */
export const PERM = {
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  UseExternalEmojis: 1n << 18n,
} as const;
/** Manage Channels: who may change a server channel's digest. */
export const MANAGE_CHANNELS = 1n << 4n;
export const ALL_BOT_PERMS = Object.values(PERM).reduce((a, b) => a | b, 0n);

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: null;
  bot?: boolean;
}

export interface FakeChannel {
  id: string;
  type: number; // 0 guild text, 1 DM, 3 group DM, 11 public thread, 15 forum
  guild_id?: string;
  name?: string;
  recipients?: FakeUser[];
  /** Threads: the channel they belong to (a text channel, or a forum for a forum post). */
  parent_id?: string;
  /** Forums: their tags. Forum posts: the tags applied. */
  available_tags?: { id: string; name: string; moderated: boolean; emoji_id: null; emoji_name: string | null }[];
  applied_tags?: string[];
}

export interface RecordedFile {
  field: string;
  name: string;
  size: number;
}

export interface RecordedRequest {
  seq: number;
  method: string;
  /** Path below `/api/v10`, e.g. `/channels/1/messages`. */
  path: string;
  query: URLSearchParams;
  /** JSON body (or the `payload_json` part of a multipart body); undefined when there was none. */
  body: any;
  files: RecordedFile[];
  /** The `Authorization` header was present (`Bot …`); the value itself is not kept. */
  authorized: boolean;
  status: number;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: FakeUser;
  content: string;
  embeds: unknown[];
  components: unknown[];
  attachments: unknown[];
  flags: number;
  [key: string]: unknown;
}

interface FailRule {
  method?: string;
  path: RegExp;
  /** Only requests that upload files. */
  withFiles?: boolean;
  status: number;
  body: unknown;
  remaining: number;
}

interface Waiter {
  pred: (r: RecordedRequest) => boolean;
  from: number;
  resolve: (r: RecordedRequest) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface FakeDiscordOptions {
  /** Refuse IDENTIFY with close code 4014 when it asks for these intent bits (a privileged intent not enabled). */
  disallowedIntents?: number;
  /** The bot's permissions in the guild (its role). Default: everything the bot needs. */
  botGuildPermissions?: bigint;
}

export class FakeDiscord {
  readonly token = `fake.${randomUUID()}`;
  readonly appId = '900000000000000001';
  readonly guildId = '900000000000000100';
  readonly bot: FakeUser = {
    id: this.appId,
    username: 'deep-reco',
    global_name: null,
    discriminator: '0000',
    avatar: null,
    bot: true,
  };
  readonly users: Record<'alice' | 'bob' | 'carol' | 'otherBot', FakeUser> = {
    alice: { id: '900000000000001001', username: 'alice', global_name: 'Alice', discriminator: '0', avatar: null },
    bob: { id: '900000000000001002', username: 'bob', global_name: 'Bob', discriminator: '0', avatar: null },
    carol: { id: '900000000000001003', username: 'carol', global_name: 'Carol', discriminator: '0', avatar: null },
    otherBot: {
      id: '900000000000001099',
      username: 'other-bot',
      global_name: null,
      discriminator: '0',
      avatar: null,
      bot: true,
    },
  };
  readonly textChannel: FakeChannel = { id: '900000000000000200', type: 0, guild_id: this.guildId, name: 'general' };
  /** A public thread in #general (type 11) the bot knows from GUILD_CREATE (`thread()` makes ones it does not). */
  readonly knownThread: FakeChannel = {
    id: '900000000000000210',
    type: 11,
    guild_id: this.guildId,
    name: 'football-talk',
    parent_id: '900000000000000200',
  };
  /** A forum channel (type 15) with tags. */
  readonly forum: FakeChannel = {
    id: '900000000000000300',
    type: 15,
    guild_id: this.guildId,
    name: 'digests',
    available_tags: [
      { id: '900000000000000301', name: 'Digest', moderated: false, emoji_id: null, emoji_name: '📰' },
      { id: '900000000000000302', name: 'Sports', moderated: false, emoji_id: null, emoji_name: null },
      { id: '900000000000000303', name: 'Tech', moderated: false, emoji_id: null, emoji_name: null },
    ],
  };
  /** Forum posts the bot created (threads of `forum`), by id. */
  readonly posts = new Map<string, FakeChannel>();
  /** The role Discord creates for a bot when it joins a server (`managed`, `tags.bot_id`); the bot member has it. */
  readonly botRoleId = '900000000000000150';
  /** Threads (channel type 11) by id: NOT in the GUILD_CREATE payload, as threads made after the bot connected. */
  readonly threads = new Map<string, FakeChannel>();
  /** DM channels by user id (created on demand). */
  readonly dmChannels = new Map<string, FakeChannel>();
  readonly requests: RecordedRequest[] = [];
  /** Messages the bot created (by id). */
  readonly messages = new Map<string, FakeMessage>();
  /** Reactions the bot added: `${channelId}:${messageId}:${emoji}`. */
  readonly botReactions = new Set<string>();
  /** IDENTIFY payloads received. */
  readonly identifies: any[] = [];
  /** Registered commands by scope (`global` or the guild id). */
  readonly commands = new Map<string, any[]>();
  botGuildPermissions: bigint;
  /** Awaited before each REST reply (after the failure rules): lets a test observe state at that moment. */
  onRequest: ((r: RecordedRequest) => Promise<void> | void) | undefined;

  private server!: Server;
  private wss!: WebSocketServer;
  private port = 0;
  private readonly sockets = new Set<WebSocket>();
  private readonly ready = new Set<WebSocket>();
  private seq = 0;
  private snowflake = 950000000000000000n;
  private readonly failRules: FailRule[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly identifyWaiters: ((d: any) => void)[] = [];
  private readonly originals = new Map<string, string>(); // interaction token → message id
  private readonly interactionChannels = new Map<string, FakeChannel>(); // interaction token → channel

  private constructor(private readonly opts: FakeDiscordOptions) {
    this.botGuildPermissions = opts.botGuildPermissions ?? ALL_BOT_PERMS;
  }

  static async start(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(opts);
    await fake.listen();
    return fake;
  }

  /** The discord.js `rest.api` option. */
  get apiBase(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  nextId(): string {
    this.snowflake += 1n;
    return this.snowflake.toString();
  }

  // ---------------------------------------------------------------- lifecycle

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      this.onHttp(req, res).catch((e) => {
        if (!res.headersSent) this.json(res, 500, { code: 0, message: `fake error: ${(e as Error).message}` });
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('fake closed'));
    }
    this.waiters.clear();
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- waiting & failing

  /** A marker: pass it as `from` to wait only for requests made after this point. */
  mark(): number {
    return this.requests.length;
  }

  /** Resolves with the first request (at index ≥ from) matching `pred`. */
  waitForRequest(
    pred: (r: RecordedRequest) => boolean,
    opts: { from?: number; timeoutMs?: number } = {},
  ): Promise<RecordedRequest> {
    const from = opts.from ?? 0;
    const found = this.requests.slice(from).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        pred,
        from,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(
            new Error(
              `timed out waiting for a request; saw: ${
                this.requests
                  .slice(from)
                  .map((r) => `${r.method} ${r.path}`)
                  .join(', ') || 'none'
              }`,
            ),
          );
        }, opts.timeoutMs ?? 15_000),
      };
      this.waiters.add(w);
    });
  }

  /** Waits until `count` requests (from `from`) match. */
  async waitForRequests(
    pred: (r: RecordedRequest) => boolean,
    count: number,
    opts: { from?: number; timeoutMs?: number } = {},
  ): Promise<RecordedRequest[]> {
    const from = opts.from ?? 0;
    for (let i = 0; i < count; i++) {
      const matches = this.requests.slice(from).filter(pred);
      if (matches.length >= count) break;
      const last = matches.at(-1);
      await this.waitForRequest(pred, {
        from: last ? last.seq + 1 : from,
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      });
    }
    return this.requests.slice(from).filter(pred).slice(0, count);
  }

  /** Makes the next `times` requests matching method+path fail with this status and Discord error body. */
  failOn(
    match: { method?: string; path: RegExp; withFiles?: boolean },
    error: { status: number; code: number; message: string },
    times = 1,
  ): void {
    this.failRules.push({
      ...(match.method ? { method: match.method } : {}),
      ...(match.withFiles ? { withFiles: true } : {}),
      path: match.path,
      status: error.status,
      body: { code: error.code, message: error.message },
      remaining: times,
    });
  }

  static readonly MISSING_PERMISSIONS = { status: 403, code: 50013, message: 'Missing Permissions' };
  /** What Discord answers to an upload over the size limit. */
  static readonly TOO_LARGE = { status: 413, code: 40005, message: 'Request entity too large' };
  static readonly UNKNOWN_INTERACTION = { status: 404, code: 10062, message: 'Unknown interaction' };

  waitForIdentify(): Promise<any> {
    return new Promise((resolve) => this.identifyWaiters.push(resolve));
  }

  // ---------------------------------------------------------------- gateway

  private send(ws: WebSocket, payload: unknown): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
  }

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.ready.delete(ws);
    });
    ws.on('error', () => undefined);
    this.send(ws, { op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null });
    ws.on('message', (raw) => {
      let p: any;
      try {
        p = JSON.parse(String(raw));
      } catch {
        return;
      }
      if (p?.op === 1) this.send(ws, { op: 11, d: null, s: null, t: null });
      else if (p?.op === 2) this.onIdentify(ws, p.d);
      else if (p?.op === 6) {
        this.ready.add(ws);
        this.send(ws, { op: 0, t: 'RESUMED', s: ++this.seq, d: {} });
      }
    });
  }

  private onIdentify(ws: WebSocket, d: any): void {
    this.identifies.push(d);
    for (const w of this.identifyWaiters.splice(0)) w(d);
    if (this.opts.disallowedIntents && (Number(d?.intents ?? 0) & this.opts.disallowedIntents) !== 0) {
      ws.close(4014, 'Disallowed intent(s).');
      return;
    }
    this.send(ws, {
      op: 0,
      t: 'READY',
      s: ++this.seq,
      d: {
        v: 10,
        user: this.bot,
        guilds: [{ id: this.guildId, unavailable: true }],
        session_id: randomUUID().replace(/-/g, ''),
        resume_gateway_url: this.gatewayUrl,
        shard: [0, 1],
        application: { id: this.appId, flags: 0 },
        private_channels: [],
      },
    });
    this.send(ws, { op: 0, t: 'GUILD_CREATE', s: ++this.seq, d: this.guildPayload() });
    this.ready.add(ws);
  }

  guildPayload(): any {
    const now = new Date().toISOString();
    return {
      id: this.guildId,
      name: 'Test server',
      icon: null,
      owner_id: this.users.carol.id,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      mfa_level: 0,
      premium_tier: 0,
      system_channel_flags: 0,
      nsfw_level: 0,
      preferred_locale: 'en-US',
      features: [],
      roles: [
        {
          id: this.guildId,
          name: '@everyone',
          permissions: this.botGuildPermissions.toString(),
          position: 0,
          color: 0,
          hoist: false,
          managed: false,
          mentionable: false,
          flags: 0,
        },
        {
          id: this.botRoleId,
          name: this.bot.username,
          permissions: '0',
          position: 1,
          color: 0,
          hoist: false,
          managed: true,
          mentionable: false,
          flags: 0,
          tags: { bot_id: this.bot.id },
        },
      ],
      emojis: [],
      stickers: [],
      channels: [
        {
          id: this.textChannel.id,
          type: 0,
          name: this.textChannel.name,
          position: 0,
          permission_overwrites: [],
          parent_id: null,
          nsfw: false,
          topic: null,
          rate_limit_per_user: 0,
        },
        this.forumPayload(),
      ],
      threads: [this.threadPayload(this.knownThread)],
      members: [{ user: this.bot, roles: [this.botRoleId], joined_at: now, deaf: false, mute: false, flags: 0 }],
      member_count: 4,
      large: false,
      unavailable: false,
      joined_at: now,
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  forumPayload(): any {
    return {
      id: this.forum.id,
      type: 15,
      guild_id: this.guildId,
      name: this.forum.name,
      position: 1,
      permission_overwrites: [],
      parent_id: null,
      nsfw: false,
      topic: null,
      rate_limit_per_user: 0,
      flags: 0,
      available_tags: this.forum.available_tags,
      default_reaction_emoji: null,
      default_sort_order: null,
      default_forum_layout: 0,
      default_thread_rate_limit_per_user: 0,
    };
  }

  threadPayload(t: FakeChannel): any {
    return {
      id: t.id,
      type: t.type,
      guild_id: this.guildId,
      parent_id: t.parent_id,
      name: t.name,
      owner_id: this.bot.id,
      last_message_id: null,
      rate_limit_per_user: 0,
      message_count: 0,
      member_count: 1,
      flags: 0,
      thread_metadata: {
        archived: false,
        auto_archive_duration: 1440,
        archive_timestamp: new Date().toISOString(),
        locked: false,
      },
      ...(t.applied_tags ? { applied_tags: t.applied_tags } : {}),
      total_message_sent: 0,
    };
  }

  /** Sends a dispatch to every identified connection; returns its sequence number. */
  dispatch(t: string, d: unknown): number {
    const s = ++this.seq;
    for (const ws of this.ready) this.send(ws, { op: 0, t, s, d });
    return s;
  }

  /** Re-sends an earlier dispatch with the same sequence number (a gateway redelivery). */
  redeliver(t: string, d: unknown, s: number): void {
    for (const ws of this.ready) this.send(ws, { op: 0, t, s, d });
  }

  /** Sends anything (a string is sent as is: malformed JSON, unknown ops, …). */
  sendRaw(payload: unknown): void {
    for (const ws of this.ready) {
      if (ws.readyState === ws.OPEN) ws.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
    }
  }

  get connections(): number {
    return this.ready.size;
  }

  // ---------------------------------------------------------------- payload builders

  dmChannelOf(user: FakeUser): FakeChannel {
    let ch = this.dmChannels.get(user.id);
    if (!ch) {
      ch = { id: this.nextId(), type: 1, recipients: [user] };
      this.dmChannels.set(user.id, ch);
    }
    return ch;
  }

  /** A member's resolved permissions in interactions (default: the bot's set, no Manage Server/Channels). */
  readonly memberPermissions = new Map<string, bigint>();

  member(user: FakeUser): any {
    return {
      user,
      roles: [],
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      permissions: (this.memberPermissions.get(user.id) ?? ALL_BOT_PERMS).toString(),
    };
  }

  /** Dispatches an INTERACTION_CREATE for a slash command; returns the interaction (id, token). */
  slashCommand(o: {
    name: string;
    user: FakeUser;
    channel?: FakeChannel;
    options?: { name: string; type: number; value: string | number | boolean; focused?: boolean }[];
    locale?: string;
    appPermissions?: bigint;
    autocomplete?: boolean;
    /** `data.resolved` (attachments for attachment options, as Discord sends them). */
    resolved?: Record<string, unknown>;
    /** The invoking member's permissions in the channel (default: the bot's usual set). */
    memberPermissions?: bigint;
  }): { id: string; token: string; seq: number } {
    const channel = o.channel ?? this.textChannel;
    const id = this.nextId();
    const token = `itoken-${randomUUID()}`;
    this.interactionChannels.set(token, channel);
    const inGuild = channel.type !== 1;
    const d: any = {
      id,
      application_id: this.appId,
      type: o.autocomplete ? 4 : 2,
      token,
      version: 1,
      data: {
        id: `cmd-${o.name}`,
        name: o.name,
        type: 1,
        ...(o.options ? { options: o.options } : {}),
        ...(o.resolved ? { resolved: o.resolved } : {}),
        ...(inGuild ? { guild_id: this.guildId } : {}),
        // Channel options (type 7) come with the resolved channel, as Discord sends them.
        ...(o.options?.some((x) => x.type === 7)
          ? {
              resolved: {
                ...o.resolved,
                channels: Object.fromEntries(
                  o.options
                    .filter((x) => x.type === 7)
                    .map((x) => {
                      const ch = this.findChannel(String(x.value));
                      return [
                        String(x.value),
                        {
                          ...(ch?.type === 15 ? this.forumPayload() : ch?.type === 11 ? this.threadPayload(ch) : {}),
                          id: String(x.value),
                          type: ch?.type ?? 0,
                          name: ch?.name ?? 'unknown',
                          permissions: ALL_BOT_PERMS.toString(),
                        },
                      ];
                    }),
                ),
              },
            }
          : {}),
      },
      channel_id: channel.id,
      channel: inGuild
        ? {
            ...(channel.type === 11 || channel.parent_id ? this.threadPayload(channel) : {}),
            id: channel.id,
            type: channel.type,
            guild_id: this.guildId,
            name: channel.name,
            permissions: ALL_BOT_PERMS.toString(),
          }
        : { id: channel.id, type: 1, recipients: [o.user], flags: 0, last_message_id: null },
      app_permissions: (o.appPermissions ?? ALL_BOT_PERMS).toString(),
      locale: o.locale ?? 'en-US',
      entitlements: [],
      authorizing_integration_owners: inGuild ? { '0': this.guildId } : { '0': this.appId },
      context: inGuild ? 0 : 1,
      attachment_size_limit: 8_388_608,
    };
    if (inGuild) {
      d.guild_id = this.guildId;
      d.guild_locale = 'en-US';
      d.guild = { id: this.guildId, locale: 'en-US', features: [] };
      d.member = this.member(o.user);
      if (o.memberPermissions !== undefined) d.member.permissions = o.memberPermissions.toString();
    } else {
      d.user = o.user;
    }
    const seq = this.dispatch('INTERACTION_CREATE', d);
    return { id, token, seq };
  }

  /** A button press on a message the bot sent. */
  buttonPress(o: { user: FakeUser; message: FakeMessage; customId: string; locale?: string }): {
    id: string;
    token: string;
  } {
    const channel = this.findChannel(o.message.channel_id) ?? this.textChannel;
    const inGuild = channel.type !== 1;
    const id = this.nextId();
    const token = `itoken-${randomUUID()}`;
    this.interactionChannels.set(token, channel);
    const d: any = {
      id,
      application_id: this.appId,
      type: 3,
      token,
      version: 1,
      data: { custom_id: o.customId, component_type: 2 },
      message: o.message,
      channel_id: channel.id,
      channel: inGuild
        ? {
            ...(channel.type === 11 || channel.parent_id ? this.threadPayload(channel) : {}),
            id: channel.id,
            type: channel.type,
            guild_id: this.guildId,
            name: channel.name,
          }
        : { id: channel.id, type: 1, recipients: [o.user], flags: 0 },
      app_permissions: ALL_BOT_PERMS.toString(),
      locale: o.locale ?? 'en-US',
      entitlements: [],
      authorizing_integration_owners: inGuild ? { '0': this.guildId } : { '0': this.appId },
      context: inGuild ? 0 : 1,
    };
    if (inGuild) {
      d.guild_id = this.guildId;
      d.guild_locale = 'en-US';
      d.member = this.member(o.user);
    } else d.user = o.user;
    this.dispatch('INTERACTION_CREATE', d);
    return { id, token };
  }

  /**
   * A string select menu submitted by `user` on `message` (component_type 3, `values` as chosen). Like Discord,
   * an UPDATE_MESSAGE answer (callback type 7) edits `message`.
   */
  selectMenu(o: { user: FakeUser; message: FakeMessage; customId: string; values: string[]; locale?: string }): {
    id: string;
    token: string;
  } {
    const channel = this.findChannel(o.message.channel_id) ?? this.textChannel;
    const inGuild = channel.type !== 1;
    const id = this.nextId();
    const token = `itoken-${randomUUID()}`;
    this.interactionChannels.set(token, channel);
    this.originals.set(token, o.message.id);
    const d: any = {
      id,
      application_id: this.appId,
      type: 3,
      token,
      version: 1,
      data: { custom_id: o.customId, component_type: 3, values: o.values },
      message: o.message,
      channel_id: channel.id,
      channel: inGuild
        ? { id: channel.id, type: 0, guild_id: this.guildId, name: channel.name }
        : { id: channel.id, type: 1, recipients: [o.user], flags: 0 },
      app_permissions: ALL_BOT_PERMS.toString(),
      locale: o.locale ?? 'en-US',
      entitlements: [],
      authorizing_integration_owners: inGuild ? { '0': this.guildId } : { '0': this.appId },
      context: inGuild ? 0 : 1,
    };
    if (inGuild) {
      d.guild_id = this.guildId;
      d.guild_locale = 'en-US';
      d.member = this.member(o.user);
    } else d.user = o.user;
    this.dispatch('INTERACTION_CREATE', d);
    return { id, token };
  }

  /** The payload of a reaction event by `user` on a message (guild payloads carry `member`). */
  reactionPayload(o: { user: FakeUser; message: { id: string; channel_id: string }; emoji: string }): any {
    const channel = this.findChannel(o.message.channel_id);
    const inGuild = channel ? channel.type !== 1 : true;
    return {
      user_id: o.user.id,
      channel_id: o.message.channel_id,
      message_id: o.message.id,
      emoji: { id: null, name: o.emoji },
      burst: false,
      type: 0,
      ...(inGuild ? { guild_id: this.guildId, member: this.member(o.user) } : {}),
    };
  }

  react(o: { user: FakeUser; message: { id: string; channel_id: string }; emoji: string; remove?: boolean }): {
    seq: number;
    payload: any;
  } {
    const payload = this.reactionPayload(o);
    if (o.remove) delete payload.member;
    const seq = this.dispatch(o.remove ? 'MESSAGE_REACTION_REMOVE' : 'MESSAGE_REACTION_ADD', payload);
    return { seq, payload };
  }

  /** A user message in a channel (guild text channel or the user's DM). */
  userMessage(o: { user: FakeUser; channel: FakeChannel; content: string; mentionBot?: boolean }): { id: string } {
    const id = this.nextId();
    const inGuild = o.channel.type !== 1;
    this.dispatch('MESSAGE_CREATE', {
      id,
      channel_id: o.channel.id,
      channel_type: o.channel.type,
      ...(inGuild
        ? {
            guild_id: this.guildId,
            member: { roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 },
          }
        : {}),
      author: o.user,
      content: o.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: o.mentionBot ? [this.bot] : [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: 0,
      flags: 0,
      components: [],
    });
    return { id };
  }

  findChannel(id: string): FakeChannel | undefined {
    if (id === this.textChannel.id) return this.textChannel;
    if (id === this.knownThread.id) return this.knownThread;
    if (id === this.forum.id) return this.forum;
    const post = this.posts.get(id);
    if (post) return post;
    for (const ch of this.dmChannels.values()) if (ch.id === id) return ch;
    return this.threads.get(id) ?? this.otherChannels.get(id);
  }

  /** Channels only interactions know (a user install's DMs between people, servers without the bot). */
  private readonly otherChannels = new Map<string, FakeChannel>();

  /** Files people attached (served at `/attachments/<id>/<name>` on this server, standing in for Discord's CDN). */
  private readonly attachments = new Map<string, Buffer>();

  /** An uploaded attachment object (as in `data.resolved.attachments`), its bytes served by this fake. */
  attachment(name: string, content: string | Buffer, contentType = 'application/octet-stream'): any {
    const id = this.nextId();
    const body = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    this.attachments.set(id, body);
    const url = `http://127.0.0.1:${this.port}/attachments/${id}/${encodeURIComponent(name)}`;
    return { id, filename: name, size: body.length, url, proxy_url: url, content_type: contentType, ephemeral: true };
  }

  /** A public thread (type 11) under the text channel; the bot is not told about it (no THREAD_CREATE). */
  thread(name = 'thread'): FakeChannel {
    const ch: FakeChannel = {
      id: this.nextId(),
      type: 11,
      guild_id: this.guildId,
      name,
      parent_id: this.textChannel.id,
    };
    this.threads.set(ch.id, ch);
    return ch;
  }

  /**
   * Dispatches an INTERACTION_CREATE payload given whole (a recorded or documented shape), answering its
   * callbacks and webhooks as for the built ones; `channel` is where its messages go.
   */
  dispatchInteraction(
    d: { id: string; token: string },
    channel: FakeChannel,
  ): { id: string; token: string; seq: number } {
    this.interactionChannels.set(d.token, channel);
    if (!this.findChannel(channel.id)) this.otherChannels.set(channel.id, channel);
    return { id: d.id, token: d.token, seq: this.dispatch('INTERACTION_CREATE', d) };
  }

  /** Bot messages in a channel, oldest first. */
  messagesIn(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId);
  }

  // ---------------------------------------------------------------- REST

  private json(res: ServerResponse, status: number, body: unknown): void {
    if (status === 204) {
      res.writeHead(204);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async readBody(req: IncomingMessage): Promise<{ body: any; files: RecordedFile[] }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const buf = Buffer.concat(chunks);
    if (buf.length === 0) return { body: undefined, files: [] };
    const ct = req.headers['content-type'] ?? '';
    if (ct.startsWith('multipart/form-data')) {
      const form = await new Request('http://fake/', {
        method: 'POST',
        headers: { 'content-type': ct },
        body: buf,
      }).formData();
      const files: RecordedFile[] = [];
      let body: any;
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') {
          if (field === 'payload_json') body = JSON.parse(value);
        } else files.push({ field, name: value.name, size: value.size });
      }
      return { body, files };
    }
    try {
      return { body: JSON.parse(buf.toString('utf8')), files: [] };
    } catch {
      return { body: buf.toString('utf8'), files: [] };
    }
  }

  private record(r: RecordedRequest): void {
    this.requests.push(r);
    for (const w of [...this.waiters]) {
      if (r.seq >= w.from && w.pred(r)) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(r);
      }
    }
  }

  private createMessage(
    channel: FakeChannel | undefined,
    channelId: string,
    body: any,
    files: RecordedFile[],
    extra: Partial<FakeMessage> = {},
  ): FakeMessage {
    const msg: FakeMessage = {
      id: this.nextId(),
      channel_id: channelId,
      ...(channel?.guild_id ? { guild_id: channel.guild_id } : {}),
      author: this.bot,
      content: body?.content ?? '',
      embeds: body?.embeds ?? [],
      components: body?.components ?? [],
      attachments: files.map((f, i) => ({
        id: this.nextId(),
        filename: f.name,
        size: f.size,
        url: `https://cdn.fake/${i}/${f.name}`,
        proxy_url: `https://cdn.fake/${i}/${f.name}`,
      })),
      flags: Number(body?.flags ?? 0),
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      pinned: false,
      type: 0,
      application_id: this.appId,
      webhook_id: this.appId,
      ...extra,
    };
    this.messages.set(msg.id, msg);
    return msg;
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const method = req.method ?? 'GET';
    const { body, files } = await this.readBody(req);
    const path = decodeURIComponent(url.pathname.replace(/^\/api\/v\d+/, ''));
    const rec: RecordedRequest = {
      seq: this.requests.length,
      method,
      path,
      query: url.searchParams,
      body,
      files,
      authorized: typeof req.headers.authorization === 'string',
      status: 200,
    };
    const reply = (status: number, out: unknown) => {
      rec.status = status;
      this.record(rec);
      this.json(res, status, out);
    };

    if (this.onRequest) await this.onRequest(rec);
    const rule = this.failRules.find(
      (r) =>
        r.remaining > 0 &&
        (!r.method || r.method === method) &&
        r.path.test(path) &&
        (!r.withFiles || files.length > 0),
    );
    if (rule) {
      rule.remaining--;
      return reply(rule.status, rule.body);
    }

    let m: RegExpMatchArray | null;
    if (method === 'GET' && (m = url.pathname.match(/^\/attachments\/(\d+)\//))) {
      const body = this.attachments.get(m[1]!);
      rec.status = body ? 200 : 404;
      this.record(rec);
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/octet-stream' });
      res.end(body ?? '');
      return;
    }
    if (method === 'GET' && path === '/gateway/bot') {
      return reply(200, {
        url: this.gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    }
    if (method === 'GET' && path === '/gateway') return reply(200, { url: this.gatewayUrl });
    if (method === 'PUT' && (m = path.match(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/))) {
      const list = (Array.isArray(body) ? body : []).map((c: any) => ({
        ...c,
        id: this.nextId(),
        application_id: m![1],
        version: '1',
        ...(m![2] ? { guild_id: m![2] } : {}),
      }));
      this.commands.set(m[2] ?? 'global', list);
      return reply(200, list);
    }
    if (method === 'POST' && (m = path.match(/^\/interactions\/(\d+)\/([^/]+)\/callback$/))) {
      const token = m[2]!;
      const channel = this.interactionChannels.get(token);
      const type = Number(body?.type);
      let message: FakeMessage | undefined;
      if (type === 4 || type === 5) {
        message = this.createMessage(
          channel,
          channel?.id ?? '0',
          body?.data ?? {},
          files,
          type === 5 ? { flags: Number(body?.data?.flags ?? 0) | 128 } : {},
        );
        this.originals.set(token, message.id);
      } else if (type === 7) {
        const orig = this.originals.get(token);
        // component update: edit the message the component is on (the tests only press buttons on ephemeral replies)
        if (orig && this.messages.has(orig)) message = Object.assign(this.messages.get(orig)!, body?.data ?? {});
      }
      if (url.searchParams.get('with_response') === 'true') {
        return reply(200, {
          interaction: {
            id: m[1],
            type: 2,
            response_message_id: message?.id,
            response_message_loading: type === 5,
            response_message_ephemeral: (Number(body?.data?.flags ?? 0) & 64) !== 0,
          },
          ...(message ? { resource: { type, message } } : {}),
        });
      }
      return reply(204, undefined);
    }
    if ((m = path.match(/^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/))) {
      const token = m[2]!;
      const channel = this.interactionChannels.get(token);
      const seg = m[3] === undefined ? undefined : decodeURIComponent(m[3]);
      const target = seg === '@original' ? this.originals.get(token) : seg;
      if (method === 'POST' && !seg) {
        return reply(200, this.createMessage(channel, channel?.id ?? '0', body ?? {}, files));
      }
      if (method === 'PATCH' && target) {
        const msg = this.messages.get(target);
        if (!msg) return reply(404, { code: 10008, message: 'Unknown Message' });
        Object.assign(msg, body ?? {}, { flags: msg.flags & ~128 });
        if (files.length)
          msg.attachments = files.map((f) => ({
            id: this.nextId(),
            filename: f.name,
            size: f.size,
            url: `https://cdn.fake/${f.name}`,
            proxy_url: `https://cdn.fake/${f.name}`,
          }));
        return reply(200, msg);
      }
      if (method === 'GET' && target) {
        const msg = this.messages.get(target);
        return msg ? reply(200, msg) : reply(404, { code: 10008, message: 'Unknown Message' });
      }
      if (method === 'DELETE' && target) {
        this.messages.delete(target);
        return reply(204, undefined);
      }
    }
    if ((m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/))) {
      const key = `${m[1]}:${m[2]}:${decodeURIComponent(m[3]!)}`;
      if (method === 'PUT') this.botReactions.add(key);
      if (method === 'DELETE') this.botReactions.delete(key);
      return reply(204, undefined);
    }
    if (method === 'GET' && (m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)$/))) {
      const msg = this.messages.get(m[2]!);
      return msg && msg.channel_id === m[1] ? reply(200, msg) : reply(404, { code: 10008, message: 'Unknown Message' });
    }
    if (method === 'POST' && (m = path.match(/^\/channels\/(\d+)\/threads$/))) {
      // A forum post: a thread and its starter message share one id.
      const forum = this.findChannel(m[1]!);
      if (!forum || forum.type !== 15)
        return reply(400, { code: 50024, message: 'Cannot execute action on this channel type' });
      const id = this.nextId();
      const post: FakeChannel = {
        id,
        type: 11,
        guild_id: this.guildId,
        name: String(body?.name ?? ''),
        parent_id: forum.id,
        applied_tags: Array.isArray(body?.applied_tags) ? body.applied_tags.map(String) : [],
      };
      this.posts.set(id, post);
      const message = this.createMessage(post, id, body?.message ?? {}, files, { id });
      this.messages.set(id, message);
      this.dispatch('THREAD_CREATE', { ...this.threadPayload(post), newly_created: true });
      return reply(201, { ...this.threadPayload(post), message });
    }
    if (method === 'POST' && (m = path.match(/^\/channels\/(\d+)\/messages$/))) {
      const channel = this.findChannel(m[1]!);
      if (!channel) return reply(404, { code: 10003, message: 'Unknown Channel' });
      if (channel.type === 15)
        return reply(400, { code: 50008, message: 'Cannot send messages in a non-text channel' });
      return reply(
        200,
        this.createMessage(channel, channel.id, body ?? {}, files, {
          webhook_id: undefined,
          type: body?.message_reference ? 19 : 0,
        }),
      );
    }
    if (method === 'GET' && (m = path.match(/^\/channels\/(\d+)$/))) {
      const ch = this.findChannel(m[1]!);
      if (!ch) return reply(404, { code: 10003, message: 'Unknown Channel' });
      return reply(
        200,
        ch.type === 1
          ? { id: ch.id, type: 1, recipients: ch.recipients }
          : ch.type === 15
            ? this.forumPayload()
            : ch.type === 11
              ? this.threadPayload(ch)
              : { id: ch.id, type: 0, guild_id: this.guildId, name: ch.name, position: 0, permission_overwrites: [] },
      );
    }
    if (method === 'POST' && path === '/users/@me/channels') {
      const user = Object.values(this.users).find((u) => u.id === body?.recipient_id);
      if (!user) return reply(400, { code: 50033, message: 'Invalid Recipient(s)' });
      const ch = this.dmChannelOf(user);
      return reply(200, { id: ch.id, type: 1, recipients: [user] });
    }
    if (method === 'GET' && (m = path.match(/^\/users\/(\d+|@me)$/))) {
      const id = m[1] === '@me' ? this.bot.id : m[1];
      const user = [this.bot, ...Object.values(this.users)].find((u) => u.id === id);
      return user ? reply(200, user) : reply(404, { code: 10013, message: 'Unknown User' });
    }
    if (method === 'GET' && path === `/guilds/${this.guildId}`) return reply(200, this.guildPayload());
    if (method === 'GET' && (m = path.match(/^\/guilds\/(\d+)\/members\/(\d+)$/))) {
      const user = [this.bot, ...Object.values(this.users)].find((u) => u.id === m![2]);
      return user ? reply(200, this.member(user)) : reply(404, { code: 10007, message: 'Unknown Member' });
    }
    if (method === 'GET' && path === '/applications/@me')
      return reply(200, {
        id: this.appId,
        name: 'deep-reco',
        flags: 0,
        bot_public: true,
        bot_require_code_grant: false,
        description: '',
        icon: null,
      });
    return reply(404, { code: 0, message: '404: Not Found' });
  }
}
