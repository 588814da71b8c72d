/** `/unmute filter:<filter | N> [scope]`: removes a filter (autocomplete lists the caller's own). Ephemeral. */
import { describeFilter } from '../../../core/filters/filters.js';
import { PLATFORM, interactionActor } from '../util.js';
import { filterEditCommand } from './filter-edit.js';

export const unmute = filterEditCommand({
  name: 'unmute',
  ko: '뮤트해제',
  descKey: 'discord.cmd.unmute',
  optionKey: 'discord.opt.unmute',
  run: (app, actor, filter, scope) => app.core.controls.unmute(actor, filter, scope),
  // the caller's own filters and the channel's, as they can be typed back (`source:…`, `category:…`, words)
  async choices(app, interaction) {
    const res = await app.core.controls.filters(interactionActor(interaction), {
      platform: PLATFORM,
      chatId: interaction.channelId,
    });
    return [...res.user, ...res.chat].map((f) => ({
      value: f.kind === 'word' ? f.pattern : `${f.kind}:${f.pattern}`,
      name: describeFilter(f, res.lang),
    }));
  },
});
