import { loadavg } from 'node:os';
import { bindParams, chInt, createHttpStore, type MeteringStore, type Params } from '../platform/clickhouse';
import { gaugeBucketsSql } from '../metering/gauge-rollup';
import { addDays } from '../metering/timezone';
import type { TestServices } from '../test/helpers/services';
import { emit, latencySummary, round, spawnApi } from './lib';
import { seedTenants } from './fixtures';
import { z } from 'zod';

// Sizes to measure at, ascending, e.g. BENCH_USAGE_EVENTS=1000000,10000000,100000000: the store
// grows from one to the next and each is measured once generated, rolled up and merged.
const SIZES = (process.env.BENCH_USAGE_EVENTS ?? '100000000')
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const ACCOUNTS = 1_000;
const CHUNK = 2_000_000;
const REQUESTS = 300;
const DAY_S = 86_400;
// The tables the two endpoints read (usage_events is the de-duplication index, not read here).
const READ_TABLES = ['usage_counters_15m', 'usage_gauge_15m', 'usage_gauge_latest', 'usage_gauge_readings'];

/**
 * GET /dashboard/usage (one account, 90 days, all meters) and GET /dashboard/billing with N
 * usage events in the store, generated inside ClickHouse with numbers() and written through the
 * same materialized views as ingestion; the gauge rollup, which ingestion keeps per batch, is
 * rebuilt day by day as after a bulk load. One account in ACCOUNTS is the one queried.
 */
export async function benchUsageQuery(services: TestServices): Promise<void> {
  const api = await spawnApi(services);
  try {
    const { accountIds, apiKeys } = await seedTenants(api, 1);
    const database = api.env.CLICKHOUSE_DATABASE!;
    const store = createHttpStore(services.clickhouseUrl, database);
    // Bulk statements go over plain HTTP without the store's 30 s timeout (the machine is shared).
    const run = async (sql: string, params: Params = {}) => {
      const res = await fetch(services.clickhouseUrl, { method: 'POST', body: bindParams(sql, params, database) });
      if (!res.ok) throw new Error(`${sql.slice(0, 80)}: ${res.status} ${await res.text()}`);
    };
    const now = Math.floor(Date.now() / 1000);
    let stored = 0;
    let generateSeconds = 0;
    for (const size of SIZES) {
      const g0 = performance.now();
      for (; stored < size; stored += Math.min(CHUNK, size - stored)) {
        await run(
          `INSERT INTO {db:Identifier}.usage_events
           SELECT if(n % ${ACCOUNTS} = 0, {account:String}, concat('acct_synth_', toString(n % ${ACCOUNTS}))) AS account_id,
                  toString(n) AS event_id, '' AS app_id,
                  arrayElement(['ai_tokens', 'lambda_invocations', 'bandwidth_bytes', 'storage_bytes'], (intDiv(n, ${ACCOUNTS}) % 4) + 1) AS meter,
                  toDecimal128(n % 1000, 9) AS value,
                  toDateTime({now:UInt32} - (n * 7919) % (90 * 86400), 'UTC') AS timestamp,
                  toDateTime({now:UInt32}, 'UTC') AS received_at
           FROM (SELECT number + {offset:UInt64} AS n FROM numbers({count:UInt64}))`,
          { account: accountIds[0]!, now, offset: stored, count: Math.min(CHUNK, size - stored) },
        );
      }
      generateSeconds += (performance.now() - g0) / 1000;
      const r0 = performance.now();
      const firstDay = Math.floor((now - 91 * DAY_S) / DAY_S) * DAY_S;
      for (let day = firstDay; day <= now; day += DAY_S) {
        await run(gaugeBucketsSql('timestamp >= {from:DateTime} AND timestamp < {to:DateTime}'), { from: day, to: day + DAY_S });
      }
      const rollupSeconds = (performance.now() - r0) / 1000;
      const m0 = performance.now();
      await mergeFully(run, store, database);
      const mergeSeconds = (performance.now() - m0) / 1000;

      const setup = {
        events_in_store: size,
        generate_seconds: round(generateSeconds, 1),
        rollup_seconds: round(rollupSeconds, 1),
        optimize_seconds: round(mergeSeconds, 1),
      };
      const endDate = new Date().toISOString().slice(0, 10);
      const usage = await measure(
        `${api.url}/dashboard/usage?startDate=${addDays(endDate, -89)}&endDate=${endDate}`,
        apiKeys[0]!,
        (body) => (body as { usage: unknown[] }).usage.length === 90 * 4,
      );
      emit({ bench: 'dashboard-usage-90d', backend: 'clickhouse-18.16', ...setup, ...usage, target_p99_ms: 20, loadavg: loadavg().map((l) => round(l, 1)) });
      const billing = await measure(
        `${api.url}/dashboard/billing`,
        apiKeys[0]!,
        (body) => typeof (body as { usage?: { storage_bytes?: { used?: number } } }).usage?.storage_bytes?.used === 'number',
      );
      emit({ bench: 'dashboard-billing', backend: 'clickhouse-18.16', ...setup, ...billing, target_p99_ms: 20, loadavg: loadavg().map((l) => round(l, 1)) });
    }
    await store.close();
  } finally {
    await api.stop();
  }
}

/** 20 warm-up requests, then REQUESTS sequential ones; latency summary. */
async function measure(url: string, token: string, valid: (body: unknown) => boolean) {
  const get = async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body: unknown = await res.json();
    if (res.status !== 200 || !valid(body)) throw new Error(`${url} answered ${res.status}`);
  };
  for (let i = 0; i < 20; i++) await get();
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    await get();
    samples.push(performance.now() - t);
  }
  return latencySummary(samples);
}

/**
 * OPTIMIZE ... FINAL of every partition of the tables read, then waiting until no merge of the
 * database runs (usage_events' own background merges included), so the figures are of merged
 * data.
 */
async function mergeFully(run: (sql: string) => Promise<void>, store: MeteringStore, database: string): Promise<void> {
  for (const table of READ_TABLES) {
    const parts = await store.query(
      'SELECT DISTINCT partition FROM system.parts WHERE database = {db:String} AND table = {table:String} AND active',
      { db: database, table },
      z.object({ partition: z.string() }),
    );
    for (const { partition } of parts) {
      await run(`OPTIMIZE TABLE \`${database}\`.${table} ${partition === 'tuple()' ? '' : `PARTITION ${partition}`} FINAL`);
    }
  }
  for (let i = 0; i < 1200; i++) {
    const [row] = await store.query('SELECT count() AS n FROM system.merges WHERE database = {db:String}', { db: database }, z.object({ n: chInt }));
    if (row!.n === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
