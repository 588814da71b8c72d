/**
 * What every Telegram composer shares: the dependencies, the actor/chat mapping, callback-data signing
 * and the item message renderer.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InlineKeyboard, type Context } from 'grammy';
import type { App } from '../../app/compose.js';
import type { DigestChat } from '../../core/digest/types.js';
import type { ControlScope } from '../../core/filters/service.js';
import type { ContentItem, Lang } from '../../core/domain.js';
import type { ItemTranslation, ListItemView, ListToSend } from '../../core/recommend/delivery.js';
import { categoryName, t } from '../../core/messages.js';
import type { Outbox } from '../../core/outbox/outbox.js';
import type { Clock, Logger } from '../../core/ports.js';
import type { MediaRefs } from '../../core/recommend/media.js';
import type { ChatRoutes } from '../../core/recommend/routes.js';
import type { CoreServices } from '../../core/service.js';
import type { Actor } from '../../core/users/doc.js';

export interface TgDeps {
  app: App;
  /** The core's services (recommend, feedback, conversation, persona, forget, status, …). */
  core: CoreServices;
  digest: CoreServices['digests'];
  links: CoreServices['links'];
  signer: CallbackSigner;
  clock: Clock;
  logger: Logger;
  /** Filled after `getMe`. */
  botId: number;
  botUsername: string;
  /** The outbox every message call goes through (outbox.ts). */
  outbox: Outbox;
  /** Uploaded photos' file_ids, reused (core/recommend/media.ts). */
  media?: MediaRefs;
  /** Where a chat's digests go (a forum topic). */
  routes?: ChatRoutes;
}

/** The person behind an update (callback presser, reactor, sender): always `ctx.from`, set by Telegram. */
export function actorOf(ctx: Context): Actor | undefined {
  const from = ctx.from;
  if (!from || from.is_bot) return undefined;
  const name = from.username ?? from.first_name;
  return {
    platform: 'telegram',
    externalId: String(from.id),
    ...(name ? { displayName: name } : {}),
    ...(from.language_code ? { locale: from.language_code } : {}),
  };
}

export function chatOf(ctx: Context): DigestChat | undefined {
  const chat = ctx.chat;
  if (!chat || chat.type === 'channel') return undefined;
  return { platform: 'telegram', chatId: String(chat.id), kind: chat.type === 'private' ? 'private' : 'group' };
}

export async function langOf(deps: TgDeps, ctx: Context): Promise<Lang> {
  const actor = actorOf(ctx);
  if (!actor) return deps.app.config.DEFAULT_LANG;
  return deps.core.identity.langOf(actor);
}

// ------------------------------------------------------------------ callback data

const b64u = (buf: Buffer) => buf.toString('base64url');

/** A short, stable reference to an item inside callback data (64-byte limit). */
export function itemRef(itemId: string): string {
  return b64u(createHash('sha256').update(itemId).digest()).slice(0, 10);
}

/**
 * Signs callback data with an HMAC key derived from the bot token, bound to the chat. Telegram puts
 * whatever bytes a client sends into `callback_query.data`, so data is never trusted on its own: the
 * acting user is always `callback_query.from`, the item must be one mapped to `callback_query.message`,
 * and the signature proves the button was made by this bot for this chat (no replay across chats,
 * no hand-made data).
 */
export class CallbackSigner {
  private readonly key: Buffer;
  constructor(token: string) {
    this.key = createHmac('sha256', 'deep-reco telegram callback v1').update(token).digest();
  }
  private mac(parts: string[]): string {
    return b64u(createHmac('sha256', this.key).update(parts.join('|')).digest()).slice(0, 16);
  }
  private check(sig: string, parts: string[]): boolean {
    const want = Buffer.from(this.mac(parts));
    const got = Buffer.from(sig);
    return want.length === got.length && timingSafeEqual(want, got);
  }
  feedback(chatId: string, action: 'l' | 'd', itemId: string): string {
    const ref = itemRef(itemId);
    return `fb:${action}:${ref}:${this.mac(['fb', chatId, action, ref])}`;
  }
  parseFeedback(data: string, chatId: string): { action: 'l' | 'd'; ref: string } | undefined {
    const m = /^fb:([ld]):([A-Za-z0-9_-]{10}):([A-Za-z0-9_-]{16})$/.exec(data);
    if (!m) return undefined;
    const action = m[1] as 'l' | 'd';
    return this.check(m[3]!, ['fb', chatId, action, m[2]!]) ? { action, ref: m[2]! } : undefined;
  }
  /** "More like this" on an item message: `mr:<item ref>:<sig>`. */
  more(chatId: string, itemId: string): string {
    const ref = itemRef(itemId);
    return `mr:${ref}:${this.mac(['mr', chatId, ref])}`;
  }
  parseMore(data: string, chatId: string): { ref: string } | undefined {
    const m = /^mr:([A-Za-z0-9_-]{10}):([A-Za-z0-9_-]{16})$/.exec(data);
    if (!m) return undefined;
    return this.check(m[2]!, ['mr', chatId, m[1]!]) ? { ref: m[1]! } : undefined;
  }
  /** The interest picker, bound to the person it is for: `ob:<t|d|s>:<option n or 0>:<user>:<sig>`. */
  picker(chatId: string, action: 't' | 'd' | 's', n: number, userId: string): string {
    return `ob:${action}:${n}:${userId}:${this.mac(['ob', chatId, action, String(n), userId])}`;
  }
  parsePicker(data: string, chatId: string): { action: 't' | 'd' | 's'; n: number; userId: string } | undefined {
    const m = /^ob:([tds]):(\d{1,2}):(\d{1,20}):([A-Za-z0-9_-]{16})$/.exec(data);
    if (!m || !this.check(m[4]!, ['ob', chatId, m[1]!, m[2]!, m[3]!])) return undefined;
    return { action: m[1] as 't' | 'd' | 's', n: Number(m[2]), userId: m[3]! };
  }
  /** An item action (`w` why?, `s` mute its source) on a list message: `ia:<action>:<item ref>:<sig>`. */
  action(chatId: string, action: 'w' | 's', itemId: string): string {
    const ref = itemRef(itemId);
    return `ia:${action}:${ref}:${this.mac(['ia', chatId, action, ref])}`;
  }
  parseAction(data: string, chatId: string): { action: 'w' | 's'; ref: string } | undefined {
    const m = /^ia:([ws]):([A-Za-z0-9_-]{10}):([A-Za-z0-9_-]{16})$/.exec(data);
    if (!m) return undefined;
    const action = m[1] as 'w' | 's';
    return this.check(m[3]!, ['ia', chatId, action, m[2]!]) ? { action, ref: m[2]! } : undefined;
  }
  forget(chatId: string, answer: 'y' | 'n', userId: string): string {
    return `fg:${answer}:${userId}:${this.mac(['fg', chatId, answer, userId])}`;
  }
  parseForget(data: string, chatId: string): { answer: 'y' | 'n'; userId: string } | undefined {
    const m = /^fg:([yn]):(\d{1,20}):([A-Za-z0-9_-]{16})$/.exec(data);
    if (!m) return undefined;
    return this.check(m[3]!, ['fg', chatId, m[1]!, m[2]!]) ? { answer: m[1] as 'y' | 'n', userId: m[2]! } : undefined;
  }
}

/**
 * The buttons under an item message: 👍, 👎 ("less like this": a soft, learning signal) and "More like this";
 * then "Why?" (the evidence behind the pick) and "Mute source" (a hard filter). Labelled in `lang`.
 */
export function feedbackKeyboard(
  deps: TgDeps,
  chatId: string,
  itemId: string,
  lang: Lang = deps.app.config.DEFAULT_LANG,
): InlineKeyboard {
  const { like, dislike } = deps.core.emojis.defaults;
  return new InlineKeyboard()
    .text(like, deps.signer.feedback(chatId, 'l', itemId))
    .text(dislike, deps.signer.feedback(chatId, 'd', itemId))
    .text(`🔎 ${t(lang, 'reco.moreButton')}`, deps.signer.more(chatId, itemId))
    .row()
    .text(`❓ ${t(lang, 'action.why')}`, deps.signer.action(chatId, 'w', itemId))
    .text(`🔇 ${t(lang, 'action.muteSource')}`, deps.signer.action(chatId, 's', itemId));
}

/** The compact list's keyboard: one row per item, `N👍 N👎 N❓ N🔇 N🔎` (callback data signed, ≤ 64 bytes). */
export function compactKeyboard(deps: TgDeps, chatId: string, views: readonly ListItemView[]): InlineKeyboard {
  const { like, dislike } = deps.core.emojis.defaults;
  const kb = new InlineKeyboard();
  for (const [i, v] of views.entries()) {
    const id = v.item.id;
    const n = v.position;
    if (i > 0) kb.row();
    kb.text(`${n}${like}`, deps.signer.feedback(chatId, 'l', id))
      .text(`${n}${dislike}`, deps.signer.feedback(chatId, 'd', id))
      .text(`${n}❓`, deps.signer.action(chatId, 'w', id))
      .text(`${n}🔇`, deps.signer.action(chatId, 's', id))
      .text(`${n}🔎`, deps.signer.more(chatId, id));
  }
  return kb;
}

/** Telegram's limit on a text message (characters after entity parsing; we count the HTML source to be safe). */
const MAX_TEXT = 4096;

/**
 * The compact list as one HTML text: the header, then per item its number, linked title (translated, marked,
 * when it was translated), source · category, and the why line. Shortened to fit one message.
 */
export function compactText(list: ListToSend): string {
  const lang = list.lang;
  const render = (titleMax: number, whyMax: number) => {
    const parts = [`<b>${escapeHtml(clip(list.header, 200))}</b>`];
    for (const v of list.items) {
      const tr = v.translation;
      const title = tr ? `🌐 ${tr.title}` : v.item.title;
      parts.push(
        [
          // A digest's section header ("New in Tech") above the section's first item.
          ...(v.header ? [`<u>${escapeHtml(clip(v.header, 120))}</u>`] : []),
          `<b>${v.position}.</b> <a href="${escapeHtml(v.item.url)}">${escapeHtml(clip(title, titleMax))}</a>`,
          ...(tr ? [`<i>${escapeHtml(clip(translationNote(tr, v.item.title, lang), titleMax + 40))}</i>`] : []),
          `${escapeHtml(v.item.source)} · ${escapeHtml(categoryName(v.item.category, lang))}${v.explanation ? ` — <i>${escapeHtml(clip(v.explanation, whyMax))}</i>` : ''}`,
        ].join('\n'),
      );
    }
    parts.push(`<i>${escapeHtml(t(lang, 'layout.compactHint'))}</i>`);
    return parts.join('\n\n');
  };
  for (const [titleMax, whyMax] of [
    [200, 300],
    [120, 160],
    [80, 90],
    [50, 50],
  ] as const) {
    const text = render(titleMax, whyMax);
    if (text.length <= MAX_TEXT) return text;
  }
  return render(40, 30).slice(0, MAX_TEXT);
}

/** "🌐 translated from English · Original: …" in the reader's language. */
export function translationNote(tr: ItemTranslation, original: string, lang: Lang): string {
  const from = tr.from === 'ko' || tr.from === 'en' ? t(lang, `lang.name.${tr.from}`) : tr.from;
  return `${t(lang, 'translate.mark', { lang: from })} · ${t(lang, 'translate.original', { title: original })}`;
}

/**
 * Whose setting a control command changes: in a group, an admin's changes the group's (chat-wide, on top of
 * every member's own); anyone else's, and everything in a private chat, the person's own.
 */
export async function controlScope(ctx: Context, chat: DigestChat, actor: Actor): Promise<ControlScope> {
  if (chat.kind === 'group' && (await isChatAdmin(ctx, chat, actor)))
    return { kind: 'chat', platform: 'telegram', chatId: chat.chatId };
  return { kind: 'user' };
}

/** Whether the person may change this chat's settings: private chats always; groups: creator or administrator. */
export async function isChatAdmin(ctx: Context, chat: DigestChat, actor: Actor): Promise<boolean> {
  if (chat.kind === 'private') return true;
  const member = await ctx.getChatMember(Number(actor.externalId));
  return member.status === 'creator' || member.status === 'administrator';
}

// ------------------------------------------------------------------ rendering

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function clip(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/** The caption/text of one item: header (digest section), title, explanation line, source, link. */
export function itemCaption(
  item: ContentItem,
  explanation: string,
  lang: Lang,
  opts: { position?: number; header?: string; withSummary?: boolean; translation?: ItemTranslation } = {},
): string {
  const lines: string[] = [];
  if (opts.header) lines.push(`<b>📌 ${escapeHtml(clip(opts.header, 100))}</b>`, '');
  const tr = opts.translation;
  lines.push(
    `<b>${opts.position ? `${opts.position}. ` : ''}${escapeHtml(clip(tr ? `🌐 ${tr.title}` : item.title, 200))}</b>`,
  );
  if (tr) lines.push(`<i>${escapeHtml(clip(translationNote(tr, item.title, lang), 260))}</i>`);
  if (explanation) lines.push(`<i>${escapeHtml(clip(explanation, 300))}</i>`);
  const summary = tr?.summary || item.summary;
  if (opts.withSummary && summary) lines.push(escapeHtml(clip(summary, 400)));
  let host = item.source;
  try {
    host = new URL(item.url).hostname;
  } catch {
    /* keep the source id */
  }
  lines.push(
    `${escapeHtml(item.source)} · ${escapeHtml(categoryName(item.category, lang))} · <a href="${escapeHtml(item.url)}">${escapeHtml(host)}</a>`,
  );
  return lines.join('\n');
}
