/**
 * Own sources on Discord — three commands sharing one scope rule:
 * - `/subscribe [url] [opml] [category] [for_channel]`: follow a feed, YouTube channel or page, or import an
 *   OPML file (an attachment option);
 * - `/unsubscribe <which>` (autocomplete lists the caller's sources);
 * - `/sources [export] [for_channel]`: the list with each source's health, or the OPML file.
 * Personal by default (ephemeral answers). `for_channel` acts on the channel's sources, whose items lift the
 * lists shown in that channel: only where the bot is in the server, and only for members who may manage it
 * (Manage Server or Manage Channels). Answers are interaction replies: they work in user installs too.
 */
import {
  AttachmentBuilder,
  MessageFlags,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type Attachment,
  type AutocompleteInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { App } from '../../../app/compose.js';
import { CATEGORIES, type Category } from '../../../core/domain.js';
import { RecoError } from '../../../core/errors.js';
import { categoryName, t } from '../../../core/messages.js';
import type { SourceScope } from '../../../core/sources/service.js';
import type { BotContext } from '../context.js';
import { presenceOf } from '../install.js';
import { PLATFORM, interactionActor, replyInParts, truncate } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const d = {
  subscribe: desc('discord.cmd.subscribe'),
  url: desc('discord.opt.url'),
  opml: desc('discord.opt.opml'),
  category: desc('discord.opt.category'),
  forChannel: desc('discord.opt.forChannel'),
  unsubscribe: desc('discord.cmd.unsubscribe'),
  which: desc('discord.opt.which'),
  sources: desc('discord.cmd.sources'),
  export: desc('discord.opt.export'),
};

const forChannelOption = (o: import('discord.js').SlashCommandBooleanOption) =>
  o
    .setName('for_channel')
    .setNameLocalizations({ ko: '채널용' })
    .setDescription(d.forChannel.en)
    .setDescriptionLocalizations(d.forChannel.ko);

/** The scope, or undefined after telling the caller they may not change this channel's sources. */
async function scopeOf(
  interaction: ChatInputCommandInteraction | AutocompleteInteraction,
  app: App,
  write: boolean,
): Promise<SourceScope | undefined> {
  if (!interaction.options.getBoolean('for_channel')) return {};
  const chat = { platform: PLATFORM, chatId: interaction.channelId };
  if (!write) return { chat };
  const perms = interaction.memberPermissions;
  const admin =
    presenceOf(interaction) === 'guild' &&
    perms !== null &&
    (perms.has(PermissionFlagsBits.ManageGuild) || perms.has(PermissionFlagsBits.ManageChannels));
  if (admin) return { chat };
  if (interaction.isChatInputCommand()) {
    const lang = await app.core.identity.langOf(interactionActor(interaction));
    await interaction.editReply({ content: t(lang, 'sources.adminOnly') });
  }
  return undefined;
}

/**
 * An attachment's text, at most `max` bytes, fetched only from Discord's CDN (or the configured API host, a
 * proxy or the test server): an attachment URL is never an arbitrary address to fetch.
 */
export async function attachmentText(app: App, a: Attachment, max: number): Promise<string> {
  const url = new URL(a.url);
  const apiHost = app.config.DISCORD_API_BASE ? new URL(app.config.DISCORD_API_BASE).host : undefined;
  if (!/(^|\.)discordapp\.(com|net)$/i.test(url.hostname) && url.host !== apiHost)
    throw new RecoError('INPUT_INVALID', `attachment not on Discord's CDN: ${url.host}`);
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) }).catch((e: unknown) => {
    throw new RecoError('PLATFORM_FAILED', `downloading the attachment ${a.name} failed`, { cause: e });
  });
  if (!res.ok) throw new RecoError('PLATFORM_FAILED', `Discord answered ${res.status} for the attachment ${a.name}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > max) throw new RecoError('INPUT_INVALID', `the attachment is larger than ${max} bytes`);
  return body.toString('utf8');
}

// ------------------------------------------------------------------ /subscribe

const subscribeData = new SlashCommandBuilder()
  .setName('subscribe')
  .setNameLocalizations({ ko: '구독' })
  .setDescription(d.subscribe.en)
  .setDescriptionLocalizations(d.subscribe.ko)
  .addStringOption((o) =>
    o
      .setName('url')
      .setNameLocalizations({ ko: '주소' })
      .setDescription(d.url.en)
      .setDescriptionLocalizations(d.url.ko)
      .setMaxLength(2000),
  )
  .addAttachmentOption((o) => o.setName('opml').setDescription(d.opml.en).setDescriptionLocalizations(d.opml.ko))
  .addStringOption((o) =>
    o
      .setName('category')
      .setNameLocalizations({ ko: '카테고리' })
      .setDescription(d.category.en)
      .setDescriptionLocalizations(d.category.ko)
      .addChoices(
        ...CATEGORIES.map((c) => ({
          name: categoryName(c, 'en'),
          name_localizations: { ko: categoryName(c, 'ko') },
          value: c,
        })),
      ),
  )
  .addBooleanOption(forChannelOption);

async function subscribe(interaction: ChatInputCommandInteraction, app: App): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral }); // fetching the source takes a few seconds
  const actor = interactionActor(interaction);
  const scope = await scopeOf(interaction, app, true);
  if (!scope) return;
  const url = interaction.options.getString('url')?.trim();
  const opml = interaction.options.getAttachment('opml');
  const cat = interaction.options.getString('category');
  const category = cat && (CATEGORIES as readonly string[]).includes(cat) ? (cat as Category) : undefined;
  const full = { ...scope, ...(category ? { category } : {}) };
  if (opml) {
    const max = app.config.SOURCES_OPML_MAX_BYTES;
    const lang = await app.core.identity.langOf(actor);
    if (opml.size > max) {
      await interaction.editReply({ content: t(lang, 'sources.opmlTooBig', { max: Math.round(max / 1000) }) });
      return;
    }
    const r = await app.sources.importOpml(actor, await attachmentText(app, opml, max), full);
    await replyInParts(interaction, r.message);
    return;
  }
  if (!url) {
    await interaction.editReply({ content: t(await app.core.identity.langOf(actor), 'sources.usage') });
    return;
  }
  await replyInParts(interaction, (await app.sources.subscribe(actor, url, full)).message);
}

// ------------------------------------------------------------------ /unsubscribe

const unsubscribeData = new SlashCommandBuilder()
  .setName('unsubscribe')
  .setNameLocalizations({ ko: '구독취소' })
  .setDescription(d.unsubscribe.en)
  .setDescriptionLocalizations(d.unsubscribe.ko)
  .addStringOption((o) =>
    o
      .setName('which')
      .setNameLocalizations({ ko: '소스' })
      .setDescription(d.which.en)
      .setDescriptionLocalizations(d.which.ko)
      .setRequired(true)
      .setAutocomplete(true)
      .setMaxLength(2000),
  )
  .addBooleanOption(forChannelOption);

async function unsubscribe(interaction: ChatInputCommandInteraction, app: App): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const scope = await scopeOf(interaction, app, true);
  if (!scope) return;
  const ref = interaction.options.getString('which', true);
  await replyInParts(interaction, (await app.sources.unsubscribe(interactionActor(interaction), ref, scope)).message);
}

/** The caller's (or the channel's) sources, by number: `3. Bouldering Notebook`. */
async function whichAutocomplete(interaction: AutocompleteInteraction, app: App): Promise<void> {
  const scope = (await scopeOf(interaction, app, false)) ?? {};
  const { sources } = await app.sources.list(interactionActor(interaction), scope);
  const q = String(interaction.options.getFocused() ?? '')
    .toLowerCase()
    .trim();
  const choices = sources
    .map((s, i) => ({ name: truncate(`${i + 1}. ${s.record.title}`, 100), value: String(i + 1) }))
    .filter((c) => !q || c.name.toLowerCase().includes(q))
    .slice(0, 25);
  await interaction.respond(choices);
}

// ------------------------------------------------------------------ /sources

const sourcesData = new SlashCommandBuilder()
  .setName('sources')
  .setNameLocalizations({ ko: '소스' })
  .setDescription(d.sources.en)
  .setDescriptionLocalizations(d.sources.ko)
  .addBooleanOption((o) =>
    o
      .setName('export')
      .setNameLocalizations({ ko: '내보내기' })
      .setDescription(d.export.en)
      .setDescriptionLocalizations(d.export.ko),
  )
  .addBooleanOption(forChannelOption);

async function listSources(interaction: ChatInputCommandInteraction, app: App): Promise<void> {
  const actor = interactionActor(interaction);
  const scope = (await scopeOf(interaction, app, false)) ?? {};
  if (interaction.options.getBoolean('export')) {
    const out = await app.sources.exportOpml(actor, scope);
    await interaction.reply({
      content: out.message,
      files: [new AttachmentBuilder(Buffer.from(out.xml, 'utf8'), { name: out.filename })],
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  await replyInParts(interaction, (await app.sources.list(actor, scope)).message);
}

export const subscribeCommand: Command = {
  data: subscribeData,
  execute: (i: ChatInputCommandInteraction, app: App, _ctx: BotContext) => subscribe(i, app),
};
export const unsubscribeCommand: Command = {
  data: unsubscribeData,
  execute: (i: ChatInputCommandInteraction, app: App, _ctx: BotContext) => unsubscribe(i, app),
  autocomplete: (i: AutocompleteInteraction, app: App) => whichAutocomplete(i, app),
};
export const sourcesCommand: Command = {
  data: sourcesData,
  execute: (i: ChatInputCommandInteraction, app: App, _ctx: BotContext) => listSources(i, app),
};
