/**
 * Client-level failures: logged with what an operator should do, never fatal. discord.js emits
 * `error` for errors thrown in async listeners (captureRejections) — without a listener it would throw.
 */
import type { BotContext } from '../context.js';
import { describeError } from '../util.js';
import type { Listener } from './listener.js';

const CLOSE_HINTS: Record<number, string> = {
  4004: 'DISCORD_TOKEN was rejected: reset the token in the Developer Portal (Bot → Reset Token) and update DISCORD_TOKEN',
  4010: 'invalid shard: check the sharding settings (bots/discord/shard.ts)',
  4011: 'sharding required: the bot is in too many servers for one connection — run it with `npx tsx bots/discord/shard.ts` (see docs/DISCORD.md)',
  4013: 'invalid intents: a bug — please report it',
  4014: 'disallowed intents: enable "Message Content Intent" in the Developer Portal (Bot → Privileged Gateway Intents) or set DISCORD_MESSAGE_CONTENT=false',
};

export const clientErrors: Listener[] = [
  {
    event: 'error',
    run(ctx: BotContext, error: unknown) {
      ctx.log.error(
        { err: describeError(error) },
        'Discord client error (the bot keeps running); if it repeats, check the network and the token',
      );
    },
  },
  {
    event: 'shardError',
    run(ctx: BotContext, error: unknown, shardId: number) {
      ctx.log.warn(
        { err: describeError(error), shard: shardId },
        'Discord gateway connection error; discord.js reconnects by itself. If it repeats, check the network / DISCORD_API_BASE',
      );
    },
  },
  {
    event: 'shardDisconnect',
    run(ctx: BotContext, event: { code?: number } | undefined, shardId: number) {
      const code = event?.code ?? 0;
      ctx.log.error(
        { code, shard: shardId },
        `Discord gateway closed for good (code ${code}): ${CLOSE_HINTS[code] ?? 'see https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes'}`,
      );
    },
  },
  {
    event: 'shardReconnecting',
    run(ctx: BotContext, shardId: number) {
      ctx.log.info({ shard: shardId }, 'Discord gateway reconnecting');
    },
  },
  {
    event: 'warn',
    run(ctx: BotContext, message: string) {
      ctx.log.warn({ detail: message }, 'discord.js warning');
    },
  },
  {
    event: 'invalidated',
    run(ctx: BotContext) {
      ctx.log.error(
        {},
        'the Discord session was invalidated (token reset?): restart the bot with a valid DISCORD_TOKEN',
      );
    },
  },
];
