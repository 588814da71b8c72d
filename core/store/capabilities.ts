/**
 * What core requires of a store from its declared capabilities (never from its name): a store shared by
 * several processes must compare-and-set across them (user documents would lose updates otherwise) and
 * lock across them (digests, `/link` codes and retraining would run twice otherwise).
 */
import { RecoError } from '../errors.js';
import type { KeyValueStore } from '../ports.js';

export function assertSharingSafe(store: KeyValueStore): void {
  const c = store.capabilities;
  if (!c.sharedAcrossProcesses) return;
  const missing = [
    ...(c.crossProcessCompareAndSet ? [] : ['compare-and-set']),
    ...(c.crossProcessLocks ? [] : ['locks']),
  ];
  if (missing.length > 0)
    throw new RecoError(
      'CONFIG_INVALID',
      `The store ${store.description} is shared by several processes but has no cross-process ${missing.join(' or ')}: use SQLite (one host) or Redis.`,
      { details: { store: store.description, missing } },
    );
}
