import { z } from 'zod';
import { chInt, chText, type MeteringStore } from '../platform/clickhouse';
import { isGauge } from '../platform/meters';
import { nanoText, toNano } from './decimal';
import { lookupChunks, pairKey, readEventKey, type StoredEvent } from './dedupe';
import { rollUpGauges } from './gauge-rollup';

const QUARTER_S = 900;

/**
 * ClickHouse fills the rollups (materialized views) after it has written the raw part, not
 * atomically with it: a crash in between keeps events in usage_events, the de-duplication index,
 * but not in the rollups, and the client's retry would then find them stored and never count
 * them. So when a batch meets stored events, their rollups are checked against the raw table and
 * completed. Callers hold the accounts' ingestion locks: nothing else writes these rows meanwhile.
 * Returns how many events were missing from a rollup (0 unless something crashed).
 */
export const repairRollups =
  (store: MeteringStore) =>
  async (stored: readonly StoredEvent[]): Promise<number> => {
    const counters = stored.filter((e) => !isGauge(e.meter));
    const gauges = stored.filter((e) => isGauge(e.meter));
    const repaired = (counters.length > 0 ? await repairCounters(store, counters) : 0) + (gauges.length > 0 ? await repairGauges(store, gauges) : 0);
    if (gauges.length > 0) await repairGaugeRollups(store, gauges);
    return repaired;
  };

/**
 * The gauge buckets and latest levels are written after the readings (the buckets by the
 * ingestor, the latest level by a view): both are recomputed from what is stored, which is
 * idempotent (a bucket is rebuilt whole; an argMax state fed the same reading again is unchanged).
 */
async function repairGaugeRollups(store: MeteringStore, events: readonly StoredEvent[]): Promise<void> {
  await rollUpGauges(store)(events.map((e) => ({ ...e, timestamp: e.ts })));
  for (const chunk of lookupChunks(events)) {
    await store.command(
      `INSERT INTO {db:Identifier}.usage_gauge_latest
       SELECT account_id, meter, app_id, argMaxState(value, (timestamp, event_id)) FROM {db:Identifier}.usage_events
       WHERE account_id IN {accounts:InList(String)} AND event_id IN {ids:InList(String)} AND meter = 'storage_bytes'
       GROUP BY account_id, meter, app_id`,
      { accounts: [...new Set(chunk.map((e) => e.account_id))], ids: [...new Set(chunk.map((e) => e.event_id))] },
    );
  }
}

const sums = z.object({ account_id: chText, meter: chText, bucket: chInt, app_id: chText, v: chText, n: chText });
const keyOf = (r: { account_id: string; meter: string; app_id: string }, bucket: number) => `${r.account_id}|${r.meter}|${bucket}|${r.app_id}`;

/** Per 15-minute key of the stored events: the raw table's sum and count against the rollup's. */
async function repairCounters(store: MeteringStore, events: readonly StoredEvent[]): Promise<number> {
  const wanted = new Set(events.map((e) => keyOf(e, e.ts - (e.ts % QUARTER_S))));
  const params = {
    accounts: [...new Set(events.map((e) => e.account_id))],
    meters: [...new Set(events.map((e) => e.meter))],
    from: Math.min(...events.map((e) => e.ts - (e.ts % QUARTER_S))),
    to: Math.max(...events.map((e) => e.ts - (e.ts % QUARTER_S))) + QUARTER_S,
  };
  const where = 'account_id IN {accounts:InList(String)} AND meter IN {meters:InList(String)}';
  const [raw, rolled] = await Promise.all([
    store.query(
      `SELECT account_id, meter, toUInt32(toStartOfFifteenMinutes(timestamp)) AS bucket, app_id, toString(sum(value)) AS v, toString(count()) AS n
       FROM {db:Identifier}.usage_events WHERE ${where} AND timestamp >= {from:DateTime} AND timestamp < {to:DateTime}
       GROUP BY account_id, meter, bucket, app_id`,
      params,
      sums,
    ),
    store.query(
      `SELECT account_id, meter, toUInt32(bucket) AS bucket, app_id, toString(sum(value)) AS v, toString(sum(events)) AS n
       FROM {db:Identifier}.usage_counters_15m WHERE ${where} AND bucket >= {from:DateTime} AND bucket < {to:DateTime}
       GROUP BY account_id, meter, bucket, app_id`,
      params,
      sums,
    ),
  ]);
  const have = new Map(rolled.map((r) => [keyOf(r, r.bucket), r]));
  const missing = raw.flatMap((r) => {
    const key = keyOf(r, r.bucket);
    const got = have.get(key);
    const events = BigInt(r.n) - BigInt(got?.n ?? '0');
    if (!wanted.has(key) || events <= 0n) return [];
    return [{ ...r, value: toNano(r.v) - toNano(got?.v ?? '0'), events }];
  });
  if (missing.length === 0) return 0;
  await store.insert(
    'usage_counters_15m',
    missing
      .map(
        (m) =>
          `{"account_id":${JSON.stringify(m.account_id)},"meter":${JSON.stringify(m.meter)},"bucket":${m.bucket},"app_id":${JSON.stringify(m.app_id)},` +
          `"value":${nanoText(m.value)},"events":${m.events}}`,
      )
      .join('\n'),
  );
  return missing.reduce((n, m) => n + Number(m.events), 0);
}

/** Gauge readings are one row per event: copy the stored readings the readings table lacks. */
async function repairGauges(store: MeteringStore, events: readonly StoredEvent[]): Promise<number> {
  const present = new Set<string>();
  for (const chunk of lookupChunks(events)) {
    const rows = await store.query(
      `SELECT account_id, event_id FROM {db:Identifier}.usage_gauge_readings
       WHERE account_id IN {accounts:InList(String)} AND event_id IN {ids:InList(String)}`,
      { accounts: [...new Set(chunk.map((e) => e.account_id))], ids: [...new Set(chunk.map((e) => e.event_id))] },
      readEventKey,
    );
    for (const r of rows) present.add(pairKey(r.account_id, r.event_id));
  }
  const missing = events.filter((e) => !present.has(pairKey(e.account_id, e.event_id)));
  if (missing.length === 0) return 0;
  await store.insert(
    'usage_gauge_readings',
    missing
      .map(
        (e) =>
          `{"account_id":${JSON.stringify(e.account_id)},"meter":${JSON.stringify(e.meter)},"app_id":${JSON.stringify(e.app_id)},` +
          `"timestamp":${e.ts},"event_id":${JSON.stringify(e.event_id)},"value":${e.value}}`,
      )
      .join('\n'),
  );
  return missing.length;
}
