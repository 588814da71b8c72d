/**
 * Onboarding: `/start` in a private chat is a person's first contact — someone the bot knows nothing about gets
 * the interest picker (an inline keyboard of toggles, ✅ on the chosen ones, then Done or Skip); anyone else the
 * help. `/interests` opens the picker at any time. Done seeds the persona and the bandit prior and sends the
 * first list. The buttons are signed and bound to the person they were made for (`callback_query.from`).
 */
import { Composer, InlineKeyboard, type Context } from 'grammy';
import { t } from '../../../core/messages.js';
import type { PickerView } from '../../../core/onboarding/service.js';
import { TelegramListSender } from '../sender.js';
import { actorOf, chatOf, langOf, type TgDeps } from '../shared.js';

/** Options two per row (three for short labels), then Done and Skip. */
export function pickerKeyboard(deps: TgDeps, chatId: string, userId: string, view: PickerView): InlineKeyboard {
  const kb = new InlineKeyboard();
  const perRow = view.options.every((o) => Array.from(o.label).length <= 10) ? 3 : 2;
  view.options.forEach((o, i) => {
    kb.text(`${o.selected ? '✅ ' : ''}${o.label}`, deps.signer.picker(chatId, 't', o.n, userId));
    if ((i + 1) % perRow === 0) kb.row();
  });
  if (view.options.length % perRow !== 0) kb.row();
  return kb
    .text(`✔️ ${t(view.lang, 'onboard.done')}`, deps.signer.picker(chatId, 'd', 0, userId))
    .text(t(view.lang, 'onboard.skip'), deps.signer.picker(chatId, 's', 0, userId));
}

export function onboardingComposer(deps: TgDeps): Composer<Context> {
  const c = new Composer<Context>();
  const onboarding = deps.core.onboarding;
  const intro = (view: PickerView) =>
    `${t(view.lang, 'onboard.intro', { max: view.maxPicks })}\n${t(view.lang, 'onboard.hintTelegram')}`;

  c.command('start', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const first = chat.kind === 'private' ? await onboarding.firstContact(actor) : undefined;
    if (first?.status !== 'offer') {
      const lang = first?.lang ?? (await langOf(deps, ctx));
      await ctx.reply(`${t(lang, 'tg.help')}\n${t(lang, 'help.sources')}`);
      return;
    }
    await ctx.reply(intro(first.view), {
      reply_markup: pickerKeyboard(deps, chat.chatId, actor.externalId, first.view),
    });
  });

  c.command('interests', async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    if (!actor || !chat) return;
    const view = await onboarding.open(actor);
    await ctx.reply(intro(view), {
      reply_markup: pickerKeyboard(deps, chat.chatId, actor.externalId, view),
      ...(chat.kind === 'group' && ctx.msg
        ? { reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true } }
        : {}),
    });
  });

  c.callbackQuery(/^ob:/, async (ctx) => {
    const actor = actorOf(ctx);
    const chat = chatOf(ctx);
    const lang = await langOf(deps, ctx);
    const parsed = chat ? deps.signer.parsePicker(ctx.callbackQuery.data, chat.chatId) : undefined;
    if (!actor || !chat || !parsed) {
      await ctx.answerCallbackQuery({ text: t(lang, 'tg.badButton'), show_alert: true });
      return;
    }
    if (parsed.userId !== actor.externalId) {
      await ctx.answerCallbackQuery({ text: t(lang, 'tg.notYourButton'), show_alert: true });
      return;
    }
    if (parsed.action === 't') {
      const r = await onboarding.toggle(actor, parsed.n);
      if (r.status !== 'ok') {
        await ctx.answerCallbackQuery({ text: r.message, show_alert: true });
        return;
      }
      await ctx.answerCallbackQuery();
      await ctx.editMessageReplyMarkup({ reply_markup: pickerKeyboard(deps, chat.chatId, actor.externalId, r.view) });
      return;
    }
    if (parsed.action === 's') {
      const r = await onboarding.skip(actor);
      await ctx.answerCallbackQuery();
      await ctx.editMessageText(r.message).catch(() => ctx.reply(r.message));
      return;
    }
    const r = await onboarding.choose(actor);
    if (r.status !== 'done') {
      await ctx.answerCallbackQuery({ text: r.message, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await ctx.editMessageText(r.message).catch(() => ctx.reply(r.message));
    // The first list, seeded by the picks.
    await deps.core.recommend.deliver(
      actor,
      {},
      { platform: 'telegram', chatId: chat.chatId },
      new TelegramListSender(ctx.api, deps),
    );
  });
  return c;
}
