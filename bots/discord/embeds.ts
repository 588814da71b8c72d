/**
 * One recommended item as a Discord message: an embed (title, link, thumbnail, summary, source,
 * category, the explanation line) and a row of buttons: "More like this" (custom id `more:<itemId>`), "Less
 * like this", "Why?" and "Mute source" (`act:<d|w|s>:<itemId>`). Or, in the compact layout, up to five items
 * in one message with a row of buttons each. Remote
 * thumbnails must be https; built-in thumbnails are local files (paths relative to the project root)
 * and travel as attachments (`attachment://name`).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';
import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, EmbedBuilder } from 'discord.js';
import type { Lang } from '../../core/domain.js';
import { categoryName, t } from '../../core/messages.js';
import type { ItemTranslation, ListItemView } from '../../core/recommend/delivery.js';
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

/** Custom-id prefix of the item action buttons (`act:<l|d|w|s>:<itemId>`). */
export const ACTION_PREFIX = 'act';
/** `l` like, `d` less like this (dislike), `w` why?, `s` mute the item's source. */
export type ItemAction = 'l' | 'd' | 'w' | 's';

/**
 * The custom id of an item action button: `act:<action>:<itemId>` (or `act:<action>:~<hash>` for a long id).
 * Forgery-checked like "More like this": the handler accepts only an item the message is mapped to.
 */
export function actionCustomId(action: ItemAction, itemId: string): string {
  const plain = `${ACTION_PREFIX}:${action}:${itemId}`;
  return plain.length <= MAX_CUSTOM_ID ? plain : `${ACTION_PREFIX}:${action}:~${shortRef(itemId)}`;
}

/** The action and item (of the message's items) an action custom id names, if any. */
export function actionTarget(
  customId: string,
  candidates: readonly string[],
): { action: ItemAction; itemId: string } | undefined {
  const m = /^act:([ldws]):/.exec(customId);
  if (!m) return undefined;
  const action = m[1] as ItemAction;
  const itemId = candidates.find((id) => actionCustomId(action, id) === customId);
  return itemId ? { action, itemId } : undefined;
}

/** Discord's limits: 5 action rows per message, so a compact message carries at most 5 items (a row each). */
export const COMPACT_PER_MESSAGE = 5;

/** "🌐 translated from English · Original: …" in the reader's language. */
function translationNote(tr: ItemTranslation, original: string, lang: Lang): string {
  const from = tr.from === 'ko' || tr.from === 'en' ? t(lang, `lang.name.${tr.from}`) : tr.from;
  return `${t(lang, 'translate.mark', { lang: from })} · ${t(lang, 'translate.original', { title: original })}`;
}

/**
 * A compact list message (up to COMPACT_PER_MESSAGE items): one embed listing the items by number (linked
 * title, source · category, the why line), and one row of buttons per item — 👍, 👎 (less like this), ❓ why,
 * 🔇 mute its source, 🔎 more like it. Keycap reactions 1️⃣–5️⃣ on it count as 👍 for that item.
 */
export function compactMessage(
  views: readonly ListItemView[],
  lang: Lang,
  emojis: { like: string; dislike: string },
  header?: string,
): ItemMessage {
  const { like, dislike } = emojis;
  const lines = views.map((v) => {
    const tr = v.translation;
    const title = truncate(tr ? `🌐 ${tr.title}` : v.item.title, 180);
    const link = /^https?:\/\//i.test(v.item.url) ? `[${title.replace(/[[\]]/g, '')}](${v.item.url})` : title;
    return [
      `**${v.position}.** ${link}`,
      ...(tr ? [`*${truncate(translationNote(tr, v.item.title, lang), 220)}*`] : []),
      `${truncate(v.item.source, 60)} · ${categoryName(v.item.category, lang)}${v.explanation ? ` — *${truncate(v.explanation, 200)}*` : ''}`,
    ].join('\n');
  });
  const embed = new EmbedBuilder()
    .setColor(COLOR)
    .setDescription(truncate(lines.join('\n\n'), 4096))
    .setFooter({ text: truncate(t(lang, 'layout.compactHint'), 2048) });
  const rows = views.map((v) =>
    new ActionRowBuilder<ButtonBuilder>().addComponents(
      button(actionCustomId('l', v.item.id), `${v.position}`, like),
      button(actionCustomId('d', v.item.id), `${v.position}`, dislike),
      button(actionCustomId('w', v.item.id), `${v.position}`, '❓'),
      button(actionCustomId('s', v.item.id), `${v.position}`, '🔇'),
      button(moreCustomId(v.item.id), `${v.position}`, '🔎'),
    ),
  );
  return { ...(header ? { content: truncate(header, 2000) } : {}), embeds: [embed], files: [], components: rows };
}

/**
 * 👍 as a button (`act:l`, handled with the other item actions), for item messages where reactions cannot teach
 * the bot: a user install (a DM or server without the bot) receives no reaction events and cannot add its own.
 */
export function likeButton(itemId: string, lang: Lang, emoji: string): ButtonBuilder {
  return button(actionCustomId('l', itemId), t(lang, 'action.like'), emoji);
}

function button(customId: string, label: string, emoji: string): ButtonBuilder {
  return new ButtonBuilder().setCustomId(customId).setLabel(label).setEmoji(emoji).setStyle(ButtonStyle.Secondary);
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
  const tr = rec.translation;
  const embed = new EmbedBuilder()
    .setColor(COLOR)
    .setTitle(truncate(`${rec.position}. ${tr ? `🌐 ${tr.title}` : item.title}`, 256))
    .addFields(
      { name: t(lang, 'discord.field.source'), value: truncate(item.source, 1024), inline: true },
      { name: t(lang, 'discord.field.category'), value: categoryName(item.category, lang), inline: true },
      { name: t(lang, 'discord.field.why'), value: truncate(explanation || '—', 1024) },
    );
  if (/^https?:\/\//i.test(item.url)) embed.setURL(item.url);
  const text = tr ? tr.summary : item.summary;
  const summary = text && text !== (tr ? tr.title : item.title) ? truncate(text, 600) : '';
  const note = tr ? `*${truncate(translationNote(tr, item.title, lang), 300)}*` : '';
  if (summary || note) embed.setDescription([note, summary].filter(Boolean).join('\n\n'));
  const published = Date.parse(item.publishedAt);
  if (Number.isFinite(published)) embed.setTimestamp(published);
  const thumb = thumbnailFor(item.thumbnail, rec.position);
  if (thumb) embed.setThumbnail(thumb.url);
  // "More like this" first (tests and people find it there), then the actions beside the 👍/👎 reactions.
  const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
    button(moreCustomId(item.id), t(lang, 'reco.moreButton'), '🔎'),
    button(actionCustomId('d', item.id), t(lang, 'action.less'), '👎'),
    button(actionCustomId('w', item.id), t(lang, 'action.why'), '❓'),
    button(actionCustomId('s', item.id), t(lang, 'action.muteSource'), '🔇'),
  );
  return {
    ...(header ? { content: truncate(header, 2000) } : {}),
    embeds: [embed],
    files: thumb?.file ? [thumb.file] : [],
    components: [row],
  };
}
