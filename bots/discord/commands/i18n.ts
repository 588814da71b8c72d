/** Korean localisations for command names/descriptions (Discord locale `ko`). */
import { t, type MessageKey } from '../../../core/messages.js';

export function desc(key: MessageKey): { en: string; ko: { ko: string } } {
  return { en: t('en', key).slice(0, 100), ko: { ko: t('ko', key).slice(0, 100) } };
}
