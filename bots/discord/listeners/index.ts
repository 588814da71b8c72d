/**
 * Client listeners, one file each, every one behind an error boundary (`guard`): whatever a handler
 * throws is logged with what an operator should do, and the process keeps running.
 */
import type { EventEmitter } from 'node:events';
import type { BotContext } from '../context.js';
import { guard } from '../util.js';
import { clientErrors } from './clientErrors.js';
import { interactionCreate } from './interactionCreate.js';
import { messageCreate } from './messageCreate.js';
import { messageReactionAdd } from './messageReactionAdd.js';
import { messageReactionRemove } from './messageReactionRemove.js';
import { raw } from './raw.js';
import type { Listener } from './listener.js';

export type { Listener } from './listener.js';

export const LISTENERS: readonly Listener[] = [
  raw,
  interactionCreate,
  messageReactionAdd,
  messageReactionRemove,
  messageCreate,
  ...clientErrors,
];

/** Attaches every listener; returns a function that detaches them. */
export function attachListeners(ctx: BotContext): () => void {
  const emitter = ctx.client as unknown as EventEmitter;
  const attached: [string, (...args: unknown[]) => void][] = [];
  for (const l of LISTENERS) {
    const fn = guard(ctx, l.event, (...args: unknown[]) => l.run(ctx, ...args));
    emitter.on(l.event, fn);
    attached.push([l.event, fn]);
  }
  return () => {
    for (const [event, fn] of attached) emitter.off(event, fn);
  };
}
