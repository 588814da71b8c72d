/**
 * What every Discord command and listener receives besides the discord.js objects: the app, a
 * logger, the live client, the Message Content intent state, the reaction idempotency keys and an
 * event bus that reports what each handler did (used by tests and by anyone who wants metrics).
 */
import type { EventEmitter } from 'node:events';
import type { Client } from 'discord.js';
import type { App } from '../../app/compose.js';
import type { ReactStatus } from '../../core/feedback/service.js';
import type { LinkService } from '../../core/identity/link.js';
import type { Outbox } from '../../core/outbox/outbox.js';
import type { Logger } from '../../core/ports.js';
import type { CoreServices } from '../../core/service.js';
import type { ReactionKeys } from './reaction-keys.js';

/** `on`: requested and granted; `off`: not requested (DISCORD_MESSAGE_CONTENT=false); `denied`: requested, refused by Discord (4014), running without. */
export type ContentIntentState = 'on' | 'off' | 'denied';

export interface ReactionReport {
  action: 'add' | 'remove';
  userId: string;
  channelId: string;
  messageId: string;
  emoji: string;
  idempotencyKey: string;
  /** Core status, or why the adapter ignored the event before reaching the core. */
  status: ReactStatus | 'own' | 'bot';
}

export interface CommandReport {
  name: string;
  userId: string;
  ok: boolean;
  /** Error code when it failed (Discord API code or RecoError code). */
  error?: string | number;
}

/** Events on `BotContext.events`: `reaction` (ReactionReport), `command` (CommandReport), `message` ({ userId, replied }). */
export interface BotContext {
  app: App;
  /** The core's services (recommend, feedback, conversation, persona, forget, status, …). */
  core: CoreServices;
  log: Logger;
  client: Client;
  contentIntent: ContentIntentState;
  links: LinkService;
  reactionKeys: ReactionKeys;
  events: EventEmitter;
  /** The outbox every list message goes through (delivery.ts). */
  outbox: Outbox;
}
