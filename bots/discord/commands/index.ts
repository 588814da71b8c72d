/** The slash commands, one file each, all of the shape `Command` (command.ts). */
import { digest } from './digest.js';
import { explore } from './explore.js';
import { filters } from './filters.js';
import { layout } from './layout.js';
import { mute } from './mute.js';
import { translate } from './translate.js';
import { unmute } from './unmute.js';
import { forget } from './forget.js';
import { help } from './help.js';
import { image } from './image.js';
import { interests } from './interests.js';
import { link } from './link.js';
import { persona } from './persona.js';
import { quiet } from './quiet.js';
import { recommend } from './recommend.js';
import { sourcesCommand, subscribeCommand, unsubscribeCommand } from './sources.js';
import { status } from './status.js';
import type { Command } from './command.js';

export type { Command } from './command.js';

export const COMMANDS: readonly Command[] = [
  recommend,
  persona,
  interests,
  image,
  mute,
  unmute,
  filters,
  layout,
  translate,
  forget,
  explore,
  status,
  help,
  link,
  digest,
  quiet,
  subscribeCommand,
  unsubscribeCommand,
  sourcesCommand,
];
