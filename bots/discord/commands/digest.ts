/**
 * `/digest [action] [time] [timezone] [channel] [tags]`: the daily digest of this channel (in a server) or of
 * this DM. `action` on/off (nothing: show it); `time` HH:MM and `timezone` (IANA) move the slot; `channel`
 * routes the digests elsewhere — a text channel, a thread, or a forum (one post per digest, tagged with `tags`,
 * comma-separated forum tag names; default a tag called "digest"); `channel` set to this channel routes them back.
 * In a server, changing it needs the Manage Channels permission. Answers are ephemeral.
 */
import {
  ChannelType,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { App } from '../../../app/compose.js';
import { isTimeZone, parseTime } from '../../../core/digest/time.js';
import type { DigestChat } from '../../../core/digest/types.js';
import { t } from '../../../core/messages.js';
import type { BotContext } from '../context.js';
import { interactionActor, truncate } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const d = {
  cmd: desc('discord.cmd.digest'),
  action: desc('discord.opt.digestAction'),
  time: desc('discord.opt.digestTime'),
  tz: desc('discord.opt.digestZone'),
  channel: desc('discord.opt.digestChannel'),
  tags: desc('discord.opt.digestTags'),
};

/** Where a digest may be routed: text and announcement channels, threads, forums. */
const ROUTABLE = [
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.GuildForum,
] as const;

const data = new SlashCommandBuilder()
  .setName('digest')
  .setNameLocalizations({ ko: '다이제스트' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko)
  .addStringOption((o) =>
    o
      .setName('action')
      .setNameLocalizations({ ko: '동작' })
      .setDescription(d.action.en)
      .setDescriptionLocalizations(d.action.ko)
      .addChoices(
        { name: 'on', name_localizations: { ko: '켜기' }, value: 'on' },
        { name: 'off', name_localizations: { ko: '끄기' }, value: 'off' },
      ),
  )
  .addStringOption((o) =>
    o
      .setName('time')
      .setNameLocalizations({ ko: '시각' })
      .setDescription(d.time.en)
      .setDescriptionLocalizations(d.time.ko)
      .setMaxLength(5),
  )
  .addStringOption((o) =>
    o
      .setName('timezone')
      .setNameLocalizations({ ko: '시간대' })
      .setDescription(d.tz.en)
      .setDescriptionLocalizations(d.tz.ko)
      .setMaxLength(64),
  )
  .addChannelOption((o) =>
    o
      .setName('channel')
      .setNameLocalizations({ ko: '채널' })
      .setDescription(d.channel.en)
      .setDescriptionLocalizations(d.channel.ko)
      .addChannelTypes(...ROUTABLE),
  )
  .addStringOption((o) =>
    o
      .setName('tags')
      .setNameLocalizations({ ko: '태그' })
      .setDescription(d.tags.en)
      .setDescriptionLocalizations(d.tags.ko)
      .setMaxLength(200),
  );

async function execute(interaction: ChatInputCommandInteraction, app: App, _ctx: BotContext): Promise<void> {
  const actor = interactionActor(interaction);
  const lang = await app.core.identity.langOf(actor);
  const chat: DigestChat = {
    platform: 'discord',
    chatId: interaction.channelId,
    kind: interaction.guildId ? 'group' : 'private',
  };
  const reply = (content: string) =>
    interaction.reply({ content: truncate(content, 2000), flags: MessageFlags.Ephemeral });
  const action = interaction.options.getString('action');
  const time = interaction.options.getString('time')?.trim();
  const tz = interaction.options.getString('timezone')?.trim();
  const channel = interaction.options.getChannel('channel');
  const tags = interaction.options
    .getString('tags')
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const changing = action !== null || time || tz || channel;
  if (!changing) {
    const s = await app.digests.getSchedule(chat);
    const route = await app.routes.get('discord', chat.chatId);
    const lines = [
      s?.enabled
        ? t(lang, 'digest.statusOn', { time: s.time, tz: s.tz, next: app.digests.nextSlot(s) })
        : t(lang, 'digest.statusOff', {
            time: s?.time ?? app.config.DIGEST_DEFAULT_TIME,
            tz: s?.tz ?? app.config.DIGEST_DEFAULT_TZ,
          }),
      ...(route?.digestChannelId ? [t(lang, 'digest.routedTo', { channel: `<#${route.digestChannelId}>` })] : []),
    ];
    await reply(lines.join('\n'));
    return;
  }
  if (interaction.guildId && !interaction.memberPermissions?.has(PermissionFlagsBits.ManageChannels)) {
    await reply(t(lang, 'digest.manageOnly'));
    return;
  }
  if (time && parseTime(time) === undefined) {
    await reply(t(lang, 'digest.usageDiscord'));
    return;
  }
  if (tz && !isTimeZone(tz)) {
    await reply(t(lang, 'digest.badZone', { tz }));
    return;
  }
  const out: string[] = [];
  if (channel) {
    const back = channel.id === chat.chatId;
    const route = await app.routes.set('discord', chat.chatId, {
      digestChannelId: back ? undefined : channel.id,
      digestTags: back || !tags?.length ? undefined : tags,
    });
    out.push(
      !route
        ? t(lang, 'digest.routedBack')
        : channel.type === ChannelType.GuildForum
          ? t(lang, 'digest.routedForum', { channel: `<#${channel.id}>`, tags: (tags ?? ['digest']).join(', ') })
          : t(lang, 'digest.routedTo', { channel: `<#${channel.id}>` }),
    );
  }
  if (action !== null || time || tz) {
    const enabled = action === 'off' ? false : true;
    const { schedule, next } = await app.digests.setSchedule(
      chat,
      { enabled, ...(time ? { time } : {}), ...(tz ? { tz } : {}) },
      actor,
      lang,
    );
    out.unshift(
      schedule.enabled
        ? t(lang, 'digest.on', { time: schedule.time, tz: schedule.tz, next: next ?? '' })
        : t(lang, 'digest.off'),
    );
  }
  await reply(out.join('\n'));
}

export const digest: Command = { data, execute };
