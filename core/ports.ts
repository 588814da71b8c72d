/**
 * Interfaces that core defines and the outer folders implement (dependencies point inward).
 * `infra/` implements the store, logger and chat model; `models/` the encoders and the
 * two-tower scorer; `scrapers/` feeds items through `CatalogService.upsert`.
 */
import type { Lang } from './domain.js';

// ---------------------------------------------------------------- store

/**
 * A small key-value store with namespaces, TTLs, prefix scans and a lock.
 * Implemented on keyv: in memory (tests), SQLite (embedded default) and Redis (scale-out).
 * Values are JSON-serialisable; `Uint8Array`/`Buffer` values round-trip as bytes.
 */
export interface KeyValueStore {
  /** A short name for logs and `/status`: `memory`, `sqlite:./data/deep-reco.sqlite`, `redis://host:6379`. */
  readonly description: string;
  /** What this backend guarantees beyond one process (declared by the store, never guessed from its name). */
  readonly capabilities: StoreCapabilities;
  get<T>(namespace: string, key: string): Promise<T | undefined>;
  getMany<T>(namespace: string, keys: readonly string[]): Promise<(T | undefined)[]>;
  /** Resolves once the value is durable (written to disk / acknowledged by Redis). */
  set(namespace: string, key: string, value: unknown, ttlMs?: number): Promise<void>;
  /** Resolves true when a key existed. */
  delete(namespace: string, key: string): Promise<boolean>;
  /** All keys of a namespace that start with `prefix` (default: all). Order unspecified. */
  keys(namespace: string, prefix?: string): AsyncIterable<string>;
  /**
   * Take a named lock for `ttlMs` unless someone else holds it. Atomic across processes that share
   * the store (SQLite file or Redis). Returns true when `owner` now holds it (re-entrant for the same owner).
   */
  acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Release a lock, only if `owner` holds it. */
  releaseLock(name: string, owner: string): Promise<void>;
  /**
   * Reads keys of any namespaces in ONE round trip. `versions[i]` is an opaque token of the stored value
   * (undefined when the key is absent) for a later `writeBatch` `expect`.
   */
  readBatch(keys: readonly StoreKey[]): Promise<BatchRead>;
  /**
   * Applies sets and deletes in ONE round trip, all or nothing. With `expect`, only when every listed key
   * still has the version read before (undefined: still absent): an optimistic compare-and-set that holds
   * across processes. Resolves false (and writes nothing) when an expectation failed.
   */
  writeBatch(writes: readonly StoreWrite[], options?: WriteBatchOptions): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * What a store backend guarantees, declared by each implementation. Core decides with these, never with
 * the store's name. A later backend (or a stronger SQLite lock) declares more and core follows.
 */
export interface StoreCapabilities {
  /** Several processes may read and write the same data at once (Redis replicas, processes on one SQLite file). */
  readonly sharedAcrossProcesses: boolean;
  /** `acquireLock` excludes every process that shares the store (not only this one). */
  readonly crossProcessLocks: boolean;
  /** `writeBatch` with `expect` is a compare-and-set across processes (not only within this one). */
  readonly crossProcessCompareAndSet: boolean;
}

/** One key in one namespace. */
export interface StoreKey {
  readonly ns: string;
  readonly key: string;
}

export type StoreWrite =
  | { readonly op: 'set'; readonly ns: string; readonly key: string; readonly value: unknown; readonly ttlMs?: number }
  | { readonly op: 'delete'; readonly ns: string; readonly key: string };

export interface BatchRead {
  values: unknown[];
  versions: (string | undefined)[];
}

export interface WriteBatchOptions {
  /** Write only if each key still has this version (from `readBatch`; undefined = the key must be absent). */
  expect?: readonly (StoreKey & { readonly version: string | undefined })[];
}

// ---------------------------------------------------------------- encoders

/** Turns texts into L2-normalised vectors. Output: one row of `dim` floats per input, row-major. */
export interface TextEncoder {
  /** Stable id including model and version, e.g. `lexical-v1:512`, `sbert:paraphrase-multilingual-MiniLM-L12-v2`. */
  readonly id: string;
  readonly dim: number;
  /** A human-readable name for `/status` and logs. */
  readonly label: string;
  encode(texts: readonly string[]): Promise<Float32Array>;
}

/** Turns images (encoded bytes: PNG/JPEG/WebP) into L2-normalised vectors in the same layout. */
export interface ImageEncoder {
  readonly id: string;
  readonly dim: number;
  readonly label: string;
  encode(images: readonly Uint8Array[]): Promise<Float32Array>;
  /** The text tower of a CLIP-like model, so a topic can be matched against images. */
  encodeText?(texts: readonly string[]): Promise<Float32Array>;
}

// ---------------------------------------------------------------- matrix math

/**
 * The whole-catalog matrix–vector product, the hot path of scoring. The default is a tight JS loop
 * (core/vectors.ts); `models/matrix-ops.ts` runs it as an onnxruntime MatMul (SIMD, multi-threaded),
 * which reaches memory bandwidth.
 */
export interface MatrixOps {
  readonly id: string;
  /** `out[r] = m[r,:] · v` for a row-major `rows × dim` matrix. */
  matVec(m: Float32Array, dim: number, v: Float32Array): Promise<Float32Array>;
}

// ---------------------------------------------------------------- learned scorer

/** What the two-tower user tower reads about a person. */
export interface UserFeatures {
  userId: string;
  lang: Lang;
  platform: string;
  attributes: Record<string, string>;
  interests: string[];
  categories: string[];
  /** Persona text vector (may be empty when the user never wrote anything). */
  personaVector?: Float32Array;
  likedItemIds: string[];
  dislikedItemIds: string[];
}

/**
 * A learned scorer over the whole catalog (the two-tower model). Returns one score per catalog row,
 * in catalog order, or undefined when it has no model or does not know the catalog version yet.
 */
export interface LearnedScorer {
  readonly id: string;
  /** Describes the active model for `/status`, e.g. `two-tower v3 (trained 2026-11-20)`, or why it is off. */
  describe(): string;
  scoreAll(user: UserFeatures, catalogVersion: string): Promise<Float32Array | undefined>;
}

// ---------------------------------------------------------------- LLM

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Tokens one chat call used, as the server reported them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** The chat model port. Implemented through LangChain (`infra/llm`). */
export interface ChatModel {
  readonly id: string;
  /**
   * `json`: ask for a JSON object (OpenAI `response_format: json_object`); the caller still validates.
   * `onUsage`: called with the server's token counts when it reports them (fed to the daily budgets).
   */
  invoke(
    messages: ChatMessage[],
    options?: { signal?: AbortSignal; json?: boolean; onUsage?: (usage: TokenUsage) => void },
  ): Promise<string>;
}

// ---------------------------------------------------------------- runtime

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** pino-compatible subset: `logger.info({ obj }, 'message')`. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
