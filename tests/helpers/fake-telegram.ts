/**
 * A fake Telegram Bot API on 127.0.0.1 (port 0) for end-to-end tests with the real grammY client.
 *
 * - `POST /bot<token>/<method>` with JSON, urlencoded or multipart bodies (sendPhoto with a file).
 * - `getUpdates` long-polls: answers at once when updates are queued (or `timeout` is 0 — grammY's last
 *   call on stop), else waits up to `timeout` seconds; honours `offset`; remembers `allowed_updates` from
 *   the last call that sent it and, like Telegram, never delivers `message_reaction` unless asked for.
 * - Records every call; `waitForCall(method, n)` resolves on the n-th call (no sleeps).
 * - `script(method, fn)` injects failures: 403 blocked, 429 with `retry_after`, 500, 400, or `drop`
 *   (the call is recorded as delivered, then the connection is destroyed: an ambiguous network error).
 * - `limits` (opt-in): Telegram's flood limits as the Bot API FAQ states them — about 30 messages per second
 *   overall, about one per second in a chat ("short bursts" allowed), 20 per minute in a group — answered like
 *   Telegram with 429 `Too Many Requests: retry after N` and `parameters.retry_after`. The FAQ gives no burst
 *   size or window shape: the sliding windows and the per-chat burst of 3 are OUR reconstruction (see
 *   `TELEGRAM_LIMITS`), stricter than what bots observe in practice rather than looser.
 * - Photos: an upload or URL gets a fresh `file_id` (an array of sizes, as Telegram answers); a later
 *   `sendPhoto` with that id is accepted, an unknown or expired id is refused with Telegram's 400 "wrong file
 *   identifier/HTTP URL specified" (`expireFileIds()` makes every id stale).
 * - Forum topics: a `message_thread_id` in a send comes back on the message with `is_topic_message`.
 *
 * @example
 * const tg = await startFakeTelegram();
 * tg.pushMessage({ from: alice, chat: privateChat(alice), text: '/recommend' });
 * await tg.waitForCall('sendMessage', 2);
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const BOT_TOKEN = '123456:TEST-fake-token';
export const BOT_USER = {
  id: 123456,
  is_bot: true,
  first_name: 'DeepReco',
  username: 'deep_reco_bot',
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
};

export interface TgUser {
  id: number;
  is_bot: false;
  first_name: string;
  username?: string;
  language_code?: string;
}

export interface TgChat {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
  first_name?: string;
  /** A supergroup with topics (forum). */
  is_forum?: boolean;
}

/**
 * Flood limits the fake enforces on message-sending methods. Telegram's FAQ: "avoid sending more than one
 * message per second" in a chat ("we may allow short bursts"), "not more than 30 messages per second or so"
 * overall, "not more than 20 messages per minute to the same group".
 */
export interface TelegramLimits {
  /** Accepted messages in any 1-second window, all chats together. */
  globalPerSecond: number;
  /** Per chat: a token bucket of `chatBurst` refilled at `chatPerSecond`. */
  chatPerSecond: number;
  chatBurst: number;
  /** Accepted messages in any 60-second window to one group (negative chat id). */
  groupPerMinute: number;
}

/** Our reading of the FAQ (the burst size is a reconstruction: Telegram publishes none). */
export const TELEGRAM_LIMITS: TelegramLimits = {
  globalPerSecond: 30,
  chatPerSecond: 1,
  chatBurst: 3,
  groupPerMinute: 20,
};

export interface FakeTelegramOptions {
  limits?: TelegramLimits;
}

export interface RecordedCall {
  n: number;
  method: string;
  payload: Record<string, unknown>;
  at: number;
  /** What the server answered: ok with a result, or an error. */
  ok: boolean;
  result?: unknown;
  error?: { error_code: number; description: string };
  /** True when the message was recorded as delivered even though the connection was dropped. */
  dropped?: boolean;
}

export type Failure = { code: 400 | 403 | 413 | 429 | 500; description?: string; retryAfter?: number } | 'drop';
/** Return a failure to inject for this call (n = 1-based count of this method's calls), or undefined. */
export type Script = (payload: Record<string, unknown>, n: number) => Failure | undefined;

interface Waiter {
  offset: number;
  res: ServerResponse;
  timer: NodeJS.Timeout;
  allowed: string[] | undefined;
}

const DEFAULT_EXCLUDED = new Set(['chat_member', 'message_reaction', 'message_reaction_count']);
const SEND_METHODS = new Set(['sendMessage', 'sendPhoto']);
/** Methods the flood limits count (a message sent or edited in a chat). */
const LIMITED_METHODS = new Set([
  'sendMessage',
  'sendPhoto',
  'sendMediaGroup',
  'sendDocument',
  'copyMessage',
  'forwardMessage',
  'editMessageText',
  'editMessageCaption',
]);

export interface FakeTelegram {
  apiRoot: string;
  token: string;
  calls: RecordedCall[];
  /** Currently remembered `allowed_updates`. */
  allowedUpdates(): string[] | undefined;
  /** Queues a raw update (update_id is assigned). */
  push(update: Record<string, unknown>): number;
  pushMessage(m: {
    from: TgUser;
    chat: TgChat;
    text: string;
    replyTo?: { message_id: number; from: unknown };
    /** A message in a forum topic (`message_thread_id` + `is_topic_message`). */
    threadId?: number;
  }): number;
  /**
   * A photo message (the Bot API's shape: `photo` is an array of PhotoSize, smallest first, each with file_id,
   * file_unique_id, width, height, file_size); the files are served by `getFile` + `GET /file/bot<token>/<path>`.
   */
  pushPhoto(m: {
    from: TgUser;
    chat: TgChat;
    sizes: { bytes: Uint8Array; width: number; height: number }[];
    caption?: string;
  }): number;
  pushCallback(c: {
    from: TgUser;
    message: { message_id: number; chat: TgChat; message_thread_id?: number };
    data: string;
  }): {
    updateId: number;
    callbackId: string;
  };
  pushReaction(r: { user: TgUser; chat: TgChat; messageId: number; old: string[]; new: string[] }): number;
  script(method: string, fn: Script | undefined): void;
  /** Resolves with the n-th (1-based) call of `method` (already made or future). */
  waitForCall(method: string, n: number, timeoutMs?: number): Promise<RecordedCall>;
  /** Resolves when `pred` holds over the calls (checked on every call). */
  waitFor(pred: (calls: RecordedCall[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Successful sendMessage/sendPhoto calls to a chat (delivered messages), including dropped-but-delivered ones. */
  delivered(chatId?: number | string): RecordedCall[];
  /** The status getChatMember reports for a user (default 'member'). */
  setMemberStatus(userId: number, status: 'creator' | 'administrator' | 'member'): void;
  /** POSTs an update to a webhook URL the bot registered (webhook mode). */
  webhook(): { url: string; secret: string | undefined } | undefined;
  /** Calls `fn` on every recorded call (cheaper than `waitFor` when counting thousands); returns the unsubscribe. */
  onCall(fn: (c: RecordedCall) => void): () => void;
  /** Makes every `file_id` handed out so far stale (Telegram refuses them with 400). */
  expireFileIds(): void;
  /** 429 answers given by the flood limits. */
  readonly floodRefusals: number;
  /** A file people can send (`getFile` and `GET /file/bot<token>/<path>` serve it); returns its `file_id`. */
  addFile(content: string | Buffer): { file_id: string; file_unique_id: string; file_size: number };
  /** A message with a document (an uploaded file), as Telegram delivers it. */
  pushDocument(m: {
    from: TgUser;
    chat: TgChat;
    file: { file_id: string; file_unique_id: string; file_size: number };
    file_name: string;
    mime_type?: string;
    caption?: string;
  }): number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function maybeJson(v: string): unknown {
  if (!/^[[{]/.test(v)) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

async function parsePayload(req: IncomingMessage, body: Buffer): Promise<Record<string, unknown>> {
  const ct = req.headers['content-type'] ?? '';
  if (body.length === 0) return {};
  if (ct.includes('application/json')) return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  if (ct.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries([...new URLSearchParams(body.toString('utf8'))].map(([k, v]) => [k, maybeJson(v)]));
  }
  if (ct.includes('multipart/form-data')) {
    const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(ct);
    const b = boundary?.[1] ?? boundary?.[2];
    if (!b) return {};
    const out: Record<string, unknown> = {};
    const delim = Buffer.from(`--${b}`);
    let pos = body.indexOf(delim);
    while (pos !== -1) {
      const start = pos + delim.length;
      if (body.subarray(start, start + 2).toString() === '--') break;
      const next = body.indexOf(delim, start);
      if (next === -1) break;
      const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
      const sep = part.indexOf('\r\n\r\n');
      const head = part.subarray(0, sep).toString('utf8');
      const content = part.subarray(sep + 4);
      const name = /name="([^"]*)"/i.exec(head)?.[1];
      const filename = /filename="?([^";\r\n]*)"?/i.exec(head)?.[1];
      if (name !== undefined)
        out[name] =
          filename !== undefined
            ? { file: true, name: filename, size: content.length }
            : maybeJson(content.toString('utf8'));
      pos = next;
    }
    // grammY sends a file as `attach://<id>` in the field and the bytes in a separate part.
    for (const [k, v] of Object.entries(out)) {
      if (typeof v === 'string' && v.startsWith('attach://')) out[k] = out[v.slice('attach://'.length)] ?? v;
    }
    return out;
  }
  return {};
}

/** Sliding-window and token-bucket accounting for `TelegramLimits`; `check` answers the retry_after (s) or 0. */
class FloodControl {
  private readonly global: number[] = [];
  private readonly chats = new Map<string, { tokens: number; at: number }>();
  private readonly groups = new Map<string, number[]>();
  refusals = 0;
  constructor(private readonly limits: TelegramLimits) {}

  check(chatId: string, now: number): number {
    const l = this.limits;
    const g = this.global;
    while (g.length > 0 && g[0]! <= now - 1000) g.shift();
    let wait = 0;
    if (g.length >= l.globalPerSecond) wait = Math.max(wait, g[0]! + 1000 - now);
    const b = this.chats.get(chatId) ?? { tokens: l.chatBurst, at: now };
    b.tokens = Math.min(l.chatBurst, b.tokens + ((now - b.at) / 1000) * l.chatPerSecond);
    b.at = now;
    this.chats.set(chatId, b);
    if (b.tokens < 1) wait = Math.max(wait, ((1 - b.tokens) / l.chatPerSecond) * 1000);
    const group = Number(chatId) < 0 ? (this.groups.get(chatId) ?? []) : undefined;
    if (group) {
      while (group.length > 0 && group[0]! <= now - 60_000) group.shift();
      if (group.length >= l.groupPerMinute) wait = Math.max(wait, group[0]! + 60_000 - now);
    }
    if (wait > 0) {
      this.refusals++;
      return Math.max(1, Math.ceil(wait / 1000));
    }
    g.push(now);
    b.tokens -= 1;
    if (group) {
      group.push(now);
      this.groups.set(chatId, group);
    }
    return 0;
  }
}

export async function startFakeTelegram(token = BOT_TOKEN, options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const flood = options.limits ? new FloodControl(options.limits) : undefined;
  const fileIds = new Set<string>();
  let nextFile = 1;
  const events = new EventEmitter();
  events.setMaxListeners(100);
  const calls: RecordedCall[] = [];
  const counts = new Map<string, number>();
  const scripts = new Map<string, Script>();
  const queue: Record<string, unknown>[] = [];
  const waiters = new Set<Waiter>();
  const members = new Map<number, string>();
  let allowed: string[] | undefined;
  let nextUpdateId = 1000;
  let nextMessageId = 1;
  let cbCounter = 0;
  let webhook: { url: string; secret: string | undefined } | undefined;
  const files = new Map<string, { path: string; body: Buffer }>();
  const sockets = new Set<import('node:net').Socket>();

  const typeOf = (u: Record<string, unknown>) => Object.keys(u).find((k) => k !== 'update_id')!;
  const deliverable = (u: Record<string, unknown>, list: string[] | undefined) => {
    const type = typeOf(u);
    return list && list.length > 0 ? list.includes(type) : !DEFAULT_EXCLUDED.has(type);
  };
  const pending = (offset: number, list: string[] | undefined) => {
    // Telegram discards updates the bot did not ask for.
    for (let i = queue.length - 1; i >= 0; i--) if (!deliverable(queue[i]!, list)) queue.splice(i, 1);
    return queue.filter((u) => (u.update_id as number) >= offset);
  };
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    if (res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const flushWaiters = () => {
    for (const w of [...waiters]) {
      const ups = pending(w.offset, w.allowed);
      if (ups.length > 0) {
        clearTimeout(w.timer);
        waiters.delete(w);
        answer(w.res, 200, { ok: true, result: ups });
      }
    }
  };

  const record = (c: Omit<RecordedCall, 'n' | 'at'>): RecordedCall => {
    const rec = { ...c, n: calls.length + 1, at: Date.now() };
    calls.push(rec);
    events.emit('call', rec);
    return rec;
  };

  const messageFor = (p: Record<string, unknown>, extra: Record<string, unknown>) => {
    const chatId = Number(p.chat_id);
    return {
      message_id: nextMessageId++,
      date: Math.floor(Date.now() / 1000),
      chat:
        chatId < 0
          ? { id: chatId, type: 'supergroup', title: 'group' }
          : { id: chatId, type: 'private', first_name: 'user' },
      from: BOT_USER,
      ...(p.message_thread_id ? { message_thread_id: Number(p.message_thread_id), is_topic_message: true } : {}),
      ...(p.reply_markup ? { reply_markup: p.reply_markup } : {}),
      ...extra,
    };
  };
  /** What Telegram answers for a photo: sizes sharing one upload, the largest last. */
  const photoSizes = (fileId: string) => [
    { file_id: `${fileId}-s`, file_unique_id: `${fileId}-us`, width: 90, height: 90, file_size: 1200 },
    { file_id: fileId, file_unique_id: `u${fileId}`, width: 320, height: 320, file_size: 9800 },
  ];

  const handle = async (
    method: string,
    p: Record<string, unknown>,
    res: ServerResponse,
    req: IncomingMessage,
  ): Promise<void> => {
    const n = (counts.get(method) ?? 0) + 1;
    counts.set(method, n);
    const retryAfter = flood && LIMITED_METHODS.has(method) ? flood.check(String(p.chat_id), Date.now()) : 0;
    const failure: Failure | undefined = retryAfter > 0 ? { code: 429, retryAfter } : scripts.get(method)?.(p, n);
    if (failure === 'drop') {
      const result = SEND_METHODS.has(method)
        ? messageFor(
            p,
            method === 'sendPhoto' ? { photo: photoSizes('dropped'), caption: p.caption } : { text: p.text },
          )
        : true;
      record({ method, payload: p, ok: true, result, dropped: true });
      req.socket.destroy();
      return;
    }
    if (failure) {
      const description =
        failure.description ??
        (failure.code === 403
          ? 'Forbidden: bot was blocked by the user'
          : failure.code === 429
            ? `Too Many Requests: retry after ${failure.retryAfter ?? 1}`
            : failure.code === 500
              ? 'Internal Server Error'
              : 'Bad Request: scripted failure');
      const error = { error_code: failure.code, description };
      record({ method, payload: p, ok: false, error });
      answer(res, failure.code, {
        ok: false,
        ...error,
        ...(failure.code === 429 ? { parameters: { retry_after: failure.retryAfter ?? 1 } } : {}),
      });
      return;
    }
    let result: unknown = true;
    switch (method) {
      case 'getMe':
        result = BOT_USER;
        break;
      case 'getUpdates': {
        if (Array.isArray(p.allowed_updates)) allowed = p.allowed_updates as string[];
        const offset = Number(p.offset ?? 0);
        // Confirming an offset forgets everything before it.
        for (let i = queue.length - 1; i >= 0; i--) if ((queue[i]!.update_id as number) < offset) queue.splice(i, 1);
        // Telegram hands out at most `limit` (default 100) updates per call.
        const ups = pending(offset, allowed).slice(0, Math.max(1, Math.min(100, Number(p.limit ?? 100))));
        const timeout = Number(p.timeout ?? 0);
        if (ups.length > 0 || timeout <= 0) {
          record({ method, payload: p, ok: true, result: ups });
          answer(res, 200, { ok: true, result: ups });
          return;
        }
        record({ method, payload: p, ok: true, result: 'long-poll' });
        const w: Waiter = {
          offset,
          res,
          allowed,
          timer: setTimeout(() => {
            waiters.delete(w);
            answer(res, 200, { ok: true, result: [] });
          }, timeout * 1000),
        };
        waiters.add(w);
        res.on('close', () => {
          clearTimeout(w.timer);
          waiters.delete(w);
        });
        return;
      }
      case 'sendMessage':
        result = messageFor(p, {
          text: p.text,
          ...(p.link_preview_options ? { link_preview_options: p.link_preview_options } : {}),
        });
        break;
      case 'sendPhoto': {
        const photo = p.photo;
        let fileId: string;
        if (typeof photo === 'string' && !/^https?:\/\//.test(photo)) {
          if (!fileIds.has(photo)) {
            const error = { error_code: 400, description: 'Bad Request: wrong file identifier/HTTP URL specified' };
            record({ method, payload: p, ok: false, error });
            answer(res, 400, { ok: false, ...error });
            return;
          }
          fileId = photo;
        } else {
          fileId = `AgACAgIAAx${nextFile++}`;
          fileIds.add(fileId).add(`${fileId}-s`);
        }
        result = messageFor(p, { photo: photoSizes(fileId), caption: p.caption });
        break;
      }
      case 'editMessageText':
      case 'editMessageCaption':
        result = messageFor(p, { message_id: Number(p.message_id), text: p.text ?? p.caption });
        break;
      case 'getChatMember':
        result = {
          status: members.get(Number(p.user_id)) ?? 'member',
          user: { id: Number(p.user_id), is_bot: false, first_name: 'member' },
        };
        break;
      case 'setWebhook':
        webhook = { url: String(p.url), secret: p.secret_token === undefined ? undefined : String(p.secret_token) };
        if (Array.isArray(p.allowed_updates)) allowed = p.allowed_updates as string[];
        break;
      case 'deleteWebhook':
        webhook = undefined;
        break;
      case 'getFile': {
        const f = files.get(String(p.file_id));
        if (!f) {
          const error = { error_code: 400, description: 'Bad Request: invalid file_id' };
          record({ method, payload: p, ok: false, error });
          answer(res, 400, { ok: false, ...error });
          return;
        }
        result = {
          file_id: p.file_id,
          file_unique_id: `u${String(p.file_id)}`,
          file_size: f.body.length,
          file_path: f.path,
        };
        break;
      }
      case 'sendDocument':
        result = messageFor(p, {
          document: { file_id: 'doc', file_unique_id: 'doc-u', file_name: (p.document as { name?: string })?.name },
          ...(p.caption ? { caption: p.caption } : {}),
        });
        break;
      default:
        result = true; // answerCallbackQuery, setMyCommands, setMessageReaction, sendChatAction, …
    }
    record({ method, payload: p, ok: true, result });
    answer(res, 200, { ok: true, result });
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const download = /^\/file\/bot([^/]+)\/(.+)$/.exec((req.url ?? '').split('?')[0] ?? '');
      if (download && req.method === 'GET') {
        const f = [...files.values()].find((x) => x.path === decodeURIComponent(download[2]!));
        if (download[1] !== token || !f)
          return answer(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(f.body);
        return;
      }
      const m = /^\/bot([^/]+)\/(\w+)$/.exec((req.url ?? '').split('?')[0] ?? '');
      if (!m || req.method !== 'POST')
        return answer(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
      if (m[1] !== token) return answer(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      const body = await readBody(req);
      const payload = await parsePayload(req, body);
      await handle(m[2]!, payload, res, req);
    })().catch((e: unknown) => answer(res, 500, { ok: false, error_code: 500, description: String(e) }));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  const push = (update: Record<string, unknown>): number => {
    const id = nextUpdateId++;
    queue.push({ update_id: id, ...update });
    flushWaiters();
    return id;
  };

  let fileCounter = 0;
  const fake: FakeTelegram = {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    calls,
    allowedUpdates: () => allowed,
    push,
    pushMessage({ from, chat, text, replyTo, threadId }) {
      const entities: unknown[] = [];
      const cmd = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
      if (cmd) entities.push({ type: 'bot_command', offset: 0, length: cmd[0].length });
      return push({
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          from,
          chat,
          ...(threadId ? { message_thread_id: threadId, is_topic_message: true } : {}),
          text,
          ...(entities.length ? { entities } : {}),
          ...(replyTo ? { reply_to_message: { ...replyTo, chat, date: Math.floor(Date.now() / 1000) } } : {}),
        },
      });
    },
    pushPhoto({ from, chat, sizes, caption }) {
      const photo = sizes.map((s) => {
        const n = ++fileCounter;
        const fileId = `AgACAgIAAxkBAAI${n}`;
        const uniqueId = `AQAD${n}`;
        files.set(fileId, { path: `photos/file_${n}.jpg`, body: Buffer.from(s.bytes) });
        return {
          file_id: fileId,
          file_unique_id: uniqueId,
          width: s.width,
          height: s.height,
          file_size: s.bytes.byteLength,
        };
      });
      return push({
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          from,
          chat,
          photo,
          ...(caption ? { caption } : {}),
        },
      });
    },
    pushCallback({ from, message, data }) {
      const callbackId = `cb${++cbCounter}`;
      const updateId = push({
        callback_query: {
          id: callbackId,
          from,
          chat_instance: `ci${message.chat.id}`,
          data,
          message: {
            message_id: message.message_id,
            date: Math.floor(Date.now() / 1000),
            chat: message.chat,
            ...(message.message_thread_id
              ? { message_thread_id: message.message_thread_id, is_topic_message: true }
              : {}),
            from: BOT_USER,
            text: 'item',
          },
        },
      });
      return { updateId, callbackId };
    },
    pushReaction({ user, chat, messageId, old, new: now }) {
      const r = (list: string[]) => list.map((emoji) => ({ type: 'emoji', emoji }));
      return push({
        message_reaction: {
          chat,
          message_id: messageId,
          user,
          date: Math.floor(Date.now() / 1000),
          old_reaction: r(old),
          new_reaction: r(now),
        },
      });
    },
    script(method, fn) {
      if (fn) scripts.set(method, fn);
      else scripts.delete(method);
    },
    waitForCall(method, n, timeoutMs = 20_000) {
      let rec: RecordedCall | undefined;
      return fake
        .waitFor(
          (cs) => {
            rec = cs.filter((c) => c.method === method)[n - 1];
            return rec !== undefined;
          },
          timeoutMs,
          `call #${n} of ${method}`,
        )
        .then(() => rec!);
    },
    waitFor(pred, timeoutMs = 20_000, what = 'condition') {
      if (pred(calls)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const onCall = () => {
          if (pred(calls)) {
            clearTimeout(timer);
            events.off('call', onCall);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          events.off('call', onCall);
          reject(new Error(`timed out waiting for ${what}; calls: ${calls.map((c) => c.method).join(', ')}`));
        }, timeoutMs);
        events.on('call', onCall);
      });
    },
    delivered(chatId) {
      return calls.filter(
        (c) =>
          SEND_METHODS.has(c.method) && c.ok && (chatId === undefined || String(c.payload.chat_id) === String(chatId)),
      );
    },
    setMemberStatus(userId, status) {
      members.set(userId, status);
    },
    webhook: () => webhook,
    onCall(fn) {
      events.on('call', fn);
      return () => events.off('call', fn);
    },
    expireFileIds() {
      fileIds.clear();
    },
    get floodRefusals() {
      return flood?.refusals ?? 0;
    },
    addFile(content) {
      const body = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
      const file_id = `BQACAgIAAxkBAAI${files.size + 1}`;
      files.set(file_id, { path: `documents/file_${files.size + 1}.opml`, body });
      return { file_id, file_unique_id: `AgAD${files.size}`, file_size: body.length };
    },
    pushDocument({ from, chat, file, file_name, mime_type, caption }) {
      return push({
        message: {
          message_id: nextMessageId++,
          date: Math.floor(Date.now() / 1000),
          from,
          chat,
          document: { file_name, ...(mime_type ? { mime_type } : {}), ...file },
          ...(caption ? { caption } : {}),
        },
      });
    },
    async close() {
      for (const w of waiters) {
        clearTimeout(w.timer);
        answer(w.res, 200, { ok: true, result: [] });
      }
      waiters.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  return fake;
}

export function user(id: number, name: string, lang = 'en'): TgUser {
  return { id, is_bot: false, first_name: name, username: name.toLowerCase(), language_code: lang };
}

export function privateChat(u: TgUser): TgChat {
  return { id: u.id, type: 'private', first_name: u.first_name };
}

export function groupChat(id: number, title = 'Test group'): TgChat {
  return { id, type: 'supergroup', title };
}

/** A supergroup with topics (a forum). */
export function forumChat(id: number, title = 'Test forum'): TgChat {
  return { id, type: 'supergroup', title, is_forum: true };
}
