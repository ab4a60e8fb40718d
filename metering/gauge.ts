import { fromNano } from './decimal';

export interface Reading {
  series: string;
  ts: number;
  value: bigint;
}
/**
 * A stretch [ts, end) summarised from the rollup, in which only `series` changes: its first
 * reading is at `ts`, `peak` is the highest level it set, `last` the level it ends with and
 * `integral` its level x seconds from `ts` to `end`. The other series hold their levels meanwhile,
 * so the account's peak in it is theirs plus `peak` and its integral theirs x duration plus `integral`.
 */
export interface Segment {
  series: string;
  ts: number;
  end: number;
  peak: bigint;
  last: bigint;
  integral: bigint;
}
export type GaugeInput = Reading | Segment;
export interface GaugeDay {
  peak: number;
  average: number;
}

const isSegment = (i: GaugeInput): i is Segment => 'end' in i;

/**
 * Peak and time-weighted average of a gauge per day. The account's level at any moment is the
 * sum over its series (one per app) of each series' latest reading; a reading holds until the
 * next one. Time before the first known reading is not part of the average. Days (or parts of
 * days) after `now` have not happened yet and count as empty.
 *
 * @param bounds day boundaries in seconds: day i is [bounds[i], bounds[i + 1])
 * @param carry each series' last reading before bounds[0]
 * @param readings readings and segments inside the range, sorted by time; a segment lies within
 *   one day, ends by `now`, and no other input falls inside it
 */
export function gaugeDays(bounds: readonly number[], carry: ReadonlyMap<string, bigint>, readings: readonly GaugeInput[], now: number): GaugeDay[] {
  const level = new Map(carry);
  let total = [...level.values()].reduce((a, b) => a + b, 0n);
  let known = level.size > 0;
  let next = 0;
  const days: GaugeDay[] = [];
  for (let d = 0; d + 1 < bounds.length; d++) {
    const start = bounds[d]!;
    const end = Math.min(bounds[d + 1]!, now);
    let cursor = start;
    let covered = 0;
    let integral = 0n;
    // The peak is the highest level that held during the day (or was set in it): a level carried
    // in and replaced exactly at midnight ended with the previous day and is not this day's peak.
    let peak = 0n;
    while (next < readings.length && readings[next]!.ts < bounds[d + 1]!) {
      const t = readings[next]!.ts;
      // Readings may be up to 5 minutes ahead of `now`: they count for the peak, and time is
      // integrated only up to now.
      const upto = Math.min(t, end);
      if (known && upto > cursor) {
        integral += total * BigInt(upto - cursor);
        covered += upto - cursor;
        if (total > peak) peak = total;
      }
      cursor = Math.max(cursor, upto);
      const segment = readings[next]!;
      if (isSegment(segment)) {
        const others = total - (level.get(segment.series) ?? 0n);
        if (others + segment.peak > peak) peak = others + segment.peak;
        integral += others * BigInt(segment.end - segment.ts) + segment.integral;
        covered += segment.end - segment.ts;
        level.set(segment.series, segment.last);
        total = others + segment.last;
        known = true;
        cursor = segment.end;
        next++;
        continue;
      }
      // Apply every reading of this instant before looking at the level: series that change at
      // the same second must not show a sum that never existed.
      while (next < readings.length && readings[next]!.ts === t && !isSegment(readings[next]!)) {
        const r = readings[next++] as Reading;
        total += r.value - (level.get(r.series) ?? 0n);
        level.set(r.series, r.value);
      }
      known = true;
      if (total > peak) peak = total;
    }
    if (known && end > cursor) {
      integral += total * BigInt(end - cursor);
      covered += end - cursor;
      if (total > peak) peak = total;
    }
    // A level known only at this very instant has no duration yet: its average is the level.
    const average = covered > 0 ? integral / BigInt(covered) : known && start < end ? total : 0n;
    days.push({ peak: fromNano(peak), average: fromNano(average) });
  }
  return days;
}
