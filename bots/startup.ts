/**
 * Start-up against a chat platform that cannot be reached: the first failure is a warning with its cause at
 * once, then retries with exponential backoff (each one logged with the attempt number and the next delay),
 * and a clear exit (RecoError PLATFORM_UNREACHABLE) once `limitMs` (PLATFORM_START_TIMEOUT_MS) has passed.
 * Each attempt has its own time bound, so a black-holed network (no answer at all) cannot hang start-up.
 * Errors that retrying cannot fix (a rejected token) end at once. Retries run on p-retry.
 *
 * @example
 * await startWithRetry({ platform: 'Telegram', logger, limitMs: 300_000, fatal: isAuthError },
 *   (signal) => bot.init(signal));
 */
import pRetry, { AbortError } from 'p-retry';
import { RecoError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';

export interface StartRetryOptions {
  /** The platform's name for log lines and the error (`Telegram`, `Discord`). */
  platform: string;
  /** Where it connects (API root), for the messages. */
  endpoint?: string;
  logger: Logger;
  /** Give up after this long (ms). 0: one attempt, no retries. */
  limitMs: number;
  /** One attempt's bound (default 15 s). */
  attemptTimeoutMs?: number;
  /** First and largest delay between attempts (default 1 s and 30 s; doubling). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Errors retrying cannot fix (bad token, missing permission): thrown at once. */
  fatal?: (e: unknown) => boolean;
}

interface Nested {
  message?: string;
  code?: string;
  cause?: Nested;
  /** grammY's HttpError keeps the fetch error here. */
  error?: Nested;
}

/** The error's message with the innermost system code or message (ECONNREFUSED, ENOTFOUND, …) when there is one. */
function causeOf(e: unknown): string {
  const err = e as Nested | undefined;
  const msg = err?.message ?? String(e);
  let inner: Nested | undefined = err?.error ?? err?.cause;
  let detail: string | undefined;
  for (let depth = 0; inner && depth < 5; depth++) {
    detail = inner.code ?? inner.message ?? detail;
    inner = inner.cause ?? inner.error;
  }
  return detail && !msg.includes(detail) ? `${msg} (${detail})` : msg;
}

/** The delay p-retry waits after attempt `n` (1-based) with factor 2 and no randomisation. */
function delayAfter(n: number, min: number, max: number): number {
  return Math.min(min * 2 ** (n - 1), max);
}

export async function startWithRetry<T>(
  o: StartRetryOptions,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const started = Date.now();
  const min = o.minDelayMs ?? 1000;
  const max = o.maxDelayMs ?? 30_000;
  const perAttempt = o.attemptTimeoutMs ?? 15_000;
  const where = o.endpoint ? ` (${o.endpoint})` : '';
  let attempts = 0;
  let last: unknown;
  try {
    return await pRetry(
      async () => {
        attempts++;
        const signal = AbortSignal.timeout(perAttempt);
        try {
          return await attempt(signal);
        } catch (e) {
          last = signal.aborted ? new Error(`no answer within ${perAttempt} ms`, { cause: e }) : e;
          if (o.fatal?.(e) || o.limitMs <= 0) throw new AbortError(e instanceof Error ? e : new Error(String(e)));
          throw last instanceof Error ? last : new Error(String(last));
        }
      },
      {
        // Enough retries to outlast the limit (p-retry's `retry` precomputes one delay per retry); the limit ends it.
        retries: Math.ceil(Math.log2(Math.max(2, max / min))) + Math.ceil(o.limitMs / max) + 2,
        factor: 2,
        minTimeout: min,
        maxTimeout: max,
        randomize: false,
        maxRetryTime: o.limitMs,
        onFailedAttempt: (err) => {
          const elapsed = Date.now() - started;
          const next = delayAfter(err.attemptNumber, min, max);
          // The next attempt would start after the limit: stop now rather than wait past it.
          if (elapsed + next > o.limitMs) throw new AbortError(err);
          o.logger.warn(
            {
              platform: o.platform,
              attempt: err.attemptNumber,
              cause: causeOf(last ?? err),
              retryInMs: next,
              giveUpInMs: Math.max(0, o.limitMs - elapsed),
            },
            `${o.platform}${where} cannot be reached at start: ${causeOf(last ?? err)}. Retrying in ${Math.round(next / 100) / 10} s (attempt ${err.attemptNumber + 1}); giving up after ${Math.round(o.limitMs / 1000)} s (PLATFORM_START_TIMEOUT_MS).`,
          );
        },
      },
    );
  } catch (e) {
    const original = e instanceof AbortError ? e.originalError : e;
    if (o.fatal?.(original)) throw original;
    const secs = Math.round((Date.now() - started) / 1000);
    throw new RecoError(
      'PLATFORM_UNREACHABLE',
      `${o.platform}${where} could not be reached at start: ${attempts} attempt(s) over ${secs} s failed, the last with: ${causeOf(last ?? original)}. Check the network, DNS and proxy (and the API root setting); the limit is PLATFORM_START_TIMEOUT_MS (now ${o.limitMs} ms).`,
      { cause: original, details: { platform: o.platform, attempts, elapsedMs: Date.now() - started } },
    );
  }
}
