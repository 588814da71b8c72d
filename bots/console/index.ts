/**
 * The console chat: the bot in a terminal, with the commands the chat platforms have.
 * Works interactively and with stdin piped (one line per message, processed in order), so a
 * session can be scripted. Output goes to stdout; logs go to stderr.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { userInfo } from 'node:os';
import type { App } from '../app.js';
import type { Actor } from '../../core/users.js';
import { RecoError, toRecoError } from '../../core/errors.js';
import { categoryName, t } from '../../core/messages.js';
import { formatAge } from '../../core/explain.js';
import type { RecommendResult } from '../../core/service.js';
import type { Lang } from '../../core/domain.js';
import { parseConsoleLine, type ConsoleInput } from './parse.js';

export interface ConsoleOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** The console user's id (default: CONSOLE_USER or the OS user name). */
  user?: string;
  /** Optional `/link` support (the LinkService), wired by the composition root when present. */
  link?: {
    create(actor: Actor): Promise<string>;
    redeem(actor: Actor, code: string): Promise<string>;
  };
}

const CHAT_ID = 'console';

export function formatList(
  result: RecommendResult,
  lang: Lang,
  like: string,
  dislike: string,
  now = new Date(),
): string {
  if (result.empty) return result.empty;
  const lines = [`── ${result.header} ──`];
  for (const r of result.items) {
    const age = formatAge((now.getTime() - Date.parse(r.item.publishedAt)) / 3_600_000, lang);
    lines.push(`${r.position}. ${r.item.title}`);
    lines.push(`   ${r.item.source} · ${categoryName(r.item.category, lang)} · ${age}`);
    lines.push(`   ${r.item.url}`);
    lines.push(`   ↳ ${r.explanation}`);
  }
  lines.push(t(lang, 'reco.react', { like: `${like} N`, dislike: `${dislike} N` }));
  return lines.join('\n');
}

/** Runs the console chat until EOF or /quit. Resolves when the input is exhausted and every line handled. */
export async function runConsole(app: App, options: ConsoleOptions = {}): Promise<void> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const user = options.user || app.config.CONSOLE_USER || safeUserName();
  const actor: Actor = { platform: 'console', externalId: user, displayName: user, locale: app.config.DEFAULT_LANG };
  const interactive = (input as { isTTY?: boolean }).isTTY === true;
  const write = (s: string) => output.write(s.endsWith('\n') ? s : `${s}\n`);
  const rl = createInterface({ input, ...(interactive ? { output, prompt: '> ' } : {}), terminal: interactive });
  let pendingForget = false;

  const handle = async (input: ConsoleInput): Promise<'quit' | void> => {
    const lang = await app.reco.langOf(actor);
    if (pendingForget && input.kind === 'text') {
      pendingForget = false;
      if (/^(y|yes|네|예|응)$/i.test(input.text.trim())) {
        write((await app.reco.forget(actor)).message);
      } else write(t(lang, 'forget.cancelled'));
      return;
    }
    pendingForget = false;
    switch (input.kind) {
      case 'empty':
        return;
      case 'quit':
        return 'quit';
      case 'help':
        write(app.reco.help(lang));
        return;
      case 'error':
        if (input.error === 'unknown-command') write(t(lang, 'cmd.unknown', { command: input.command ?? '' }));
        else write(t(lang, 'cmd.badArg', { arg: input.arg ?? '', reason: input.reason ?? '' }));
        return;
      case 'text': {
        const res = await app.reco.message(actor, input.text);
        write(res.reply);
        return;
      }
      case 'recommend': {
        const req = {
          ...(input.topic ? { topic: input.topic } : {}),
          ...(input.count ? { count: input.count } : {}),
          ...(input.category ? { category: input.category } : {}),
          ...(input.source ? { source: input.source } : {}),
        };
        const res = await app.reco.recommend(actor, req, { chatId: CHAT_ID });
        const { like, dislike } = app.reco.emojis.defaults;
        write(formatList(res, res.lang, like, dislike));
        return;
      }
      case 'more': {
        const itemId = await app.reco.listItem(actor, CHAT_ID, input.position);
        if (!itemId) {
          write(t(lang, 'react.unknownItem', { n: input.position }));
          return;
        }
        const res = await app.reco.recommend(
          actor,
          { likeItemId: itemId, ...(input.count ? { count: input.count } : {}) },
          { chatId: CHAT_ID },
        );
        const { like, dislike } = app.reco.emojis.defaults;
        write(formatList(res, res.lang, like, dislike));
        return;
      }
      case 'react': {
        const res = await app.reco.reactToListItem(
          actor,
          CHAT_ID,
          input.position,
          input.emoji,
          input.action,
          `console:${randomUUID()}`,
        );
        write(res.message);
        return;
      }
      case 'persona': {
        if (input.remove) write((await app.reco.removeInterest(actor, input.remove)).message);
        else write((await app.reco.persona(actor)).text);
        return;
      }
      case 'forget':
        if (input.confirmed) write((await app.reco.forget(actor)).message);
        else {
          pendingForget = true;
          write(`${t(lang, 'forget.confirm')} (yes/no)`);
        }
        return;
      case 'explore':
        write((await app.reco.explore(actor, input.level)).message);
        return;
      case 'link':
        if (!options.link) {
          write(t(lang, 'error.NOT_FOUND'));
          return;
        }
        write(input.code ? await options.link.redeem(actor, input.code) : await options.link.create(actor));
        return;
      case 'status': {
        write(app.reco.formatStatus(await app.reco.status(actor), lang));
        return;
      }
    }
  };

  const log = app.logger.child({ adapter: 'console' });
  const intro = interactive ? t(await app.reco.langOf(actor), 'console.intro') : undefined;
  if (intro) write(intro);
  if (interactive) rl.prompt();

  // Lines are handled strictly in order, one at a time, even when stdin delivers them all at once.
  let chain: Promise<unknown> = Promise.resolve();
  let quitting = false;
  await new Promise<void>((resolve) => {
    rl.on('line', (line) => {
      chain = chain.then(async () => {
        if (quitting) return;
        try {
          const parsed = parseConsoleLine(line.length > 1_000_000 ? line.slice(0, 1_000_000) : line);
          if ((await handle(parsed)) === 'quit') {
            quitting = true;
            rl.close();
          }
        } catch (e) {
          const err = toRecoError(e);
          log.error({ err, code: err.code, hint: err.hint }, `console command failed: ${err.hint}`);
          const lang = await app.reco.langOf(actor).catch(() => app.config.DEFAULT_LANG);
          write(err instanceof RecoError ? app.reco.userMessage(err, lang) : t(lang, 'error.generic'));
        }
        if (interactive && !quitting) rl.prompt();
      });
    });
    rl.on('close', () => {
      void chain.then(() => resolve());
    });
  });
}

function safeUserName(): string {
  try {
    return userInfo().username || 'local';
  } catch {
    return 'local';
  }
}
