/**
 * Own sources on Telegram: `/subscribe <url> [category]`, `/unsubscribe <number | url | name>`,
 * `/sources [export]`, and an OPML file sent as a document (imported). In a private chat they act on the
 * person's own sources; in a group on the group's (admins only: `getChatMember`), whose items lift the lists
 * shown in that group. `/sources export` answers with the OPML file (`sendDocument`).
 */
import { Composer, InputFile, type Context } from 'grammy';
import type { Lang } from '../../../core/domain.js';
import { RecoError } from '../../../core/errors.js';
import { parseCategory, t } from '../../../core/messages.js';
import { categoryOfTopic } from '../../../core/recommend/topic-category.js';
import type { SourceScope } from '../../../core/sources/service.js';
import type { Actor } from '../../../core/users/doc.js';
import type { DigestChat } from '../../../core/digest/types.js';
import { actorOf, chatOf, langOf, type TgDeps } from '../shared.js';

const NO_PREVIEW = { link_preview_options: { is_disabled: true } } as const;

/** A document that is (probably) an OPML file: by name, else by type. */
export function isOpmlDocument(doc: { file_name?: string; mime_type?: string }): boolean {
  if (doc.file_name && /\.(opml|xml)$/i.test(doc.file_name)) return true;
  return /^(text\/x-opml|application\/(xml|x-opml)|text\/xml)$/i.test(doc.mime_type ?? '');
}

export function sourcesComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  const sources = deps.app.sources;
  const cfg = deps.app.config;

  /** Personal in a private chat; the group's in a group, for its admins (anyone else is told, and gets undefined). */
  const scopeOf = async (
    ctx: Context,
    actor: Actor,
    chat: DigestChat,
    lang: Lang,
  ): Promise<SourceScope | undefined> => {
    if (chat.kind === 'private') return {};
    const member = await ctx.getChatMember(Number(actor.externalId));
    if (member.status !== 'creator' && member.status !== 'administrator') {
      await ctx.reply(t(lang, 'sources.adminOnly'));
      return undefined;
    }
    return { chat: { platform: 'telegram', chatId: chat.chatId } };
  };
  const who = async (ctx: Context) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return undefined;
    return { actor, chat, lang: await langOf(deps, ctx) };
  };

  c.command('subscribe', async (ctx) => {
    const w = await who(ctx);
    if (!w) return;
    const [url, category] = ctx.match.trim().split(/\s+/).filter(Boolean);
    if (!url) {
      await ctx.reply(t(w.lang, 'sources.usage'));
      return;
    }
    const scope = await scopeOf(ctx, w.actor, w.chat, w.lang);
    if (!scope) return;
    const cat = category ? (parseCategory(category) ?? categoryOfTopic(category)) : undefined;
    await ctx.replyWithChatAction('typing').catch(() => undefined); // the source is fetched once: a few seconds
    const r = await sources.subscribe(w.actor, url, { ...scope, ...(cat ? { category: cat } : {}) });
    await ctx.reply(r.message, NO_PREVIEW);
  });

  c.command('unsubscribe', async (ctx) => {
    const w = await who(ctx);
    if (!w) return;
    const ref = ctx.match.trim();
    if (!ref) {
      await ctx.reply(t(w.lang, 'sources.usage'));
      return;
    }
    const scope = await scopeOf(ctx, w.actor, w.chat, w.lang);
    if (!scope) return;
    await ctx.reply((await sources.unsubscribe(w.actor, ref, scope)).message, NO_PREVIEW);
  });

  c.command('sources', async (ctx) => {
    const w = await who(ctx);
    if (!w) return;
    // Reading the group's list is for everyone; changing it is for admins.
    const scope: SourceScope =
      w.chat.kind === 'private' ? {} : { chat: { platform: 'telegram', chatId: w.chat.chatId } };
    if (/^(export|opml|내보내기)$/i.test(ctx.match.trim())) {
      const out = await sources.exportOpml(w.actor, scope);
      await ctx.replyWithDocument(new InputFile(Buffer.from(out.xml, 'utf8'), out.filename), { caption: out.message });
      return;
    }
    await ctx.reply((await sources.list(w.actor, scope)).message, NO_PREVIEW);
  });

  // An OPML file: in a private chat any .opml document; in a group only with a /subscribe caption, from an admin.
  c.on('message:document', async (ctx, next) => {
    const doc = ctx.msg.document;
    if (!isOpmlDocument(doc)) return next();
    const w = await who(ctx);
    if (!w) return;
    if (w.chat.kind !== 'private' && !/^\/subscribe(@\w+)?(\s|$)/i.test(ctx.msg.caption ?? '')) return next();
    const scope = await scopeOf(ctx, w.actor, w.chat, w.lang);
    if (!scope) return;
    const max = cfg.SOURCES_OPML_MAX_BYTES;
    if ((doc.file_size ?? 0) > max) {
      await ctx.reply(t(w.lang, 'sources.opmlTooBig', { max: Math.round(max / 1000) }));
      return;
    }
    const xml = await downloadTelegramFile(deps, await ctx.getFile(), max);
    await ctx.replyWithChatAction('typing').catch(() => undefined);
    await ctx.reply((await sources.importOpml(w.actor, xml, scope)).message, NO_PREVIEW);
  });
  return c;
}

/**
 * Downloads a file the person sent (`getFile` → `<api root>/file/bot<token>/<file_path>`), at most `max` bytes.
 * The URL holds the bot token: it is never logged; errors name the file path only.
 */
async function downloadTelegramFile(deps: TgDeps, file: { file_path?: string }, max: number): Promise<string> {
  const cfg = deps.app.config;
  if (!file.file_path) throw new RecoError('INPUT_INVALID', 'Telegram gave no file path for the document');
  const root = (cfg.TELEGRAM_API_ROOT ?? 'https://api.telegram.org').replace(/\/+$/, '');
  const res = await fetch(`${root}/file/bot${cfg.TELEGRAM_TOKEN ?? ''}/${file.file_path}`, {
    signal: AbortSignal.timeout(30_000),
  }).catch((e: unknown) => {
    throw new RecoError('PLATFORM_FAILED', `downloading ${file.file_path} from Telegram failed`, { cause: e });
  });
  if (!res.ok) throw new RecoError('PLATFORM_FAILED', `Telegram answered ${res.status} for ${file.file_path}`);
  const body = Buffer.from(await res.arrayBuffer());
  if (body.length > max) throw new RecoError('INPUT_INVALID', `the file is larger than ${max} bytes`);
  return body.toString('utf8');
}
