/**
 * Caching of identical prompts: sha256 of (model id, JSON mode, every message) → the raw response
 * text, in the store (namespace `llm-cache`) with a TTL. Only responses that parsed and validated
 * are stored, so a bad answer is never replayed.
 */
import { createHash } from 'node:crypto';
import type { ChatMessage, KeyValueStore } from '../ports.js';

export { NS_LLM_CACHE } from '../store/namespaces.js';
import { NS_LLM_CACHE } from '../store/namespaces.js';
export const DEFAULT_CACHE_TTL_MS = 6 * 3600_000;

export function promptHash(modelId: string, messages: readonly ChatMessage[], json: boolean): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ modelId, json, messages: messages.map((m) => [m.role, m.content]) }));
  return h.digest('hex');
}

export class PromptCache {
  constructor(
    private readonly store: KeyValueStore,
    readonly ttlMs: number = DEFAULT_CACHE_TTL_MS,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const v = await this.store.get<{ text: string }>(NS_LLM_CACHE, key);
    return v && typeof v.text === 'string' ? v.text : undefined;
  }

  async set(key: string, text: string): Promise<void> {
    if (this.ttlMs <= 0) return;
    await this.store.set(NS_LLM_CACHE, key, { text }, this.ttlMs);
  }

  async delete(key: string): Promise<void> {
    await this.store.delete(NS_LLM_CACHE, key);
  }
}
