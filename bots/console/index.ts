/**
 * The console chat: the bot in a terminal, with the commands the chat platforms have.
 * Works interactively and with stdin piped (one line per message, processed in order), so a
 * session can be scripted. Output goes to stdout; logs go to stderr.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { userInfo } from 'node:os';
import type { App } from '../../app/compose.js';
import type { Lang } from '../../core/domain.js';
import { toRecoError } from '../../core/errors.js';
import { quietCommand } from '../../core/digest/quiet.js';
import { formatAge } from '../../core/explain.js';
import { categoryName, t } from '../../core/messages.js';
import type { ListItemView, ListSender, ListToSend } from '../../core/recommend/delivery.js';
import { formatStatus, userMessage } from '../../core/status/status.js';
import type { PickerView } from '../../core/onboarding/service.js';
import type { Actor } from '../../core/users/doc.js';
import type { PlatformAdapter } from '../adapter.js';
import { handleControl } from './controls.js';
import { parseConsoleLine, parsePickNumbers, type ConsoleInput } from './parse.js';

export interface ConsoleOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** The console user's id (default: CONSOLE_USER or the OS user name). */
  user?: string;
  /** Called after each input line was handled (or failed): metrics, and tests waiting for a line. */
  onLineHandled?: (n: number) => void;
}

const CHAT_ID = 'console';

/** The translation marker line of an item shown translated (absent: shown as published). */
function translated(r: ListItemView, lang: Lang): { title: string; note?: string } {
  const tr = r.translation;
  if (!tr) return { title: r.item.title };
  const from = tr.from === 'ko' || tr.from === 'en' ? t(lang, `lang.name.${tr.from}`) : tr.from;
  return {
    title: tr.title,
    note: `${t(lang, 'translate.mark', { lang: from })} · ${t(lang, 'translate.original', { title: r.item.title })}`,
  };
}

/** One list item as console lines: position and title, source · category · age, link, why. */
export function formatItem(r: ListItemView, lang: Lang, now = new Date()): string {
  const age = formatAge((now.getTime() - Date.parse(r.item.publishedAt)) / 3_600_000, lang);
  const { title, note } = translated(r, lang);
  return [
    `${r.position}. ${title}`,
    ...(note ? [`   ${note}`] : []),
    `   ${r.item.source} · ${categoryName(r.item.category, lang)} · ${age}`,
    `   ${r.item.url}`,
    `   ↳ ${r.explanation}`,
  ].join('\n');
}

/** The interest picker as console lines: the invitation, one numbered line per option, how to answer. */
export function formatPicker(view: PickerView): string {
  const width = String(view.options.length).length;
  return [
    t(view.lang, 'onboard.intro', { max: view.maxPicks }),
    ...view.options.map((o) => `${String(o.n).padStart(width + 2)}. ${o.label}`),
    t(view.lang, 'onboard.hintConsole'),
  ].join('\n');
}

/** The compact layout: one block, two lines per item (title with source and category; why). */
export function formatCompact(list: ListToSend): string {
  const lines = [`── ${list.header} ──`];
  for (const r of list.items) {
    const { title, note } = translated(r, list.lang);
    lines.push(
      `${r.position}. ${title} — ${r.item.source} · ${categoryName(r.item.category, list.lang)} · ${r.item.url}`,
    );
    if (note) lines.push(`   ${note}`);
    lines.push(`   ↳ ${r.explanation}`);
  }
  return lines.join('\n');
}

/**
 * The console's list sender: a header line, four lines per item (cards) or one block (compact), the reaction
 * hint; "message ids" are unique per process (`nextId`), so every printed item keeps its own mapping.
 */
export function consoleSender(
  write: (s: string) => void,
  like: string,
  dislike: string,
  nextId: () => string = counter(),
  shown?: (position: number, messageId: string) => void,
): ListSender {
  return {
    async sendHeader(_target, list) {
      write(`── ${list.header} ──`);
    },
    async sendItem(_target, item, list) {
      write(formatItem(item, list.lang));
      const id = nextId();
      shown?.(item.position, id);
      return { messageIds: [id] };
    },
    async sendCompact(_target, list) {
      write(formatCompact(list));
      const id = nextId();
      for (const r of list.items) shown?.(r.position, id);
      return list.items.map(() => ({ messageIds: [id] }));
    },
    async afterRecorded(_target, _sent, list) {
      write(t(list.lang, 'reco.react', { like: `${like} N`, dislike: `${dislike} N` }));
    },
    async sendEmpty(_target, text) {
      write(text);
    },
  };
}

function counter(): () => string {
  let n = 0;
  return () => `line-${++n}`;
}

/** Runs the console chat until EOF or /quit. Resolves when the input is exhausted and every line handled. */
export async function runConsole(app: App, options: ConsoleOptions = {}): Promise<void> {
  const core = app.core;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const user = options.user || app.config.CONSOLE_USER || safeUserName();
  const actor: Actor = { platform: 'console', externalId: user, displayName: user, locale: app.config.DEFAULT_LANG };
  const interactive = (input as { isTTY?: boolean }).isTTY === true;
  const write = (s: string) => output.write(s.endsWith('\n') ? s : `${s}\n`);
  const rl = createInterface({ input, ...(interactive ? { output, prompt: '> ' } : {}), terminal: interactive });
  const target = { platform: 'console' as const, chatId: CHAT_ID };
  const { like, dislike } = core.emojis.defaults;
  let pendingForget = false;
  // A picker is on screen: a line of numbers answers it (0 skips).
  let pendingPicker = false;
  // Which message carries each item of the last list printed (for /why N): the console's own rendering state.
  const nextId = counter();
  let lastMessages = new Map<number, string>();
  const sender = () => {
    lastMessages = new Map();
    return consoleSender(write, like, dislike, nextId, (position, id) => lastMessages.set(position, id));
  };
  const showPicker = (view: PickerView) => {
    pendingPicker = true;
    write(formatPicker(view));
  };
  const answerPicker = async (picks: number[]) => {
    pendingPicker = false;
    if (picks.length === 1 && picks[0] === 0) {
      write((await core.onboarding.skip(actor)).message);
      return;
    }
    const r = await core.onboarding.choose(actor, picks);
    write(r.message);
    if (r.status === 'empty' || r.status === 'stale') pendingPicker = r.status === 'empty';
    if (r.status === 'done') await core.recommend.deliver(actor, {}, target, sender());
  };

  const handle = async (input: ConsoleInput): Promise<'quit' | void> => {
    // The reply language is read only by the answers that need it (lists and reactions carry their own).
    const lang = (): Promise<Lang> => core.identity.langOf(actor);
    if (pendingForget && input.kind === 'text') {
      pendingForget = false;
      if (/^(y|yes|네|예|응)$/i.test(input.text.trim())) {
        write((await core.forget.forget(actor)).message);
      } else write(t(await lang(), 'forget.cancelled'));
      return;
    }
    pendingForget = false;
    if (pendingPicker && input.kind === 'text') {
      const picks = /^(skip|건너뛰기)$/i.test(input.text.trim()) ? [0] : parsePickNumbers(input.text);
      if (picks) return answerPicker(picks);
    }
    if (input.kind !== 'empty') pendingPicker = false;
    switch (input.kind) {
      case 'empty':
        return;
      case 'quit':
        return 'quit';
      case 'help': {
        const l = await lang();
        write(`${t(l, 'help.text')}\n${t(l, 'help.sources')}`);
        return;
      }
      case 'start': {
        // First contact: the interest picker for someone the bot does not know yet; the help otherwise.
        const r = await core.onboarding.firstContact(actor);
        if (r.status === 'offer') showPicker(r.view);
        else write(`${t(r.lang, 'help.text')}\n${t(r.lang, 'help.sources')}`);
        return;
      }
      case 'interests':
        if (input.picks) await answerPicker(input.picks);
        else showPicker(await core.onboarding.open(actor));
        return;
      case 'error':
        if (input.error === 'unknown-command') write(t(await lang(), 'cmd.unknown', { command: input.command ?? '' }));
        else write(t(await lang(), 'cmd.badArg', { arg: input.arg ?? '', reason: input.reason ?? '' }));
        return;
      case 'text': {
        const res = await core.conversation.message(actor, input.text);
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
        await core.recommend.deliver(actor, req, target, sender());
        return;
      }
      case 'more': {
        const res = await core.recommend.moreFromList(actor, input.position, input.count, target, sender());
        if (res.status !== 'sent') write(res.message);
        return;
      }
      case 'react': {
        const res = await core.feedback.reactToListItem(
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
        if (input.remove) write((await core.persona.removeInterest(actor, input.remove)).message);
        else if (input.mute) write((await core.controls.mute(actor, input.mute, { kind: 'user' })).message);
        else if (input.unmute) write((await core.controls.unmute(actor, input.unmute, { kind: 'user' })).message);
        else write((await core.persona.persona(actor)).text);
        return;
      }
      case 'mute':
      case 'unmute':
      case 'filters':
      case 'layout':
      case 'translate':
      case 'item':
        write(await handleControl(app, actor, input, lastMessages));
        return;
      case 'image': {
        // Search by picture: a file on this machine, read and checked like a thumbnail, then the list.
        if (!core.images.available) {
          write(t(await lang(), 'image.noEncoder'));
          return;
        }
        const picture = await app.userImages.fromFile(input.path);
        if (!picture.ok) {
          write(app.userImages.problemMessage(await lang(), picture.error));
          return;
        }
        const res = await core.images.search(
          actor,
          picture.value,
          input.caption ? { caption: input.caption } : {},
          target,
          sender(),
        );
        if (res.status !== 'sent') write(res.message);
        return;
      }
      case 'forget':
        if (input.confirmed) write((await core.forget.forget(actor)).message);
        else {
          pendingForget = true;
          write(`${t(await lang(), 'forget.confirm')} (yes/no)`);
        }
        return;
      case 'explore':
        write((await core.persona.explore(actor, input.level)).message);
        return;
      case 'link':
        write(
          input.code
            ? (await app.links.redeem(actor, input.code, { confirm: input.confirm === true })).message
            : (await app.links.createCode(actor)).message,
        );
        return;
      case 'subscribe': {
        if (!input.target) {
          write(t(await lang(), 'sources.usage'));
          return;
        }
        // A local .opml/.xml file is an import; anything else is a source address.
        const file = /\.(opml|xml)$/i.test(input.target) ? resolvePath(input.target) : undefined;
        if (file && existsSync(file)) {
          const max = app.config.SOURCES_OPML_MAX_BYTES;
          if (statSync(file).size > max) {
            write(t(await lang(), 'sources.opmlTooBig', { max: Math.round(max / 1000) }));
            return;
          }
          const scope = input.category ? { category: input.category } : {};
          write((await app.sources.importOpml(actor, readFileSync(file, 'utf8'), scope)).message);
          return;
        }
        const scope = input.category ? { category: input.category } : {};
        write((await app.sources.subscribe(actor, input.target, scope)).message);
        return;
      }
      case 'unsubscribe':
        write(input.ref ? (await app.sources.unsubscribe(actor, input.ref)).message : t(await lang(), 'sources.usage'));
        return;
      case 'sources': {
        if (!input.export) {
          write((await app.sources.list(actor)).message);
          return;
        }
        // The console has no attachments: the OPML goes to a file in DATA_DIR, and its path is shown.
        const out = await app.sources.exportOpml(actor);
        const path = join(app.config.DATA_DIR, `sources-${user.replace(/[^\w.-]/g, '_')}.opml`);
        mkdirSync(app.config.DATA_DIR, { recursive: true });
        writeFileSync(path, out.xml);
        write(`${out.message} ${path}`);
        return;
      }
      case 'status': {
        write(formatStatus(await core.status.status(actor), await lang()));
        return;
      }
      case 'quiet':
        write(await quietCommand(core.quiet, { ...target, kind: 'private' }, actor, input.args, await lang()));
        return;
    }
  };

  const log = app.logger.child({ adapter: 'console' });
  const intro = interactive ? t(await core.identity.langOf(actor), 'console.intro') : undefined;
  if (intro) write(intro);
  if (interactive) {
    // An interactive session is a first contact: a new person gets the interest picker right away.
    const first = await core.onboarding.firstContact(actor);
    if (first.status === 'offer') showPicker(first.view);
  }
  if (interactive) rl.prompt();

  // Lines are handled strictly in order, one at a time, even when stdin delivers them all at once.
  let chain: Promise<unknown> = Promise.resolve();
  let quitting = false;
  let lines = 0;
  await new Promise<void>((resolve) => {
    rl.on('line', (line) => {
      const n = ++lines;
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
          const lang = await core.identity.langOf(actor).catch(() => app.config.DEFAULT_LANG);
          write(userMessage(err, lang));
        }
        options.onLineHandled?.(n);
        if (interactive && !quitting) rl.prompt();
      });
    });
    rl.on('close', () => {
      void chain.then(() => resolve());
    });
  });
}

/** The console adapter: a chat in the terminal, until end of input or `/quit`. */
export const adapter: PlatformAdapter = {
  name: 'console',
  configured: () => false,
  async start(app) {
    const done = runConsole(app);
    return { done, stop: async () => undefined };
  },
};

function safeUserName(): string {
  try {
    return userInfo().username || 'local';
  } catch {
    return 'local';
  }
}
