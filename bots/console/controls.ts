/**
 * The console's control commands: `/mute`, `/unmute`, `/filters`, `/layout`, `/translate`, and the item actions
 * `/why N`, `/less N`, `/mutesource N` on the last list (the console has no buttons). The console is one
 * person's private chat: every setting is the person's own.
 */
import { randomUUID } from 'node:crypto';
import type { App } from '../../app/compose.js';
import type { Actor } from '../../core/users/doc.js';
import type { ConsoleInput } from './parse.js';

const CHAT_ID = 'console';

export async function handleControl(
  app: App,
  actor: Actor,
  input: Extract<ConsoleInput, { kind: 'mute' | 'unmute' | 'filters' | 'layout' | 'translate' | 'item' }>,
  lastMessages: ReadonlyMap<number, string>,
): Promise<string> {
  const { controls, why, feedback } = app.core;
  switch (input.kind) {
    case 'mute':
      return (await controls.mute(actor, input.filter, { kind: 'user' })).message;
    case 'unmute':
      return (await controls.unmute(actor, input.filter, { kind: 'user' })).message;
    case 'filters':
      return (await controls.filters(actor)).text;
    case 'layout':
      return (await controls.layout(actor, input.layout, { kind: 'user' })).message;
    case 'translate':
      return (await controls.translate(actor, input.on)).message;
    case 'item': {
      if (input.action === 'less') {
        const { dislike } = feedback.emojis.defaults;
        const res = await feedback.reactToListItem(
          actor,
          CHAT_ID,
          input.position,
          dislike,
          'add',
          `console:${randomUUID()}`,
        );
        return res.message;
      }
      if (input.action === 'mutesource')
        return (await controls.muteSourceOfListItem(actor, CHAT_ID, input.position)).message;
      const messageId = lastMessages.get(input.position);
      const res = messageId
        ? await why.why(actor, { platform: 'console', chatId: CHAT_ID, messageId }, (ids) =>
            ids.length === 1 ? ids[0] : ids[input.position - 1],
          )
        : await why.whyListItem(actor, CHAT_ID, input.position);
      return res.status === 'ok' ? res.text : res.message;
    }
  }
}
