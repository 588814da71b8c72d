/** Builds a full in-process app (core + store + lexical encoder) for tests. */
import { defaultConfig, type ConfigKey } from '../../core/config.js';
import type { ContentItem } from '../../core/domain.js';
import { silentLogger, type KeyValueStore } from '../../core/ports.js';
import { createApp, type App } from '../../app/compose.js';
import { topicCatalog } from './items.js';

export async function testApp(
  opts: {
    items?: ContentItem[];
    env?: Partial<Record<ConfigKey, string>>;
    store?: KeyValueStore;
    now?: () => Date;
  } = {},
): Promise<App> {
  const config = defaultConfig({ LOG_LEVEL: 'silent', ...opts.env });
  const now = opts.now ?? (() => new Date('2026-11-26T00:00:00Z'));
  return createApp({
    config,
    logger: silentLogger,
    ...(opts.store ? { store: opts.store } : { memory: true }),
    seedItems: opts.items ?? topicCatalog(now()),
    now,
  });
}
