/**
 * The chat model port on LangChain's `ChatOpenAI`, against any OpenAI-compatible server
 * (OpenAI, Ollama, vLLM, llama.cpp's llama-server, LM Studio, …) through `/v1/chat/completions`.
 *
 * - Configured by LLM_BASE_URL / LLM_API_KEY / LLM_MODEL. Neither URL nor key → `undefined` (LLM off).
 * - A server that needs no key gets a placeholder key (the OpenAI client insists on one).
 * - Retries: LangChain's own retry layer only (`maxRetries` = LLM_MAX_RETRIES, exponential backoff
 *   with jitter, honouring `retry-after` on 429; 5xx, 429 and connection errors retried; 4xx not).
 *   The OpenAI SDK's own retries are off (LangChain sets them to 0), so there is one layer.
 * - LLM_TIMEOUT_MS bounds one `invoke` as a whole, retries included (and each HTTP attempt).
 * - JSON: plain `response_format: {type: "json_object"}` (supported by OpenAI, Ollama, vLLM and
 *   llama.cpp) and validation with zod in core, rather than `withStructuredOutput`/json_schema, which
 *   many local servers do not implement or implement differently.
 * - Token usage from the response's `usage_metadata` goes to the caller's `onUsage` (the budgets).
 * - The API key is never logged; error messages are scrubbed of it.
 */
import { ChatOpenAI } from '@langchain/openai';
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

export interface CreateChatModelOptions {
  /** Override the HTTP fetch (tests, proxies). */
  fetch?: typeof fetch;
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
    maxRetries: config.LLM_MAX_RETRIES,
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
      try {
        const res = await chat.invoke(toLangChain(messages), {
          signal,
          ...(opts.json ? { response_format: { type: 'json_object' as const } } : {}),
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
