-- Gauge (storage_bytes) per series and 15-minute bucket, so history reads ~96 rows per day and
-- series instead of every reading. A bucket row is recomputed whole from its readings whenever
-- one of them is written (metering/gauge-rollup.ts, under the accounts' ingestion locks): the
-- integral depends on each reading's successor, so it cannot be summed from out-of-order inserts.
--   readings  raw readings in the bucket; only ever grows, so the row computed from the most
--             readings is the newest one (the ReplacingMergeTree version; ties are identical rows)
--   first_at  the first reading's second
--   peak      the highest level set in the bucket (the last reading of each second counts)
--   last      the level the bucket ends with
--   integral  level x seconds from first_at to the bucket's end
CREATE TABLE IF NOT EXISTS {db:Identifier}.usage_gauge_15m (
  account_id String,
  meter      String,
  bucket     DateTime('UTC'),
  app_id     String,
  readings   UInt64,
  first_at   DateTime('UTC'),
  peak       Decimal(38, 9),
  last       Decimal(38, 9),
  integral   Decimal(38, 9)
) ENGINE = ReplacingMergeTree(readings)
PARTITION BY toYYYYMM(bucket)
ORDER BY (account_id, meter, bucket, app_id);

-- Backfill from the readings already stored (the same computation as metering/gauge-rollup.ts).
INSERT INTO {db:Identifier}.usage_gauge_15m
SELECT account_id, meter, bucket, app_id, any(readings), any(first_at), any(peak), any(last), sum(toDecimal128(v, 9) * d)
FROM (
  SELECT account_id, meter, bucket, app_id, readings, first_at, peak, last, v, d
  FROM (
    SELECT account_id, meter, bucket, app_id, sum(n) AS readings, min(ts) AS first_at, max(v) AS peak, argMax(v, ts) AS last,
           arraySort(groupArray(toUInt32(ts))) AS times,
           arraySort((x, k) -> k, groupArray(toString(v)), groupArray(toUInt32(ts))) AS levels,
           arrayMap((t, next) -> next - t, times, arrayPushBack(arrayPopFront(times), toUInt32(bucket) + 900)) AS held
    FROM (
      SELECT account_id, meter, app_id, timestamp AS ts, toStartOfFifteenMinutes(timestamp) AS bucket,
             argMax(value, event_id) AS v, count() AS n
      FROM {db:Identifier}.usage_gauge_readings
      GROUP BY account_id, meter, app_id, ts, bucket
    )
    GROUP BY account_id, meter, bucket, app_id
  )
  ARRAY JOIN levels AS v, held AS d
)
GROUP BY account_id, meter, bucket, app_id;

-- Each series' latest reading, for limit checks: a few rows per account whatever its history.
CREATE TABLE IF NOT EXISTS {db:Identifier}.usage_gauge_latest (
  account_id String,
  meter      String,
  app_id     String,
  latest     AggregateFunction(argMax, Decimal(38, 9), Tuple(DateTime('UTC'), String))
) ENGINE = AggregatingMergeTree()
ORDER BY (account_id, meter, app_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db:Identifier}.usage_gauge_latest_mv
TO {db:Identifier}.usage_gauge_latest AS
SELECT account_id, meter, app_id, argMaxState(value, (timestamp, event_id)) AS latest
FROM {db:Identifier}.usage_events
WHERE meter = 'storage_bytes'
GROUP BY account_id, meter, app_id;

-- argMax of the same reading twice is that reading: a backfill overlapping the view is harmless.
INSERT INTO {db:Identifier}.usage_gauge_latest
SELECT account_id, meter, app_id, argMaxState(value, (timestamp, event_id))
FROM {db:Identifier}.usage_gauge_readings
GROUP BY account_id, meter, app_id;
