import { describe, expect, it } from 'vitest';
import { DISCORD_CONTENT_LIMIT, TELEGRAM_TEXT_LIMIT, clipMessage, splitMessage } from '../../core/split.js';

const squash = (s: string) => s.replace(/\s+/g, '');

describe('splitMessage (the one reply splitter)', () => {
  it('GIVEN a short text THEN it is one part, unchanged', () => {
    expect(splitMessage('Hello there', TELEGRAM_TEXT_LIMIT)).toEqual(['Hello there']);
    expect(splitMessage('   ', TELEGRAM_TEXT_LIMIT)).toEqual([]);
  });

  it('GIVEN paragraphs THEN cuts fall between paragraphs and nothing is lost', () => {
    const paras = Array.from({ length: 40 }, (_, i) => `Part ${i}. ${'word '.repeat(30).trim()}`);
    const text = paras.join('\n\n');
    const parts = splitMessage(text, 500);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(500);
      expect(p).toMatch(/^Part \d+\./);
    }
    expect(squash(parts.join(''))).toBe(squash(text));
  });

  it('GIVEN one 10,000-character word THEN it is cut inside the word within the limit', () => {
    const word = 'abcdefghij'.repeat(1000);
    const parts = splitMessage(word, TELEGRAM_TEXT_LIMIT);
    expect(parts).toHaveLength(3);
    expect(parts.every((p) => p.length <= TELEGRAM_TEXT_LIMIT)).toBe(true);
    expect(parts.join('')).toBe(word);
  });

  it('GIVEN emoji and Hangul at a cut THEN no surrogate pair or combining sequence is broken', () => {
    const text = '가'.repeat(1999) + '👍🏽' + '나'.repeat(2000);
    const parts = splitMessage(text, DISCORD_CONTENT_LIMIT);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(DISCORD_CONTENT_LIMIT);
      expect(p).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
    expect(parts.join('')).toBe(text);
  });

  it('GIVEN lines without blank lines THEN it cuts at a line break before a space', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i} with some words`).join('\n');
    const parts = splitMessage(text, 300);
    for (const p of parts) expect(p).toMatch(/^line \d+ with some words/);
  });

  it('GIVEN clipMessage THEN the text ends with an ellipsis within the limit', () => {
    const clipped = clipMessage('x'.repeat(5000), TELEGRAM_TEXT_LIMIT);
    expect(clipped.length).toBe(TELEGRAM_TEXT_LIMIT);
    expect(clipped.endsWith('…')).toBe(true);
    expect(clipMessage('short', 10)).toBe('short');
  });
});
