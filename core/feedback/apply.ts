/**
 * Feedback: the emoji → signal table, and applying events to a user document idempotently.
 * Rules: adding a reaction records it; removing it undoes it; the latest reaction of a user on an
 * item wins; the same event (same idempotency key) delivered twice counts once.
 */
import type { Category, FeedbackEvent, FeedbackOrigin, FeedbackState, Signal } from '../domain.js';
import { LIMITS, pushCapped, type UserDoc } from '../users/doc.js';

/** Strips variation selectors and skin-tone modifiers so 👍🏽 and ❤ count like 👍 and ❤️. */
export function normalizeEmoji(emoji: string): string {
  return emoji.replace(/[\uFE0E\uFE0F]|\uD83C[\uDFFB-\uDFFF]/g, '').trim();
}

export class EmojiTable {
  private readonly map = new Map<string, Signal>();
  constructor(
    readonly like: readonly string[],
    readonly dislike: readonly string[],
  ) {
    for (const e of like) this.map.set(normalizeEmoji(e), 'like');
    for (const e of dislike) this.map.set(normalizeEmoji(e), 'dislike');
  }
  signalOf(emoji: string): Signal | undefined {
    return this.map.get(normalizeEmoji(emoji));
  }
  /** The emoji a bot adds to its own item messages (first like, first dislike). */
  get defaults(): { like: string; dislike: string } {
    return { like: this.like[0] ?? '👍', dislike: this.dislike[0] ?? '👎' };
  }
}

/** Per-item state with the set of active reaction emojis (removing one of two keeps the other). */
interface StateWithEmojis extends FeedbackState {
  emojis?: string[];
}

export type ApplyOutcome =
  | { kind: 'duplicate' }
  | { kind: 'ignored'; reason: 'unknown-emoji' | 'not-active' }
  | { kind: 'applied'; state?: FeedbackState; previous?: FeedbackState };

/**
 * Applies an event to the document (mutates it). `signalOf` maps an emoji to its signal for reaction removals.
 */
export function applyFeedback(doc: UserDoc, event: FeedbackEvent, table: EmojiTable): ApplyOutcome {
  if (doc.seenKeys.includes(event.idempotencyKey)) return { kind: 'duplicate' };
  const previous = doc.feedback[event.itemId] as StateWithEmojis | undefined;
  let next: StateWithEmojis | undefined;

  if (event.origin === 'reaction' && event.emoji) {
    const emoji = normalizeEmoji(event.emoji);
    const active = (previous?.origin === 'reaction' ? (previous.emojis ?? []) : previous ? [] : []).filter(
      (e) => e !== emoji,
    );
    if (event.signal === 'none') {
      if (!previous || !(previous.emojis ?? []).includes(emoji)) {
        doc.seenKeys.push(event.idempotencyKey);
        trim(doc);
        return { kind: 'ignored', reason: 'not-active' };
      }
      const last = active.at(-1);
      const lastSignal = last ? table.signalOf(last) : undefined;
      next =
        last && lastSignal ? { ...previous, signal: lastSignal, emoji: last, emojis: active, at: event.at } : undefined;
    } else {
      if (!table.signalOf(emoji) && event.signal !== 'like' && event.signal !== 'dislike') {
        return { kind: 'ignored', reason: 'unknown-emoji' };
      }
      active.push(emoji);
      next = { itemId: event.itemId, signal: event.signal, origin: 'reaction', emoji, emojis: active, at: event.at };
    }
  } else if (event.signal === 'none') {
    next = undefined;
  } else {
    next = {
      itemId: event.itemId,
      signal: event.signal,
      origin: event.origin,
      at: event.at,
      ...(event.emoji ? { emoji: event.emoji } : {}),
    };
  }

  if (next) doc.feedback[event.itemId] = next;
  else delete doc.feedback[event.itemId];
  doc.seenKeys.push(event.idempotencyKey);
  pushCapped(doc.history, event, LIMITS.history);
  trim(doc);
  const out: ApplyOutcome = { kind: 'applied' };
  if (next) out.state = next;
  if (previous) out.previous = previous;
  return out;
}

function trim(doc: UserDoc): void {
  if (doc.seenKeys.length > LIMITS.seenKeys) doc.seenKeys.splice(0, doc.seenKeys.length - LIMITS.seenKeys);
}

/** Category preferences in (-1, 1) recomputed from the feedback map (so undo is exact). */
export function categoryPreferences(
  feedback: Record<string, FeedbackState>,
  categoryOf: (itemId: string) => Category | undefined,
): Partial<Record<Category, number>> {
  const sums = new Map<Category, number>();
  for (const st of Object.values(feedback)) {
    const c = categoryOf(st.itemId);
    if (!c) continue;
    sums.set(c, (sums.get(c) ?? 0) + (st.signal === 'like' ? 1 : -1));
  }
  const out: Partial<Record<Category, number>> = {};
  for (const [c, s] of sums) if (s !== 0) out[c] = s / (Math.abs(s) + 2);
  return out;
}

export function likedIds(doc: UserDoc): string[] {
  return Object.values(doc.feedback)
    .filter((f) => f.signal === 'like')
    .sort((a, b) => a.at.localeCompare(b.at))
    .map((f) => f.itemId);
}

export function dislikedIds(doc: UserDoc): string[] {
  return Object.values(doc.feedback)
    .filter((f) => f.signal === 'dislike')
    .map((f) => f.itemId);
}

export type { FeedbackOrigin };
