/**
 * Errors with stable codes. Expected failures in core are values (`Result`); `RecoError` is
 * thrown for faults that cross a boundary (store down, corrupt file). Every code has a user
 * message in `messages.ts` and an operator hint here.
 */
export const ERROR_CODES = {
  STORE_UNAVAILABLE: 'The store cannot be reached. Check DATA_DIR permissions or REDIS_URL, and that Redis is running.',
  STORE_OPEN_FAILED:
    'The store could not be opened at start. Fix DATA_DIR (must be a writable directory) or REDIS_URL.',
  CATALOG_CORRUPT: 'The catalog file is not valid. Restore it from git or point CATALOG_PATH to a valid file.',
  CATALOG_EMPTY: 'The catalog has no items. Run `npm run scrape` or restore the built-in catalog.',
  ENCODER_FAILED: 'An encoder failed. Check the model files (npm run models:pull) or use the lexical encoder.',
  MODEL_FILE_INVALID: 'A model file is missing, truncated or corrupt. Re-download it with `npm run models:pull`.',
  DATASET_INVALID: 'A dataset file has a corrupt row (file and row in the message). Fix it or run `npm run data:pull`.',
  INPUT_INVALID: 'A user sent input that could not be parsed (nothing to do).',
  NOT_FOUND: 'A referenced object does not exist (nothing to do).',
  LLM_FAILED: 'The LLM call failed; templates were used. Check LLM_BASE_URL, LLM_API_KEY and LLM_MODEL.',
  PLATFORM_FAILED: 'A chat platform call failed. See the cause; check the token and the bot permissions.',
  MISSING_PERMISSION:
    'The bot lacks a permission in a channel. Re-invite it with the permissions listed in the README.',
  CONFIG_INVALID: 'The configuration is invalid. Fix the environment variables named in the message.',
  SCRAPE_FAILED: 'A source could not be scraped. See the cause; the other sources go on.',
  INTERNAL: 'A bug. Please report it with this log line.',
  STORE_OUTCOME_UNKNOWN:
    'A write got no confirmation in time (Redis frozen or slow, connection lost after sending, or no replica confirmed it): it may or may not be stored. Check the store; retrying the same event is safe (idempotent).',
  STORE_BUSY:
    'A store lock stayed held by another live process longer than one lease. Nothing is wrong with the store; if it repeats, look for a process stuck holding it.',
  STORE_ROW_CORRUPT:
    'A stored row could not be read (namespace and key in the message); it was moved to the _quarantine namespace. Inspect or delete it there.',
  MODEL_OUTPUT_INVALID:
    'A learned model produced non-finite scores (NaN/Infinity): it was set aside and an older good version (or no learned model) is used. Retrain it (npm run train).',
  PLATFORM_UNREACHABLE:
    'The chat platform could not be reached at start. Check the network, DNS, proxy and the token; the limit is PLATFORM_START_TIMEOUT_MS.',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class RecoError extends Error {
  override readonly name: string;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = `RecoError[${code}]`;
    this.details = options?.details ?? {};
  }

  /** What an operator should do about it. */
  get hint(): string {
    return ERROR_CODES[this.code];
  }
}

export function isRecoError(e: unknown, code?: ErrorCode): e is RecoError {
  return e instanceof RecoError && (code === undefined || e.code === code);
}

/** Wraps anything thrown into a RecoError, keeping the cause. */
export function toRecoError(e: unknown, fallback: ErrorCode = 'INTERNAL'): RecoError {
  if (e instanceof RecoError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new RecoError(fallback, message, { cause: e });
}

/** Expected failures as values. */
export type Result<T, E = RecoError> = { ok: true; value: T } | { ok: false; error: E };
export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
