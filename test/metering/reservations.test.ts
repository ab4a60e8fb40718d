import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { assignPlan, setPlan, usageEvent } from '../helpers/factories';
import { ingestOk, newTenant, serviceKey } from '../helpers/metering';
import { eventually } from '../helpers/eventually';

/**
 * Reservations that settle: a check reserves, and the reservation ends by commit (the amount
 * actually used, counted until its usage event arrives), release, its usage event, or expiry.
 * `used` is metered usage plus what open reservations hold.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
  await setPlan(stack, 'hard1000', { ai_tokens: { limit: 1000, mode: 'hard' } });
  await setPlan(stack, 'soft1000', { ai_tokens: { limit: 1000, mode: 'soft' } });
});
afterAll(() => stack?.close());

const post = async (path: string, body: Record<string, unknown>) => call(stack.url, 'POST', path, { token: await serviceKey(stack), body });
const check = (body: Record<string, unknown>) => post('/v1/usage/check', { meter: 'ai_tokens', ...body });
const commit = (id: string, amount: number) => post(`/v1/usage/reservations/${id}/commit`, { amount });
const release = (id: string) => post(`/v1/usage/reservations/${id}/release`, {});
const usedNow = async (accountId: string) => (await check({ accountId, amount: 0, reserve: false })).body.used as number;
const tenantOn = async (plan: string) => {
  const t = await newTenant(stack);
  await assignPlan(stack, t.accountId, plan);
  return t;
};

it('an AI call reserves 1,000 tokens, uses 200: commit frees 800 at once, the usage event then counts the 200 once', async () => {
  const { accountId } = await tenantOn('hard1000');
  const reserved = (await check({ accountId, amount: 1000 })).body;
  expect(reserved).toMatchObject({ allowed: true, used: 1000, remaining: 0 });
  expect((await check({ accountId, amount: 1 })).body.allowed).toBe(false);

  const committed = await commit(reserved.reservationId, 200);
  expect(committed.status).toBe(200);
  expect(committed.body).toMatchObject({ reservationId: reserved.reservationId, status: 'committed', amount: 200 });
  // The 800 are free for admissions at once; `used` shows it within a second.
  const again = (await check({ accountId, amount: 800 })).body;
  expect(again.allowed).toBe(true);
  await release(again.reservationId);
  await eventually('used = 200', async () => (await usedNow(accountId)) === 200);

  await ingestOk(stack, [usageEvent(accountId, reserved.reservationId, { value: 200 })]);
  await eventually('settled by its event', async () => {
    const row = (await stack.deps.db.query('SELECT reserved::float8 AS r, settling::float8 AS s FROM limit_counters WHERE account_id = $1', [accountId]))
      .rows[0];
    return row.r === 0 && row.s === 0;
  });
  expect(await usedNow(accountId)).toBe(200);
  expect((await check({ accountId, amount: 800 })).body).toMatchObject({ allowed: true, used: 1000 });
  expect((await check({ accountId, amount: 1 })).body.allowed).toBe(false);
});

it('release frees everything; a second release or commit is a 404', async () => {
  const { accountId } = await tenantOn('hard1000');
  const r = (await check({ accountId, amount: 600 })).body;
  expect((await check({ accountId, amount: 600 })).body.allowed).toBe(false);
  expect((await release(r.reservationId)).body).toMatchObject({ status: 'released', amount: 0 });
  expect((await check({ accountId, amount: 1000 })).body.allowed).toBe(true);
  await eventually('used = 1000', async () => (await usedNow(accountId)) === 1000);
  const again = await release(r.reservationId);
  expect(again.status).toBe(404);
  expect(again.body.error.code).toBe('not_found');
  expect((await commit(r.reservationId, 1)).status).toBe(404);
  expect((await release('rsv_never_was')).status).toBe(404);
});

it('commit of more than was reserved is a 409 naming the field; nothing changes', async () => {
  const { accountId } = await tenantOn('hard1000');
  const r = (await check({ accountId, amount: 10 })).body;
  const reply = await commit(r.reservationId, 11);
  expect(reply.status).toBe(409);
  expect(reply.body.error.details[0].path).toEqual(['body', 'amount']);
  expect((await commit(r.reservationId, 10)).status).toBe(200);
});

it('an expired reservation frees its units', async () => {
  const { accountId } = await tenantOn('hard1000');
  const r = (await check({ accountId, amount: 1000, ttlSeconds: 1 })).body;
  expect(r.expiresAt).toBeDefined();
  expect(Date.parse(r.expiresAt) - Date.now()).toBeLessThanOrEqual(1000);
  expect((await check({ accountId, amount: 1 })).body.allowed).toBe(false);
  await eventually('expired and swept', async () => (await check({ accountId, amount: 1000 })).body.allowed === true, 15_000);
  expect((await release(r.reservationId)).status).toBe(404);
});

it('soft limits count reservations in used, and release gives them back', async () => {
  const { accountId } = await tenantOn('soft1000');
  const r = (await check({ accountId, amount: 1500 })).body;
  expect(r).toMatchObject({ allowed: true, used: 1500, remaining: 0, mode: 'soft' });
  await release(r.reservationId);
  await eventually('released', async () => (await usedNow(accountId)) === 0);
});

it('bad input is a 400 naming the field', async () => {
  const { accountId } = await tenantOn('hard1000');
  const bad = await check({ accountId, amount: 1, ttlSeconds: 0 });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(bad.body.error.details)).toContain('ttlSeconds');
  const digits = await check({ accountId, amount: 0.0000000001 });
  expect(digits.status).toBe(400);
  expect(JSON.stringify(digits.body.error.details)).toContain('amount');
  expect((await post('/v1/usage/reservations/rsv_x/commit', {})).status).toBe(400);
});
