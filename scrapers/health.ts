/**
 * Source health: one record per source (last run, last success, last error with its code, what
 * happened to every item found, duration, the condition when it delivered nothing — empty, layout
 * changed, blocked, login wall — with a hint), persisted in the store namespace `source-health`
 * so `/status` and `npm run scrape` show the same thing across processes.
 */
import type { KeyValueStore } from '../core/ports.js';

export const NS_SOURCE_HEALTH = 'source-health';

export type HealthStatus = 'ok' | 'degraded' | 'failing' | 'never';

/** Why a source delivered nothing (or less): distinct causes with distinct fixes. */
export type HealthCondition = 'empty' | 'layout-changed' | 'blocked' | 'login-wall';

/** Every item found in the last run, accounted for: found = new + known + duplicateUrl + duplicateStory + invalid + capped. */
export interface HealthCounts {
  found: number;
  new: number;
  /** Already stored from an earlier run. */
  known: number;
  /** The same URL twice in this run. */
  duplicateUrl: number;
  /** The same story as another source's item (or a stored one). */
  duplicateStory: number;
  invalid: number;
  /** Over the per-source cap. */
  capped: number;
}

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
  /** Items dropped in the last run: invalid, capped, the same URL twice, the same story (not the already-known ones). */
  itemsDropped: number;
  /** The breakdown of the last run (absent on records written before it existed). */
  counts?: HealthCounts;
  /** Set when the source delivered nothing for a reason an operator can act on. */
  condition?: HealthCondition;
  /** What to do about the condition. */
  hint?: string;
  pagesOk: number;
  pagesFailed: number;
  durationMs: number;
  /** Successive runs that failed (0 after a success). */
  consecutiveFailures: number;
  /** When the current run of failures began (set while `consecutiveFailures` > 0). */
  failingSince?: string;
  notes: string[];
}

/** People's own sources (`/subscribe`) keep their health apart, so `/status` lists the operator's sources only. */
export const NS_USER_SOURCE_HEALTH = 'source-health.user';

export class SourceHealthStore {
  constructor(
    private readonly store: KeyValueStore,
    private readonly ns: string = NS_SOURCE_HEALTH,
  ) {}

  get(source: string): Promise<SourceHealth | undefined> {
    return this.store.get<SourceHealth>(this.ns, source);
  }

  /** Several records at once (one round trip). */
  getMany(sources: readonly string[]): Promise<(SourceHealth | undefined)[]> {
    return sources.length ? this.store.getMany<SourceHealth>(this.ns, sources) : Promise.resolve([]);
  }

  async put(h: SourceHealth): Promise<void> {
    await this.store.set(this.ns, h.source, h);
  }

  async delete(source: string): Promise<void> {
    await this.store.delete(this.ns, source);
  }

  /** Every stored record, sorted by source id. */
  async all(): Promise<SourceHealth[]> {
    const keys: string[] = [];
    for await (const k of this.store.keys(this.ns)) keys.push(k);
    keys.sort();
    const values = await this.store.getMany<SourceHealth>(this.ns, keys);
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

/** "38 found: 0 new, 30 already stored, 6 same URL, 2 same story" (zero parts left out, except new). */
export function formatCounts(h: SourceHealth): string {
  const c = h.counts;
  if (!c) return `${h.itemsFound} found, ${h.itemsNew} new`;
  const parts = [`${c.new} new`];
  if (c.known) parts.push(`${c.known} already stored`);
  if (c.duplicateUrl) parts.push(`${c.duplicateUrl} same URL`);
  if (c.duplicateStory) parts.push(`${c.duplicateStory} same story`);
  if (c.invalid) parts.push(`${c.invalid} invalid`);
  if (c.capped) parts.push(`${c.capped} over the cap`);
  return `${c.found} found: ${parts.join(', ')}`;
}

const CONDITION_LABEL: Readonly<Record<HealthCondition, string>> = {
  empty: 'EMPTY',
  'layout-changed': 'LAYOUT CHANGED',
  blocked: 'BLOCKED',
  'login-wall': 'LOGIN WALL',
};

/** One line per source, for `/status` and the scrape script. */
export function formatHealth(records: readonly SourceHealth[], now = new Date()): string[] {
  return records.map((h) => {
    const icon = h.status === 'ok' ? '✓' : h.status === 'degraded' ? '!' : h.status === 'failing' ? '✗' : '·';
    const parts = [
      `${icon} ${h.source}`,
      h.condition ? `${h.status} (${CONDITION_LABEL[h.condition]})` : h.status,
      `last success ${ago(h.lastSuccessAt, now)}`,
      formatCounts(h),
      `${h.pagesOk}/${h.pagesOk + h.pagesFailed} pages`,
      `${(h.durationMs / 1000).toFixed(1)}s`,
    ];
    if (h.lastError && h.status !== 'ok') parts.push(`error ${h.lastError.reason}: ${h.lastError.message}`);
    const notes = h.notes.join('; ');
    if (notes && notes !== h.lastError?.message) parts.push(notes);
    if (h.hint && h.status !== 'ok') parts.push(`hint: ${h.hint}`);
    return parts.join(' · ');
  });
}
