/**
 * What onboarding keeps in the user document (`ext.onboarding`): when the picker was offered, the options it
 * showed (so a toggle names an option by its number even after the catalog's topics moved on), the toggles so
 * far, and the interests finally picked — the categories are the elicitation bandit's prior, the topics become
 * interest terms of the persona.
 */
import type { Category } from '../domain.js';
import type { UserDoc } from '../users/doc.js';

export const ONBOARDING_EXT = 'onboarding';

/** One interest in the picker: a catalog category or a current topic (a frequent recent term). */
export interface PickerOption {
  kind: 'category' | 'topic';
  /** The category id, or the topic term. */
  value: string;
}

export interface OnboardingState {
  /** When the picker was first offered (first contact). */
  offeredAt?: string;
  /** The options of the picker last shown, in order (option number = index + 1). */
  options?: PickerOption[];
  /** Indexes into `options` toggled on so far (Telegram's multi-select). */
  selected?: number[];
  /** Categories picked (the bandit's prior). */
  categories?: Category[];
  /** Topics picked (added to the persona as interests). */
  topics?: string[];
  /** When the person finished (picked or skipped). */
  doneAt?: string;
}

export function onboardingOf(doc: Pick<UserDoc, 'ext'>): OnboardingState {
  const v = doc.ext[ONBOARDING_EXT];
  return v && typeof v === 'object' ? (v as OnboardingState) : {};
}
