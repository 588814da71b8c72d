/**
 * The chat model port on LangChain's `ChatOpenAI`, against any OpenAI-compatible server
 * (OpenAI, Ollama, vLLM, llama.cpp's llama-server, LM Studio, …) through `/v1/chat/completions`.
 *
 * - Configured by LLM_BASE_URL / LLM_API_KEY / LLM_MODEL. Neither URL nor key → `undefined` (LLM off).
 * - A server that needs no key gets a placeholder key (the OpenAI client insists on one).
 * - Retries: ONE layer, here, with p-retry (`LLM_MAX_RETRIES`; exponential backoff with jitter; the
 *   policy is the data in RETRY_POLICY: 408/409/425/429/5xx and connection errors are retried, other
 *   4xx and "insufficient quota" are not; a 429's `retry-after` is waited for, unless it would outlive
 *   the deadline, then the call gives up at once). LangChain's and the OpenAI SDK's retries are off.
 * - LLM_TIMEOUT_MS bounds one `invoke` as a whole: ONE AbortSignal (deadline + the caller's signal)
 *   cancels the HTTP attempt in flight, the retry-after wait AND the backoff sleep between attempts,
 *   so a call never outlives the deadline by a backoff (it did by ~0.4 s with LangChain's own retries,
 *   whose sleeps ignore the signal).
 * - JSON: plain `response_format: {type: "json_object"}` (supported by OpenAI, Ollama, vLLM and
 *   llama.cpp) and validation with zod in core, rather than `withStructuredOutput`/json_schema, which
 *   many local servers do not implement or implement differently.
 * - Token usage from the response's `usage_metadata` goes to the caller's `onUsage` (the budgets).
 * - The API key is never logged; error messages are scrubbed of it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ChatOpenAI } from '@langchain/openai';
import pRetry, { AbortError } from 'p-retry';
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage, type UsageMetadata } from '@langchain/core/messages';
import type { Config } from '../../core/config.js';
import { RecoError } from '../../core/errors.js';
import type { ChatMessage, ChatModel, Logger, TokenUsage } from '../../core/ports.js';

export type LlmConfig = Pick<
  Config,
  | 'LLM_BASE_URL'
  | 'LLM_API_KEY'
  | 'LLM_MODEL'
  | 'LLM_TIMEOUT_MS'
  | 'LLM_MAX_RETRIES'
  | 'LLM_REPLY_WAIT_MS'
  | 'LLM_DAILY_TOKENS_PER_USER'
  | 'LLM_DAILY_TOKENS_TOTAL'
>;

/** Placeholder key for servers that need none (Ollama, vLLM and llama.cpp without --api-key). */
export const NO_KEY = 'sk-no-key-required';

export function isLlmConfigured(config: LlmConfig): boolean {
  return config.LLM_BASE_URL !== undefined || config.LLM_API_KEY !== undefined;
}

/** The base URL without credentials, query or fragment (safe for logs and `/status`). */
export function safeBaseUrl(config: LlmConfig): string {
  if (!config.LLM_BASE_URL) return 'https://api.openai.com/v1';
  try {
    const u = new URL(config.LLM_BASE_URL);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(invalid URL)';
  }
}

/** One line for `/status` and the start-up log. */
export function describeLlm(config: LlmConfig): string {
  if (!isLlmConfigured(config)) {
    return 'LLM: off (set LLM_BASE_URL and/or LLM_API_KEY) — template explanations and keyword personas';
  }
  const budget = (n: number): string => (n > 0 ? n.toLocaleString('en-US') : 'unlimited');
  return (
    `LLM: ${config.LLM_MODEL} at ${safeBaseUrl(config)}` +
    ` — timeout ${config.LLM_TIMEOUT_MS} ms, ${config.LLM_MAX_RETRIES} retries, reply wait ${config.LLM_REPLY_WAIT_MS} ms,` +
    ` daily tokens ${budget(config.LLM_DAILY_TOKENS_PER_USER)}/user, ${budget(config.LLM_DAILY_TOKENS_TOTAL)} total`
  );
}

function toLangChain(messages: readonly ChatMessage[]): BaseMessage[] {
  return messages.map((m) =>
    m.role === 'system'
      ? new SystemMessage(m.content)
      : m.role === 'assistant'
        ? new AIMessage(m.content)
        : new HumanMessage(m.content),
  );
}

function textOf(message: AIMessage | BaseMessage): string {
  if (typeof message.content === 'string') return message.content;
  return message.content
    .map((part) =>
      typeof part === 'string' ? part : part.type === 'text' && typeof part.text === 'string' ? part.text : '',
    )
    .join('');
}

function statusOf(e: unknown): number | undefined {
  if (typeof e === 'object' && e !== null && 'status' in e && typeof (e as { status: unknown }).status === 'number') {
    return (e as { status: number }).status;
  }
  return undefined;
}

/** The retry policy as data (exported for tests and docs). */
export const RETRY_POLICY = {
  /** HTTP statuses worth another attempt; any other status fails at once. */
  retryStatuses: new Set([408, 409, 425, 429, 500, 502, 503, 504]),
  /** First backoff (ms), doubled each attempt, with jitter (× 1..2), capped at maxDelayMs. */
  minDelayMs: 1000,
  factor: 2,
  maxDelayMs: 8000,
} as const;

export interface CreateChatModelOptions {
  /** Override the HTTP fetch (tests, proxies). */
  fetch?: typeof fetch;
  /** Override the backoff (tests: a long backoff proves the deadline cancels the sleep). */
  backoff?: { minDelayMs?: number; maxDelayMs?: number };
}

/** `retry-after` of an HTTP error (seconds or an HTTP date) in ms; undefined when absent. */
export function retryAfterMs(e: unknown, now = Date.now()): number | undefined {
  if (typeof e !== 'object' || e === null || !('headers' in e)) return undefined;
  const headers = (e as { headers: unknown }).headers;
  let raw: string | null | undefined;
  if (headers && typeof (headers as Headers).get === 'function') raw = (headers as Headers).get('retry-after');
  else if (headers && typeof headers === 'object') raw = (headers as Record<string, string | undefined>)['retry-after'];
  if (raw === null || raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function isQuotaError(e: unknown): boolean {
  const code = (e as { code?: unknown; error?: { code?: unknown } } | null)?.code;
  const inner = (e as { error?: { code?: unknown } } | null)?.error?.code;
  return code === 'insufficient_quota' || inner === 'insufficient_quota';
}

/**
 * The chat model, or `undefined` when the LLM is not configured.
 * @example
 * const model = createChatModel(config, logger); // undefined → templates only
 */
export function createChatModel(
  config: LlmConfig,
  logger: Logger,
  options: CreateChatModelOptions = {},
): ChatModel | undefined {
  const log = logger.child({ component: 'llm' });
  if (!isLlmConfigured(config)) {
    log.info({}, describeLlm(config));
    return undefined;
  }
  const apiKey = config.LLM_API_KEY ?? NO_KEY;
  const timeoutMs = config.LLM_TIMEOUT_MS;
  const configuration: { baseURL?: string; fetch?: typeof fetch } = {};
  if (config.LLM_BASE_URL) configuration.baseURL = config.LLM_BASE_URL;
  if (options.fetch) configuration.fetch = options.fetch;
  const chat = new ChatOpenAI({
    model: config.LLM_MODEL,
    apiKey,
    configuration,
    timeout: timeoutMs,
    // Retries happen in invoke() below, under the call's deadline signal.
    maxRetries: 0,
    // Chat Completions only: the Responses API is OpenAI-specific.
    useResponsesApi: false,
  });
  const scrub = (s: string): string => (apiKey === NO_KEY ? s : s.split(apiKey).join('[redacted]'));
  const id = `openai-compatible:${config.LLM_MODEL}@${safeBaseUrl(config)}`;
  log.info(
    { model: config.LLM_MODEL, baseUrl: safeBaseUrl(config), keySet: config.LLM_API_KEY !== undefined },
    describeLlm(config),
  );

  return {
    id,
    async invoke(messages, opts = {}) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
      const started = Date.now();
      const attempt = async (): Promise<AIMessage> => {
        try {
          return await chat.invoke(toLangChain(messages), {
            signal,
            ...(opts.json ? { response_format: { type: 'json_object' as const } } : {}),
          });
        } catch (e) {
          if (signal.aborted) throw new AbortError(e instanceof Error ? e : String(e));
          const status = statusOf(e);
          if ((status !== undefined && !RETRY_POLICY.retryStatuses.has(status)) || isQuotaError(e))
            throw new AbortError(e instanceof Error ? e : String(e));
          const wait = retryAfterMs(e);
          if (wait !== undefined) {
            // A retry-after past the deadline: give up now rather than wait to time out.
            if (wait > timeoutMs - (Date.now() - started)) throw new AbortError(e instanceof Error ? e : String(e));
            await sleep(wait, undefined, { signal });
          }
          throw e;
        }
      };
      try {
        const res = await pRetry(attempt, {
          retries: config.LLM_MAX_RETRIES,
          signal,
          factor: RETRY_POLICY.factor,
          minTimeout: options.backoff?.minDelayMs ?? RETRY_POLICY.minDelayMs,
          maxTimeout: options.backoff?.maxDelayMs ?? RETRY_POLICY.maxDelayMs,
          randomize: true,
        });
        const u = (res as unknown as { usage_metadata?: Partial<UsageMetadata> }).usage_metadata;
        if (u && opts.onUsage) {
          const usage: TokenUsage = {
            inputTokens: u.input_tokens ?? 0,
            outputTokens: u.output_tokens ?? 0,
            totalTokens: u.total_tokens || (u.input_tokens ?? 0) + (u.output_tokens ?? 0),
          };
          opts.onUsage(usage);
        }
        return textOf(res);
      } catch (e) {
        // p-retry rejects with the attempt's error, or with the signal's reason when aborted mid-sleep.
        const status = statusOf(e);
        const callerAborted = opts.signal?.aborted === true;
        const timedOut = !callerAborted && deadline.aborted;
        const message = timedOut
          ? `LLM call timed out after ${timeoutMs} ms (LLM_TIMEOUT_MS)`
          : callerAborted
            ? 'LLM call aborted by the caller'
            : scrub(
                `LLM call failed${status ? ` (HTTP ${status})` : ''}: ${e instanceof Error ? e.message : String(e)}`,
              );
        const error = new RecoError('LLM_FAILED', message, {
          cause: e,
          details: {
            status,
            model: config.LLM_MODEL,
            ms: Date.now() - started,
            reason: timedOut ? 'timeout' : callerAborted ? 'aborted' : 'http',
          },
        });
        throw error;
      }
    },
  };
}
