/**
 * Small helpers shared by the Discord commands and listeners: actors, permissions, replies and the
 * per-handler error boundary (a core error → an ephemeral apology in the user's language; missing
 * permissions → which one; an expired interaction → a log line; never a crash).
 */
import {
  DiscordAPIError,
  MessageFlags,
  PermissionFlagsBits,
  type BaseInteraction,
  type InteractionReplyOptions,
  type PermissionsBitField,
  type RepliableInteraction,
  type User,
  type PartialUser,
} from 'discord.js';
import type { Lang } from '../../core/domain.js';
import { DISCORD_CONTENT_LIMIT, splitMessage } from '../../core/split.js';
import { RecoError, isRecoError, toRecoError } from '../../core/errors.js';
import { t, type MessageKey } from '../../core/messages.js';
import { userMessage } from '../../core/status/status.js';
import type { Actor } from '../../core/users/doc.js';
import type { BotContext } from './context.js';
import { botInChannel } from './install.js';

export const PLATFORM = 'discord' as const;

export function actorOf(
  user: Pick<User, 'id'> & Partial<Pick<User, 'username' | 'globalName'>>,
  locale?: string,
): Actor {
  const name = user.globalName ?? user.username;
  return {
    platform: PLATFORM,
    externalId: user.id,
    ...(name ? { displayName: name } : {}),
    ...(locale ? { locale } : {}),
  };
}

export function interactionActor(interaction: BaseInteraction): Actor {
  return actorOf(interaction.user, interaction.locale);
}

// ------------------------------------------------------------------ permissions

/** The permissions the bot uses, by name. The invite URL (docs/DISCORD.md) asks for exactly these. */
export const BOT_PERMISSIONS = {
  ViewChannel: PermissionFlagsBits.ViewChannel,
  SendMessages: PermissionFlagsBits.SendMessages,
  EmbedLinks: PermissionFlagsBits.EmbedLinks,
  AttachFiles: PermissionFlagsBits.AttachFiles,
  AddReactions: PermissionFlagsBits.AddReactions,
  ReadMessageHistory: PermissionFlagsBits.ReadMessageHistory,
} as const;
export type BotPermission = keyof typeof BOT_PERMISSIONS;

/** The invite URL permission integer: the OR of BOT_PERMISSIONS (117824). */
export const INVITE_PERMISSIONS = Object.values(BOT_PERMISSIONS).reduce((a, b) => a | b, 0n);

/** What `/recommend` needs in a channel: see items (embeds, thumbnails) and add 👍/👎 (reacting needs history). */
export const RECOMMEND_PERMISSIONS: readonly BotPermission[] = [
  'ViewChannel',
  'SendMessages',
  'EmbedLinks',
  'AttachFiles',
  'AddReactions',
  'ReadMessageHistory',
];

/** The bot's permissions where the interaction happened: `app_permissions`, else the channel's computed permissions. */
export function botPermissionsAt(interaction: BaseInteraction): Readonly<PermissionsBitField> | undefined {
  if (interaction.appPermissions) return interaction.appPermissions;
  const me = interaction.guild?.members.me;
  const channel = interaction.channel;
  if (me && channel && 'permissionsFor' in channel) return channel.permissionsFor(me) ?? undefined;
  return undefined;
}

/** The names in `needed` the bot lacks here; [] when unknown (Discord will answer 50013 and we map it). */
export function missingPermissions(interaction: BaseInteraction, needed: readonly BotPermission[]): BotPermission[] {
  const have = botPermissionsAt(interaction);
  if (!have) return [];
  return needed.filter((p) => !have.has(BOT_PERMISSIONS[p]));
}

export function permissionNames(lang: Lang, names: readonly BotPermission[]): string {
  return names.map((n) => t(lang, `discord.perm.${n}` as MessageKey)).join(', ');
}

export function missingPermissionError(lang: Lang, names: readonly BotPermission[], cause?: unknown): RecoError {
  return new RecoError('MISSING_PERMISSION', `missing Discord permission(s): ${names.join(', ')}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { permission: permissionNames(lang, names), permissions: names.join(',') },
  });
}

// ------------------------------------------------------------------ Discord API errors

/** Discord JSON error codes the adapter handles. */
export const API = {
  UnknownMessage: 10008,
  UnknownInteraction: 10062,
  AlreadyAcknowledged: 40060,
  MissingAccess: 50001,
  MissingPermissions: 50013,
} as const;

export function apiCode(e: unknown): number | undefined {
  if (e instanceof DiscordAPIError) return typeof e.code === 'number' ? e.code : Number(e.code);
  return undefined;
}

/** Runs a Discord call; a 50013 (or 50001) becomes a MISSING_PERMISSION RecoError naming `permissions`. */
export async function needs<T>(lang: Lang, permissions: readonly BotPermission[], call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const code = apiCode(e);
    if (code === API.MissingPermissions || code === API.MissingAccess)
      throw missingPermissionError(lang, permissions, e);
    throw e;
  }
}

/** Masks interaction tokens in Discord URLs (`/webhooks/:app/:token`, `/interactions/:id/:token`). */
export function maskUrl(url: string): string {
  return url.replace(/(\/webhooks\/\d+\/)[^/?]+/g, '$1[token]').replace(/(\/interactions\/\d+\/)[^/?]+/g, '$1[token]');
}

/** A loggable view of an error: never the bot token, never interaction tokens. */
export function describeError(e: unknown): Record<string, unknown> {
  if (e instanceof DiscordAPIError) {
    return {
      name: 'DiscordAPIError',
      code: e.code,
      status: e.status,
      method: e.method,
      url: maskUrl(e.url),
      message: e.message,
    };
  }
  if (isRecoError(e)) {
    const cause = e.cause === undefined ? undefined : describeError(e.cause);
    return { name: e.name, code: e.code, message: maskUrl(e.message), ...(cause ? { cause } : {}) };
  }
  if (e instanceof Error)
    return { name: e.name, message: maskUrl(e.message), stack: e.stack?.split('\n').slice(0, 6).join('\n') };
  return { message: String(e) };
}

// ------------------------------------------------------------------ replies

/** An ephemeral message, whatever state the interaction is in (a pending public "thinking…" is removed). */
export async function replyEphemeral(interaction: RepliableInteraction, content: string): Promise<void> {
  const payload: InteractionReplyOptions = { content, flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } };
  if (interaction.deferred && !interaction.replied) {
    if (interaction.ephemeral) {
      await interaction.editReply({ content, allowedMentions: { parse: [] } });
      return;
    }
    await interaction.deleteReply().catch(() => undefined);
    await interaction.followUp(payload);
    return;
  }
  if (interaction.replied) {
    await interaction.followUp(payload);
    return;
  }
  await interaction.reply(payload);
}

/**
 * Answers an interaction with a text of any length: the one splitter (core/split.ts) cuts it into parts within
 * Discord's 2,000 characters — the first is the reply, the others follow-ups, all ephemeral unless asked.
 * Interaction replies need no channel permission, so this works in user installs too.
 */
export async function replyInParts(
  interaction: RepliableInteraction,
  text: string,
  opts: { ephemeral?: boolean } = {},
): Promise<void> {
  const parts = splitMessage(text, DISCORD_CONTENT_LIMIT);
  const base = {
    allowedMentions: { parse: [] as [] },
    ...(opts.ephemeral === false ? {} : { flags: MessageFlags.Ephemeral as const }),
  };
  for (const [i, content] of (parts.length > 0 ? parts : ['—']).entries()) {
    if (i === 0 && !interaction.replied && !interaction.deferred) await interaction.reply({ ...base, content });
    else if (i === 0 && interaction.deferred && !interaction.replied) await interaction.editReply({ content });
    else await interaction.followUp({ ...base, content });
  }
}

/**
 * The error boundary of one interaction: tells the user (ephemeral, their language) and logs what an
 * operator should do. Never throws.
 */
export async function handleInteractionError(
  ctx: BotContext,
  interaction: BaseInteraction,
  e: unknown,
  what: string,
): Promise<string | number> {
  const code = apiCode(e);
  const log = ctx.log.child({ interaction: what, user: interaction.user.id, channel: interaction.channelId });
  if (code === API.UnknownInteraction) {
    log.warn(
      { err: describeError(e) },
      'the interaction expired before the bot answered (Discord allows 3 s to acknowledge): nothing to do unless it keeps happening — then check the host load and the network latency to Discord',
    );
    return code;
  }
  if (code === API.AlreadyAcknowledged) {
    log.warn(
      { err: describeError(e) },
      'the interaction was already acknowledged (another process running with the same token?): make sure only one bot instance per shard is running',
    );
    return code;
  }
  const lang = await ctx.core.identity.langOf(interactionActor(interaction)).catch(() => ctx.app.config.DEFAULT_LANG);
  const err =
    code === API.MissingPermissions || code === API.MissingAccess
      ? missingPermissionError(lang, ['ViewChannel', 'SendMessages'], e)
      : toRecoError(e);
  const level = err.code === 'INTERNAL' || err.code === 'PLATFORM_FAILED' ? 'error' : 'warn';
  const where = interaction.guildId
    ? `channel ${interaction.channelId} of server ${interaction.guildId}`
    : `DM channel ${interaction.channelId}`;
  const hint =
    err.code === 'MISSING_PERMISSION'
      ? botInChannel(interaction)
        ? `${err.hint} Missing in ${where}: ${String(err.details.permissions ?? '')}.`
        : `the app is used as a user install in ${where} (the bot is not in that conversation): only interaction replies work there, nothing can be granted — a bug if it repeats (the reply path should not need the channel)`
      : err.hint;
  log[level]({ err: describeError(e), code: err.code }, `${what} failed: ${hint}`);
  if (!interaction.isRepliable()) return err.code;
  // In a user install nobody can grant the bot anything here: say what the app can do instead.
  const text =
    err.code === 'MISSING_PERMISSION' && !botInChannel(interaction)
      ? t(lang, 'discord.userInstall.limited')
      : userMessage(err, lang);
  try {
    await replyEphemeral(interaction, text);
  } catch (e2) {
    const c2 = apiCode(e2);
    log.warn(
      { err: describeError(e2) },
      c2 === API.UnknownInteraction
        ? 'could not apologise: the interaction has expired'
        : 'could not send the apology to the user',
    );
  }
  return err.code;
}

/** Wraps a listener so nothing it throws escapes (an error boundary per listener). */
export function guard<A extends unknown[]>(
  ctx: BotContext,
  name: string,
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => void {
  return (...args: A) => {
    try {
      const out = fn(...args);
      if (out && typeof (out as Promise<void>).then === 'function') {
        (out as Promise<void>).catch((e: unknown) => logListenerError(ctx, name, e));
      }
    } catch (e) {
      logListenerError(ctx, name, e);
    }
  };
}

function logListenerError(ctx: BotContext, name: string, e: unknown): void {
  const err = toRecoError(e);
  ctx.log.error(
    { err: describeError(e), code: err.code, listener: name },
    `the ${name} handler failed (the bot keeps running): ${err.hint}`,
  );
}

export function isPartialUser(u: User | PartialUser): u is PartialUser {
  return u.partial;
}

export function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}
