/**
 * `/recommend [topic] [count] [category] [source]`: defers (scoring and the LLM can take longer than
 * Discord's 3-second acknowledgement window), sends one message per item (embed; the first one edits
 * the deferred reply, the rest are follow-ups), maps each message to its item in the core BEFORE the
 * bot adds its own 👍/👎, so a reaction always finds its item. LLM explanations that arrive after the
 * reply was sent are edited in (`onImproved`).
 *
 * Each item message carries a "More like this" button (`more:<itemId>`): pressing it answers, in the
 * channel and for the person who pressed it, with a list like `/recommend`'s built around that item.
 * In the channel rather than ephemeral because ephemeral messages cannot carry reactions, and the
 * 👍/👎 reactions are how everyone teaches the bot. The item must be one the message is mapped to.
 */
import {
  MessageFlags,
  Routes,
  SlashCommandBuilder,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Message,
} from 'discord.js';
import { CATEGORIES, type Category } from '../../../core/domain.js';
import { categoryName, parseCategory, t } from '../../../core/messages.js';
import type { RecommendRequest } from '../../../core/service.js';
import type { App } from '../../app.js';
import type { BotContext } from '../context.js';
import { MORE_PREFIX, itemMessage, moreTarget } from '../embeds.js';
import {
  API,
  PLATFORM,
  RECOMMEND_PERMISSIONS,
  apiCode,
  describeError,
  interactionActor,
  missingPermissionError,
  missingPermissions,
  needs,
  permissionNames,
  truncate,
} from '../util.js';
import type { Command } from './index.js';
import { desc } from './i18n.js';

/** Discord allows up to 25 choices/autocomplete results. */
const MAX_CHOICES = 25;
/** Upper bound on the count option; the core clamps it further to RECO_MAX_COUNT. */
export const MAX_COUNT_OPTION = 10;

const d = {
  cmd: desc('discord.cmd.recommend'),
  topic: desc('discord.opt.topic'),
  count: desc('discord.opt.count'),
  category: desc('discord.opt.category'),
  source: desc('discord.opt.source'),
};

const data = new SlashCommandBuilder()
  .setName('recommend')
  .setNameLocalizations({ ko: '추천' })
  .setDescription(d.cmd.en)
  .setDescriptionLocalizations(d.cmd.ko)
  .addStringOption((o) =>
    o
      .setName('topic')
      .setNameLocalizations({ ko: '주제' })
      .setDescription(d.topic.en)
      .setDescriptionLocalizations(d.topic.ko)
      .setMaxLength(200),
  )
  .addIntegerOption((o) =>
    o
      .setName('count')
      .setNameLocalizations({ ko: '개수' })
      .setDescription(d.count.en)
      .setDescriptionLocalizations(d.count.ko)
      .setMinValue(1)
      .setMaxValue(MAX_COUNT_OPTION),
  )
  .addStringOption((o) =>
    o
      .setName('category')
      .setNameLocalizations({ ko: '카테고리' })
      .setDescription(d.category.en)
      .setDescriptionLocalizations(d.category.ko)
      .addChoices(
        ...CATEGORIES.map((c) => ({
          name: categoryName(c, 'en'),
          name_localizations: { ko: categoryName(c, 'ko') },
          value: c,
        })),
      ),
  )
  .addStringOption((o) =>
    o
      .setName('source')
      .setNameLocalizations({ ko: '소스' })
      .setDescription(d.source.en)
      .setDescriptionLocalizations(d.source.ko)
      .setAutocomplete(true)
      .setMaxLength(100),
  );

function requestOf(interaction: ChatInputCommandInteraction): RecommendRequest {
  const req: RecommendRequest = {};
  const topic = interaction.options.getString('topic')?.trim();
  if (topic) req.topic = topic;
  const count = interaction.options.getInteger('count');
  if (count !== null) req.count = count;
  const cat = interaction.options.getString('category');
  const category: Category | undefined = cat
    ? (CATEGORIES as readonly string[]).includes(cat)
      ? (cat as Category)
      : parseCategory(cat)
    : undefined;
  if (category) req.category = category;
  const source = interaction.options.getString('source')?.trim();
  if (source) req.source = source;
  return req;
}

async function execute(interaction: ChatInputCommandInteraction, app: App, ctx: BotContext): Promise<void> {
  await sendList(interaction, app, ctx, requestOf(interaction), '/recommend');
}

/** "More like this": the item must be on the message the button sits on (the stored message → items mapping). */
async function more(interaction: ButtonInteraction, app: App, ctx: BotContext): Promise<void> {
  const ref = await app.reco.users.getMessageRef(PLATFORM, interaction.channelId, interaction.message.id);
  const itemId = ref ? moreTarget(interaction.customId, ref.itemIds) : undefined;
  if (!itemId) {
    const lang = await app.reco.langOf(interactionActor(interaction));
    ctx.log.warn(
      { customId: interaction.customId.slice(0, 100), message: interaction.message.id, user: interaction.user.id },
      'refused a "More like this" button whose item is not on that message',
    );
    await interaction.reply({ content: t(lang, 'react.notShown'), flags: MessageFlags.Ephemeral });
    return;
  }
  await sendList(interaction, app, ctx, { likeItemId: itemId }, 'More like this');
}

/** Sends a recommendation list as the answer to `interaction`, for the person who triggered it. */
async function sendList(
  interaction: ChatInputCommandInteraction | ButtonInteraction,
  app: App,
  ctx: BotContext,
  req: RecommendRequest,
  what: string,
): Promise<void> {
  const actor = interactionActor(interaction);
  const missing = missingPermissions(interaction, RECOMMEND_PERMISSIONS);
  if (missing.length > 0) {
    const lang = await app.reco.langOf(actor);
    ctx.log.warn(
      { channel: interaction.channelId, guild: interaction.guildId, missing },
      `${what} refused: the bot lacks ${missing.join(', ')} in this channel. Grant them to the bot role (or re-invite with the URL in docs/DISCORD.md).`,
    );
    await interaction.reply({
      content: t(lang, 'error.MISSING_PERMISSION', { permission: permissionNames(lang, missing) }),
      flags: MessageFlags.Ephemeral,
    });
    return;
  }
  await interaction.deferReply();
  const chatId = interaction.channelId;
  const sent: { messageId: string; itemId: string; position: number }[] = [];
  let improved: string[] | undefined;
  let sendingDone = false;
  const result = await app.reco.recommend(actor, req, {
    chatId,
    onImproved: (lines) => {
      improved = lines;
      if (sendingDone) void applyImproved();
    },
  });
  const lang = result.lang;
  if (result.empty !== undefined || result.items.length === 0) {
    await interaction.editReply({ content: result.empty ?? t(lang, 'reco.none') });
    return;
  }
  const { like, dislike } = app.reco.emojis.defaults;
  const header = `**${result.header}**\n${t(lang, 'reco.react', { like, dislike })}`;
  for (const [i, rec] of result.items.entries()) {
    const payload = itemMessage(rec, lang, improved?.[i] ?? rec.explanation, i === 0 ? header : undefined);
    const needed = payload.files.length > 0 ? (['EmbedLinks', 'AttachFiles'] as const) : (['EmbedLinks'] as const);
    const msg: Message = await needs(lang, needed, () =>
      i === 0 ? interaction.editReply(payload) : interaction.followUp(payload),
    );
    // Map the message to its item before anyone (the bot included) can react to it.
    await app.reco.attachMessages(result.impressionId, { platform: PLATFORM, chatId }, [
      { messageId: msg.id, itemIds: [rec.item.id] },
    ]);
    sent.push({ messageId: msg.id, itemId: rec.item.id, position: i });
  }
  sendingDone = true;
  if (improved) await applyImproved();

  let reactionsMissing = false;
  outer: for (const s of sent) {
    for (const emoji of [like, dislike]) {
      try {
        await ctx.client.rest.put(Routes.channelMessageOwnReaction(chatId, s.messageId, encodeURIComponent(emoji)));
      } catch (e) {
        const code = apiCode(e);
        if (code === API.MissingPermissions || code === API.MissingAccess) {
          reactionsMissing = true;
          break outer;
        }
        ctx.log.warn(
          { err: describeError(e), message: s.messageId },
          'could not add the bot reaction; people can still react themselves',
        );
      }
    }
  }
  if (reactionsMissing) {
    const err = missingPermissionError(lang, ['AddReactions', 'ReadMessageHistory']);
    ctx.log.warn(
      { channel: chatId, guild: interaction.guildId },
      `could not add 👍/👎 to the items: ${err.hint} (Add Reactions and Read Message History in this channel). Items were sent; people can still react themselves.`,
    );
    await interaction.followUp({ content: app.reco.userMessage(err, lang), flags: MessageFlags.Ephemeral });
  }

  async function applyImproved(): Promise<void> {
    const lines = improved;
    if (!lines) return;
    for (const s of sent) {
      const rec = result.items[s.position];
      const line = lines[s.position];
      if (!rec || !line || line === rec.explanation) continue;
      const payload = itemMessage(rec, lang, line, s.position === 0 ? header : undefined);
      try {
        // Keep existing attachments (the thumbnail) by not re-uploading: embeds only.
        await interaction.webhook.editMessage(s.position === 0 ? '@original' : s.messageId, { embeds: payload.embeds });
      } catch (e) {
        ctx.log.debug({ err: describeError(e) }, 'could not apply the improved explanation (kept the template)');
      }
    }
  }
}

async function autocomplete(interaction: import('discord.js').AutocompleteInteraction, app: App): Promise<void> {
  const focused = interaction.options.getFocused(true);
  if (focused.name !== 'source') {
    await interaction.respond([]);
    return;
  }
  const q = String(focused.value ?? '')
    .toLowerCase()
    .trim();
  const sources = app.catalog.size > 0 ? app.catalog.index.sources : [];
  const matches = sources.filter((s) => s.toLowerCase().includes(q));
  matches.sort(
    (a, b) => Number(!a.toLowerCase().startsWith(q)) - Number(!b.toLowerCase().startsWith(q)) || a.localeCompare(b),
  );
  await interaction.respond(
    matches.slice(0, MAX_CHOICES).map((s) => ({ name: truncate(s, 100), value: s.slice(0, 100) })),
  );
}

export const recommend: Command = { data, execute, autocomplete, buttons: { prefix: MORE_PREFIX, handle: more } };
