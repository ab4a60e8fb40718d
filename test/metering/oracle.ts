/**
 * An independent recomputation of GET /dashboard/usage from the raw events, for the property
 * test. It shares no code with metering/: decimals are BigInt nanounits, local days come from
 * Intl alone, and the gauge is integrated over an explicit step function.
 */
export interface OracleEvent {
  accountId: string;
  id: string;
  appId?: string;
  meter: string;
  nano: bigint;
  ms: number;
}
export interface Row {
  date: string;
  meter: string;
  value: number;
  average?: number;
}

const NANO = 1_000_000_000n;
const METERS = ['ai_tokens', 'bandwidth_bytes', 'lambda_invocations', 'storage_bytes'];
const QUARTER_S = 900;

/** The decimal text of a nanounit amount, parsed once: the double closest to the exact value. */
export const nanoNumber = (n: bigint): number => Number(`${n / NANO}.${(n % NANO).toString().padStart(9, '0')}`);

/** Exact nanounits of a decimal literal with at most 9 decimals. */
export function toNanoExact(text: string): bigint {
  const [int, frac = ''] = text.split('.');
  return BigInt(int!) * NANO + BigInt(frac.padEnd(9, '0'));
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();
export function localDateOf(ms: number, tz: string): string {
  let f = dayFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

/**
 * Each local date's first instant (seconds), found by walking quarter hours: every zone's
 * offset is a multiple of 15 minutes, so a local date always begins on a UTC quarter hour.
 */
export function dayStarts(tz: string, fromSec: number, toSec: number): Map<string, number> {
  const starts = new Map<string, number>();
  let t = Math.floor(fromSec / QUARTER_S) * QUARTER_S;
  let prev = localDateOf(t * 1000, tz);
  for (t += QUARTER_S; t <= toSec; t += QUARTER_S) {
    const d = localDateOf(t * 1000, tz);
    if (d !== prev && !starts.has(d)) starts.set(d, t);
    prev = d;
  }
  return starts;
}

/** First occurrence of each (account, id) in send order. */
export function firstOccurrences<E extends { accountId: string; id: string }>(sent: readonly E[]): E[] {
  const seen = new Set<string>();
  return sent.filter((e) => {
    const k = `${e.accountId}\u0000${e.id}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The account level as a step function: (instant, level after every reading of that instant). */
function levelSteps(readings: readonly OracleEvent[]): { t: number; level: bigint }[] {
  const sorted = [...readings].map((r) => ({ ...r, s: Math.floor(r.ms / 1000) })).sort((a, b) => a.s - b.s || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const series = new Map<string, bigint>();
  const steps: { t: number; level: bigint }[] = [];
  for (const r of sorted) {
    series.set(r.appId ?? '', r.nano);
    const level = [...series.values()].reduce((a, b) => a + b, 0n);
    if (steps.length > 0 && steps[steps.length - 1]!.t === r.s) steps[steps.length - 1]!.level = level;
    else steps.push({ t: r.s, level });
  }
  return steps;
}

/** Peak: the highest level that held at some moment of the day (or was set in it); average: time-weighted over the known, elapsed part, floored to 1e-9. */
function gaugeDay(steps: readonly { t: number; level: bigint }[], start: number, end: number, now: number): { value: number; average: number } {
  const until = Math.min(end, now);
  let peak = 0n;
  let integral = 0n;
  let covered = 0;
  let lastAtOrBefore: bigint | undefined;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    const next = steps[i + 1]?.t ?? Infinity;
    if (s.t < end && next > start) {
      const from = Math.max(s.t, start);
      const to = Math.min(next, until);
      if (to > from) {
        integral += s.level * BigInt(to - from);
        covered += to - from;
      }
      // Set inside the day, or carried in and still holding after the day began.
      if ((s.t >= start || (next > start && until > start)) && s.level > peak) peak = s.level;
    }
    if (s.t <= until && s.t < end) lastAtOrBefore = s.level;
  }
  const average = covered > 0 ? integral / BigInt(covered) : lastAtOrBefore !== undefined && start < until ? lastAtOrBefore : 0n;
  return { value: nanoNumber(peak), average: nanoNumber(average) };
}

/** The expected `usage` array for one account, dates [startDate, endDate] in `tz`, optionally one app. */
export function expectedUsage(events: readonly OracleEvent[], tz: string, dates: readonly string[], nowSec: number, appId?: string): Row[] {
  const mine = events.filter((e) => appId === undefined || e.appId === appId);
  const counters = new Map<string, bigint>();
  for (const e of mine) {
    if (e.meter === 'storage_bytes') continue;
    const k = `${localDateOf(Math.floor(e.ms / 1000) * 1000, tz)}|${e.meter}`;
    counters.set(k, (counters.get(k) ?? 0n) + e.nano);
  }
  const steps = levelSteps(mine.filter((e) => e.meter === 'storage_bytes'));
  const first = Date.parse(`${dates[0]}T00:00:00Z`) / 1000;
  const starts = dayStarts(tz, first - 2 * 86_400, first + (dates.length + 2) * 86_400);
  return dates.flatMap((date, i) =>
    METERS.map((meter): Row => {
      if (meter !== 'storage_bytes') return { date, meter, value: nanoNumber(counters.get(`${date}|${meter}`) ?? 0n) };
      const next = i + 1 < dates.length ? dates[i + 1]! : new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      return { date, meter, ...gaugeDay(steps, starts.get(date)!, starts.get(next)!, nowSec) };
    }),
  );
}
