/**
 * Free text teaches the persona: terms, dislikes, the message vector and the reply language. Two store
 * round trips to read (identity, document) and one write.
 */
import type { CatalogService } from '../catalog/catalog.js';
import type { Lang } from '../domain.js';
import { t } from '../messages.js';
import { notedOf } from '../llm/persona-view.js';
import { updatePersona } from '../persona.js';
import type { Clock, Logger } from '../ports.js';
import { guessLang, sanitizeText } from '../text.js';
import type { Actor } from '../users/doc.js';
import type { UserRepository } from '../users/repository.js';

export interface ConversationOptions {
  users: UserRepository;
  catalog: CatalogService;
  maxMessageChars: number;
  clock: Clock;
  logger: Logger;
  /** Called after a message updated a persona (the LLM persona extraction schedules itself from here). */
  onMessage?: (userId: string) => void;
}

export interface MessageResult {
  lang: Lang;
  reply: string;
  terms: string[];
  dislikes: string[];
  /** The person was new: this message created them. */
  firstContact: boolean;
}

export class ConversationService {
  constructor(private readonly o: ConversationOptions) {}

  /**
   * A free-text message: updates the sender's persona. Returns a short acknowledgement, and `firstContact` when
   * this message is the first the bot ever got from the person (adapters offer the interest picker then).
   */
  async message(actor: Actor, raw: string): Promise<MessageResult> {
    return this.o.users.exclusive(actor, () => this.messageNow(actor, raw));
  }

  private async messageNow(actor: Actor, raw: string): Promise<MessageResult> {
    const text = sanitizeText(raw, this.o.maxMessageChars);
    const session = await this.o.users.open(actor);
    const firstContact = session.isNew;
    if (!text) {
      if (session.isNew) await this.o.users.commit(session, () => undefined);
      const lang = session.doc.user.lang;
      return { lang, reply: t(lang, 'message.noted'), terms: [], dislikes: [], firstContact };
    }
    const encoder = this.o.catalog.textEncoder;
    const vec = await encoder.encode([text]).catch((e) => {
      this.o.logger.warn({ err: e, code: 'ENCODER_FAILED' }, 'encoding a message failed; persona terms still updated');
      return undefined;
    });
    const now = this.o.clock.now().toISOString();
    const { analysis, lang, noted } = await this.o.users.commit(session, (d) => {
      const analysis = updatePersona(d.persona, text, vec, encoder.id, now);
      const guessed = guessLang(text);
      if (guessed && Array.from(text).length >= 4) d.user.lang = guessed;
      // The reply names only terms the persona now holds (never one the user removed).
      return { analysis, lang: d.user.lang, noted: notedOf(analysis, d.persona) };
    });
    try {
      this.o.onMessage?.(session.userId);
    } catch (e) {
      this.o.logger.warn({ err: e }, 'a message hook failed; the persona update itself is saved');
    }
    const parts: string[] = [];
    if (noted.likes.length > 0) parts.push(t(lang, 'message.notedTerms', { list: noted.likes.slice(0, 5).join(', ') }));
    if (noted.dislikes.length > 0) {
      parts.push(t(lang, 'message.notedDislikes', { list: noted.dislikes.slice(0, 5).join(', ') }));
    }
    const reply = parts.length > 0 ? parts.join(' ') : t(lang, 'message.noted');
    return { lang, reply, terms: analysis.terms, dislikes: analysis.dislikes, firstContact };
  }
}
