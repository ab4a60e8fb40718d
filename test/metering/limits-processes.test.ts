import type { ChildProcess } from 'node:child_process';
import { startTestStack, type TestStack } from '../helpers/stack';
import { spawnApi, stopApis } from '../helpers/api-process';
import { setPlan } from '../helpers/factories';
import { eventually } from '../helpers/eventually';
import { admitted as admittedOver, check as checkOn, counters, tenantWithUsed as tenantOnPlan } from '../helpers/limit-checks';

/**
 * Hard limits across API processes: two real `bin/api.ts` processes on one Postgres and
 * ClickHouse. Far from the limit each admits from a lease in memory, near it through Postgres;
 * either way, with k units left, concurrent checks spread over both admit exactly k.
 */
let base: TestStack;
const children: ChildProcess[] = [];
let urls: string[];

beforeAll(async () => {
  base = await startTestStack();
  await setPlan(base, 'hard5000', { ai_tokens: { limit: 5000, mode: 'hard' } });
  urls = await Promise.all([spawnApi(base, children), spawnApi(base, children)]);
}, 120_000);
afterAll(async () => {
  stopApis(children);
  await base?.close();
});

const check = (url: string, body: Record<string, unknown>) => checkOn(base, url, body);
const admitted = (accountId: string, n: number, amount: number, concurrency: number) => admittedOver(base, urls, accountId, n, amount, concurrency);
const tenantWithUsed = (used: number) => tenantOnPlan(base, urls, 'hard5000', used);

it.each([
  ['near the limit (every admission through Postgres)', 4_990, 40, 1],
  ['far from it (leases, then Postgres at the tail)', 2_000, 4_000, 1],
  ['with amounts that do not divide the rest', 1_000, 1_500, 3],
])(
  'k units left, N concurrent checks over two processes admit exactly k: %s',
  async (_name, used, n, amount) => {
    const accountId = await tenantWithUsed(used);
    const k = 5000 - used;
    expect(await admitted(accountId, n, amount, 48)).toBe(Math.floor(k / amount));
    // And Postgres agrees: what is reserved is what was admitted, nothing is left leased.
    await eventually(
      'leases returned',
      async () => {
        const row = await counters(base, accountId);
        return row.l === 0 && row.r === Math.floor(k / amount) * amount;
      },
      10_000,
    );
  },
  120_000,
);

it('a crashed process may strand its lease (under-admission), never admit past the limit', async () => {
  const accountId = await tenantWithUsed(0);
  const crashing: ChildProcess[] = [];
  const url = await spawnApi(base, crashing);
  let allowed = 0;
  for (let i = 0; i < 50; i++) if ((await check(url, { accountId, amount: 10 })).body.allowed) allowed += 10;
  stopApis(crashing, 'SIGKILL');
  const leased = (await counters(base, accountId)).l;
  // The survivors admit the rest, minus the stranded lease, and not a unit more.
  allowed += 10 * (await admitted(accountId, 600, 10, 24));
  expect(allowed).toBeLessThanOrEqual(5000);
  expect(allowed).toBeGreaterThanOrEqual(5000 - leased - 10);
}, 120_000);
