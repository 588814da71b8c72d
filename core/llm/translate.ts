/**
 * Item translation through the LLM (`/translate on`): ONE call per list for the items not cached yet, the items as
 * delimited data (prompts/translate-items.md), JSON validated with zod, each translation checked (no links,
 * mentions or markup the original lacks; a sane length), then cached per item and language in the store
 * (`NS_TRANSLATIONS`, keyed `itemId:lang`, bound to the text it was made from): the next reader of the same item
 * in the same language costs no call. Calls count against the daily token budgets of the first reader.
 *
 * Latency: a list waits at most `waitMs` (LLM_REPLY_WAIT_MS); a call still running then goes on in the background
 * and fills the cache, and the list shows the originals. Concurrent requests for the same item share one call.
 */
import { z } from 'zod';
import { contentHash } from '../catalog/catalog.js';
import type { ContentItem, Lang } from '../domain.js';
import { silentLogger, type Clock, type KeyValueStore, type Logger, type StoreKey } from '../ports.js';
import type { ItemTranslation } from '../recommend/delivery.js';
import type { ListTranslator } from '../recommend/translation.js';
import { storeCall } from '../store/call.js';
import { NS_TRANSLATIONS } from '../store/namespaces.js';
import { sanitizeText } from '../text.js';
import type { LlmClient } from './client.js';
import { LANGUAGE_NAMES } from './explain.js';

/** A translation as stored (bound to the text it translates, so an edited item is translated again). */
export interface StoredTranslation {
  /** contentHash of the original title + summary. */
  source: string;
  from: string;
  title: string;
  summary: string;
  model: string;
  at: string;
}

/** Cached translations live this long (items leave the catalog after ITEM_MAX_AGE_DAYS, 30 by default). */
export const TRANSLATION_TTL_MS = 30 * 86_400_000;
/** Most items per call. */
const MAX_PER_CALL = 10;
const TITLE_MAX = 300;
const SUMMARY_MAX = 900;

const Output = z.object({
  items: z
    .array(
      z.object({
        i: z.coerce.number().int().min(0),
        title: z.string().max(TITLE_MAX * 2),
        summary: z
          .string()
          .max(SUMMARY_MAX * 2)
          .default(''),
      }),
    )
    .max(MAX_PER_CALL * 2),
});

export function translationKey(itemId: string, lang: Lang): string {
  return `${itemId}:${lang}`;
}

function sourceHash(item: ContentItem): string {
  return contentHash(`${item.title}\n${item.summary}`);
}

const LINK = /(https?:\/\/|www\.|[a-z0-9-]+\.(com|net|org|io|kr|co)\b)/i;
const MARKUP = /[<>`]|\[[^\]]*\]\(|@\w/;

/**
 * Whether a translation is acceptable: not empty, no link, mention or markup the original does not have, and a
 * length in proportion to the original (a model that answers, explains or pads instead of translating fails).
 */
export function acceptable(original: string, translated: string, max: number): boolean {
  const t = translated.trim();
  if (!original.trim()) return t === '';
  if (!t || t.length > max) return false;
  if (LINK.test(t) && !LINK.test(original)) return false;
  if (MARKUP.test(t) && !MARKUP.test(original)) return false;
  return Array.from(t).length <= Array.from(original).length * 4 + 40;
}

export interface LlmTranslatorOptions {
  client: LlmClient;
  store: KeyValueStore;
  clock: Clock;
  /** How long a list waits for a call (LLM_REPLY_WAIT_MS). */
  waitMs: number;
  logger?: Logger;
}

export class LlmTranslator implements ListTranslator {
  private readonly log: Logger;
  /** Calls in flight by cache key, so two readers of one item share one call. */
  private readonly inflight = new Map<string, Promise<ItemTranslation | undefined>>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly o: LlmTranslatorOptions) {
    this.log = (o.logger ?? silentLogger).child({ component: 'llm-translate' });
  }

  get available(): boolean {
    return this.o.client.enabled;
  }

  async translate(input: {
    userId: string;
    target: Lang;
    items: readonly { item: ContentItem; from: string }[];
  }): Promise<Map<string, ItemTranslation>> {
    const out = new Map<string, ItemTranslation>();
    if (!this.available || input.items.length === 0) return out;
    const { target } = input;
    const keys: StoreKey[] = input.items.map(({ item }) => ({
      ns: NS_TRANSLATIONS,
      key: translationKey(item.id, target),
    }));
    const read = await storeCall(() => this.o.store.readBatch(keys));
    const missing: { item: ContentItem; from: string }[] = [];
    const waits: Promise<void>[] = [];
    input.items.forEach((entry, i) => {
      const hit = read.values[i] as StoredTranslation | undefined;
      if (hit && hit.source === sourceHash(entry.item)) {
        out.set(entry.item.id, { lang: target, from: hit.from, title: hit.title, summary: hit.summary });
        return;
      }
      const shared = this.inflight.get(translationKey(entry.item.id, target));
      if (shared)
        waits.push(
          shared.then((tr) => {
            if (tr) out.set(entry.item.id, tr);
          }),
        );
      else missing.push(entry);
    });
    for (let i = 0; i < missing.length; i += MAX_PER_CALL) {
      const batch = missing.slice(i, i + MAX_PER_CALL);
      const call = this.call(input.userId, target, batch);
      batch.forEach((entry, k) => {
        const key = translationKey(entry.item.id, target);
        const one = call.then((all) => all[k]);
        this.inflight.set(key, one);
        void one.finally(() => {
          if (this.inflight.get(key) === one) this.inflight.delete(key);
        });
        waits.push(
          one.then((tr) => {
            if (tr) out.set(entry.item.id, tr);
          }),
        );
      });
      this.track(call);
    }
    if (waits.length === 0) return out;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.o.waitMs)));
    await Promise.race([Promise.all(waits), timeout]);
    clearTimeout(timer);
    return new Map(out);
  }

  /** Resolves when no call is running (graceful shutdown, tests). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** One LLM call for a batch; validated translations are cached. Resolves per item (undefined: none). Never rejects. */
  private async call(
    userId: string,
    target: Lang,
    batch: readonly { item: ContentItem; from: string }[],
  ): Promise<(ItemTranslation | undefined)[]> {
    try {
      const result = await this.o.client.json({
        prompt: 'translate-items',
        values: {
          target_language: LANGUAGE_NAMES[target],
          count: batch.length,
          items: batch.map(({ item, from }, i) => ({
            i,
            from,
            title: sanitizeText(item.title, TITLE_MAX),
            summary: sanitizeText(item.summary, SUMMARY_MAX),
          })),
        },
        schema: Output,
        userId,
      });
      if (!result.ok) return batch.map(() => undefined);
      const at = this.o.clock.now().toISOString();
      const got = batch.map(({ item, from }, i): ItemTranslation | undefined => {
        const line = result.value.items.find((x) => x.i === i);
        if (!line) return undefined;
        const title = sanitizeText(line.title, TITLE_MAX);
        const summary = sanitizeText(line.summary, SUMMARY_MAX);
        if (
          !acceptable(item.title, title, TITLE_MAX) ||
          !acceptable(sanitizeText(item.summary, SUMMARY_MAX), summary, SUMMARY_MAX)
        ) {
          this.log.warn({ item: item.id }, 'a translation failed the checks; the original is shown');
          return undefined;
        }
        return { lang: target, from, title, summary };
      });
      const writes = batch.flatMap(({ item }, i) => {
        const tr = got[i];
        if (!tr) return [];
        const value: StoredTranslation = {
          source: sourceHash(item),
          from: tr.from,
          title: tr.title,
          summary: tr.summary,
          model: this.o.client.modelId ?? '',
          at,
        };
        return [
          {
            op: 'set' as const,
            ns: NS_TRANSLATIONS,
            key: translationKey(item.id, target),
            value,
            ttlMs: TRANSLATION_TTL_MS,
          },
        ];
      });
      if (writes.length) await storeCall(() => this.o.store.writeBatch(writes));
      return got;
    } catch (e) {
      this.log.warn({ err: e }, 'translation failed; originals shown');
      return batch.map(() => undefined);
    }
  }
}
