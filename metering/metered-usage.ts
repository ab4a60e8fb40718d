import { textOf, type MeteringStore, type RawRow } from '../platform/clickhouse';
import { METERS, isGauge, meterOf, type Meter } from '../platform/meters';
import { toNano } from './decimal';

export interface AccountPeriod {
  accountId: string;
  start: Date;
  end: Date;
}

// Keeps each query's account lists well under ClickHouse's 256 KiB max_query_size.
const CHUNK = 1_000;
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
// Rows for every account of a billing run: a light mapper rather than a zod parse per row.
const readSum = (r: RawRow) => ({ account_id: textOf(r.account_id), meter: meterOf(r.meter), v: textOf(r.v) });

/**
 * Metered usage of many accounts in one pass, each over its own billing period: counters summed
 * from the 15-minute rollup (bounded by the period), the gauge at its latest level (the sum of
 * each series' latest reading). In BigInt nanounits, exact.
 */
export const meteredUsageOf =
  (store: MeteringStore) =>
  async (periods: readonly AccountPeriod[]): Promise<Map<string, Record<Meter, bigint>>> => {
    const usage = new Map<string, Record<Meter, bigint>>();
    for (const p of periods) usage.set(p.accountId, Object.fromEntries(METERS.map((m) => [m, 0n])) as Record<Meter, bigint>);
    for (let i = 0; i < periods.length; i += CHUNK) {
      const chunk = periods.slice(i, i + CHUNK);
      const params = {
        accounts: chunk.map((p) => p.accountId),
        starts: chunk.map((p) => seconds(p.start)),
        ends: chunk.map((p) => seconds(p.end)),
      };
      // transform() maps each row's account to its own period bounds: one scan for all accounts.
      const [counters, gauges] = await Promise.all([
        store.query(
          `SELECT account_id, meter, toString(sum(value)) AS v FROM {db:Identifier}.usage_counters_15m
         WHERE account_id IN {accounts:InList(String)}
           AND toUInt32(bucket) >= transform(account_id, {accounts:Array(String)}, {starts:Array(UInt32)}, toUInt32(0))
           AND toUInt32(bucket) < transform(account_id, {accounts:Array(String)}, {ends:Array(UInt32)}, toUInt32(0))
         GROUP BY account_id, meter`,
          params,
          readSum,
        ),
        // usage_gauge_latest holds an argMax state per series: a few rows whatever the history.
        store.query(
          `SELECT account_id, meter, toString(argMaxMerge(latest)) AS v FROM {db:Identifier}.usage_gauge_latest
         WHERE account_id IN {accounts:InList(String)} GROUP BY account_id, meter, app_id`,
          { accounts: params.accounts },
          readSum,
        ),
      ]);
      for (const r of counters) if (!isGauge(r.meter)) usage.get(r.account_id)![r.meter] += toNano(r.v);
      for (const r of gauges) if (isGauge(r.meter)) usage.get(r.account_id)![r.meter] += toNano(r.v);
    }
    return usage;
  };
