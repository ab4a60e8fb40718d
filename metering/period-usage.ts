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
      `SELECT meter, toString(argMax(value, (timestamp, event_id))) AS v FROM {db:Identifier}.usage_gauge_readings
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

export function usageStatus(used: number, limit: number | null): { percent: number | null; status: UsageStatus } {
  if (limit === null) return { percent: null, status: 'ok' };
  const percent = limit === 0 ? (used > 0 ? 100 : 0) : Math.round((used / limit) * 10_000) / 100;
  return { percent, status: percent >= 100 ? 'exceeded' : percent >= WARNING_PERCENT ? 'warning' : 'ok' };
}
