import type { MeteringStore } from '../platform/clickhouse';
import { fromNano, toNano } from './decimal';
import { METERS, isGauge, type Meter } from '../platform/meters';

/**
 * What counts against a plan's limits: counters summed over the billing period, the gauge at
 * its latest level (the sum of each series' latest reading).
 */
export const periodUsage = (store: MeteringStore) => async (accountId: string, periodStart: Date, periodEnd: Date): Promise<Record<Meter, number>> => {
  const [counters, gauges] = await Promise.all([
    store.query<{ meter: Meter; v: string }>(
      `SELECT meter, toString(sum(value)) AS v FROM {db:Identifier}.usage_counters_15m
       WHERE account_id = {account:String} AND bucket >= {from:DateTime} AND bucket < {to:DateTime}
       GROUP BY meter`,
      { account: accountId, from: periodStart, to: periodEnd },
    ),
    store.query<{ meter: Meter; v: string }>(
      // usage_gauge_latest holds an argMax state per series: a few rows whatever the history.
      `SELECT meter, toString(argMaxMerge(latest)) AS v FROM {db:Identifier}.usage_gauge_latest
       WHERE account_id = {account:String} GROUP BY meter, app_id`,
      { account: accountId },
    ),
  ]);
  const usage = Object.fromEntries(METERS.map((m) => [m, 0n])) as Record<Meter, bigint>;
  for (const r of counters) if (!isGauge(r.meter)) usage[r.meter] += toNano(r.v);
  for (const r of gauges) if (isGauge(r.meter)) usage[r.meter] += toNano(r.v);
  return Object.fromEntries(METERS.map((m) => [m, fromNano(usage[m])])) as Record<Meter, number>;
};

export type UsageStatus = 'ok' | 'warning' | 'exceeded';
export const WARNING_PERCENT = 80;

/**
 * Has `used` reached `percent`% of `limit`? Exact, in nanounits: as doubles, 9.2 * 100 < 11.5 * 80
 * although 9.2 is exactly 80% of 11.5. A limit of 0 is reached by any use at all.
 */
export function reaches(used: number, limit: number | string, percent: number): boolean {
  const u = toNano(used);
  const l = toNano(limit);
  return l === 0n ? u > 0n : u * 100n >= l * BigInt(percent);
}

/**
 * Percent used (floored to hundredths, so it shows 100 only once the limit is reached) and the
 * status, decided by the same exact comparison as the 80% / 100% alerts.
 */
export function usageStatus(used: number, limit: number | null): { percent: number | null; status: UsageStatus } {
  if (limit === null) return { percent: null, status: 'ok' };
  const l = toNano(limit);
  const percent = l === 0n ? (used > 0 ? 100 : 0) : Number((toNano(used) * 10_000n) / l) / 100;
  return { percent, status: reaches(used, limit, 100) ? 'exceeded' : reaches(used, limit, WARNING_PERCENT) ? 'warning' : 'ok' };
}
