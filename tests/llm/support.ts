/** Shared bits for the LLM suites: an in-memory store, a capturing logger, evidence and wiring. */
import { defaultConfig, type ConfigKey } from '../../core/config.js';
import type { Evidence, Persona } from '../../core/domain.js';
import type { Clock, KeyValueStore, Logger } from '../../core/ports.js';
import { createLlmServices } from '../../core/llm/index.js';
import { createChatModel } from '../../infra/llm/openai.js';
import { loadGroundingVocabularies, loadPrompts } from '../../infra/llm/prompts.js';
import { IN_PROCESS, emulatedAcquireLease, emulatedReadBatch, emulatedWriteBatch } from '../helpers/batch-emulation.js';

export class MemoryStore implements KeyValueStore {
  readonly description = 'memory';
  readonly capabilities = IN_PROCESS;
  readonly readBatch: KeyValueStore['readBatch'] = (keys) => emulatedReadBatch(this, keys);
  readonly writeBatch: KeyValueStore['writeBatch'] = (writes, o) => emulatedWriteBatch(this, writes, o);
  readonly acquireLease: KeyValueStore['acquireLease'] = (n, o, t) => emulatedAcquireLease(this, n, o, t);
  private readonly data = new Map<string, { value: unknown; expires?: number }>();
  constructor(private readonly now: () => number = Date.now) {}
  private k(ns: string, key: string): string {
    return `${ns}\u0000${key}`;
  }
  async get<T>(namespace: string, key: string): Promise<T | undefined> {
    const e = this.data.get(this.k(namespace, key));
    if (!e) return undefined;
    if (e.expires !== undefined && e.expires <= this.now()) {
      this.data.delete(this.k(namespace, key));
      return undefined;
    }
    return structuredClone(e.value) as T;
  }
  async getMany<T>(namespace: string, keys: readonly string[]): Promise<(T | undefined)[]> {
    return Promise.all(keys.map((k) => this.get<T>(namespace, k)));
  }
  async set(namespace: string, key: string, value: unknown, ttlMs?: number): Promise<void> {
    this.data.set(this.k(namespace, key), {
      value: structuredClone(value),
      ...(ttlMs ? { expires: this.now() + ttlMs } : {}),
    });
  }
  async delete(namespace: string, key: string): Promise<boolean> {
    return this.data.delete(this.k(namespace, key));
  }
  async *keys(namespace: string, prefix = ''): AsyncIterable<string> {
    for (const full of [...this.data.keys()]) {
      const [ns, key] = full.split('\u0000') as [string, string];
      if (ns === namespace && key.startsWith(prefix) && (await this.get(ns, key)) !== undefined) yield key;
    }
  }
  async acquireLock(): Promise<boolean> {
    return true;
  }
  async releaseLock(): Promise<void> {}
  async close(): Promise<void> {}
  /** The TTL (ms from now) of a key, for assertions. */
  ttlOf(namespace: string, key: string): number | undefined {
    const e = this.data.get(this.k(namespace, key));
    return e?.expires === undefined ? undefined : e.expires - this.now();
  }
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

export class CapturingLogger implements Logger {
  constructor(
    readonly entries: LogEntry[] = [],
    private readonly bindings: object = {},
  ) {}
  private push(level: LogEntry['level'], obj: object, msg?: string): void {
    this.entries.push({ level, obj: { ...this.bindings, ...obj }, msg: msg ?? '' });
  }
  debug(obj: object, msg?: string): void {
    this.push('debug', obj, msg);
  }
  info(obj: object, msg?: string): void {
    this.push('info', obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.push('warn', obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.push('error', obj, msg);
  }
  child(bindings: object): Logger {
    return new CapturingLogger(this.entries, { ...this.bindings, ...bindings });
  }
  /** Everything logged, serialised (to search for secrets). */
  dump(): string {
    return this.entries.map((e) => `${e.level} ${e.msg} ${JSON.stringify(e.obj)}`).join('\n');
  }
  find(level: LogEntry['level'], pattern: RegExp): LogEntry[] {
    return this.entries.filter((e) => e.level === level && pattern.test(e.msg));
  }
}

export function fixedClock(iso: string): Clock & { set(iso: string): void } {
  let now = new Date(iso);
  return {
    now: () => now,
    set(next: string) {
      now = new Date(next);
    },
  };
}

export function evidence(overrides: Partial<Evidence> & Pick<Evidence, 'itemId' | 'title'>): Evidence {
  return {
    category: 'games',
    source: 'youtube',
    likedSimilar: [],
    interests: [],
    topicTerms: [],
    likedCategory: false,
    ageHours: 100,
    popular: false,
    exploration: false,
    components: { persona: 0.3 },
    score: 0.5,
    ...overrides,
  };
}

export function persona(overrides: Partial<Persona> = {}): Persona {
  return {
    userId: 'u1',
    interests: [],
    dislikes: [],
    categories: {},
    attributes: {},
    recentTexts: [],
    messageCount: 0,
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export const API_KEY = 'sk-test-SECRET-0123456789abcdef';

/** The whole LLM stack against a base URL, with the real @langchain/openai client. */
export function llmStack(baseUrl: string | undefined, overrides: Partial<Record<ConfigKey, string>> = {}) {
  const config = defaultConfig({
    ...(baseUrl ? { LLM_BASE_URL: baseUrl, LLM_API_KEY: API_KEY } : {}),
    LLM_MODEL: 'fake-model',
    LLM_TIMEOUT_MS: '3000',
    LLM_MAX_RETRIES: '2',
    LLM_REPLY_WAIT_MS: '5000',
    ...overrides,
  });
  const logger = new CapturingLogger();
  const clock = fixedClock('2026-03-01T09:00:00.000Z');
  const store = new MemoryStore();
  const model = createChatModel(config, logger);
  const { budget, client, explainer, extractor } = createLlmServices({
    model,
    store,
    config,
    logger,
    clock,
    prompts: loadPrompts(),
    vocabularies: loadGroundingVocabularies(),
  });
  return { config, logger, clock, store, model, budget, client, explainer, extractor };
}
