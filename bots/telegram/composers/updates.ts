/**
 * Updates the bot receives but does not act on, stopped before any feature sees them:
 * - `edited_message` / `edited_channel_post`: an edit is the same message corrected. Acting on it would
 *   run a command twice (grammY's `command()` matches edits too) or count the text twice in the persona.
 * - `channel_post`: posts in a channel the bot administers come from the channel, not from a person.
 * Telegram only sends these when `allowed_updates` asks for them, but a webhook or an older
 * registration can still deliver them, and recorded traffic has them.
 */
import { Composer, type Context } from 'grammy';
import type { TgDeps } from '../shared.js';

export const IGNORED_UPDATES = ['edited_message', 'edited_channel_post', 'channel_post'] as const;

export function updatesComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.on([...IGNORED_UPDATES], (ctx) => {
    deps.logger.debug(
      { update: ctx.update.update_id, kind: Object.keys(ctx.update).find((k) => k !== 'update_id') },
      'an update the bot does not act on (an edit or a channel post): ignored',
    );
  });
  return c;
}
