import http from 'node:http';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import type { TestServices } from '../test/helpers/services';
import { clickhouseLabel, emit, latencySummary, openLoop, post, spawnApi, withSingleServerToo, type ApiProcess } from './lib';
import { seedTenants } from './fixtures';
import { apiWindow } from './api-metrics';

const SECONDS = Number(process.env.BENCH_CHECK_SECONDS ?? 10);
/** The rates of the latency curve (requests/s), each held for KNEE_SECONDS. */
const KNEE_RATES = (process.env.BENCH_CHECK_RATES ?? '1000,2000,3000,5000,6000,8000').split(',').map(Number);
const KNEE_SECONDS = Number(process.env.BENCH_CHECK_KNEE_SECONDS ?? 5);
/** Accounts of the many-accounts run (0: skip it). */
const MANY_ACCOUNTS = Number(process.env.BENCH_CHECK_MANY_ACCOUNTS ?? 10_000);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/** Many accounts at once, straight into Postgres (the admin route would start a workflow each). */
async function seedAccountsDirectly(api: ApiProcess, count: number): Promise<string[]> {
  const db = new Client({ connectionString: api.env.DATABASE_URL });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO accounts (id, name, plan_id, period_start, period_end)
       SELECT 'acct_bench_' || i, 'bench ' || i, 'free', date_trunc('month', now()), date_trunc('month', now()) + interval '1 month'
       FROM generate_series(1, $1) i RETURNING id`,
      [count],
    );
    return rows.map((r) => r.id);
  } finally {
    await db.end();
  }
}

const load = () => Math.round(loadavg()[0]! * 100) / 100;

async function run(api: ApiProcess, key: string, accountIds: string[], rate: number, seconds: number) {
  const body = (i: number) => JSON.stringify({ accountId: accountIds[i % accountIds.length]!, meter: 'ai_tokens', amount: 1 });
  const checkWindow = await apiWindow(api.url);
  const check = await openLoop(rate, rate * seconds, async (i) => (await post(`${api.url}/v1/usage/check`, key, body(i))).status);
  const during = await checkWindow(rate * seconds);
  // The floor of the same run: the HTTP round trip of a route that does nothing, at the same rate.
  const floorWindow = await apiWindow(api.url);
  const floor = await openLoop(rate, rate * Math.min(seconds, 3), () => get(`${api.url}/healthz`));
  const floorApi = await floorWindow(rate * Math.min(seconds, 3));
  const c = latencySummary(check.samples);
  const f = latencySummary(floor.samples);
  return {
    target_rps: rate,
    achieved_rps: Math.round(check.achievedRps),
    errors: check.errors,
    ...c,
    baseline_healthz_p50_ms: f.p50_ms,
    baseline_healthz_p99_ms: f.p99_ms,
    ratio_p50_vs_baseline: Math.round((c.p50_ms / f.p50_ms) * 100) / 100,
    ratio_p99_vs_baseline: Math.round((c.p99_ms / f.p99_ms) * 100) / 100,
    ...during,
    baseline_healthz_api_cpu_ms_per_request: floorApi.api_cpu_ms_per_request,
    client_loop_delay_p99_ms: check.clientLoopDelayP99Ms,
  };
}

/**
 * POST /v1/usage/check in an open loop (latency includes any queueing): 1,000 requests/s over 50
 * accounts against the 2 ms p99 target, the latency curve up to where it breaks (the knee), and
 * the same 1,000 requests/s over 10,000 accounts. Every check reserves 1 ai_token under the free
 * plan's hard limit of 100,000, so admissions go through leases and, at each lease's end, Postgres.
 * With BENCH_CLICKHOUSE_CLUSTER=1 the 1,000 requests/s run is repeated on a single server of the
 * same run, and a line gives the cluster's latency ratios to it.
 */
export async function benchCheck(services: TestServices): Promise<void> {
  const api = await spawnApi(services);
  let steady: Awaited<ReturnType<typeof run>>;
  try {
    const { accountIds, serviceKey, warm } = await prepare(api);
    steady = await run(api, serviceKey, accountIds, 1_000, SECONDS);
    emit({ bench: 'usage-check', backend: clickhouseLabel(services), accounts: 50, ...steady, target_p50_ms: 0.5, target_p99_ms: 2, loadavg: load() });
    await curveAndManyAccounts(services, api, serviceKey, accountIds, warm);
  } finally {
    await api.stop();
  }
  // Cluster mode: the same 1,000 checks/s on one server of this run, and the cluster's ratios to it.
  const single = await withSingleServerToo(services, async (s) => {
    const singleApi = await spawnApi(s);
    try {
      const { accountIds, serviceKey } = await prepare(singleApi);
      return await run(singleApi, serviceKey, accountIds, 1_000, SECONDS);
    } finally {
      await singleApi.stop();
    }
  });
  if (single) {
    emit({
      bench: 'usage-check-cluster-vs-single',
      accounts: 50,
      target_rps: 1_000,
      cluster: {
        achieved_rps: steady.achieved_rps,
        errors: steady.errors,
        p50_ms: steady.p50_ms,
        p99_ms: steady.p99_ms,
        refresh_mean_ms: steady.refresh_mean_ms,
      },
      single_node: {
        achieved_rps: single.achieved_rps,
        errors: single.errors,
        p50_ms: single.p50_ms,
        p99_ms: single.p99_ms,
        refresh_mean_ms: single.refresh_mean_ms,
      },
      ratio_p50_cluster_vs_single: Math.round((steady.p50_ms / single.p50_ms) * 100) / 100,
      ratio_p99_cluster_vs_single: Math.round((steady.p99_ms / single.p99_ms) * 100) / 100,
      loadavg: load(),
    });
  }
}

/** 50 accounts and a service key on `api`, each account checked once, then a short warm-up load. */
async function prepare(api: ApiProcess) {
  const { accountIds, serviceKey } = await seedTenants(api, 50);
  const warm = (ids: string[]) =>
    Promise.all(ids.map((id) => post(`${api.url}/v1/usage/check`, serviceKey, JSON.stringify({ accountId: id, meter: 'ai_tokens', amount: 1 }))));
  await warm(accountIds);
  await run(api, serviceKey, accountIds, 500, 2); // connections and JIT
  return { accountIds, serviceKey, warm };
}

async function curveAndManyAccounts(
  services: TestServices,
  api: ApiProcess,
  serviceKey: string,
  accountIds: string[],
  warm: (ids: string[]) => Promise<unknown>,
): Promise<void> {
  const curve = [];
  for (const rate of KNEE_RATES) curve.push(await run(api, serviceKey, accountIds, rate, KNEE_SECONDS));
  // The knee: the highest rate still answered in time (p99 <= 2 ms) and in full (achieved >= 95%, no errors).
  const held = curve.filter((p) => p.p99_ms <= 2 && p.errors === 0 && p.achieved_rps >= 0.95 * p.target_rps);
  emit({
    bench: 'usage-check-curve',
    backend: clickhouseLabel(services),
    accounts: 50,
    knee_rps: held.length ? Math.max(...held.map((p) => p.target_rps)) : null,
    curve: curve.map((p) => ({
      rps: p.target_rps,
      achieved: p.achieved_rps,
      errors: p.errors,
      p50_ms: p.p50_ms,
      p99_ms: p.p99_ms,
      api_cpu_ms: p.api_cpu_ms_per_request,
      api_loop_p99_ms: p.api_loop_delay_p99_ms,
      snapshot_waits: p.waits_for_snapshot,
    })),
    loadavg: load(),
  });

  if (MANY_ACCOUNTS === 0) return;
  const many = await seedAccountsDirectly(api, MANY_ACCOUNTS);
  for (let i = 0; i < many.length; i += 500) await warm(many.slice(i, i + 500));
  emit({
    bench: 'usage-check',
    backend: clickhouseLabel(services),
    accounts: MANY_ACCOUNTS,
    ...(await run(api, serviceKey, many, 1_000, SECONDS)),
    target_p99_ms: 2,
    loadavg: load(),
  });
}
