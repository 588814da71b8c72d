/**
 * A fake OpenAI-compatible server for tests: `POST /v1/chat/completions` on 127.0.0.1, port 0.
 * Each test scripts the responses (content, status codes with headers such as retry-after,
 * latency, a request that never gets an answer, malformed bodies, usage numbers); every request is
 * recorded (parsed body and headers) so tests can assert on what the real client sent.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';

export interface ScriptedResponse {
  /** HTTP status; default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** The assistant message content (a 200 chat completion is built around it). */
  content?: string;
  /** A raw body instead of a built one (e.g. broken JSON, an error object). */
  raw?: string;
  /** Usage numbers to report; `null` = report none. Default: 100 prompt + 20 completion tokens. */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  /** Latency before answering (simulated server time, not test synchronisation). */
  delayMs?: number;
  /**
   * Answer only once this settles (after `delayMs`): test synchronisation, e.g. "answer after the bot
   * has sent its reply", without guessing how long the reply takes.
   */
  gate?: Promise<unknown>;
  /** Never answer: the client must give up on its own. */
  hang?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (chat completion request). */
  body: {
    model?: string;
    messages?: { role: string; content: string }[];
    response_format?: { type: string };
    [key: string]: unknown;
  };
  /** Set when the client closed the connection before the answer (abort/timeout). */
  clientAborted: boolean;
}

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: ScriptedResponse[] = [];
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private readonly open = new Set<ServerResponse>();
  /** What to answer when the script is empty. */
  fallback: ScriptedResponse = {
    status: 500,
    raw: JSON.stringify({ error: { message: 'no scripted response', type: 'server_error' } }),
  };

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeOpenAI> {
    const holder: { self?: FakeOpenAI } = {};
    const server = createServer((req, res) => {
      void holder.self?.handle(req.method ?? 'GET', req.url ?? '/', req.headers, req, res);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    holder.self = new FakeOpenAI(server, (server.address() as AddressInfo).port);
    return holder.self;
  }

  /** The base URL to give the client (`LLM_BASE_URL`). */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Queues responses, answered in order. */
  script(...responses: ScriptedResponse[]): void {
    this.queue.push(...responses);
  }

  /** Clears recorded requests and the script. */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
  }

  /** Resolves once `count` requests have arrived in total (rejects after `timeoutMs`). */
  waitForRequests(count: number, timeoutMs = 10_000): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.requests.length} of ${count} requests arrived`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    req: NodeJS.ReadableStream,
    res: ServerResponse,
  ): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    let body: RecordedRequest['body'] = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedRequest['body'];
    } catch {
      body = {};
    }
    const record: RecordedRequest = { method, path, headers, body, clientAborted: false };
    this.requests.push(record);
    this.open.add(res);
    res.on('close', () => {
      this.open.delete(res);
      if (!res.writableEnded) record.clientAborted = true;
    });
    for (const w of [...this.waiters]) {
      if (this.requests.length >= w.count) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }

    if (method !== 'POST' || !path.startsWith('/v1/chat/completions')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const scripted = this.queue.shift() ?? this.fallback;
    if (scripted.hang) return;
    if (scripted.delayMs) await new Promise((r) => setTimeout(r, scripted.delayMs));
    if (scripted.gate) await scripted.gate.catch(() => undefined);
    if (res.destroyed) return;
    const status = scripted.status ?? 200;
    const usage =
      scripted.usage === undefined ? { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 } : scripted.usage;
    const payload =
      scripted.raw ??
      JSON.stringify({
        id: `chatcmpl-${this.requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'fake',
        choices: [{ index: 0, message: { role: 'assistant', content: scripted.content ?? '' }, finish_reason: 'stop' }],
        ...(usage ? { usage } : {}),
      });
    res.writeHead(status, { 'content-type': 'application/json', ...scripted.headers }).end(payload);
  }
}
