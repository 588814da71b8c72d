/** The shape every client listener has: the event it listens to and `run(ctx, ...args)`. */
import type { BotContext } from '../context.js';

export interface Listener {
  /** The client event (`raw` included, which discord.js's typings do not list). */
  event: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each event has its own argument types
  run(ctx: BotContext, ...args: any[]): Promise<void> | void;
}
