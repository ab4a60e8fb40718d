import { loadavg } from 'node:os';
import type { TestServices } from '../test/helpers/services';
import { emit, latencySummary, openLoop, post, spawnApi, type ApiProcess } from './lib';
import { seedTenants } from './fixtures';
import { capLimit, pricedTerms } from '../metering/spend-cap-budget';
import { toNano } from '../metering/decimal';

const RATE = Number(process.env.BENCH_SPEND_CAP_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SPEND_CAP_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_SPEND_CAP_ROUNDS ?? 2);

async function put(url: string, token: string, body: object): Promise<void> {
  const r = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status !== 200) throw new Error(`PUT ${url}: ${r.status} ${await r.text()}`);
}

/** 50 accounts on `planId` (the cap set on each when given), each checked once. */
async function accountsOn(api: ApiProcess, planId: string, maxCents?: number) {
  const { accountIds, apiKeys, serviceKey } = await seedTenants(api, 50);
  for (const [i, id] of accountIds.entries()) {
    await put(`${api.url}/admin/accounts/${id}/plan`, api.env.ADMIN_TOKEN!, { planId });
    if (maxCents !== undefined) await put(`${api.url}/dashboard/billing/spend-cap`, apiKeys[i]!, { maxCents });
  }
  return { accountIds, serviceKey };
}

/** What a capped check adds in memory: the cap's limit from two priced meters' usage (ns per check). */
function capLimitCostNs(): number {
  const priced = new Map([
    ['ai_tokens', pricedTerms({ included: '50000', unitAmountCents: '1', blockSize: '1' })],
    ['bandwidth_bytes', pricedTerms({ included: '0', unitAmountCents: '1', blockSize: '1000' })],
  ]);
  const budget = { cap: toNano('50000'), priced, capped: new Set(['ai_tokens']) };
  const used: Record<string, bigint> = { ai_tokens: toNano('1234.5'), bandwidth_bytes: toNano('777') };
  const n = 1_000_000;
  let sink = 0n;
  const start = performance.now();
  for (let i = 0; i < n; i++) sink += capLimit(budget, 'ai_tokens', (m) => used[m]!);
  if (sink < 0n) throw new Error('unreachable');
  return Math.round(((performance.now() - start) * 1e6) / n);
}

async function run(api: ApiProcess, t: { accountIds: string[]; serviceKey: string }) {
  const body = (i: number) => JSON.stringify({ accountId: t.accountIds[i % t.accountIds.length]!, meter: 'ai_tokens', amount: 1 });
  const r = await openLoop(RATE, RATE * SECONDS, async (i) => (await post(`${api.url}/v1/usage/check`, t.serviceKey, body(i))).status);
  return { achieved_rps: Math.round(r.achievedRps), errors: r.errors, ...latencySummary(r.samples) };
}

/**
 * Limit checks under a spend cap against plain hard limits, in the same run: 50 accounts on a
 * plan whose ai_tokens are hard-limited at 100,000 (the baseline), and 50 on a plan with two
 * priced meters whose cap makes ai_tokens hard at the same 100,000 (computed per check from the
 * usage snapshot of both meters). Each check reserves 1 token at RATE requests/s; the runs
 * alternate ROUNDS times so a change of the machine's load hits both alike. Also times the
 * in-memory part a cap adds to a check, alone.
 */
export async function benchSpendCapCheck(services: TestServices): Promise<void> {
  const api = await spawnApi(services);
  try {
    const admin = api.env.ADMIN_TOKEN!;
    await put(`${api.url}/admin/plans/bench-hard`, admin, { name: 'hard', amountCents: 0, limits: { ai_tokens: { limit: 100_000, mode: 'hard' } } });
    await put(`${api.url}/admin/plans/bench-capped`, admin, {
      name: 'capped',
      amountCents: 0,
      limits: { ai_tokens: { limit: 50_000, mode: 'soft' } },
      overage: { ai_tokens: { included: 50_000, unitAmountCents: 1, blockSize: 1 }, bandwidth_bytes: { included: 0, unitAmountCents: 1, blockSize: 1000 } },
    });
    const hard = await accountsOn(api, 'bench-hard');
    const capped = await accountsOn(api, 'bench-capped', 50_000);
    await run(api, hard); // connections and JIT
    await run(api, capped);
    const results = { hard: [] as Awaited<ReturnType<typeof run>>[], capped: [] as Awaited<ReturnType<typeof run>>[] };
    for (let round = 0; round < ROUNDS; round++) {
      results.hard.push(await run(api, hard));
      results.capped.push(await run(api, capped));
    }
    const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 100) / 100;
    const of = (rs: Awaited<ReturnType<typeof run>>[]) => ({
      achieved_rps: mean(rs.map((r) => r.achieved_rps)),
      errors: rs.reduce((s, r) => s + r.errors, 0),
      p50_ms: mean(rs.map((r) => r.p50_ms)),
      p99_ms: mean(rs.map((r) => r.p99_ms)),
    });
    const h = of(results.hard);
    const c = of(results.capped);
    emit({
      bench: 'spend-cap-check',
      target_rps: RATE,
      seconds_per_run: SECONDS,
      rounds: ROUNDS,
      baseline_hard_limit: h,
      spend_cap: c,
      ratio_p50_vs_baseline: Math.round((c.p50_ms / h.p50_ms) * 100) / 100,
      ratio_p99_vs_baseline: Math.round((c.p99_ms / h.p99_ms) * 100) / 100,
      cap_limit_ns_per_check: capLimitCostNs(),
      loadavg: Math.round(loadavg()[0]! * 100) / 100,
    });
  } finally {
    await api.stop();
  }
}
