/**
 * A spend cap turns a soft limit hard exactly at the cap, under concurrent checks; the cap is
 * one budget shared by all the account's priced meters.
 */
import type { ChildProcess } from 'node:child_process';
import { startTestStack, type TestStack } from '../helpers/stack';
import { spawnApi, stopApis } from '../helpers/api-process';
import { call } from '../helpers/http';
import { assignPlan, createAccount, putPlan, usageEvent } from '../helpers/factories';
import { ingestOk, serviceKey } from '../helpers/metering';

const CAPPED_PLAN = {
  name: 'Capped',
  amountCents: 2500,
  limits: { ai_tokens: { limit: 1000, mode: 'soft' } },
  overage: { ai_tokens: { included: 1000, unitAmountCents: 2, blockSize: 100 } },
};
/** Two priced meters: 2 cents per 100 tokens beyond 1,000; 3 cents per 10 bytes beyond 100 (no plan limit). */
const TWO_METER_PLAN = {
  name: 'Two meters',
  amountCents: 2500,
  limits: { ai_tokens: { limit: 1000, mode: 'soft' } },
  overage: {
    ai_tokens: { included: 1000, unitAmountCents: 2, blockSize: 100 },
    bandwidth_bytes: { included: 100, unitAmountCents: 3, blockSize: 10 },
  },
};

let stack: TestStack;
const children: ChildProcess[] = [];
let secondApi: string;
beforeAll(async () => {
  stack = await startTestStack({ stripe: false });
  await putPlan(stack, 'capped', CAPPED_PLAN);
  await putPlan(stack, 'two-meters', TWO_METER_PLAN);
  secondApi = await spawnApi(stack, children);
}, 120_000);
afterAll(async () => {
  stopApis(children);
  await stack?.close();
});

const check = async (accountId: string, amount: number, meter = 'ai_tokens', url = stack.url) =>
  call(url, 'POST', '/v1/usage/check', { token: await serviceKey(stack), body: { accountId, meter, amount } });

async function cappedAccount(planId: string, maxCents: number) {
  const { accountId, apiKey } = await createAccount(stack, 'Cap');
  await assignPlan(stack, accountId, planId);
  expect((await call(stack.url, 'PUT', '/dashboard/billing/spend-cap', { token: apiKey, body: { maxCents } })).status).toBe(200);
  return accountId;
}

/** What the plan's overage costs, computed here independently: started blocks beyond the included amount. */
const cents = (used: number, included: number, block: number, price: number) => Math.ceil(Math.max(used - included, 0) / block) * price;

it('admits exactly up to the cap under concurrent checks, then refuses', async () => {
  const accountId = await cappedAccount('capped', 10);
  // 10 cents buy 5 blocks of 100 tokens: the meter is hard-limited at 1,500.
  const replies = await Promise.all(Array.from({ length: 40 }, () => check(accountId, 50)));
  expect(replies.every((r) => r.status === 200)).toBe(true);
  expect(replies.filter((r) => r.body.allowed)).toHaveLength(30);
  const after = await check(accountId, 1);
  expect(after.body).toMatchObject({ allowed: false, limit: 1500, mode: 'hard', used: 1500 });
});

it('without a cap the same meter stays soft and admits past the included amount', async () => {
  const { accountId } = await createAccount(stack, 'Uncapped');
  await assignPlan(stack, accountId, 'capped');
  const r = await check(accountId, 5000);
  expect(r.body).toMatchObject({ allowed: true, mode: 'soft', limit: 1000 });
});

it('shares one budget across priced meters: usage of one meter leaves the other only the rest of the cap', async () => {
  const accountId = await cappedAccount('two-meters', 20);
  // 145 bytes: 45 beyond the included 100 = 5 started blocks = 15 cents of the 20.
  await ingestOk(stack, [usageEvent(accountId, 'bw-1', { meter: 'bandwidth_bytes', value: 145 })]);
  // The 5 cents left buy 2 blocks of 100 tokens: tokens stop at 1,200, not at the 2,000 the whole cap would buy.
  const replies = await Promise.all(Array.from({ length: 40 }, () => check(accountId, 50)));
  expect(replies.every((r) => r.status === 200)).toBe(true);
  expect(replies.filter((r) => r.body.allowed)).toHaveLength(24);
  expect((await check(accountId, 1)).body).toMatchObject({ allowed: false, limit: 1200, mode: 'hard', used: 1200 });
  // And the tokens now admitted leave the bytes no more than the blocks they already started.
  expect((await check(accountId, 6, 'bandwidth_bytes')).body).toMatchObject({ allowed: false, limit: 150, mode: 'hard' });
  expect((await check(accountId, 5, 'bandwidth_bytes')).body).toMatchObject({ allowed: true, limit: 150 });
}, 60_000);

it('never spends past the cap when both priced meters are checked at once', async () => {
  const accountId = await cappedAccount('two-meters', 20);
  // Block-sized checks: 100 tokens (2 cents) and 10 bytes (3 cents), the first 10 of each free.
  const checks = Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? { meter: 'ai_tokens', amount: 100 } : { meter: 'bandwidth_bytes', amount: 10 }));
  const replies = await Promise.all(checks.map((c) => check(accountId, c.amount, c.meter)));
  expect(replies.every((r) => r.status === 200)).toBe(true);
  const admitted = (meter: string) => checks.filter((c, i) => c.meter === meter && replies[i]!.body.allowed).reduce((sum, c) => sum + c.amount, 0);
  const spent = cents(admitted('ai_tokens'), 1000, 100, 2) + cents(admitted('bandwidth_bytes'), 100, 10, 3);
  expect(spent).toBeLessThanOrEqual(20);
  // A token check is refused only when less than its 2 cents is left: the budget is used up to that.
  expect(spent).toBeGreaterThanOrEqual(19);
  expect((await check(accountId, 100)).body.allowed).toBe(false);
}, 60_000);

it('never spends past the cap when two API processes check both priced meters at once, leases included', async () => {
  const accountId = await cappedAccount('two-meters', 300);
  // 300 cents: up to 150 blocks of tokens or 100 of bytes; far from that each process admits from leases.
  const checks = Array.from({ length: 400 }, (_, i) => (i % 2 === 0 ? { meter: 'ai_tokens', amount: 100 } : { meter: 'bandwidth_bytes', amount: 10 }));
  const allowed: boolean[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 48 }, async () => {
      while (next < checks.length) {
        const i = next++;
        const r = await check(accountId, checks[i]!.amount, checks[i]!.meter, i % 4 < 2 ? stack.url : secondApi);
        expect(r.status).toBe(200);
        allowed[i] = r.body.allowed;
      }
    }),
  );
  const admitted = (meter: string) => checks.filter((c, i) => c.meter === meter && allowed[i]).reduce((sum, c) => sum + c.amount, 0);
  const spent = cents(admitted('ai_tokens'), 1000, 100, 2) + cents(admitted('bandwidth_bytes'), 100, 10, 3);
  expect(spent).toBeLessThanOrEqual(300);
  // Not refusal for its own sake: most of the budget is admitted (allowance still leased at the end is not).
  expect(spent).toBeGreaterThanOrEqual(150);
}, 120_000);
