/**
 * `/mute filter:<word | source:<id> | category:<name>> [scope]`: a hard filter — never shown again, in lists,
 * "more like this" and digests. `scope: channel` (Manage Server / Manage Channels) mutes for the whole channel.
 * Ephemeral: only the caller sees the answer.
 */
import { filterEditCommand } from './filter-edit.js';

export const mute = filterEditCommand({
  name: 'mute',
  ko: '뮤트',
  descKey: 'discord.cmd.mute',
  optionKey: 'discord.opt.filter',
  run: (app, actor, filter, scope) => app.core.controls.mute(actor, filter, scope),
  // `source:<id>` for the catalog's sources and `category:<name>` for its categories
  async choices(app) {
    if (app.catalog.size === 0) return [];
    const { sources, categories } = app.catalog.index;
    return [...sources.map((s) => `source:${s}`), ...categories.map((c) => `category:${c}`)].map((x) => ({
      value: x,
      name: x,
    }));
  },
});
