/**
 * Conversation: DMs and messages that mention the bot update the sender's persona (core `message`),
 * and the bot answers briefly. A mention of the bot's managed role (`<@&role>`, the role Discord creates
 * for a bot when it joins a server, which people often pick from the mention list) counts as a mention.
 * Discord delivers the text of DMs and of messages that mention the bot user even without the privileged
 * Message Content intent (not of role mentions); when it arrives empty, the bot says how to reach it.
 * Mentions of the bot (user and role forms) are stripped before the text teaches the persona.
 */
import { PermissionFlagsBits, type Message } from 'discord.js';
import { t } from '../../../core/messages.js';
import type { BotContext } from '../context.js';
import { pickerMessage } from '../commands/interests.js';
import { actorOf, apiCode, API, describeError } from '../util.js';
import type { Listener } from './listener.js';

export const messageCreate: Listener = {
  event: 'messageCreate',
  async run(ctx: BotContext, message: Message) {
    const me = ctx.client.user;
    if (!me || message.author.bot || message.author.id === me.id || message.system || message.webhookId) return;
    const isDM = !message.inGuild();
    const botRole = message.inGuild() ? message.guild.roles.botRoleFor(me.id) : null;
    const roleMentioned = botRole !== null && message.mentions.roles.has(botRole.id);
    const mentioned = message.mentions.users.has(me.id) || roleMentioned;
    if (!isDM && !mentioned) return;
    if (message.inGuild()) {
      const perms = message.channel.permissionsFor(me);
      if (perms && !perms.has([PermissionFlagsBits.SendMessages, PermissionFlagsBits.ReadMessageHistory])) {
        ctx.log.warn(
          { channel: message.channelId, guild: message.guildId },
          'mentioned in a channel where the bot lacks Send Messages / Read Message History: the message is learned from but not answered. Grant them to the bot role.',
        );
      }
    }
    const actor = actorOf(message.author);
    const own = botRole ? `<@!?${me.id}>|<@&${botRole.id}>` : `<@!?${me.id}>`;
    const text = message.content.replace(new RegExp(own, 'g'), ' ').trim();
    let reply: string;
    let firstContact = false;
    if (!message.content) {
      const lang = await ctx.core.identity.langOf(actor);
      reply = t(
        lang,
        roleMentioned && !message.mentions.users.has(me.id) ? 'discord.roleMention' : 'discord.noContent',
      );
      if (ctx.contentIntent !== 'on')
        ctx.log.debug({}, 'a message reached the bot without content (Message Content intent off)');
    } else {
      const r = await ctx.core.conversation.message(actor, text);
      reply = r.reply;
      firstContact = r.firstContact;
    }
    let replied = false;
    try {
      await message.reply({ content: reply, allowedMentions: { parse: [], repliedUser: false } });
      replied = true;
    } catch (e) {
      const code = apiCode(e);
      if (code === API.MissingPermissions || code === API.MissingAccess) {
        ctx.log.warn(
          { channel: message.channelId, guild: message.guildId },
          'could not answer a mention: the bot lacks Send Messages / Read Message History in this channel. Grant them to the bot role.',
        );
      } else ctx.log.warn({ err: describeError(e) }, 'could not answer a message');
    }
    // A first DM from someone the bot did not know is their first contact: the interest picker follows.
    if (isDM && firstContact && message.channel.isSendable()) {
      try {
        const view = await ctx.core.onboarding.open(actor);
        await message.channel.send(pickerMessage(view, message.author.id));
      } catch (e) {
        ctx.log.warn({ err: describeError(e) }, 'could not send the interest picker');
      }
    }
    ctx.events.emit('message', { userId: message.author.id, channelId: message.channelId, replied });
  },
};
