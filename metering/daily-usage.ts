import { textOf, type MeteringStore } from '../platform/clickhouse';
import { toNano, fromNano } from './decimal';
import { gaugeDays } from './gauge';
import { gaugeHistory } from './gauge-history';
import { METERS, isGauge, meterOf, type Meter } from '../platform/meters';
import { addDays, datesBetween, startOfLocalDay } from './timezone';

export interface DailyUsageQuery {
  accountId: string;
  startDate: string;
  endDate: string;
  timezone: string;
  meter?: Meter;
  appId?: string;
}
export interface DailyUsage {
  date: string;
  meter: Meter;
  value: number;
  average?: number;
}

const appFilter = (appId?: string) => (appId ? 'AND app_id = {app:String}' : '');

/** Counter sums per local day, from the 15-minute rollup (a light mapper: history is the hot read). */
const counterDays = (store: MeteringStore) => async (q: DailyUsageQuery, meters: Meter[], from: number, to: number) =>
  store.query(
    `SELECT toString(toDate(bucket, {tz:String})) AS date, meter, toString(sum(value)) AS value
     FROM {db:Identifier}.usage_counters_15m
     WHERE account_id = {account:String} AND meter IN {meters:InList(String)}
       AND bucket >= {from:DateTime} AND bucket < {to:DateTime} ${appFilter(q.appId)}
     GROUP BY date, meter`,
    { tz: q.timezone, account: q.accountId, meters, from, to, app: q.appId ?? '' },
    (r) => ({ date: textOf(r.date), meter: meterOf(r.meter), value: textOf(r.value) }),
  );

/** Daily usage, every day of the range for every meter asked, zero-filled, sorted by date then meter. */
export const dailyUsage =
  (store: MeteringStore) =>
  async (q: DailyUsageQuery, nowMs = Date.now()): Promise<DailyUsage[]> => {
    const dates = datesBetween(q.startDate, q.endDate);
    const bounds = [...dates, addDays(q.endDate, 1)].map((d) => Math.floor(startOfLocalDay(d, q.timezone) / 1000));
    const from = bounds[0]!;
    const to = bounds[bounds.length - 1]!;
    const meters = (q.meter ? [q.meter] : [...METERS]).sort();
    const counters = meters.filter((m) => !isGauge(m));
    const gauges = meters.filter((m) => isGauge(m));

    const [counterRows, gaugeResults] = await Promise.all([
      counters.length ? counterDays(store)(q, counters, from, to) : Promise.resolve([]),
      Promise.all(
        gauges.map(async (m) => {
          const now = Math.floor(nowMs / 1000);
          const { carry, inputs } = await gaugeHistory(store, { ...q, meter: m }, dates, bounds, now);
          return [m, gaugeDays(bounds, carry, inputs, now)] as const;
        }),
      ),
    ]);
    const counterValue = new Map(counterRows.map((r) => [`${r.date}|${r.meter}`, fromNano(toNano(r.value))]));
    const gaugeValue = new Map(gaugeResults);
    return dates.flatMap((date, i) =>
      meters.map((meter): DailyUsage => {
        const g = gaugeValue.get(meter)?.[i];
        return g ? { date, meter, value: g.peak, average: g.average } : { date, meter, value: counterValue.get(`${date}|${meter}`) ?? 0 };
      }),
    );
  };
