import type { TestServices } from '../test/helpers/services';
import { emit, latencySummary, openLoop, post, spawnApi } from './lib';
import { seedTenants } from './fixtures';

const RATE = 1_000;
const SECONDS = Number(process.env.BENCH_CHECK_SECONDS ?? 10);

/** POST /v1/usage/check at a fixed 1,000 requests/s (open loop: latency includes any queueing). */
export async function benchCheck(services: TestServices): Promise<void> {
  const api = await spawnApi(services);
  try {
    const { accountIds, serviceKey } = await seedTenants(api, 50);
    const body = (i: number) => JSON.stringify({ accountId: accountIds[i % accountIds.length], meter: 'ai_tokens', amount: 1 });
    for (let i = 0; i < 500; i++) await post(`${api.url}/v1/usage/check`, serviceKey, body(i)); // warm caches and connections
    const { samples, errors, achievedRps } = await openLoop(RATE, RATE * SECONDS, async (i) => (await post(`${api.url}/v1/usage/check`, serviceKey, body(i))).status);
    emit({ bench: 'usage-check', backend: 'clickhouse-18.16', target_rps: RATE, achieved_rps: Math.round(achievedRps), errors, ...latencySummary(samples), target_p99_ms: 2 });
  } finally {
    await api.stop();
  }
}
