/** `/unmute <filter | N>`: removes a filter (by what was muted, or its number in `/filters`); admins: the group's. */
import type { Composer, Context } from 'grammy';
import type { TgDeps } from '../shared.js';
import { filterEditComposer } from './mute.js';

export const unmuteComposer = (deps: TgDeps): Composer<Context> => filterEditComposer(deps, 'unmute');
