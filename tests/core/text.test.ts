import { describe, expect, it } from 'vitest';
import { guessLang, sanitizeText, stripParticle, terms } from '../../core/text.js';

describe('text', () => {
  it('GIVEN a megabyte of text THEN it is capped cheaply', () => {
    const huge = 'a'.repeat(5_000_000);
    expect(sanitizeText(huge, 4000)).toHaveLength(4000);
  });
  it('GIVEN control, zero-width and bidi characters THEN they are removed', () => {
    expect(sanitizeText('he\u0000llo\u202E wor\u200Bld\n\n', 100)).toBe('he llo wor ld');
  });
  it('GIVEN decomposed Hangul THEN it is NFC-normalised', () => {
    expect(sanitizeText('\u1100\u1161', 10)).toBe('가');
  });
  it('GIVEN emoji and surrogate pairs at the cap THEN no half characters remain', () => {
    expect(sanitizeText('😀😀😀', 2)).toBe('😀😀');
  });
  it('GIVEN Korean words with particles THEN particles are stripped', () => {
    expect(stripParticle('축구는')).toBe('축구');
    expect(stripParticle('라면을')).toBe('라면');
    expect(terms('나는 축구를 좋아하고 football matches')).toEqual(
      expect.arrayContaining(['축구', 'football', 'matches']),
    );
  });
  it('GIVEN mixed text THEN the language guess follows the letters', () => {
    expect(guessLang('오늘 축구 경기 봤어')).toBe('ko');
    expect(guessLang('watched the game today')).toBe('en');
    expect(guessLang('12345 !!!')).toBeUndefined();
  });
});
