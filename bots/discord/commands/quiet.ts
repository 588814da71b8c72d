/**
 * `/quiet [hours] [timezone] [for]`: quiet hours — yours (default, wherever you use it: they follow you to
 * your DMs and linked accounts), or with `for: this channel` the channel's (members who can manage the server
 * only). Digests and other messages the bot sends on its own wait for their end. The answer is ephemeral.
 */
import { MessageFlags, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { App } from '../../../app/compose.js';
import { quietCommand } from '../../../core/digest/quiet.js';
import type { DigestChat } from '../../../core/digest/types.js';
import type { BotContext } from '../context.js';
import { interactionActor, PLATFORM } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';

const d = {
  cmd: desc('discord.cmd.quiet'),
  hours: desc('discord.opt.hours'),
  tz: desc('discord.opt.timezone'),
  scope: desc('discord.opt.quietScope'),
};

const data = new SlashCommandBuilder()
  .setName('quiet')
  .setNameLocalizations({ ko: '방해금지' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko)
  .addStringOption((o) =>
    o
      .setName('hours')
      .setNameLocalizations({ ko: '시간' })
      .setDescription(d.hours.en)
      .setDescriptionLocalizations(d.hours.ko)
      .setMaxLength(40),
  )
  .addStringOption((o) =>
    o
      .setName('timezone')
      .setNameLocalizations({ ko: '시간대' })
      .setDescription(d.tz.en)
      .setDescriptionLocalizations(d.tz.ko)
      .setMaxLength(64),
  )
  .addStringOption((o) =>
    o
      .setName('for')
      .setNameLocalizations({ ko: '대상' })
      .setDescription(d.scope.en)
      .setDescriptionLocalizations(d.scope.ko)
      .addChoices(
        { name: 'me', name_localizations: { ko: '나' }, value: 'me' },
        { name: 'this channel', name_localizations: { ko: '이 채널' }, value: 'channel' },
      ),
  );

async function execute(interaction: ChatInputCommandInteraction, app: App, _ctx: BotContext): Promise<void> {
  const actor = interactionActor(interaction);
  const lang = await app.core.identity.langOf(actor);
  const chat: DigestChat =
    interaction.inGuild() && interaction.options.getString('for') === 'channel'
      ? { platform: PLATFORM, chatId: interaction.channelId, kind: 'group' }
      : { platform: PLATFORM, chatId: interaction.user.id, kind: 'private' };
  const args = [interaction.options.getString('hours') ?? '', interaction.options.getString('timezone') ?? '']
    .join(' ')
    .trim();
  const canChange = async () => interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
  const content = await quietCommand(app.core.quiet, chat, actor, args, lang, canChange);
  await interaction.reply({ content, flags: MessageFlags.Ephemeral });
}

export const quiet: Command = { data, execute };
