import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChdbStore, createHttpStore, type MeteringStore } from '../platform/clickhouse';
import { migrateClickHouse } from '../metering/migrate';
import { checkEvent } from '../metering/events';
import type { TestServices } from '../test/helpers/services';
import { emit, pool, post, round, spawnApi } from './lib';
import { eventBatches, seedTenants } from './fixtures';

const EVENTS = Number(process.env.BENCH_INGEST_EVENTS ?? 200_000);
const BATCH = 1_000;
const CONCURRENCY = Number(process.env.BENCH_INGEST_CONCURRENCY ?? 4);

/** The rows exactly as the ingestor writes them (JSONEachRow, same columns and values). */
const rowsPayload = (batch: object[], now: number) =>
  batch.map((e, i) => {
    const c = checkEvent(e, i, now);
    if (!c.ok) throw new Error(c.rejection.message);
    const r = c.row;
    return `{"account_id":"${r.account_id}","event_id":"${r.event_id}","app_id":"","meter":"${r.meter}","value":${r.value},"timestamp":${r.timestamp},"received_at":${r.received_at}}`;
  }).join('\n');

/**
 * API ingestion (batches of 1,000, de-duplication on) against a baseline measured in the same
 * run: the same rows inserted straight into the same ClickHouse by one client.
 */
export async function benchIngest(services: TestServices, backend: 'clickhouse' | 'chdb' = 'clickhouse'): Promise<void> {
  const api = await spawnApi(services, { chdb: backend === 'chdb' });
  try {
    const { accountIds, serviceKey } = await seedTenants(api, 20);
    const runId = randomBytes(4).toString('hex');
    const warm = eventBatches(accountIds, 10 * BATCH, BATCH, `${runId}w`).map((b) => JSON.stringify({ events: b }));
    await pool(warm, CONCURRENCY, async (body) => { await post(`${api.url}/v1/usage/events`, serviceKey, body); });

    const batches = eventBatches(accountIds, EVENTS, BATCH, runId);
    const bodies = batches.map((b) => JSON.stringify({ events: b }));
    let accepted = 0;
    const t0 = performance.now();
    await pool(bodies, CONCURRENCY, async (body) => {
      const r = await post(`${api.url}/v1/usage/events`, serviceKey, body);
      if (r.status !== 200) throw new Error(`ingest answered ${r.status}: ${JSON.stringify(r.json)}`);
      accepted += r.json.accepted;
    });
    const apiSeconds = (performance.now() - t0) / 1000;
    if (accepted !== EVENTS) throw new Error(`accepted ${accepted} of ${EVENTS}`);

    // Re-sending everything must accept nothing: de-duplication was really on.
    const again = await post(`${api.url}/v1/usage/events`, serviceKey, bodies[0]!);
    if (again.json.duplicates !== BATCH) throw new Error('re-sent batch was not de-duplicated');

    // The baseline writes the same rows with one client: to the same server, or (chDB) to an
    // in-process chDB of this process, as the API process does with its own.
    const store: MeteringStore = backend === 'chdb'
      ? createChdbStore(mkdtempSync(join(tmpdir(), 'bench-chdb-')), `bench_base_${runId}`)
      : createHttpStore(services.clickhouseUrl, `bench_base_${runId}`);
    await migrateClickHouse(store);
    const now = Date.now();
    const payloads = batches.map((b) => rowsPayload(b, now));
    const b0 = performance.now();
    for (const p of payloads) await store.insert('usage_events', p);
    const baseSeconds = (performance.now() - b0) / 1000;
    await store.command('DROP DATABASE {db:Identifier}');
    await store.close();

    const apiRate = EVENTS / apiSeconds;
    const baseRate = EVENTS / baseSeconds;
    emit({
      bench: 'ingest', backend: backend === 'chdb' ? 'chdb-26.7' : 'clickhouse-18.16', events: EVENTS, batch: BATCH, concurrency: CONCURRENCY,
      api_events_per_s: Math.round(apiRate), baseline_direct_insert_events_per_s: Math.round(baseRate),
      ratio_vs_baseline: round(apiRate / baseRate), target_events_per_s: 100_000, target_ratio: 0.5,
    });
  } finally {
    await api.stop();
  }
}
