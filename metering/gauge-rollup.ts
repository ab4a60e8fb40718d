import type { MeteringStore } from '../platform/clickhouse';
import { isGauge } from '../platform/meters';
import type { EventRow } from './events';

const QUARTER_S = 900;
// Keeps each statement well under ClickHouse's max_query_size (256 KiB).
const MAX_FILTER_CHARS = 96 * 1024;

/**
 * usage_gauge_15m rows of the readings matching `where`, recomputed whole from the readings
 * (the same statement backfills the table in sql/002_gauge_rollup.sql). Per second only the
 * last reading (by event id) sets the level, as in the history's reading order.
 */
export const gaugeBucketsSql = (where: string): string => `
INSERT INTO {db:Identifier}.usage_gauge_15m
SELECT account_id, meter, bucket, app_id, any(readings), any(first_at), any(peak), any(last), sum(toDecimal128(v, 9) * d)
FROM (
  SELECT account_id, meter, bucket, app_id, readings, first_at, peak, last, v, d
  FROM (
    SELECT account_id, meter, bucket, app_id, sum(n) AS readings, min(ts) AS first_at, max(v) AS peak, argMax(v, ts) AS last,
           arraySort(groupArray(toUInt32(ts))) AS times,
           arraySort((x, k) -> k, groupArray(toString(v)), groupArray(toUInt32(ts))) AS levels,
           arrayMap((t, next) -> next - t, times, arrayPushBack(arrayPopFront(times), toUInt32(bucket) + ${QUARTER_S})) AS held
    FROM (
      SELECT account_id, meter, app_id, timestamp AS ts, toStartOfFifteenMinutes(timestamp) AS bucket,
             argMax(value, event_id) AS v, count() AS n
      FROM {db:Identifier}.usage_gauge_readings
      WHERE ${where}
      GROUP BY account_id, meter, app_id, ts, bucket
    )
    GROUP BY account_id, meter, bucket, app_id
  )
  ARRAY JOIN levels AS v, held AS d
)
GROUP BY account_id, meter, bucket, app_id`;

type GaugeKey = Pick<EventRow, 'account_id' | 'app_id' | 'meter' | 'timestamp'>;

interface Chunk {
  keys: string[];
  accounts: Set<string>;
  ranges: [number, number][];
  chars: number;
}

/** Contiguous bucket runs as timestamp ranges, so the readings' primary key prunes the scan. */
function chunksOf(rows: readonly GaugeKey[]): Chunk[] {
  const byKey = new Map<string, { account: string; bucket: number }>();
  for (const r of rows) {
    const bucket = r.timestamp - (r.timestamp % QUARTER_S);
    byKey.set(`${r.account_id}|${r.app_id}|${bucket}`, { account: r.account_id, bucket });
  }
  const sorted = [...byKey].sort((a, b) => a[1].bucket - b[1].bucket);
  const chunks: Chunk[] = [];
  let c: Chunk | undefined;
  for (const [key, { account, bucket }] of sorted) {
    if (!c || c.chars > MAX_FILTER_CHARS) chunks.push((c = { keys: [], accounts: new Set(), ranges: [], chars: 0 }));
    c.keys.push(key);
    c.accounts.add(account);
    c.chars += 2 * key.length + 2 * account.length + 8;
    const last = c.ranges[c.ranges.length - 1];
    if (last && bucket <= last[1]) last[1] = bucket + QUARTER_S;
    else {
      c.ranges.push([bucket, bucket + QUARTER_S]);
      c.chars += 80;
    }
  }
  return chunks;
}

/**
 * Recomputes the gauge buckets that these just-written (or found-stored) events fall in, from
 * all of the bucket's readings: a late reading changes the bucket's peak, integral and last
 * level, which a materialized view could not know. Callers hold the accounts' ingestion locks,
 * so recomputes of one account are serialized and each sees every reading written before it.
 * Only the keys named are recomputed; a key string that also matches another series (a `|` in
 * an id) just recomputes that bucket too, which is harmless.
 */
export const rollUpGauges =
  (store: MeteringStore) =>
  async (rows: readonly GaugeKey[]): Promise<void> => {
    const gauges = rows.filter((r) => isGauge(r.meter));
    if (gauges.length === 0) return;
    const meters = [...new Set(gauges.map((r) => r.meter))];
    for (const chunk of chunksOf(gauges)) {
      const ranges = chunk.ranges.map(([a, b]) => `(timestamp >= toDateTime(${a}, 'UTC') AND timestamp < toDateTime(${b}, 'UTC'))`).join(' OR ');
      await store.command(
        gaugeBucketsSql(
          `account_id IN {accounts:InList(String)} AND meter IN {meters:InList(String)} AND (${ranges})
       AND concat(account_id, '|', app_id, '|', toString(toUInt32(toStartOfFifteenMinutes(timestamp)))) IN {keys:InList(String)}`,
        ),
        { accounts: [...chunk.accounts], meters, keys: chunk.keys },
      );
    }
  };
