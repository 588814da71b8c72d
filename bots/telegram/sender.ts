/**
 * The digest sender for Telegram: sends one planned part and classifies failures for the exactly-once
 * state machine in core/digest.ts — 403 (blocked, kicked) or "chat not found" → `blocked` (unsubscribe);
 * any other answer from the Bot API (GrammyError) → `rejected` (definitely not sent, retried later);
 * anything else (network error, timeout) → `ambiguous` (may have arrived: never sent again).
 */
import { GrammyError, type Api } from 'grammy';
import { DeliveryError, type DigestPart, type DigestSchedule, type DigestSender } from '../../core/digest.js';
import type { ContentItem, Lang } from '../../core/domain.js';
import { feedbackKeyboard, sendItem, type TgDeps } from './shared.js';

export class TelegramDigestSender implements DigestSender {
  readonly platform = 'telegram' as const;
  /** Set on stop: no new part starts (a run resumes where it stopped on the next start). */
  stopping = false;

  constructor(
    private readonly api: Api,
    private readonly deps: TgDeps,
  ) {}

  async send(
    s: DigestSchedule,
    part: DigestPart,
    ctx: { item?: ContentItem; lang: Lang },
  ): Promise<{ messageId: string }> {
    if (this.stopping) throw new DeliveryError('rejected', 'the bot is stopping');
    try {
      if (part.kind === 'intro') {
        const msg = await this.api.sendMessage(s.chatId, part.text);
        return { messageId: String(msg.message_id) };
      }
      if (!ctx.item) throw new DeliveryError('rejected', `item ${part.itemId} is not in the catalog`);
      const opts = { position: part.position, ...(part.header ? { header: part.header } : {}) };
      const msg = await sendItem(
        this.api,
        s.chatId,
        ctx.item,
        part.explanation,
        ctx.lang,
        feedbackKeyboard(this.deps, s.chatId, ctx.item.id, ctx.lang),
        opts,
      );
      return { messageId: String(msg.message_id) };
    } catch (e) {
      if (e instanceof DeliveryError) throw e;
      if (e instanceof GrammyError) {
        const blocked =
          e.error_code === 403 || /chat not found|bot was kicked|user is deactivated/i.test(e.description);
        throw new DeliveryError(blocked ? 'blocked' : 'rejected', `${e.error_code} ${e.description}`, { cause: e });
      }
      throw new DeliveryError('ambiguous', (e as Error)?.message ?? String(e), { cause: e });
    }
  }
}
