/**
 * A source's health as one line in the person's language (`/sources`). Re-exported by service.ts.
 */
import type { Lang } from '../domain.js';
import { formatAge } from '../explain.js';
import { t } from '../messages.js';
import type { SourceHealthView } from './types.js';

/** One line of health, in the person's language. */
export function describeHealth(h: SourceHealthView, lang: Lang, now: Date): string {
  const ago = (iso: string | undefined) =>
    iso ? formatAge(Math.max(0, now.getTime() - Date.parse(iso)) / 3_600_000, lang) : '—';
  const parts: string[] = [];
  if (h.status === 'never') return t(lang, 'sources.health.never');
  if (h.status === 'failing')
    parts.push(t(lang, 'sources.health.failing', { ago: ago(h.failingSince ?? h.lastFetchedAt) }));
  else if (h.status === 'degraded') parts.push(t(lang, 'sources.health.degraded', { ago: ago(h.lastFetchedAt) }));
  else parts.push(t(lang, 'sources.health.ok', { ago: ago(h.lastFetchedAt) }));
  if (h.condition === 'layout-changed') parts.push(t(lang, 'sources.health.layout'));
  else if (h.condition === 'blocked') parts.push(t(lang, 'sources.health.blocked'));
  else if (h.condition === 'empty') parts.push(t(lang, 'sources.health.empty'));
  else if (h.condition === 'login-wall') parts.push(t(lang, 'sources.health.loginWall'));
  if (h.status === 'ok' && h.itemsNew) parts.push(t(lang, 'sources.health.new', { n: h.itemsNew }));
  if (h.status !== 'ok' && h.error) parts.push(h.error);
  return parts.join(' · ');
}
