/**
 * `/recommend [topic] [count] [category] [source]`: defers (scoring and the LLM can take longer than
 * Discord's 3-second acknowledgement window), then runs the core's list-delivery flow through a
 * `ListSender` for this interaction: one message per item (embed; the first one edits the deferred reply,
 * the rest are follow-ups); the core maps every message to its item in one write BEFORE the bot adds its
 * own 👍/👎 (`afterRecorded`), so a reaction always finds its item. LLM explanations that arrive after
 * the reply was sent are edited in (`editItem`).
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
  type MessageComponentInteraction,
} from 'discord.js';
import { CATEGORIES, type Category } from '../../../core/domain.js';
import { categoryName, parseCategory, t } from '../../../core/messages.js';
import type { ListSender } from '../../../core/recommend/delivery.js';
import type { RecommendRequest } from '../../../core/recommend/ranker.js';
import type { RecommendResult } from '../../../core/recommend/service.js';
import { userMessage } from '../../../core/status/status.js';
import type { App } from '../../../app/compose.js';
import type { BotContext } from '../context.js';
import { discordLane, sendItemPayload } from '../delivery.js';
import { COMPACT_PER_MESSAGE, MORE_PREFIX, compactMessage, itemMessage, likeButton, moreTarget } from '../embeds.js';
import { botInChannel, presenceOf } from '../install.js';
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
import type { Command } from './command.js';
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
  if (!(await permitted(interaction, app, ctx, '/recommend'))) return;
  await interaction.deferReply();
  await app.core.recommend.deliver(
    interactionActor(interaction),
    requestOf(interaction),
    { platform: PLATFORM, chatId: interaction.channelId },
    listSender(interaction, ctx),
  );
}

/** "More like this": the item must be on the message the button sits on (the stored message → items mapping). */
async function more(interaction: ButtonInteraction, app: App, ctx: BotContext): Promise<void> {
  const found = await app.core.recommend.openMore(
    interactionActor(interaction),
    { platform: PLATFORM, chatId: interaction.channelId, messageId: interaction.message.id },
    (ids) => moreTarget(interaction.customId, ids),
  );
  if (found.status !== 'ok') {
    ctx.log.warn(
      { customId: interaction.customId.slice(0, 100), message: interaction.message.id, user: interaction.user.id },
      'refused a "More like this" button whose item is not on that message',
    );
    await interaction.reply({ content: found.message, flags: MessageFlags.Ephemeral });
    return;
  }
  if (!(await permitted(interaction, app, ctx, 'More like this'))) return;
  await interaction.deferReply();
  await found.deliver({ platform: PLATFORM, chatId: interaction.channelId }, listSender(interaction, ctx));
}

/**
 * Refuses (ephemeral, in the user's language) where the bot lacks what a list needs in this channel. Only in
 * a server where the bot is a member: in its DM it needs nothing, and in a user install (no bot here) the
 * list goes through the interaction alone, which needs no channel permission (install.ts).
 */
export async function permitted(
  interaction: ChatInputCommandInteraction | ButtonInteraction,
  app: App,
  ctx: BotContext,
  what: string,
): Promise<boolean> {
  if (presenceOf(interaction) !== 'guild') return true;
  const missing = missingPermissions(interaction, RECOMMEND_PERMISSIONS);
  if (missing.length === 0) return true;
  const lang = await app.core.identity.langOf(interactionActor(interaction));
  ctx.log.warn(
    { channel: interaction.channelId, guild: interaction.guildId, missing },
    `${what} refused: the bot lacks ${missing.join(', ')} in this channel. Grant them to the bot role (or re-invite with the URL in docs/DISCORD.md).`,
  );
  await interaction.reply({
    content: t(lang, 'error.MISSING_PERMISSION', { permission: permissionNames(lang, missing) }),
    flags: MessageFlags.Ephemeral,
  });
  return false;
}

/**
 * The list sender of one (deferred) interaction: the first item edits the deferred reply (with the
 * header), the others are follow-ups; the bot's own 👍/👎 come after the core stored the mapping. In a user
 * install (the bot is not in the conversation: no reaction events, no reactions of its own) every item
 * carries a 👍 button beside its 👎 instead.
 * `followUpsOnly`: every item is a follow-up (an interaction already answered by updating its message,
 * such as the interest picker's select menu).
 */
export function listSender(
  interaction: ChatInputCommandInteraction | MessageComponentInteraction,
  ctx: BotContext,
  opts: { followUpsOnly?: boolean } = {},
): ListSender {
  const { like, dislike } = ctx.core.emojis.defaults;
  const reactions = botInChannel(interaction);
  const header = (list: { header: string; lang: RecommendResult['lang'] }) =>
    `**${list.header}**\n${t(list.lang, reactions ? 'reco.react' : 'reco.pressButtons', { like, dislike })}`;
  const render = (view: Parameters<typeof itemMessage>[0], lang: RecommendResult['lang'], withHeader?: string) => {
    const payload = itemMessage(view, lang, view.explanation, withHeader);
    // Without reactions 👍 joins the item's buttons, first (👎 "less like this" is among them already).
    const row = payload.components[0];
    if (!reactions && row) row.setComponents(likeButton(view.item.id, lang, like), ...row.components);
    return payload;
  };
  const compactHeader = (list: { header: string }) => `**${list.header}**`;
  let first: string | undefined;
  return {
    async sendItem(target, view, list) {
      const isFirst = first === undefined;
      const payload = render(view, list.lang, isFirst ? header(list) : undefined);
      const needed = payload.files.length > 0 ? (['EmbedLinks', 'AttachFiles'] as const) : (['EmbedLinks'] as const);
      // Through the outbox, reusing an uploaded thumbnail's CDN URL (delivery.ts).
      const { msg, writes } = await needs(list.lang, needed, () =>
        sendItemPayload(
          {
            outbox: ctx.outbox,
            media: ctx.app.media,
            lane: discordLane(target, list),
            now: () => ctx.app.core.clock.now().getTime(),
          },
          payload,
          (p): Promise<Message> =>
            isFirst && !opts.followUpsOnly ? interaction.editReply(p) : interaction.followUp(p),
        ),
      );
      if (isFirst) first = msg.id;
      return { messageIds: [msg.id], writes };
    },
    finish(target, list) {
      ctx.outbox.finish(discordLane(target, list));
    },
    async sendCompact(target, list) {
      // Five items per message at most (Discord allows five rows of buttons); the first edits the deferred reply.
      // Through the outbox like cards: the lane's size is the messages the compact list makes.
      const out: { messageIds: string[] }[] = [];
      const lane = discordLane(target, list);
      for (let i = 0; i < list.items.length; i += COMPACT_PER_MESSAGE) {
        const views = list.items.slice(i, i + COMPACT_PER_MESSAGE);
        const isFirst = first === undefined;
        const payload = compactMessage(views, list.lang, { like, dislike }, isFirst ? compactHeader(list) : undefined);
        const msg: Message = await needs(list.lang, ['EmbedLinks'], () =>
          ctx.outbox.send(lane, () => (isFirst ? interaction.editReply(payload) : interaction.followUp(payload))),
        );
        if (isFirst) first = msg.id;
        for (const _ of views) out.push({ messageIds: [msg.id] });
      }
      return out;
    },
    async editCompact(_target, sent, list) {
      for (let i = 0; i < list.items.length; i += COMPACT_PER_MESSAGE) {
        const views = list.items.slice(i, i + COMPACT_PER_MESSAGE);
        const id = sent[i]?.messageIds[0];
        if (!id) continue;
        const payload = compactMessage(views, list.lang, { like, dislike });
        await interaction.webhook.editMessage(id === first ? '@original' : id, { embeds: payload.embeds });
      }
    },
    async afterRecorded(target, sent, list) {
      if (!reactions) return; // a user install: the buttons do it
      // A compact message carries several items: a 👍 on it could not say which (keycaps 1️⃣–5️⃣ and buttons can).
      if (list.layout === 'compact') return;
      let reactionsMissing = false;
      outer: for (const s of sent) {
        for (const emoji of [like, dislike]) {
          try {
            await ctx.client.rest.put(
              Routes.channelMessageOwnReaction(target.chatId, s.messageIds[0]!, encodeURIComponent(emoji)),
            );
          } catch (e) {
            const code = apiCode(e);
            if (code === API.MissingPermissions || code === API.MissingAccess) {
              reactionsMissing = true;
              break outer;
            }
            ctx.log.warn(
              { err: describeError(e), message: s.messageIds[0] },
              'could not add the bot reaction; people can still react themselves',
            );
          }
        }
      }
      if (reactionsMissing) {
        const err = missingPermissionError(list.lang, ['AddReactions', 'ReadMessageHistory']);
        ctx.log.warn(
          { channel: target.chatId, guild: interaction.guildId },
          `could not add 👍/👎 to the items: ${err.hint} (Add Reactions and Read Message History in this channel). Items were sent; people can still react themselves.`,
        );
        await interaction.followUp({ content: userMessage(err, list.lang), flags: MessageFlags.Ephemeral });
      }
    },
    async editItem(_target, sent, view, list) {
      const isFirst = sent.messageIds[0] === first;
      const payload = render(view, list.lang, isFirst ? header(list) : undefined);
      // Keep existing attachments (the thumbnail) by not re-uploading: embeds only.
      const id = isFirst && !opts.followUpsOnly ? '@original' : sent.messageIds[0]!;
      await interaction.webhook.editMessage(id, { embeds: payload.embeds });
    },
    async sendEmpty(_target, text) {
      if (opts.followUpsOnly) await interaction.followUp({ content: text });
      else await interaction.editReply({ content: text });
    },
  };
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
