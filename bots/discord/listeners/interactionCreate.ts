/**
 * Routes slash commands, autocomplete, buttons and select menus to the command files; each behind the interaction error
 * boundary. Every component or modal interaction is acknowledged: one this bot does not know (a button from
 * an older version, a removed feature) gets an ephemeral "this button is no longer valid" instead of
 * Discord's "This interaction failed".
 */
import { MessageFlags, type Interaction } from 'discord.js';
import { itemActionButtons } from '../buttons/item-actions.js';
import { COMMANDS } from '../commands/index.js';
import type { BotContext } from '../context.js';
import { describeError, handleInteractionError, interactionActor } from '../util.js';
import type { Listener } from './listener.js';
import { t } from '../../../core/messages.js';

const byName = new Map(COMMANDS.map((c) => [c.data.name, c]));
/** Button handlers by custom-id prefix: the commands' own, and the item actions under every list item. */
const buttonHandlers = new Map([
  ...COMMANDS.flatMap((c) => (c.buttons ? [[c.buttons.prefix, c.buttons.handle] as const] : [])),
  [itemActionButtons.prefix, itemActionButtons.handle] as const,
]);

export const interactionCreate: Listener = {
  event: 'interactionCreate',
  async run(ctx: BotContext, interaction: Interaction) {
    const { app } = ctx;
    if (interaction.isChatInputCommand()) {
      const cmd = byName.get(interaction.commandName);
      const report = { name: interaction.commandName, userId: interaction.user.id };
      try {
        if (!cmd) {
          const lang = await ctx.core.identity.langOf(interactionActor(interaction));
          await interaction.reply({
            content: t(lang, 'cmd.unknown', { command: `/${interaction.commandName}` }),
            flags: 64,
          });
          ctx.log.warn(
            { command: interaction.commandName },
            'an unknown slash command was used: a stale registration; restart the bot to re-register commands',
          );
        } else await cmd.execute(interaction, app, ctx);
        ctx.events.emit('command', { ...report, ok: true });
      } catch (e) {
        const error = await handleInteractionError(ctx, interaction, e, `/${interaction.commandName}`);
        ctx.events.emit('command', { ...report, ok: false, error });
      }
      return;
    }
    if (interaction.isAutocomplete()) {
      const cmd = byName.get(interaction.commandName);
      try {
        if (cmd?.autocomplete) await cmd.autocomplete(interaction, app, ctx);
        else await interaction.respond([]);
      } catch (e) {
        ctx.log.warn(
          { err: describeError(e), command: interaction.commandName },
          'autocomplete failed (the user sees no suggestions)',
        );
        if (!interaction.responded) await interaction.respond([]).catch(() => undefined);
      }
      return;
    }
    if (interaction.isStringSelectMenu()) {
      const prefix = interaction.customId.split(':')[0];
      const cmd = COMMANDS.find((c) => c.selects?.prefix === prefix);
      const report = { name: `select:${prefix}`, userId: interaction.user.id };
      try {
        if (cmd?.selects) await cmd.selects.handle(interaction, app, ctx);
        else ctx.log.debug({ customId: interaction.customId }, 'a select menu this bot does not know: ignored');
        ctx.events.emit('command', { ...report, ok: true });
      } catch (e) {
        const error = await handleInteractionError(ctx, interaction, e, `select ${prefix}`);
        ctx.events.emit('command', { ...report, ok: false, error });
      }
      return;
    }
    if (interaction.isButton() || interaction.isAnySelectMenu() || interaction.isModalSubmit()) {
      const prefix = interaction.customId.split(':')[0] ?? '';
      const handler = interaction.isButton() ? buttonHandlers.get(prefix) : undefined;
      const report = { name: `button:${prefix}`, userId: interaction.user.id };
      try {
        if (handler && interaction.isButton()) await handler(interaction, app, ctx);
        else {
          ctx.log.debug(
            { customId: interaction.customId.slice(0, 100), type: interaction.type },
            'a component this bot does not know: answered as no longer valid',
          );
          const lang = await ctx.core.identity.langOf(interactionActor(interaction));
          await interaction.reply({ content: t(lang, 'button.expired'), flags: MessageFlags.Ephemeral });
        }
        ctx.events.emit('command', { ...report, ok: true });
      } catch (e) {
        const error = await handleInteractionError(ctx, interaction, e, `button ${prefix}`);
        ctx.events.emit('command', { ...report, ok: false, error });
      }
    }
  },
};
