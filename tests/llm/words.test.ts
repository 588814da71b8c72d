/** Normalisation, tokenising and number readings shared by the grounding checker and the persona-term check. */
import { describe, expect, it } from 'vitest';
import { evidenceNumbers, koreanReadings, numberPhrases, spellEnglish } from '../../core/llm/numbers.js';
import {
  englishForms,
  firstInvisible,
  lookAlikeWord,
  normalizeText,
  tokenMatches,
  tokenize,
  wordsOf,
} from '../../core/llm/words.js';
import { evidence } from './support.js';

describe('normalisation', () => {
  it('GIVEN case, compatibility forms, invisible characters and curly apostrophes THEN one plain form comes out', () => {
    expect(normalizeText('ＺＥＬＤＡ  Fan’s\u200B  pick')).toBe("zelda fan's pick");
    expect(normalizeText('𝐍𝐢𝐧𝐭𝐞𝐧𝐝𝐨')).toBe('nintendo');
    expect(normalizeText('IT/기술')).toBe('it 기술');
    expect(firstInvisible('ok')).toBe(-1);
    for (const ch of ['\u200B', '\u200D', '\u2060', '\uFEFF', '\u202E', '\u2066', '\u00AD', '\u3164', '\uFE0F'])
      expect(firstInvisible(`a${ch}b`), ch.codePointAt(0)!.toString(16)).toBe(1);
  });

  it('GIVEN a word mixing Latin with Cyrillic or Greek letters THEN it is a look-alike; Latin with Hangul is not', () => {
    expect(lookAlikeWord('Sаmsung fans')).toBe('Sаmsung');
    expect(lookAlikeWord('Nοkia')).toBe('Nοkia');
    expect(lookAlikeWord('PC방 HYBE가 zelda')).toBeUndefined();
    expect(lookAlikeWord('Сталкер review')).toBeUndefined();
  });

  it('GIVEN Korean and English words THEN endings and plurals are matched only from the closed lists', () => {
    const particles = new Set(['', '를', '이에요', '도']);
    expect(tokenMatches('축구를', '축구', particles)).toBe(true);
    expect(tokenMatches('축구이에요', '축구', particles)).toBe(true);
    expect(tokenMatches('축구했어요', '축구', particles)).toBe(false);
    expect(tokenMatches('handhelds', 'handheld', particles)).toBe(true);
    expect(tokenMatches("zelda's", 'zelda', particles)).toBe(true);
    expect(tokenMatches('news', 'new', particles)).toBe(false);
    expect(tokenMatches('좋아하시는', '좋아하시는$', particles)).toBe(true);
    expect(tokenMatches('좋아하시는', '좋아하$', new Set(['시는']))).toBe(false);
    expect(englishForms('stories')).toContain('story');
  });

  it('GIVEN a sentence THEN digits split from Hangul, punctuation and symbols are their own tokens', () => {
    expect(tokenize(normalizeText('3시간 전, $5!')).map((t) => [t.text, t.punct ?? false, t.symbol ?? false])).toEqual([
      ['3', false, false],
      ['시간', false, false],
      ['전', false, false],
      [',', true, false],
      ['$', false, true],
      ['5', false, false],
      ['!', true, false],
    ]);
    expect(wordsOf("[리뷰] 갤럭시 S25: it's here")).toEqual(['리뷰', '갤럭시', 's25', "it's", 'here']);
  });
});

describe('numbers from the evidence', () => {
  it('GIVEN an age THEN the numbers per unit are its rounded, floored and ceiled values', () => {
    const n = evidenceNumbers([evidence({ itemId: 'a', title: 't', ageHours: 30 })]);
    expect([...n.byUnit.hour]).toEqual([30]);
    expect([...n.byUnit.day].sort()).toEqual([1, 2]);
    expect(n.byUnit.minute.has(1800)).toBe(true);
  });

  it('GIVEN numbers THEN English words and Korean readings are generated from them', () => {
    expect(spellEnglish(21)).toBe('twenty-one');
    expect(spellEnglish(105)).toBe('one hundred and five');
    expect(spellEnglish(2_000_000)).toBeUndefined();
    expect(koreanReadings(3)).toEqual(expect.arrayContaining(['세', '셋', '사흘']));
    expect(koreanReadings(20)).toEqual(expect.arrayContaining(['스무', '스물', '이십']));
    expect(koreanReadings(2)).not.toContain('이');
    expect(numberPhrases(new Set([1]), 'en')).toEqual(expect.arrayContaining([['one'], ['a'], ['an']]));
  });
});
