import type { MeteringStore } from '../platform/clickhouse';
import { fromNano, toNano } from './decimal';
import { METERS, type Meter } from '../platform/meters';
import { meteredUsageOf } from './metered-usage';

/**
 * What counts against a plan's limits: counters summed over the billing period, the gauge at
 * its latest level (the sum of each series' latest reading). One account's share of
 * meteredUsageOf, as doubles closest to the exact decimals.
 */
export const periodUsage = (store: MeteringStore) => {
  const usageOf = meteredUsageOf(store);
  return async (accountId: string, periodStart: Date, periodEnd: Date): Promise<Record<Meter, number>> => {
    const usage = (await usageOf([{ accountId, start: periodStart, end: periodEnd }])).get(accountId)!;
    return Object.fromEntries(METERS.map((m) => [m, fromNano(usage[m])])) as Record<Meter, number>;
  };
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
