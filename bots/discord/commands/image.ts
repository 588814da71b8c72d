/**
 * `/image picture:<attachment> [caption]`: search by picture. The attachment (Discord's CDN URL, size and content
 * type from the interaction's resolved data) is read through the guarded client with the thumbnail limits
 * (app/user-images.ts), encoded by the image model, and the look-alike items go out like `/recommend`'s list.
 */
import { MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { t } from '../../../core/messages.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { PLATFORM, interactionActor } from '../util.js';
import type { Command } from './command.js';
import { desc } from './i18n.js';
import { listSender, permitted } from './recommend.js';

const d = { cmd: desc('discord.cmd.image'), image: desc('discord.opt.image'), caption: desc('discord.opt.caption') };

const data = new SlashCommandBuilder()
  .setName('image')
  .setNameLocalizations({ ko: '사진검색' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko)
  .addAttachmentOption((o) =>
    o
      .setName('picture')
      .setNameLocalizations({ ko: '사진' })
      .setDescription(d.image.en)
      .setDescriptionLocalizations(d.image.ko)
      .setRequired(true),
  )
  .addStringOption((o) =>
    o
      .setName('caption')
      .setNameLocalizations({ ko: '설명' })
      .setDescription(d.caption.en)
      .setDescriptionLocalizations(d.caption.ko)
      .setMaxLength(200),
  );

async function execute(interaction: ChatInputCommandInteraction, app: App, ctx: BotContext): Promise<void> {
  const actor = interactionActor(interaction);
  const ephemeral = async (content: string) => {
    await interaction.reply({ content, flags: MessageFlags.Ephemeral });
  };
  if (!app.core.images.available) return ephemeral(t(await app.core.identity.langOf(actor), 'image.noEncoder'));
  const picture = interaction.options.getAttachment('picture', true);
  if (picture.contentType && !picture.contentType.startsWith('image/'))
    return ephemeral(app.userImages.problemMessage(await app.core.identity.langOf(actor), 'invalid'));
  if (picture.size > app.userImages.maxBytes)
    return ephemeral(app.userImages.problemMessage(await app.core.identity.langOf(actor), 'tooLarge'));
  if (!(await permitted(interaction, app, ctx, '/image'))) return;
  // Downloading, decoding and encoding can take longer than Discord's 3-second acknowledgement window.
  await interaction.deferReply();
  const bytes = await app.userImages.fromDiscord(picture.url, picture.size);
  if (!bytes.ok) {
    await interaction.editReply(app.userImages.problemMessage(await app.core.identity.langOf(actor), bytes.error));
    return;
  }
  const caption = interaction.options.getString('caption')?.trim();
  const res = await app.core.images.search(
    actor,
    bytes.value,
    caption ? { caption } : {},
    { platform: PLATFORM, chatId: interaction.channelId },
    listSender(interaction, ctx),
  );
  if (res.status !== 'sent') await interaction.editReply(res.message);
}

export const image: Command = { data, execute };
