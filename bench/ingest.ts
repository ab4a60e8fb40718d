import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChdbStore, createHttpStore, type MeteringStore } from '../platform/clickhouse';
import { createDb } from '../platform/pg';
import { migrateClickHouse } from '../metering/migrate';
import { checkEvent } from '../metering/events';
import type { TestServices } from '../test/helpers/services';
import { clickhouseLabel, emit, pool, post, round, spawnApi, withSingleServerToo, type ApiProcess } from './lib';
import { eventBatches, seedTenants } from './fixtures';
import { z } from 'zod';

const EVENTS = Number(process.env.BENCH_INGEST_EVENTS ?? 200_000);
const BATCH = 1_000;
const CONCURRENCY = Number(process.env.BENCH_INGEST_CONCURRENCY ?? 4);
/** Accounts the events are spread over (beyond 20, the rest are created in Postgres directly). */
const ACCOUNTS = Number(process.env.BENCH_INGEST_ACCOUNTS ?? 20);
/** Events already in the raw table before the run (ClickHouse server only), spread over 30 days. */
const STORED = Number(process.env.BENCH_INGEST_STORED ?? 0);
const STORE_CHUNK = 1_000_000;

/** The rows exactly as the ingestor writes them (JSONEachRow, same columns and values). */
const rowsPayload = (batch: object[], now: number) =>
  batch
    .map((e, i) => {
      const c = checkEvent(e, i, now);
      if (!c.ok) throw new Error(c.rejection.message);
      const r = c.row;
      return `{"account_id":"${r.account_id}","event_id":"${r.event_id}","app_id":"","meter":"${r.meter}","value":${r.value},"timestamp":${r.timestamp},"received_at":${r.received_at}}`;
    })
    .join('\n');

/** Accounts beyond the few made through the admin routes: copies of a real one, straight into Postgres. */
async function bulkAccounts(api: ApiProcess, template: string, count: number): Promise<string[]> {
  const db = createDb(api.env.DATABASE_URL!, 1);
  try {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO accounts (id, name, plan_id, period_start, period_end, provisioning_state)
       SELECT 'acct_bulk_' || g, 'bulk', plan_id, period_start, period_end, 'done' FROM accounts, generate_series(1, $2::int) g
       WHERE accounts.id = $1 RETURNING id`,
      [template, count],
    );
    return rows.map((r) => r.id);
  } finally {
    await db.end();
  }
}

/** STORED events of these accounts generated inside ClickHouse, through the same materialized views. */
async function preload(url: string, database: string, accountIds: string[]): Promise<void> {
  const store = createHttpStore(url, database);
  const now = Math.floor(Date.now() / 1000);
  for (let offset = 0; offset < STORED; offset += STORE_CHUNK) {
    await store.command(
      `INSERT INTO {db:Identifier}.usage_events
       SELECT arrayElement({accounts:Array(String)}, (n % ${accountIds.length}) + 1) AS account_id,
              concat('old-', toString(n)) AS event_id, '' AS app_id,
              arrayElement(['ai_tokens', 'lambda_invocations', 'bandwidth_bytes', 'storage_bytes'], (intDiv(n, 7) % 4) + 1) AS meter,
              toDecimal128(n % 1000, 9) AS value,
              toDateTime({now:UInt32} - 3600 - (n * 7919) % (30 * 86400), 'UTC') AS timestamp,
              toDateTime({now:UInt32}, 'UTC') AS received_at
       FROM (SELECT number + {offset:UInt64} AS n FROM numbers({count:UInt64}))`,
      { accounts: accountIds, now, offset, count: Math.min(STORE_CHUNK, STORED - offset) },
    );
  }
  await store.close();
}

/** Inserts the payloads one after another (one client, as a baseline), returning events/s. */
async function directRate(store: MeteringStore, payloads: string[], events: number): Promise<number> {
  const t0 = performance.now();
  for (const p of payloads) await store.insert('usage_events', p);
  return events / ((performance.now() - t0) / 1000);
}

/**
 * API ingestion (batches of 1,000, de-duplication on) against two baselines measured in the same
 * run: the same rows inserted straight into the same ClickHouse by one client, into the same
 * schema (raw table and materialized views), and into the raw table alone (a plain MergeTree).
 */
export async function benchIngest(services: TestServices, backend: 'clickhouse' | 'chdb' = 'clickhouse'): Promise<void> {
  const result = await measureIngest(services, backend);
  // Cluster mode: the same measurement on one server of this run, and the cluster's ratios to it.
  const single = backend === 'clickhouse' ? await withSingleServerToo(services, (s) => measureIngest(s, 'clickhouse')) : undefined;
  emit({
    ...result,
    ...(single && {
      single_node: single,
      ratio_api_cluster_vs_single: round(result.api_events_per_s / single.api_events_per_s),
      ratio_baseline_cluster_vs_single: round(result.baseline_direct_insert_events_per_s / single.baseline_direct_insert_events_per_s),
    }),
  });
}

async function measureIngest(services: TestServices, backend: 'clickhouse' | 'chdb') {
  const api = await spawnApi(services, { chdb: backend === 'chdb' });
  try {
    const seeded = await seedTenants(api, Math.min(ACCOUNTS, 20));
    const { serviceKey } = seeded;
    const accountIds = ACCOUNTS > 20 ? [...seeded.accountIds, ...(await bulkAccounts(api, seeded.accountIds[0]!, ACCOUNTS - 20))] : seeded.accountIds;
    if (STORED > 0) {
      if (backend !== 'clickhouse') throw new Error('BENCH_INGEST_STORED needs the ClickHouse server');
      await preload(services.clickhouseUrl, api.env.CLICKHOUSE_DATABASE!, accountIds);
    }
    const runId = randomBytes(4).toString('hex');
    const warm = eventBatches(accountIds, 10 * BATCH, BATCH, `${runId}w`).map((b) => JSON.stringify({ events: b }));
    await pool(warm, CONCURRENCY, async (body) => {
      await post(`${api.url}/v1/usage/events`, serviceKey, body);
    });

    const batches = eventBatches(accountIds, EVENTS, BATCH, runId);
    const bodies = batches.map((b) => JSON.stringify({ events: b }));
    let accepted = 0;
    const load = loadavg()[0]!;
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

    // The baselines write the same rows with one client: to the same server, or (chDB) to an
    // in-process chDB of this process, as the API process does with its own.
    const dir = backend === 'chdb' ? mkdtempSync(join(tmpdir(), 'bench-chdb-')) : '';
    const cluster = services.clickhouseCluster ? { name: services.clickhouseCluster.name, insertQuorum: 2 } : undefined;
    const open = (name: string): MeteringStore =>
      backend === 'chdb' ? createChdbStore(dir, name) : createHttpStore(services.clickhouseUrl, name, { cluster });
    const same = open(`bench_base_${runId}`);
    const plain = open(`bench_plain_${runId}`);
    await migrateClickHouse(same);
    await migrateClickHouse(plain);
    // The plain baseline is the raw table alone: drop every materialized view of its schema.
    const views = await plain.query(
      `SELECT name FROM system.tables WHERE database = {name:String} AND engine = 'MaterializedView'`,
      { name: plain.database },
      z.object({ name: z.string() }),
    );
    for (const v of views) await plain.command(`DROP TABLE {db:Identifier}.\`${v.name}\`${cluster ? ` ON CLUSTER ${cluster.name}` : ''}`);
    const now = Date.now();
    const payloads = batches.map((b) => rowsPayload(b, now));
    const baseRate = await directRate(same, payloads, EVENTS);
    const plainRate = await directRate(plain, payloads, EVENTS);
    const apiRate = EVENTS / apiSeconds;
    const result = {
      bench: 'ingest',
      backend: backend === 'chdb' ? 'chdb-26.7' : clickhouseLabel(services),
      events: EVENTS,
      batch: BATCH,
      concurrency: CONCURRENCY,
      accounts: accountIds.length,
      events_stored_before: STORED,
      api_events_per_s: Math.round(apiRate),
      baseline_direct_insert_events_per_s: Math.round(baseRate),
      ratio_vs_baseline: round(apiRate / baseRate),
      plain_mergetree_insert_events_per_s: Math.round(plainRate),
      ratio_vs_plain: round(apiRate / plainRate),
      target_events_per_s: 100_000,
      target_ratio: 0.5,
      loadavg_1m_before: round(load),
      loadavg_1m_after: round(loadavg()[0]!),
    };
    // Best effort: on a loaded machine the drop may outlast the client's timeout.
    for (const s of [same, plain]) {
      await s.command('DROP DATABASE {db:Identifier}').catch(() => undefined);
      await s.close();
    }
    return result;
  } finally {
    await api.stop();
  }
}
