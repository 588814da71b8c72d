/**
 * Reactions and buttons → feedback. One reaction costs three store round trips at most: the identity
 * with the message it is on (and what observers need), the user document, and one write of the
 * document (plus observers' writes and the shared per-item counters' increments, in the same batch). The feedback is durable before the result is returned — only
 * then may an adapter say it counted. The same idempotency key counts once.
 */
import type { CatalogService } from '../catalog/catalog.js';
import type {
  Category,
  ContentItem,
  FeedbackEvent,
  FeedbackOrigin,
  Lang,
  MessageRef,
  Platform,
  Signal,
} from '../domain.js';
import { t } from '../messages.js';
import type { Clock, Logger, StoreKey, StoreWrite } from '../ports.js';
import { PendingMessages } from '../recommend/delivery.js';
import { NS_MESSAGES } from '../store/namespaces.js';
import { messageKey, type Actor, type UserDoc } from '../users/doc.js';
import type { UserRepository, UserSession } from '../users/repository.js';
import { EmojiTable, applyFeedback, categoryPreferences, type ApplyOutcome } from './apply.js';
import type { BotStats } from './stats.js';

export type ReactStatus =
  | 'applied'
  | 'duplicate'
  | 'ignored'
  | 'unknown-message'
  | 'unknown-item'
  | 'unknown-emoji'
  | 'not-shown'
  /** The adapter's `admit` check said no (e.g. the reactor is a bot). */
  | 'refused';

export interface ReactResult {
  status: ReactStatus;
  lang: Lang;
  /** Localised confirmation or reason. */
  message: string;
  item?: ContentItem;
  signal?: Signal | 'none';
}

/** The chat a reaction happened in, as far as observers care. */
export interface ReactionChat {
  platform: Platform;
  chatId: string;
  kind: 'private' | 'group';
}

/**
 * A feature that rides on a reaction's round trips (the digest's group members): its keys are read with
 * the identity, and after an applied reaction it may change the user document and add writes to the same
 * commit. `applied` runs again on a fresh document when the commit is retried.
 */
export interface ReactionObserver {
  keys(chat: ReactionChat, actor: Actor): StoreKey[];
  applied(chat: ReactionChat, actor: Actor, values: readonly unknown[], doc: UserDoc, at: string): StoreWrite[];
}

/** Where a reaction is: a bot message, and which of its items (`itemId`, or `pickItem` from the message's items). */
export interface ReactionRef {
  platform: Platform;
  chatId: string;
  messageId: string;
  /** The item, when the message carries several (it must be one of them). */
  itemId?: string;
  /** Chooses the item among the message's items (signed button data); undefined = none of them. */
  pickItem?: (itemIds: readonly string[]) => string | undefined;
}

export interface ReactOptions {
  idempotencyKey: string;
  origin?: FeedbackOrigin;
  /**
   * Runs once the message is known to be one of ours, before anything is written (the Discord adapter
   * fetches a partial user here to skip bots). False: nothing is recorded, status `refused`.
   */
  admit?: () => Promise<boolean>;
  /** A button that toggles: pressing the active one again (same signal, from a button) undoes it. */
  toggle?: boolean;
  /** The chat, for observers (digest group membership). */
  chat?: ReactionChat;
}

export interface FeedbackServiceOptions {
  users: UserRepository;
  catalog: CatalogService;
  emojis: EmojiTable;
  stats: BotStats;
  /** Messages this process sent whose mapping is not stored yet (see ListDelivery). */
  pending: PendingMessages;
  clock: Clock;
  logger: Logger;
  observers?: readonly ReactionObserver[];
  /** Called after a feedback event was applied (the two-tower retrain counts new feedback from here). */
  onFeedback?: (userId: string) => void;
}

interface Ask {
  itemId: string;
  signal: Signal | 'none';
  origin: FeedbackOrigin;
  idempotencyKey: string;
  emoji?: string;
  toggle?: boolean;
  requireShown?: boolean;
}

export class FeedbackService {
  constructor(private readonly o: FeedbackServiceOptions) {}

  get emojis(): EmojiTable {
    return this.o.emojis;
  }

  /**
   * A reaction added to or removed from a bot message, by whoever reacted (or a button under it).
   * `itemId` picks the item when the message carries several (buttons); it must be one of them.
   */
  async react(
    actor: Actor,
    ref: ReactionRef,
    emoji: string,
    action: 'add' | 'remove',
    opts: ReactOptions,
  ): Promise<ReactResult> {
    const [one] = await this.reactAll(actor, ref, [{ emoji, action, idempotencyKey: opts.idempotencyKey }], opts);
    return one!;
  }

  /**
   * Several reaction changes of one person on one message at once (Telegram sends "old reactions → new
   * reactions": removals, then additions), in the same three round trips as one. Results in order.
   */
  async reactAll(
    actor: Actor,
    ref: ReactionRef,
    changes: readonly { emoji: string; action: 'add' | 'remove'; idempotencyKey: string }[],
    opts: Omit<ReactOptions, 'idempotencyKey'> = {},
  ): Promise<ReactResult[]> {
    return this.o.users.exclusive(actor, () => this.reactAllNow(actor, ref, changes, opts));
  }

  private async reactAllNow(
    actor: Actor,
    ref: ReactionRef,
    changes: readonly { emoji: string; action: 'add' | 'remove'; idempotencyKey: string }[],
    opts: Omit<ReactOptions, 'idempotencyKey'>,
  ): Promise<ReactResult[]> {
    const chat = opts.chat;
    const observed = chat ? (this.o.observers ?? []).map((ob) => ob.keys(chat, actor)) : [];
    const session = await this.o.users.open(actor, [
      { ns: NS_MESSAGES, key: messageKey(ref.platform, ref.chatId, ref.messageId) },
      // A list still being sent to this chat (by any process): read in the same round trip.
      PendingMessages.markerKey(ref.platform, ref.chatId),
      ...observed.flat(),
    ]);
    const lang = session.doc.user.lang;
    const all = (r: ReactResult) => changes.map(() => r);
    const mref =
      (session.extra[0] as MessageRef | undefined) ??
      // Not stored (yet): this process's list in flight, or a list still being sent by another process.
      (await this.o.pending.resolve(ref.platform, ref.chatId, ref.messageId, {
        byItem: ref.pickItem !== undefined || ref.itemId !== undefined,
        marker: session.extra[1],
      }));
    if (!mref) return all({ status: 'unknown-message', lang, message: t(lang, 'error.NOT_FOUND') });
    const itemId = ref.pickItem
      ? ref.pickItem(mref.itemIds)
      : (ref.itemId ?? (mref.itemIds.length === 1 ? mref.itemIds[0] : undefined));
    if (!itemId || !mref.itemIds.includes(itemId))
      return all({ status: 'not-shown', lang, message: t(lang, 'react.notShown') });
    if (opts.admit && !(await opts.admit())) return all({ status: 'refused', lang, message: '' });
    const asks: (Ask | ReactResult)[] = changes.map((c) => {
      const signal = this.o.emojis.signalOf(c.emoji);
      if (!signal) return { status: 'unknown-emoji', lang, message: this.unknownEmoji(lang) };
      return {
        itemId,
        signal: c.action === 'add' ? signal : 'none',
        origin: opts.origin ?? 'reaction',
        idempotencyKey: c.idempotencyKey,
        emoji: c.emoji,
        ...(opts.toggle ? { toggle: true } : {}),
      };
    });
    return this.applyAll(session, asks, (doc, s) => {
      if (!chat) return [];
      let offset = 2;
      const out: StoreWrite[] = [];
      const at = this.o.clock.now().toISOString();
      for (const [i, ob] of (this.o.observers ?? []).entries()) {
        const n = observed[i]!.length;
        out.push(...ob.applied(chat, actor, s.extra.slice(offset, offset + n), doc, at));
        offset += n;
      }
      return out;
    });
  }

  /** A reaction to item `position` (1-based) of the last list shown in this chat (console, text commands). */
  async reactToListItem(
    actor: Actor,
    chatId: string,
    position: number,
    emoji: string,
    action: 'add' | 'remove',
    idempotencyKey: string,
  ): Promise<ReactResult> {
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor);
      return this.applyListItem(session, actor, chatId, position, emoji, action, idempotencyKey);
    });
  }

  private async applyListItem(
    session: UserSession,
    actor: Actor,
    chatId: string,
    position: number,
    emoji: string,
    action: 'add' | 'remove',
    idempotencyKey: string,
  ): Promise<ReactResult> {
    const lang = session.doc.user.lang;
    const itemId = session.doc.lastLists[`${actor.platform}:${chatId}`]?.itemIds[position - 1];
    if (!itemId) return { status: 'unknown-item', lang, message: t(lang, 'react.unknownItem', { n: position }) };
    const signal = this.o.emojis.signalOf(emoji);
    if (!signal) return { status: 'unknown-emoji', lang, message: this.unknownEmoji(lang) };
    return this.apply(session, {
      itemId,
      signal: action === 'add' ? signal : 'none',
      origin: 'reaction',
      idempotencyKey,
      emoji,
    });
  }

  /** The item at `position` (1-based) of the last list shown to the actor in this chat. */
  async listItem(actor: Actor, chatId: string, position: number): Promise<string | undefined> {
    const session = await this.o.users.open(actor);
    return session.doc.lastLists[`${actor.platform}:${chatId}`]?.itemIds[position - 1];
  }

  /**
   * Records feedback on an item. Durable (written to the store) before it resolves — only then may
   * an adapter tell the user it counted. The same idempotency key counts once.
   */
  async feedback(
    actor: Actor,
    itemId: string,
    signal: Signal | 'none',
    origin: FeedbackOrigin,
    idempotencyKey: string,
    opts: { emoji?: string; requireShown?: boolean } = {},
  ): Promise<ReactResult> {
    return this.o.users.exclusive(actor, async () => {
      const session = await this.o.users.open(actor);
      return this.apply(session, {
        itemId,
        signal,
        origin,
        idempotencyKey,
        ...(opts.emoji ? { emoji: opts.emoji } : {}),
        ...(opts.requireShown ? { requireShown: true } : {}),
      });
    });
  }

  private async apply(
    session: UserSession,
    ask: Ask,
    extraWrites: (doc: UserDoc, s: UserSession) => StoreWrite[] = () => [],
  ): Promise<ReactResult> {
    const [one] = await this.applyAll(session, [ask], extraWrites);
    return one!;
  }

  /** Applies the asks in order in one commit (results given instead of asks pass through unchanged). */
  private async applyAll(
    session: UserSession,
    asks: readonly (Ask | ReactResult)[],
    extraWrites: (doc: UserDoc, s: UserSession) => StoreWrite[] = () => [],
  ): Promise<ReactResult[]> {
    const lang = session.doc.user.lang;
    const index = this.o.catalog.index;
    const itemOf = (id: string) => {
      const row = index.rowOf.get(id);
      return row === undefined ? undefined : index.items[row];
    };
    const early: (ReactResult | undefined)[] = asks.map((a) => {
      if ('status' in a) return a;
      const item = itemOf(a.itemId);
      if (!item) return { status: 'unknown-item', lang, message: t(lang, 'error.NOT_FOUND') };
      if (a.requireShown && !session.doc.shown[a.itemId])
        return { status: 'not-shown', lang, message: t(lang, 'react.notShown') };
      if (session.doc.seenKeys.includes(a.idempotencyKey))
        return { status: 'duplicate', lang, message: t(lang, 'react.duplicate'), item };
      return undefined;
    });
    if (early.every((r) => r !== undefined)) return early as ReactResult[];
    const committed = await this.o.users.commit(
      session,
      (d, s) => {
        const now = this.o.clock.now().toISOString();
        const outcomes = asks.map((a, i): ApplyOutcome | undefined => {
          if (early[i] || 'status' in a) return undefined;
          const current = d.feedback[a.itemId];
          const undo = a.toggle && current?.signal === a.signal && current.origin === 'button';
          const event: FeedbackEvent = {
            userId: d.user.id,
            itemId: a.itemId,
            signal: undo ? 'none' : a.signal,
            origin: a.origin,
            platform: s.actor?.platform ?? 'console',
            at: now,
            idempotencyKey: a.idempotencyKey,
            ...(a.emoji ? { emoji: a.emoji } : {}),
          };
          return applyFeedback(d, event, this.o.emojis);
        });
        const applied = outcomes.some((o) => o?.kind === 'applied');
        if (applied) d.persona.categories = categoryPreferences(d.feedback, (id) => this.categoryOf(id));
        // The shared per-item counters move in this same batch (atomic increments): once, with the event.
        const counters = outcomes.flatMap((o, i) =>
          o?.kind === 'applied' ? this.o.stats.changeWrites((asks[i] as Ask).itemId, o.previous, o.state) : [],
        );
        return { outcomes, writes: applied ? [...extraWrites(d, s), ...counters] : [] };
      },
      (r) => r.writes,
    );
    return asks.map((a, i) => {
      const pre = early[i];
      if (pre || 'status' in a) return pre ?? (a as ReactResult);
      const item = itemOf(a.itemId)!;
      const outcome = committed.outcomes[i]!;
      if (outcome.kind === 'duplicate') return { status: 'duplicate', lang, message: t(lang, 'react.duplicate'), item };
      if (outcome.kind === 'ignored')
        return {
          status: 'ignored',
          lang,
          message: t(lang, 'react.removed', { title: item.title }),
          item,
          signal: 'none',
        };
      try {
        this.o.onFeedback?.(session.userId);
      } catch (e) {
        this.o.logger.warn({ err: e }, 'a feedback hook failed; the feedback itself is saved');
      }
      this.o.stats.changed(a.itemId, outcome.previous, outcome.state);
      const now = outcome.state?.signal ?? 'none';
      const message =
        now === 'like'
          ? t(lang, 'react.liked', { title: item.title })
          : now === 'dislike'
            ? t(lang, 'react.disliked', { title: item.title })
            : t(lang, 'react.removed', { title: item.title });
      return { status: 'applied', lang, message, item, signal: now };
    });
  }

  private categoryOf(itemId: string): Category | undefined {
    const idx = this.o.catalog.index;
    const r = idx.rowOf.get(itemId);
    return r === undefined ? undefined : idx.items[r]!.category;
  }

  private unknownEmoji(lang: Lang): string {
    const e = this.o.emojis;
    return t(lang, 'react.unknownEmoji', { like: e.like.join(' '), dislike: e.dislike.join(' ') });
  }
}
