import { z } from 'zod';
import { chInt, chText, intOf, textOf, type MeteringStore } from '../platform/clickhouse';
import { toNano } from './decimal';
import type { GaugeInput, Reading } from './gauge';

export interface GaugeHistoryQuery {
  accountId: string;
  meter: string;
  timezone: string;
  appId?: string;
}

// Storage is rarely flat for long; a level older than this is treated as unknown.
const GAUGE_LOOKBACK_SECONDS = 400 * 86_400;

const appFilter = (appId?: string) => (appId ? 'AND app_id = {app:String}' : '');

/** The rollup without superseded recomputations: per bucket, the row computed from the most readings. */
const latestBuckets = (where: string) => `
  SELECT app_id, toUInt32(bucket) AS b, toUInt32(argMax(first_at, readings)) AS f, argMax(peak, readings) AS p,
         argMax(last, readings) AS l, argMax(integral, readings) AS i
  FROM {db:Identifier}.usage_gauge_15m
  WHERE account_id = {account:String} AND meter = {meter:String} AND ${where}
  GROUP BY app_id, bucket`;

// One row per series and day: few enough for a schema.
const dayRow = z.object({ app_id: chText, date: chText, first_at: chInt, peak: chText, last: chText, last_end: chInt, integral: chText });
type DayRow = z.infer<typeof dayRow>;

/**
 * Per series and local day, the day's buckets folded into one stretch: the first reading, the
 * highest level set, the last level, and the integral from the first reading to the end of the
 * last bucket with readings (between buckets the level is the previous bucket's last). The rest of
 * the day, at the last level, is added by the caller, who knows where the day ends.
 */
const daySummaries = (store: MeteringStore, q: GaugeHistoryQuery, from: number, to: number) =>
  store.query(
    `SELECT app_id, date, toUInt32(min(f)) AS first_at, toString(max(p)) AS peak, toString(argMax(l, b)) AS last,
            toUInt32(max(b) + 900) AS last_end, toString(sum(i + l * gap)) AS integral
     FROM (
       SELECT app_id, date, b, f, toDecimal128(ps, 9) AS p, toDecimal128(ls, 9) AS l, toDecimal128(ints, 9) AS i, gap FROM (
         SELECT app_id, date,
                arraySort(groupArray(b)) AS bs,
                arraySort((x, k) -> k, groupArray(f), groupArray(b)) AS fs,
                arraySort((x, k) -> k, groupArray(toString(p)), groupArray(b)) AS ps,
                arraySort((x, k) -> k, groupArray(toString(l)), groupArray(b)) AS ls,
                arraySort((x, k) -> k, groupArray(toString(i)), groupArray(b)) AS ints,
                arrayMap((x, next) -> next - x - 900, bs, arrayPushBack(arrayPopFront(fs), toUInt32(arrayElement(bs, -1) + 900))) AS gaps
         FROM (
           SELECT app_id, b, toString(toDate(toDateTime(b, 'UTC'), {tz:String})) AS date, f, p, l, i
           FROM (${latestBuckets(`bucket >= {from:DateTime} AND bucket < {to:DateTime} ${appFilter(q.appId)}`)})
         )
         GROUP BY app_id, date
       )
       ARRAY JOIN bs AS b, fs AS f, ps, ls, ints, gaps AS gap
     )
     GROUP BY app_id, date`,
    { account: q.accountId, meter: q.meter, tz: q.timezone, from, to, app: q.appId ?? '' },
    dayRow,
  );

/** Raw readings in the given [from, to) ranges, in the order they set levels. */
async function readingsIn(store: MeteringStore, q: GaugeHistoryQuery, ranges: readonly [number, number][]): Promise<Reading[]> {
  if (ranges.length === 0) return [];
  const within = ranges.map(([a, b]) => `(timestamp >= toDateTime(${a}, 'UTC') AND timestamp < toDateTime(${b}, 'UTC'))`).join(' OR ');
  // One row per reading, possibly many: a light mapper rather than a zod parse per row.
  return store.query(
    `SELECT app_id, toUInt32(timestamp) AS ts, toString(value) AS v FROM {db:Identifier}.usage_gauge_readings
     WHERE account_id = {account:String} AND meter = {meter:String} AND (${within}) ${appFilter(q.appId)}
     ORDER BY timestamp, event_id`,
    { account: q.accountId, meter: q.meter, app: q.appId ?? '' },
    (r): Reading => ({ series: textOf(r.app_id), ts: intOf(r.ts), value: toNano(textOf(r.v)) }),
  );
}

/**
 * The inputs of gaugeDays for days [bounds[i], bounds[i + 1]) labelled `dates[i]`: each series'
 * level when the range starts, then per day either one rollup stretch (the day's only series with
 * readings, the day over by `now`) or the day's raw readings. Raw readings are needed where the
 * rollup cannot be exact: where two series change in one day (the peak of their sum depends on how
 * their readings interleave) and from the day that contains `now` on (integrated only up to now).
 */
export async function gaugeHistory(store: MeteringStore, q: GaugeHistoryQuery, dates: readonly string[], bounds: readonly number[], now: number) {
  const from = bounds[0]!;
  const to = bounds[bounds.length - 1]!;
  const live = bounds.findIndex((b, i) => i > 0 && b > now) - 1; // first day not over by now
  const over = live < 0 ? dates.length : live;
  const params = { account: q.accountId, meter: q.meter, since: from - GAUGE_LOOKBACK_SECONDS, from, app: q.appId ?? '' };
  const [carryRows, days, liveReadings] = await Promise.all([
    store.query(
      `SELECT app_id, toString(argMax(l, b)) AS v
       FROM (${latestBuckets(`bucket >= {since:DateTime} AND bucket < {from:DateTime} ${appFilter(q.appId)}`)})
       GROUP BY app_id`,
      params,
      z.object({ app_id: chText, v: chText }),
    ),
    over > 0 ? daySummaries(store, q, from, bounds[over]!) : Promise.resolve([]),
    over < dates.length ? readingsIn(store, q, [[bounds[over]!, to]]) : Promise.resolve([]),
  ]);
  const byDate = new Map<string, DayRow[]>();
  for (const r of days) byDate.set(r.date, [...(byDate.get(r.date) ?? []), r]);
  const shared = dates.flatMap((d, i) => (i < over && (byDate.get(d)?.length ?? 0) > 1 ? [i] : []));
  const sharedReadings = await readingsIn(
    store,
    q,
    shared.map((i) => [bounds[i]!, bounds[i + 1]!]),
  );

  const inputs: GaugeInput[] = [];
  let r = 0;
  for (let i = 0; i < over; i++) {
    const rows = byDate.get(dates[i]!) ?? [];
    if (rows.length > 1) {
      while (r < sharedReadings.length && sharedReadings[r]!.ts < bounds[i + 1]!) inputs.push(sharedReadings[r++]!);
    } else if (rows.length === 1) {
      const d = rows[0]!;
      const last = toNano(d.last);
      const end = bounds[i + 1]!;
      inputs.push({
        series: d.app_id,
        ts: d.first_at,
        end,
        peak: toNano(d.peak),
        last,
        integral: toNano(d.integral) + last * BigInt(end - d.last_end),
      });
    }
  }
  inputs.push(...liveReadings);
  return { carry: new Map(carryRows.map((c) => [c.app_id, toNano(c.v)])), inputs };
}
