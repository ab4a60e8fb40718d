import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { assignPlan, createAccount, putPlan } from '../helpers/factories';
import { effectiveLimits } from '../../metering/effective-limits';

const CAPPED_PLAN = {
  name: 'Capped',
  amountCents: 2500,
  limits: { ai_tokens: { limit: 1000, mode: 'soft' }, lambda_invocations: { limit: 50, mode: 'hard' }, bandwidth_bytes: { limit: 10, mode: 'soft' } },
  // 0.3 cents per started block of 7 tokens; 1.25 cents per 1,000 bytes beyond 10 (no soft limit needed).
  overage: { ai_tokens: { included: 1000, unitAmountCents: 0.3, blockSize: 7 }, bandwidth_bytes: { included: 10, unitAmountCents: 1.25, blockSize: 1000 } },
};

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ stripe: false });
  await putPlan(stack, 'capped', CAPPED_PLAN);
});
afterAll(() => stack?.close());

const capped = async (maxCents: number | null) => {
  const t = await createAccount(stack, 'Cap');
  await assignPlan(stack, t.accountId, 'capped');
  const r = await call(stack.url, 'PUT', '/dashboard/billing/spend-cap', { token: t.apiKey, body: { maxCents } });
  expect(r.status).toBe(200);
  return t;
};

it('leaves the limits as they are without a spend cap', async () => {
  const t = await capped(null);
  expect(await effectiveLimits(stack.deps.db, t.accountId)).toEqual({
    ai_tokens: { limit: 1000, mode: 'soft' },
    lambda_invocations: { limit: 50, mode: 'hard' },
    bandwidth_bytes: { limit: 10, mode: 'soft' },
  });
});

it('turns a priced soft limit hard at the included amount plus the whole blocks the cap buys', async () => {
  const t = await capped(10);
  expect((await call(stack.url, 'GET', '/dashboard/billing', { token: t.apiKey })).body.spendCap).toEqual({ maxCents: 10 });
  // 10 / 0.3 = 33 whole blocks of 7 tokens = 231 tokens; 10 / 1.25 = 8 blocks of 1,000 bytes.
  expect(await effectiveLimits(stack.deps.db, t.accountId)).toEqual({
    ai_tokens: { limit: 1231, mode: 'hard' },
    lambda_invocations: { limit: 50, mode: 'hard' },
    bandwidth_bytes: { limit: 8010, mode: 'hard' },
  });
  // One budget: 2,010 bytes cost 2 blocks = 2.5 cents, leaving 7.5 cents = 25 blocks of tokens.
  expect((await effectiveLimits(stack.deps.db, t.accountId, { bandwidth_bytes: 2010 })).ai_tokens).toEqual({ limit: 1175, mode: 'hard' });
  // Spent past the cap elsewhere: nothing more beyond the included amount.
  expect((await effectiveLimits(stack.deps.db, t.accountId, { bandwidth_bytes: 20_000 })).ai_tokens).toEqual({ limit: 1000, mode: 'hard' });
});

it('refuses a bad spend cap with a 400 naming the field, and removes it with null', async () => {
  const t = await capped(5);
  const bad = await call(stack.url, 'PUT', '/dashboard/billing/spend-cap', { token: t.apiKey, body: { maxCents: -1 } });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body)).toContain('maxCents');
  await call(stack.url, 'PUT', '/dashboard/billing/spend-cap', { token: t.apiKey, body: { maxCents: null } });
  expect((await effectiveLimits(stack.deps.db, t.accountId)).ai_tokens).toEqual({ limit: 1000, mode: 'soft' });
});

it('refuses an overage price on the storage gauge, naming the field', async () => {
  const r = await call(stack.url, 'PUT', '/admin/plans/gauge', {
    token: stack.adminToken,
    body: { name: 'g', amountCents: 0, limits: {}, overage: { storage_bytes: { included: 1, unitAmountCents: 1 } } },
  });
  expect(r.status).toBe(400);
  expect(JSON.stringify(r.body)).toContain('storage_bytes');
});
