/** Local dates and slots in IANA time zones, for the digest schedule. */

const formatters = new Map<string, Intl.DateTimeFormat>();

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The local date (YYYY-MM-DD) and minutes since local midnight of `now` in `tz`. */
export function localParts(now: Date, tz: string): { date: string; minutes: number } {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(tz, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(now)) p[part.type] = part.value;
  return { date: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute) };
}

export function parseTime(s: string): number | undefined {
  const m = /^([01]?\d|2[0-3])[:.]([0-5]\d)$/.exec(s.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

export function formatTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The instant at which the local wall-clock time `minutes` after midnight of `date` happens in `tz`. */
export function zonedInstant(date: string, minutes: number, tz: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wanted = Date.UTC(y, m - 1, d, Math.floor(minutes / 60), minutes % 60);
  let t = wanted;
  // Two corrections settle the zone offset (also across a DST change between the guess and the answer).
  for (let i = 0; i < 2; i++) {
    const p = localParts(new Date(t), tz);
    const [py, pm, pd] = p.date.split('-').map(Number) as [number, number, number];
    t += wanted - Date.UTC(py, pm - 1, pd, Math.floor(p.minutes / 60), p.minutes % 60);
  }
  return new Date(t);
}

export type PartOfDay = 'morning' | 'afternoon' | 'evening' | 'night';

/** Morning 05:00–11:59, afternoon 12:00–17:59, evening 18:00–21:59, night 22:00–04:59 (local minutes). */
export function partOfDay(minutes: number): PartOfDay {
  if (minutes >= 5 * 60 && minutes < 12 * 60) return 'morning';
  if (minutes >= 12 * 60 && minutes < 18 * 60) return 'afternoon';
  if (minutes >= 18 * 60 && minutes < 22 * 60) return 'evening';
  return 'night';
}
