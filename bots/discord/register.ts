/**
 * Slash command registration: to one guild when DISCORD_GUILD_ID is set (instant, for development),
 * globally otherwise (may take up to an hour to appear everywhere). A bulk PUT replaces the set, so
 * removed commands disappear too. Every command is registered for guild AND user installs in every context
 * (`integration_types`, `contexts`; install.ts) unless its builder says otherwise.
 */
import { Routes, type REST, type RESTPutAPIApplicationCommandsJSONBody } from 'discord.js';
import type { Logger } from '../../core/ports.js';
import { RecoError } from '../../core/errors.js';
import type { Command } from './commands/index.js';
import { CONTEXTS, INTEGRATION_TYPES } from './install.js';
import { API, apiCode, describeError } from './util.js';

/** The application id encoded in the token's first segment (base64 of the bot user id = application id). */
export function applicationIdFromToken(token: string): string | undefined {
  const first = token.split('.')[0];
  if (!first) return undefined;
  try {
    const id = Buffer.from(first, 'base64').toString('utf8');
    return /^\d{17,20}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

export async function registerCommands(
  rest: REST,
  o: { applicationId: string; guildId?: string | undefined; commands: readonly Command[]; log: Logger },
): Promise<{ scope: 'guild' | 'global'; count: number }> {
  const body: RESTPutAPIApplicationCommandsJSONBody = o.commands.map((c) => {
    const json = c.data.toJSON();
    return {
      ...json,
      integration_types: json.integration_types ?? INTEGRATION_TYPES,
      contexts: json.contexts ?? CONTEXTS,
    };
  });
  const route = o.guildId
    ? Routes.applicationGuildCommands(o.applicationId, o.guildId)
    : Routes.applicationCommands(o.applicationId);
  try {
    await rest.put(route, { body });
  } catch (e) {
    const code = apiCode(e);
    const hint =
      code === API.MissingAccess
        ? `the bot is not in server ${o.guildId ?? ''} or was invited without the applications.commands scope: re-invite it with the URL in docs/DISCORD.md, or fix DISCORD_GUILD_ID`
        : 'check DISCORD_APPLICATION_ID (it must be the application of this token) and DISCORD_GUILD_ID';
    o.log.error(
      { err: describeError(e), scope: o.guildId ? 'guild' : 'global' },
      `slash command registration failed: ${hint}. The bot keeps running with the commands registered before.`,
    );
    if (e instanceof Error && /401|Unauthorized/i.test(e.message))
      throw new RecoError('CONFIG_INVALID', 'Discord rejected DISCORD_TOKEN (401) while registering commands', {
        cause: e,
        details: { variables: ['DISCORD_TOKEN'] },
      });
    return { scope: o.guildId ? 'guild' : 'global', count: 0 };
  }
  o.log.info(
    { scope: o.guildId ? 'guild' : 'global', guild: o.guildId, count: body.length },
    o.guildId
      ? 'slash commands registered in the guild'
      : 'slash commands registered globally (can take up to an hour to show everywhere)',
  );
  return { scope: o.guildId ? 'guild' : 'global', count: body.length };
}
