import type { ChildProcess } from 'node:child_process';
import { startTestStack, type TestStack } from '../helpers/stack';
import { spawnApi, stopApis } from '../helpers/api-process';
import { call } from '../helpers/http';
import { assignPlan, setPlan, usageEvent } from '../helpers/factories';
import { ingestOk, newTenant, serviceKey } from '../helpers/metering';
import { eventually } from '../helpers/eventually';

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

const check = async (url: string, body: Record<string, unknown>) =>
  call(url, 'POST', '/v1/usage/check', { token: await serviceKey(base), body: { meter: 'ai_tokens', ...body } });

/** Sends `n` checks alternating between the processes, `concurrency` at a time; counts the admitted. */
async function admitted(accountId: string, n: number, amount: number, concurrency: number): Promise<number> {
  let next = 0;
  let allowed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const reply = await check(urls[i % urls.length]!, { accountId, amount });
        expect(reply.status).toBe(200);
        if (reply.body.allowed) allowed++;
      }
    }),
  );
  return allowed;
}

async function tenantWithUsed(used: number): Promise<string> {
  const { accountId } = await newTenant(base);
  await assignPlan(base, accountId, 'hard5000');
  if (used > 0) await ingestOk(base, [usageEvent(accountId, 'seed', { value: used })]);
  // Both processes see the metered usage within a second.
  for (const url of urls) await eventually('seen', async () => (await check(url, { accountId, amount: 0, reserve: false })).body.used === used);
  return accountId;
}

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
        const row = (await base.deps.db.query('SELECT reserved::float8 AS r, leased::float8 AS l FROM limit_counters WHERE account_id = $1', [accountId]))
          .rows[0];
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
  const leased: number = (await base.deps.db.query('SELECT leased::float8 AS l FROM limit_counters WHERE account_id = $1', [accountId])).rows[0].l;
  // The survivors admit the rest, minus the stranded lease, and not a unit more.
  allowed += 10 * (await admitted(accountId, 600, 10, 24));
  expect(allowed).toBeLessThanOrEqual(5000);
  expect(allowed).toBeGreaterThanOrEqual(5000 - leased - 10);
}, 120_000);
