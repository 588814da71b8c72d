import { describe, expect, it } from 'vitest';
import type { FeedbackEvent } from '../../core/domain.js';
import { EmojiTable, applyFeedback, categoryPreferences, normalizeEmoji } from '../../core/feedback/apply.js';
import { newUserDoc, type UserDoc } from '../../core/users/doc.js';

const table = new EmojiTable(['👍', '❤️', '🔥', '😍', '⭐'], ['👎', '😡', '💩', '🙄']);

function doc(): UserDoc {
  return newUserDoc({ id: 'u1', createdAt: '', lang: 'en', identities: [], explore: 1 }, '');
}

let seq = 0;
function ev(itemId: string, emoji: string, action: 'add' | 'remove', key = `k${++seq}`): FeedbackEvent {
  const signal = action === 'remove' ? 'none' : table.signalOf(emoji)!;
  return {
    userId: 'u1',
    itemId,
    signal,
    origin: 'reaction',
    emoji,
    platform: 'discord',
    at: new Date(2026, 0, 1, 0, seq).toISOString(),
    idempotencyKey: key,
  };
}

describe('emoji table', () => {
  it('GIVEN variation selectors and skin tones THEN they map like the base emoji', () => {
    expect(table.signalOf('❤')).toBe('like');
    expect(table.signalOf('👍🏽')).toBe('like');
    expect(table.signalOf('💩')).toBe('dislike');
    expect(table.signalOf('😀')).toBeUndefined();
    expect(normalizeEmoji('⭐\uFE0F')).toBe('⭐');
  });
});

describe('applyFeedback', () => {
  it('GIVEN the same event twice THEN it counts once', () => {
    const d = doc();
    const e = ev('a', '👍', 'add', 'same');
    expect(applyFeedback(d, e, table).kind).toBe('applied');
    expect(applyFeedback(d, { ...e }, table).kind).toBe('duplicate');
    expect(d.history).toHaveLength(1);
    expect(d.feedback.a?.signal).toBe('like');
  });

  it('GIVEN a removal THEN the reaction is undone', () => {
    const d = doc();
    applyFeedback(d, ev('a', '👍', 'add'), table);
    expect(applyFeedback(d, ev('a', '👍', 'remove'), table).kind).toBe('applied');
    expect(d.feedback.a).toBeUndefined();
  });

  it('GIVEN a like then a dislike THEN the latest wins; removing the latest restores the earlier', () => {
    const d = doc();
    applyFeedback(d, ev('a', '❤️', 'add'), table);
    applyFeedback(d, ev('a', '💩', 'add'), table);
    expect(d.feedback.a?.signal).toBe('dislike');
    applyFeedback(d, ev('a', '💩', 'remove'), table);
    expect(d.feedback.a?.signal).toBe('like');
    applyFeedback(d, ev('a', '❤', 'remove'), table);
    expect(d.feedback.a).toBeUndefined();
  });

  it('GIVEN removal of a reaction that is not active THEN nothing changes', () => {
    const d = doc();
    applyFeedback(d, ev('a', '👍', 'add'), table);
    const out = applyFeedback(d, ev('a', '👎', 'remove'), table);
    expect(out).toEqual({ kind: 'ignored', reason: 'not-active' });
    expect(d.feedback.a?.signal).toBe('like');
  });

  it('GIVEN a button press after a reaction THEN the button decides; "none" clears', () => {
    const d = doc();
    applyFeedback(d, ev('a', '👍', 'add'), table);
    applyFeedback(
      d,
      {
        userId: 'u1',
        itemId: 'a',
        signal: 'dislike',
        origin: 'button',
        platform: 'telegram',
        at: '2026-01-02T00:00:00Z',
        idempotencyKey: 'b1',
      },
      table,
    );
    expect(d.feedback.a).toMatchObject({ signal: 'dislike', origin: 'button' });
    applyFeedback(
      d,
      {
        userId: 'u1',
        itemId: 'a',
        signal: 'none',
        origin: 'button',
        platform: 'telegram',
        at: '2026-01-02T00:01:00Z',
        idempotencyKey: 'b2',
      },
      table,
    );
    expect(d.feedback.a).toBeUndefined();
  });

  it('GIVEN thousands of events THEN the idempotency window and history stay bounded', () => {
    const d = doc();
    for (let i = 0; i < 6000; i++) applyFeedback(d, ev(`i${i % 50}`, i % 2 ? '👍' : '👎', 'add'), table);
    expect(d.seenKeys.length).toBeLessThanOrEqual(2000);
    expect(d.history.length).toBeLessThanOrEqual(5000);
  });

  it('GIVEN likes and dislikes THEN category preferences follow them, and undo is exact', () => {
    const d = doc();
    applyFeedback(d, ev('s1', '👍', 'add'), table);
    applyFeedback(d, ev('s2', '👍', 'add'), table);
    applyFeedback(d, ev('f1', '👎', 'add'), table);
    const cat = (id: string) => (id.startsWith('s') ? 'sports' : 'food') as 'sports' | 'food';
    const prefs = categoryPreferences(d.feedback, cat);
    expect(prefs.sports).toBeGreaterThan(0);
    expect(prefs.food).toBeLessThan(0);
    applyFeedback(d, ev('f1', '👎', 'remove'), table);
    expect(categoryPreferences(d.feedback, cat).food).toBeUndefined();
  });
});
