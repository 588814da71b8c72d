/**
 * One JSON-returning LLM call, with everything around it: prompt rendering (data delimited),
 * the identical-prompt cache, the daily token budgets, the model call, JSON parsing and zod
 * validation. Expected failures come back as values (`Result` with a `LLM_FAILED` RecoError whose
 * `details.reason` says which: off, budget, aborted, timeout, http, malformed, invalid); callers
 * fall back to templates.
 */
import type { z } from 'zod';
import { RecoError, err, ok, type Result } from '../errors.js';
import { silentLogger, type ChatMessage, type ChatModel, type Logger, type TokenUsage } from '../ports.js';
import type { TokenBudget } from './budget.js';
import { promptHash, type PromptCache } from './cache.js';
import { renderPrompt, requirePrompt, type PromptTemplate, type PromptValues } from './prompt.js';

export type LlmFailure = 'off' | 'budget' | 'aborted' | 'timeout' | 'http' | 'malformed' | 'invalid';

export interface LlmClientDeps {
  /** Undefined when the LLM is not configured: every call answers `off` at once. */
  model: ChatModel | undefined;
  prompts: ReadonlyMap<string, PromptTemplate>;
  budget: TokenBudget;
  cache?: PromptCache;
  logger?: Logger;
}

export interface JsonRequest<T> {
  /** Prompt id (a file in prompts/). */
  prompt: string;
  values: PromptValues;
  schema: z.ZodType<T>;
  /** Whose budget pays; undefined = only the overall budget. */
  userId?: string;
  signal?: AbortSignal;
}

export function llmFailure(
  reason: LlmFailure,
  message: string,
  extra: { cause?: unknown; details?: Record<string, unknown> } = {},
): RecoError {
  return new RecoError('LLM_FAILED', message, { cause: extra.cause, details: { reason, ...extra.details } });
}

export function failureReason(e: RecoError): LlmFailure | undefined {
  return e.details.reason as LlmFailure | undefined;
}

/** Rough token count when a server reports no usage (4 characters a token, Hangul 1 a token). */
export function estimateTokens(text: string): number {
  const hangul = text.match(/[\uAC00-\uD7A3]/g)?.length ?? 0;
  return Math.ceil((text.length - hangul) / 4 + hangul);
}

/**
 * Reads a JSON object from model output: tolerates a ```json fence or text around one object
 * (small local models add them even in JSON mode).
 */
export function parseJsonObject(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    const fenced = /```(?:json)?\s*\n?([\s\S]*?)```/.exec(trimmed);
    if (fenced) return JSON.parse((fenced[1] ?? '').trim());
    const start = trimmed.indexOf('{');
    const end = trimmed.lastIndexOf('}');
    if (start >= 0 && end > start) return JSON.parse(trimmed.slice(start, end + 1));
    throw new SyntaxError('no JSON object in the response');
  }
}

function isAbort(e: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  return e instanceof Error && (e.name === 'AbortError' || /abort/i.test(e.message));
}

export class LlmClient {
  private readonly logger: Logger;

  constructor(private readonly deps: LlmClientDeps) {
    this.logger = (deps.logger ?? silentLogger).child({ component: 'llm' });
  }

  get enabled(): boolean {
    return this.deps.model !== undefined;
  }

  get modelId(): string | undefined {
    return this.deps.model?.id;
  }

  get budget(): TokenBudget {
    return this.deps.budget;
  }

  /** Renders the prompt (throws on a missing/undeclared variable: a bug, not a runtime condition). */
  render(promptId: string, values: PromptValues): { prompt: PromptTemplate; messages: ChatMessage[] } {
    const prompt = requirePrompt(this.deps.prompts, promptId);
    return { prompt, messages: renderPrompt(prompt, values) };
  }

  /** One JSON call, validated with `schema`. Never throws for LLM trouble; returns `LLM_FAILED`. */
  async json<T>(req: JsonRequest<T>): Promise<Result<T>> {
    const model = this.deps.model;
    if (!model) return err(llmFailure('off', 'LLM is not configured'));
    const { prompt, messages } = this.render(req.prompt, req.values);
    const tag = { prompt: prompt.id, version: prompt.version, model: model.id, userId: req.userId };
    const key = promptHash(model.id, messages, true);

    const cached = await this.cacheGet(key);
    if (cached !== undefined) {
      const parsed = this.validate(cached, req.schema, tag, true);
      if (parsed.ok) {
        this.logger.debug(tag, 'LLM cache hit');
        return parsed;
      }
      await this.deps.cache?.delete(key).catch(() => undefined);
    }

    const raw = await this.call(model, messages, req, tag);
    if (!raw.ok) return raw;
    const parsed = this.validate(raw.value, req.schema, tag, false);
    if (parsed.ok) await this.cacheSet(key, raw.value);
    return parsed;
  }

  private async call(
    model: ChatModel,
    messages: ChatMessage[],
    req: JsonRequest<unknown>,
    tag: Record<string, unknown>,
  ): Promise<Result<string>> {
    const check = await this.deps.budget.check(req.userId);
    if (!check.ok) {
      return err(
        llmFailure('budget', `LLM daily token budget exhausted (${check.scope})`, { details: { scope: check.scope } }),
      );
    }
    let usage: TokenUsage | undefined;
    const started = Date.now();
    let text: string;
    try {
      const options: { signal?: AbortSignal; json: boolean; onUsage: (u: TokenUsage) => void } = {
        json: true,
        onUsage: (u) => {
          usage = u;
        },
      };
      if (req.signal) options.signal = req.signal;
      text = await model.invoke(messages, options);
    } catch (e) {
      const aborted = req.signal?.aborted === true && isAbort(e, req.signal);
      const reported = e instanceof RecoError ? (e.details.reason as LlmFailure | undefined) : undefined;
      const timeout =
        !aborted &&
        (reported === 'timeout' || (e instanceof Error && /timed?\s*out|timeout/i.test(`${e.name} ${e.message}`)));
      const reason: LlmFailure = aborted ? 'aborted' : timeout ? 'timeout' : 'http';
      const log = { ...tag, reason, ms: Date.now() - started, error: e instanceof Error ? e.message : String(e) };
      if (aborted) this.logger.debug(log, 'LLM call cancelled (reply wait exceeded)');
      else this.logger.warn(log, 'LLM call failed; templates used');
      return err(llmFailure(reason, `LLM call failed (${reason})`, { cause: e }));
    }
    const tokens = usage?.totalTokens ?? estimateTokens(messages.map((m) => m.content).join('\n') + text);
    try {
      await this.deps.budget.record(req.userId, tokens);
    } catch (e) {
      this.logger.warn(
        { ...tag, error: e instanceof Error ? e.message : String(e) },
        'could not record LLM token usage',
      );
    }
    this.logger.debug({ ...tag, tokens, reported: usage !== undefined, ms: Date.now() - started }, 'LLM call done');
    return ok(text);
  }

  private validate<T>(text: string, schema: z.ZodType<T>, tag: Record<string, unknown>, fromCache: boolean): Result<T> {
    let json: unknown;
    try {
      json = parseJsonObject(text);
    } catch (e) {
      if (!fromCache) this.logger.warn({ ...tag, chars: text.length }, 'LLM answer is not valid JSON; templates used');
      return err(llmFailure('malformed', 'LLM answer is not valid JSON', { cause: e }));
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      if (!fromCache)
        this.logger.warn({ ...tag, issues }, 'LLM answer does not match the expected shape; templates used');
      return err(
        llmFailure('invalid', 'LLM answer does not match the schema', { cause: parsed.error, details: { issues } }),
      );
    }
    return ok(parsed.data);
  }

  private async cacheGet(key: string): Promise<string | undefined> {
    try {
      return await this.deps.cache?.get(key);
    } catch (e) {
      this.logger.warn({ error: e instanceof Error ? e.message : String(e) }, 'LLM cache read failed');
      return undefined;
    }
  }

  private async cacheSet(key: string, text: string): Promise<void> {
    try {
      await this.deps.cache?.set(key, text);
    } catch (e) {
      this.logger.warn({ error: e instanceof Error ? e.message : String(e) }, 'LLM cache write failed');
    }
  }
}
