/**
 * PENDING WIRING: these fail until the limit checker (metering/limits.ts) loads an account's
 * limits through `effectiveLimits` (metering/effective-limits.ts). They are the acceptance tests
 * of "a spend cap turns a soft limit hard exactly at the cap".
 */
import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { assignPlan, createAccount, putPlan } from '../helpers/factories';
import { serviceKey } from '../helpers/metering';

const CAPPED_PLAN = {
  name: 'Capped',
  amountCents: 2500,
  limits: { ai_tokens: { limit: 1000, mode: 'soft' } },
  overage: { ai_tokens: { included: 1000, unitAmountCents: 2, blockSize: 100 } },
};

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ stripe: false });
  await putPlan(stack, 'capped', CAPPED_PLAN);
});
afterAll(() => stack?.close());

const check = async (accountId: string, amount: number) =>
  call(stack.url, 'POST', '/v1/usage/check', { token: await serviceKey(stack), body: { accountId, meter: 'ai_tokens', amount } });

it('admits exactly up to the cap under concurrent checks, then refuses', async () => {
  const { accountId, apiKey } = await createAccount(stack, 'Cap');
  await assignPlan(stack, accountId, 'capped');
  // 10 cents buy 5 blocks of 100 tokens: the meter is hard-limited at 1,500.
  expect((await call(stack.url, 'PUT', '/dashboard/billing/spend-cap', { token: apiKey, body: { maxCents: 10 } })).status).toBe(200);
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
