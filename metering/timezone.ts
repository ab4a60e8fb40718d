/**
 * Local calendar days as UTC instants, for any IANA zone, with DST handled by asking Intl for
 * the zone's offset at the instant itself (a local midnight can be 23 or 25 hours from the next).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function offsetMs(tz: string, instant: number): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(instant)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The UTC instant (ms) at which `date` (YYYY-MM-DD) begins in `tz`. */
export function startOfLocalDay(date: string, tz: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  // Two passes converge even when the offset differs on either side of a transition.
  let guess = wall - offsetMs(tz, wall);
  guess = wall - offsetMs(tz, guess);
  // Where clocks jump forward at midnight (America/Santiago, America/Havana), 00:00 does not
  // exist and the guess lands on 23:00 of the day before: the day begins where the gap ends.
  // Offsets move in quarter hours, so the first quarter hour of the date is its first instant.
  while (localDate(guess, tz) < date) guess += 15 * 60_000;
  return guess;
}

export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Whole days from `start` to `end` (0 for the same date). */
export const daysBetween = (start: string, end: string): number => Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000);

/** Every date from start to end inclusive. */
export function datesBetween(start: string, end: string): string[] {
  const out: string[] = [];
  for (let d = start; d <= end; d = addDays(d, 1)) out.push(d);
  return out;
}

/** The local date (YYYY-MM-DD) of an instant in `tz`. */
export function localDate(instant: number, tz: string): string {
  return new Date(instant + offsetMs(tz, instant)).toISOString().slice(0, 10);
}
