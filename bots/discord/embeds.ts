/**
 * One recommended item as a Discord message: an embed (title, link, thumbnail, summary, source,
 * category, the explanation line) and a "More like this" button (custom id `more:<itemId>`). Remote
 * thumbnails must be https; built-in thumbnails are local files (paths relative to the project root)
 * and travel as attachments (`attachment://name`).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder } from 'discord.js';
import type { Lang } from '../../core/domain.js';
import { categoryName, t } from '../../core/messages.js';
import type { ListItemView } from '../../core/recommend/delivery.js';
import { truncate } from './util.js';

/** Discord's upload limit for bots without boosts (10 MiB); thumbnails are far smaller. */
const MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024;
const COLOR = 0x5865f2;

export interface ItemMessage {
  content?: string;
  embeds: EmbedBuilder[];
  files: AttachmentBuilder[];
  components: ActionRowBuilder<ButtonBuilder>[];
}

/** Custom-id prefix of the "More like this" button. */
export const MORE_PREFIX = 'more';
/** Discord's limit on a component's custom id. */
const MAX_CUSTOM_ID = 100;

function shortRef(itemId: string): string {
  return createHash('sha256').update(itemId).digest('base64url').slice(0, 16);
}

/**
 * The custom id of an item's "More like this" button: `more:<itemId>`, or `more:~<hash>` for an id too
 * long for Discord's 100-character limit. Never trusted alone: the handler only accepts an item that
 * the message the button sits on is mapped to.
 */
export function moreCustomId(itemId: string): string {
  const plain = `${MORE_PREFIX}:${itemId}`;
  return plain.length <= MAX_CUSTOM_ID ? plain : `${MORE_PREFIX}:~${shortRef(itemId)}`;
}

/** The item (of `candidates`, the items mapped to the message) a "More like this" custom id names, if any. */
export function moreTarget(customId: string, candidates: readonly string[]): string | undefined {
  return candidates.find((id) => moreCustomId(id) === customId);
}

/** A thumbnail to show: an https URL, or a local file to attach. Anything else is skipped. */
export function thumbnailFor(
  thumbnail: string | undefined,
  position: number,
  root = process.cwd(),
): { url: string; file?: AttachmentBuilder } | undefined {
  if (!thumbnail) return undefined;
  if (/^https:\/\//i.test(thumbnail)) return { url: thumbnail };
  if (/^[a-z][a-z0-9+.-]*:/i.test(thumbnail)) return undefined; // http:, data:, file: … are not shown
  const base = resolve(root);
  const abs = resolve(base, thumbnail);
  if (!abs.startsWith(base + sep)) return undefined; // never attach files outside the project
  try {
    if (!existsSync(abs) || statSync(abs).size > MAX_ATTACHMENT_BYTES) return undefined;
  } catch {
    return undefined;
  }
  const ext =
    extname(abs)
      .toLowerCase()
      .replace(/[^a-z0-9.]/g, '') || '.png';
  const name = `thumb-${position}${ext}`;
  return { url: `attachment://${name}`, file: new AttachmentBuilder(abs, { name }) };
}

export function itemMessage(rec: ListItemView, lang: Lang, explanation: string, header?: string): ItemMessage {
  const { item } = rec;
  const embed = new EmbedBuilder()
    .setColor(COLOR)
    .setTitle(truncate(`${rec.position}. ${item.title}`, 256))
    .addFields(
      { name: t(lang, 'discord.field.source'), value: truncate(item.source, 1024), inline: true },
      { name: t(lang, 'discord.field.category'), value: categoryName(item.category, lang), inline: true },
      { name: t(lang, 'discord.field.why'), value: truncate(explanation || '—', 1024) },
    );
  if (/^https?:\/\//i.test(item.url)) embed.setURL(item.url);
  const summary = item.summary && item.summary !== item.title ? truncate(item.summary, 600) : '';
  if (summary) embed.setDescription(summary);
  const published = Date.parse(item.publishedAt);
  if (Number.isFinite(published)) embed.setTimestamp(published);
  const thumb = thumbnailFor(item.thumbnail, rec.position);
  if (thumb) embed.setThumbnail(thumb.url);
  const more = new ButtonBuilder()
    .setCustomId(moreCustomId(item.id))
    .setLabel(t(lang, 'reco.moreButton'))
    .setEmoji('🔎')
    .setStyle(ButtonStyle.Secondary);
  return {
    ...(header ? { content: truncate(header, 2000) } : {}),
    embeds: [embed],
    files: thumb?.file ? [thumb.file] : [],
    components: [new ActionRowBuilder<ButtonBuilder>().addComponents(more)],
  };
}
