/**
 * Digests at scale: how a slot that many chats share is spread over a window, and when the compact layout
 * is used. Every chat keeps a stable place in its slot's window (a hash of its key), so the same person
 * gets their digest at about the same minute every day; a small audience goes out at the slot itself.
 *
 * The spread is only as wide as the slot needs: `audience × messages per digest / rate`, capped at the
 * window. With `layout: 'auto'`, the compact layout (one message per digest) is chosen when the card layout
 * (an intro and one message per item) would not fit the window at the rate.
 */
import { createHash } from 'node:crypto';
import type { Layout } from '../filters/settings.js';

export interface SpreadPolicy {
  /** The longest a digest may go out after its slot (DIGEST_WINDOW_MINUTES). 0: everyone at the slot. */
  windowMinutes: number;
  /** `auto` (compact for large audiences), or always one layout (DIGEST_LAYOUT). */
  layout: 'auto' | Layout;
  /** Digest messages per second the platform allows next to interactive traffic. */
  ratePerSecond: number;
  /** Items per digest. */
  size: number;
}

export interface SlotPlan {
  layout: Layout;
  /** Minutes over which the slot's chats are spread (0 … windowMinutes). */
  spreadMinutes: number;
}

/** Messages one digest takes in a layout (compact: one list message; cards: the intro and one per item). */
export function messagesPerDigest(layout: Layout, size: number): number {
  return layout === 'compact' ? 1 : 1 + size;
}

/** The layout and spread for a slot with `audience` chats. */
export function planSlot(audience: number, p: SpreadPolicy): SlotPlan {
  const minutesFor = (layout: Layout) =>
    (audience * messagesPerDigest(layout, p.size)) / Math.max(0.01, p.ratePerSecond) / 60;
  let layout: Layout = p.layout === 'auto' ? 'cards' : p.layout;
  if (p.layout === 'auto' && minutesFor('cards') > p.windowMinutes) layout = 'compact';
  const spreadMinutes = Math.min(p.windowMinutes, Math.floor(minutesFor(layout)));
  return { layout, spreadMinutes };
}

/** A chat's stable place in [0, 1): the first 32 bits of SHA-1 of its key. */
export function chatFraction(chatKey: string): number {
  return createHash('sha1').update(chatKey).digest().readUInt32BE(0) / 2 ** 32;
}

/** Whole minutes after the slot at which a chat's digest goes out (0 … spreadMinutes). */
export function chatOffsetMinutes(chatKey: string, spreadMinutes: number): number {
  return spreadMinutes <= 0 ? 0 : Math.floor(chatFraction(chatKey) * (spreadMinutes + 1));
}
