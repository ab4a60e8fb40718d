-- Raw usage events: the truth every number is recomputed from, and the de-duplication index.
-- Ordered by (account_id, event_id) so "which of these ids does the account already have" is a
-- primary-key lookup; small granules keep that lookup cheap for scattered ids.
CREATE TABLE IF NOT EXISTS {db:Identifier}.usage_events (
  account_id  String,
  event_id    String,
  app_id      String,
  meter       String,
  value       Decimal(38, 9),
  timestamp   DateTime('UTC'),
  received_at DateTime('UTC')
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(timestamp)
ORDER BY (account_id, event_id)
SETTINGS index_granularity = 1024;

-- Counters (sum) in 15-minute buckets: every IANA zone's midnight falls on a quarter hour, so
-- days cut in any time zone are exact sums of whole buckets.
CREATE TABLE IF NOT EXISTS {db:Identifier}.usage_counters_15m (
  account_id String,
  meter      String,
  bucket     DateTime('UTC'),
  app_id     String,
  value      Decimal(38, 9),
  events     UInt64
) ENGINE = SummingMergeTree()
ORDER BY (account_id, meter, bucket, app_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db:Identifier}.usage_counters_15m_mv
TO {db:Identifier}.usage_counters_15m AS
SELECT account_id, meter, toStartOfFifteenMinutes(timestamp) AS bucket, app_id,
       sum(value) AS value, count() AS events
FROM {db:Identifier}.usage_events
WHERE meter != 'storage_bytes'
GROUP BY account_id, meter, bucket, app_id;

-- Gauge readings (storage_bytes) in time order per series, for peaks and time-weighted averages,
-- which need each reading's neighbours and so cannot be pre-summed.
CREATE TABLE IF NOT EXISTS {db:Identifier}.usage_gauge_readings (
  account_id String,
  meter      String,
  app_id     String,
  timestamp  DateTime('UTC'),
  event_id   String,
  value      Decimal(38, 9)
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(timestamp)
ORDER BY (account_id, meter, timestamp, app_id, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {db:Identifier}.usage_gauge_readings_mv
TO {db:Identifier}.usage_gauge_readings AS
SELECT account_id, meter, app_id, timestamp, event_id, value
FROM {db:Identifier}.usage_events
WHERE meter = 'storage_bytes';
