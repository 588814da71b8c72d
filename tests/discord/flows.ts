/** Test-side actions: run a slash command and wait until the bot finished it; react and wait for the outcome. */
import type { ReactionReport, CommandReport } from '../../bots/discord/index.js';
import type { FakeChannel, FakeUser, RecordedRequest } from '../helpers/fake-discord.js';
import { nextEvent, type Bot } from './harness.js';

export interface CommandRun {
  id: string;
  token: string;
  report: CommandReport;
  /** REST requests made for this interaction (callback + webhooks). */
  requests: RecordedRequest[];
}

export async function runCommand(
  bot: Bot,
  o: {
    name: string;
    user: FakeUser;
    channel?: FakeChannel;
    options?: { name: string; type: number; value: string | number | boolean }[];
    locale?: string;
    appPermissions?: bigint;
    resolved?: Record<string, unknown>;
    memberPermissions?: bigint;
  },
): Promise<CommandRun & { from: number }> {
  const from = bot.fake.mark();
  const done = nextEvent<CommandReport>(
    bot.discord.events,
    'command',
    (c) => c.name === o.name && c.userId === o.user.id,
  );
  const i = bot.fake.slashCommand(o);
  const report = await done;
  const requests = bot.fake.requests.slice(from).filter((r) => r.path.includes(i.token));
  return { id: i.id, token: i.token, report, requests, from };
}

/** `/recommend` → the item message ids, in order, and the item id each carries (from the store mapping). */
export async function recommend(
  bot: Bot,
  o: { user: FakeUser; channel?: FakeChannel; count?: number; topic?: string; locale?: string },
): Promise<
  CommandRun & { messageIds: string[]; itemIds: string[]; channelId: string; reactionPuts: RecordedRequest[] }
> {
  const channel = o.channel ?? bot.fake.textChannel;
  const options = [
    ...(o.count ? [{ name: 'count', type: 4, value: o.count }] : []),
    ...(o.topic ? [{ name: 'topic', type: 3, value: o.topic }] : []),
  ];
  const run = await runCommand(bot, {
    name: 'recommend',
    user: o.user,
    channel,
    options,
    ...(o.locale ? { locale: o.locale } : {}),
  });
  const reactionPuts = bot.fake.requests
    .slice(run.from)
    .filter(
      (r) =>
        r.method === 'PUT' && r.path.startsWith(`/channels/${channel.id}/messages/`) && r.path.includes('/reactions/'),
    );
  const messageIds = [...new Set(reactionPuts.map((r) => r.path.split('/')[4]!))];
  const itemIds: string[] = [];
  for (const m of messageIds) {
    const ref = await bot.app.reco.users.getMessageRef('discord', channel.id, m);
    itemIds.push(ref?.itemIds[0] ?? '?');
  }
  return { ...run, messageIds, itemIds, channelId: channel.id, reactionPuts };
}

export async function react(
  bot: Bot,
  o: { user: FakeUser; channelId: string; messageId: string; emoji: string; remove?: boolean },
): Promise<ReactionReport & { seq: number; payload: unknown }> {
  const done = nextEvent<ReactionReport>(
    bot.discord.events,
    'reaction',
    (r) => r.userId === o.user.id && r.messageId === o.messageId && r.action === (o.remove ? 'remove' : 'add'),
  );
  const { seq, payload } = bot.fake.react({
    user: o.user,
    message: { id: o.messageId, channel_id: o.channelId },
    emoji: o.emoji,
    ...(o.remove ? { remove: true } : {}),
  });
  return { ...(await done), seq, payload };
}

/** The custom id of the "More like this" button on a bot message (as the fake stored it). */
export function moreButtonOf(bot: Bot, messageId: string): { customId: string; label: string } {
  const msg = bot.fake.messages.get(messageId);
  type Button = { custom_id: string; label: string };
  const rows = msg?.components as { components?: Button[] }[] | undefined;
  const button = rows?.[0]?.components?.find((c) => String(c.custom_id).startsWith('more:'));
  if (!button) throw new Error(`message ${messageId} has no "More like this" button`);
  return { customId: button.custom_id, label: button.label };
}

/**
 * Presses a button on a bot message and waits until the bot finished handling it → the requests made
 * for that interaction, and (when it answered with a list) the new item messages and their item ids.
 */
export async function pressButton(
  bot: Bot,
  o: { user: FakeUser; messageId: string; customId: string; locale?: string },
): Promise<CommandRun & { from: number; messageIds: string[]; itemIds: string[]; reactionPuts: RecordedRequest[] }> {
  const message = bot.fake.messages.get(o.messageId);
  if (!message) throw new Error(`no bot message ${o.messageId}`);
  const prefix = o.customId.split(':')[0];
  const from = bot.fake.mark();
  const done = nextEvent<CommandReport>(
    bot.discord.events,
    'command',
    (c) => c.name === `button:${prefix}` && c.userId === o.user.id,
  );
  const i = bot.fake.buttonPress({
    user: o.user,
    message,
    customId: o.customId,
    ...(o.locale ? { locale: o.locale } : {}),
  });
  const report = await done;
  const requests = bot.fake.requests.slice(from).filter((r) => r.path.includes(i.token));
  const reactionPuts = bot.fake.requests
    .slice(from)
    .filter(
      (r) =>
        r.method === 'PUT' &&
        r.path.startsWith(`/channels/${message.channel_id}/messages/`) &&
        r.path.includes('/reactions/'),
    );
  const messageIds = [...new Set(reactionPuts.map((r) => r.path.split('/')[4]!))];
  const itemIds: string[] = [];
  for (const m of messageIds) {
    const ref = await bot.app.reco.users.getMessageRef('discord', message.channel_id, m);
    itemIds.push(ref?.itemIds[0] ?? '?');
  }
  return { id: i.id, token: i.token, report, requests, from, messageIds, itemIds, reactionPuts };
}
