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
   * The same as `acquireLease(…).ok`, for callers that need no fencing token.
   */
  acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /**
   * Take a named lock as a lease with a fencing token: a number no earlier holder of any lock had. Pass the
   * lease as `fence` to `writeBatch` and the write is refused once the lease expired and someone else took
   * the lock (the check runs inside the write, atomically). Re-entrant: the same owner extends its lease and
   * keeps its token. When someone else holds it, says how long their lease still runs.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<LeaseResult>;
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
  /**
   * Makes data deleted so far unrecoverable from the backing files where the backend can (SQLite: checkpoint
   * and truncate the WAL, with `secure_delete` on; Redis: rewrite the append-only file), rate-limited by the
   * store. `/forget` calls it after deleting a person. Resolves with what was done (for the log).
   */
  eraseResidue?(): Promise<string>;
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
  /**
   * Who can share the data: this process only (`process`), the processes of one machine (`host`: a local
   * SQLite file, never over NFS/SMB), or processes anywhere that reach the server (`network`: Redis).
   */
  readonly scope: 'process' | 'host' | 'network';
  /** `acquireLease` hands out fencing tokens and `writeBatch` checks a `fence` atomically with the write. */
  readonly fencedLeases: boolean;
  /**
   * A resolved write is also on a replica (Redis `WAIT 1` with a replica configured), so a failover to that
   * replica loses no acknowledged write. False: durability is the one server's (or file's).
   */
  readonly replicatedWrites: boolean;
}

/** A lock held as a lease: `token` is unique to this holding (fencing), `ttlMs` how long it was taken for. */
export interface Lease {
  readonly name: string;
  readonly owner: string;
  readonly token: number;
  readonly ttlMs: number;
}

/** `acquireLease`'s answer: the lease, or how long the current holder's lease still runs. */
export type LeaseResult =
  { readonly ok: true; readonly lease: Lease } | { readonly ok: false; readonly remainingMs: number };

/** One key in one namespace. */
export interface StoreKey {
  readonly ns: string;
  readonly key: string;
}

export type StoreWrite =
  | { readonly op: 'set'; readonly ns: string; readonly key: string; readonly value: unknown; readonly ttlMs?: number }
  | { readonly op: 'delete'; readonly ns: string; readonly key: string }
  /**
   * Adds `by` to the number `field` of the object stored at the key, atomically (a counter shared by processes):
   * an absent key becomes `{ [field]: by }`; a TTL the key has is kept. `field`: letters, digits, `_`.
   */
  | { readonly op: 'incr'; readonly ns: string; readonly key: string; readonly field: string; readonly by: number };

export interface BatchRead {
  values: unknown[];
  versions: (string | undefined)[];
}

export interface WriteBatchOptions {
  /** Write only if each key still has this version (from `readBatch`; undefined = the key must be absent). */
  expect?: readonly (StoreKey & { readonly version: string | undefined })[];
  /**
   * Write only if this lease still holds its lock (same token, not expired): a holder whose lease ran out
   * and was taken over writes nothing (the batch resolves false).
   */
  fence?: Pick<Lease, 'name' | 'token'>;
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
