/**
 * Source health: one record per source (last run, last success, last error with its code, items
 * found / new, duration, notes such as a login wall), persisted in the store namespace
 * `source-health` so `/status` and `npm run scrape` show the same thing across processes.
 */
import type { KeyValueStore } from '../core/ports.js';

export const NS_SOURCE_HEALTH = 'source-health';

export type HealthStatus = 'ok' | 'degraded' | 'failing' | 'never';

export interface SourceHealth {
  source: string;
  displayName: string;
  status: HealthStatus;
  lastRunAt?: string;
  lastSuccessAt?: string;
  /** The last failure (kept after later successes, so operators see what happened). */
  lastError?: { code: string; reason: string; message: string; at: string; url?: string };
  /** Candidates parsed in the last run. */
  itemsFound: number;
  /** Items stored as new in the last run. */
  itemsNew: number;
  /** Items dropped in the last run: invalid, duplicates of stored items or of other sources' stories. */
  itemsDropped: number;
  pagesOk: number;
  pagesFailed: number;
  durationMs: number;
  /** Successive runs that failed (0 after a success). */
  consecutiveFailures: number;
  notes: string[];
}

export class SourceHealthStore {
  constructor(private readonly store: KeyValueStore) {}

  get(source: string): Promise<SourceHealth | undefined> {
    return this.store.get<SourceHealth>(NS_SOURCE_HEALTH, source);
  }

  async put(h: SourceHealth): Promise<void> {
    await this.store.set(NS_SOURCE_HEALTH, h.source, h);
  }

  /** Every stored record, sorted by source id. */
  async all(): Promise<SourceHealth[]> {
    const keys: string[] = [];
    for await (const k of this.store.keys(NS_SOURCE_HEALTH)) keys.push(k);
    keys.sort();
    const values = await this.store.getMany<SourceHealth>(NS_SOURCE_HEALTH, keys);
    return values.filter((v): v is SourceHealth => v !== undefined);
  }
}

function ago(iso: string | undefined, now: Date): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** One line per source, for `/status` and the scrape script. */
export function formatHealth(records: readonly SourceHealth[], now = new Date()): string[] {
  return records.map((h) => {
    const icon = h.status === 'ok' ? '✓' : h.status === 'degraded' ? '!' : h.status === 'failing' ? '✗' : '·';
    const parts = [
      `${icon} ${h.source}`,
      h.status,
      `last success ${ago(h.lastSuccessAt, now)}`,
      `${h.itemsFound} found, ${h.itemsNew} new`,
      `${h.pagesOk}/${h.pagesOk + h.pagesFailed} pages`,
      `${(h.durationMs / 1000).toFixed(1)}s`,
    ];
    if (h.lastError && h.status !== 'ok') parts.push(`error ${h.lastError.reason}: ${h.lastError.message}`);
    const notes = h.notes.join('; ');
    if (notes && notes !== h.lastError?.message) parts.push(notes);
    return parts.join(' · ');
  });
}
