/**
 * What a chat platform adapter is to the composition root: a name, when the configuration runs it, and
 * `start(app)`. A new platform is one folder exporting an `adapter` plus one line in `bots/main.ts`.
 * The adapter contract suite (tests/adapters/) runs the same checks against every adapter.
 */
import type { App } from '../app/compose.js';
import type { Config } from '../core/config.js';

export interface RunningAdapter {
  stop(): Promise<void>;
  /** Resolves when the adapter ends by itself (the console at end of input); absent: runs until stopped. */
  done?: Promise<void>;
}

export interface PlatformAdapter {
  /** The `BOT_MODE` value that runs this adapter alone. */
  readonly name: string;
  /** Whether the configuration asks for it when `BOT_MODE` is `auto` or `all` (a token is set, …). */
  configured(config: Config): boolean;
  start(app: App): Promise<RunningAdapter>;
}

/** An adapter whose module (and platform library) is loaded only when it is started. */
export function lazyAdapter(
  name: string,
  configured: (config: Config) => boolean,
  load: () => Promise<{ adapter: PlatformAdapter }>,
): PlatformAdapter {
  return { name, configured, start: async (app) => (await load()).adapter.start(app) };
}
