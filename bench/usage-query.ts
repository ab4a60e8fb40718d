import { createHttpStore } from '../platform/clickhouse';
import { addDays } from '../metering/timezone';
import type { TestServices } from '../test/helpers/services';
import { emit, latencySummary, round, spawnApi } from './lib';
import { seedTenants } from './fixtures';

const EVENTS = Number(process.env.BENCH_USAGE_EVENTS ?? 100_000_000);
const ACCOUNTS = 1_000;
// One INSERT ... SELECT per chunk stays well inside the client's 30 s request timeout on 18.16.
const CHUNK = 2_000_000;
const REQUESTS = 300;

/**
 * GET /dashboard/usage for one account over 90 days, all meters, with EVENTS usage events in the
 * store, generated inside ClickHouse with numbers() and written through the same materialized
 * views as ingestion. One account in ACCOUNTS is the one queried.
 */
export async function benchUsageQuery(services: TestServices): Promise<void> {
  const api = await spawnApi(services);
  try {
    const { accountIds, apiKeys } = await seedTenants(api, 1);
    const store = createHttpStore(services.clickhouseUrl, api.env.CLICKHOUSE_DATABASE!);
    const now = Math.floor(Date.now() / 1000);
    const g0 = performance.now();
    for (let offset = 0; offset < EVENTS; offset += CHUNK) {
      await store.command(
        `INSERT INTO {db:Identifier}.usage_events
         SELECT if(n % ${ACCOUNTS} = 0, {account:String}, concat('acct_synth_', toString(n % ${ACCOUNTS}))) AS account_id,
                toString(n) AS event_id, '' AS app_id,
                arrayElement(['ai_tokens', 'lambda_invocations', 'bandwidth_bytes', 'storage_bytes'], (intDiv(n, ${ACCOUNTS}) % 4) + 1) AS meter,
                toDecimal128(n % 1000, 9) AS value,
                toDateTime({now:UInt32} - (n * 7919) % (90 * 86400), 'UTC') AS timestamp,
                toDateTime({now:UInt32}, 'UTC') AS received_at
         FROM (SELECT number + {offset:UInt64} AS n FROM numbers({count:UInt64}))`,
        { account: accountIds[0]!, now, offset, count: Math.min(CHUNK, EVENTS - offset) },
      );
    }
    const generateSeconds = (performance.now() - g0) / 1000;
    await store.close();

    const endDate = new Date().toISOString().slice(0, 10);
    const path = `/dashboard/usage?startDate=${addDays(endDate, -89)}&endDate=${endDate}`;
    const get = async () => {
      const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${apiKeys[0]}` } });
      const body = (await res.json()) as { usage: unknown[] };
      if (res.status !== 200 || body.usage.length !== 90 * 4) throw new Error(`usage answered ${res.status}`);
    };
    for (let i = 0; i < 20; i++) await get();
    const samples: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      await get();
      samples.push(performance.now() - t);
    }
    emit({ bench: 'dashboard-usage-90d', backend: 'clickhouse-18.16', events_in_store: EVENTS, generate_seconds: round(generateSeconds, 1), ...latencySummary(samples), target_p99_ms: 20 });
  } finally {
    await api.stop();
  }
}
