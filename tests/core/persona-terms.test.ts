import { describe, expect, it } from 'vitest';
import { describePersona } from '../../core/conversation/persona-view.js';
import { LexicalEncoder } from '../../core/lexical.js';
import { MAX_TERM_CHARS, analyzeMessage, updatePersona } from '../../core/persona.js';
import { newUserDoc } from '../../core/users/doc.js';

const enc = new LexicalEncoder();
const NOW = '2026-11-26T00:00:00Z';

describe('persona terms are capped', () => {
  it('GIVEN a 4,000-character word (alone, liked or disliked) THEN it is no term', () => {
    const word = 'q'.repeat(4000);
    for (const text of [word, `I love ${word}`, `I hate ${word}`, `${word} 좋아`]) {
      const a = analyzeMessage(text);
      for (const t of [...a.terms, ...a.likes, ...a.dislikes])
        expect(Array.from(t).length).toBeLessThanOrEqual(MAX_TERM_CHARS);
    }
    expect(analyzeMessage(`I love jazz ${word}`).likes).toContain('jazz');
  });

  it('GIVEN a persona that holds an over-long term from an older version THEN /persona hides it and the next message drops it', () => {
    const doc = newUserDoc({ id: 'u1', createdAt: NOW, lang: 'en', identities: [], explore: 1 }, NOW);
    const long = 'z'.repeat(4000);
    doc.persona.interests.push({ term: long, weight: 5, source: 'message', updatedAt: NOW });
    doc.persona.interests.push({ term: 'jazz', weight: 1, source: 'message', updatedAt: NOW });
    const shown = describePersona(doc);
    expect(shown).toContain('jazz');
    expect(shown).not.toContain(long.slice(0, 41));
    expect(shown.length).toBeLessThan(1000);
    updatePersona(doc.persona, 'more jazz please', enc.encodeSync(['more jazz please']), enc.id, NOW);
    expect(doc.persona.interests.map((i) => i.term)).not.toContain(long);
  });
});
