/**
 * Numbers an explanation may state: the item's age (hours, days, minutes, weeks, months, rounded
 * either way) — written in digits or in words. Words are generated FROM the evidence numbers
 * (English by `spellEnglish`, Korean native and Sino-Korean readings by es-hangul), so any other
 * number word ("ten million", "천만", "세") is simply a word the checker cannot account for.
 */
import { days as koDays, numberToHangul, susa } from 'es-hangul';
import type { Evidence } from '../domain.js';
import { UNITS, type Unit } from './vocabulary.js';

const HOURS_PER: Record<Unit, number> = { minute: 1 / 60, hour: 1, day: 24, week: 24 * 7, month: 24 * 30 };

/** The numbers a set of evidence lets a sentence state: per unit, and any of them without a unit. */
export interface EvidenceNumbers {
  any: Set<number>;
  byUnit: Record<Unit, Set<number>>;
}

/** The item ages (rounded, floored or ceiled in each unit) of a list of evidence. */
export function evidenceNumbers(list: readonly Evidence[]): EvidenceNumbers {
  const byUnit = Object.fromEntries(UNITS.map((u) => [u, new Set<number>()])) as Record<Unit, Set<number>>;
  const any = new Set<number>();
  for (const e of list) {
    const h = Math.max(0, e.ageHours);
    for (const u of UNITS) {
      for (const f of [Math.round, Math.floor, Math.ceil]) {
        const n = f(h / HOURS_PER[u]);
        if (!Number.isFinite(n)) continue;
        byUnit[u].add(n);
        any.add(n);
      }
    }
  }
  return { any, byUnit };
}

const ONES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** English words for 0 ≤ n < 1 000 000 ("twenty-one", "one hundred and five"); undefined above. */
export function spellEnglish(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n >= 1_000_000) return undefined;
  if (n < 20) return ONES[n];
  if (n < 100) return TENS[Math.floor(n / 10)]! + (n % 10 ? `-${ONES[n % 10]}` : '');
  if (n < 1000) {
    const rest = n % 100;
    return `${ONES[Math.floor(n / 100)]} hundred${rest ? ` and ${spellEnglish(rest)}` : ''}`;
  }
  const rest = n % 1000;
  return `${spellEnglish(Math.floor(n / 1000))} thousand${rest ? ` ${spellEnglish(rest)}` : ''}`;
}

/** Korean readings of n: native (한/하나, 세/셋, 스무/스물), day counts (하루, 이틀), Sino-Korean from 10. */
export function koreanReadings(n: number): string[] {
  const out = new Set<string>();
  const attempt = (f: () => string): void => {
    try {
      const s = f();
      if (s) out.add(s);
    } catch {
      // es-hangul throws for numbers it has no reading for (e.g. native numerals above 99).
    }
  };
  if (n >= 1 && n <= 99) {
    attempt(() => susa(n, true));
    attempt(() => susa(n, false));
  }
  if (n >= 1 && n <= 30) attempt(() => koDays(n));
  // Sino-Korean readings of small numbers ("일", "이", "삼") are ordinary words; only from 10 on.
  if (n >= 10) attempt(() => numberToHangul(n));
  return [...out];
}

/** Number words (as token lists) for each allowed number, in one language. */
export function numberPhrases(numbers: ReadonlySet<number>, lang: 'en' | 'ko'): string[][] {
  const out: string[][] = [];
  for (const n of numbers) {
    if (lang === 'en') {
      const w = spellEnglish(n);
      if (w) {
        out.push(w.split(' '));
        if (w.includes(' and ')) out.push(w.replace(' and ', ' ').split(' '));
      }
      if (n === 1) out.push(['a'], ['an']);
      if (n === 100) out.push(['a', 'hundred']);
    } else {
      for (const r of koreanReadings(n)) out.push([r]);
    }
  }
  return out;
}
