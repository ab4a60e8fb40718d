import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { assignPlan, createAccount, putPlan, usageEvent } from '../helpers/factories';
import { ingestOk, serviceKey } from '../helpers/metering';
import { usageAlertsWorkflow } from '../../workflows/usage-alerts';
import { METERED_PLAN, billingOf } from './helpers';
import type { stripeRecorder } from './stripe-recorder';
import { ledgerSent, overageAccount, startOverageStacks } from './overage-stacks';

let recorder: Awaited<ReturnType<typeof stripeRecorder>>;
let api: TestStack;
let worker: TestStack | undefined;
beforeAll(async () => {
  ({ recorder, api, worker } = await startOverageStacks());
  // 3 cents a block: a 10-cent cap buys 3 blocks (9 cents) and no more.
  await putPlan(api, 'metered-3c', { ...METERED_PLAN, overage: { ai_tokens: { included: 1000, unitAmountCents: 3, blockSize: 100 } } });
}, 120_000);
afterAll(async () => {
  await worker?.close();
  await api?.close();
  await recorder?.close();
});

/** After every scenario: Stripe's memory, our ledger and the dashboard all equal the overage of the distinct events. */
async function expectExact(t: { accountId: string; apiKey: string; customer: string }, distinctTokens: number) {
  const overage = Math.max(distinctTokens - 1000, 0);
  expect(recorder.billedTo(t.customer)).toBe(overage);
  expect(await ledgerSent(api, t.accountId)).toBe(overage);
  const billing = await billingOf(api, t.apiKey);
  expect(billing.overage.ai_tokens).toMatchObject({ quantity: String(overage), reported: String(overage), pending: '0', lastError: null });
}

it('reports the overage once under duplicates, Stripe outages, lost answers, a worker restart and late events', async () => {
  const t = await overageAccount(api, 'Exact');
  // One timestamp for the scenario: a re-sent event must be the same event (a new timestamp
  // would make it a conflict, not a duplicate, when a second boundary falls between the sends).
  const { timestamp } = usageEvent(t.accountId, 'stamp');
  const ev = (id: string, value: number, over = {}) => usageEvent(t.accountId, id, { value, timestamp, ...over });

  // Duplicates: the same ids twice; only the distinct 1,500 tokens count, 500 beyond the included.
  await ingestOk(api, [ev('a1', 700), ev('a2', 800)]);
  await ingestOk(api, [ev('a1', 700), ev('a2', 800)]);
  await t.report();
  await t.report();
  await expectExact(t, 1500);
  expect(recorder.meterEvents.size).toBe(1);

  // Stripe unavailable for a while: retried with backoff, nothing lost.
  recorder.faults.outage = 4;
  await ingestOk(api, [ev('b1', 250)]);
  await t.report();
  expect(recorder.faults.outage).toBe(0);
  await expectExact(t, 1750);

  // Stripe took the event but the answer was lost: the resend carries the same identifier.
  recorder.faults.lostAnswers = 1;
  const before = recorder.meterEventRequests();
  await ingestOk(api, [ev('c1', 100)]);
  await t.report();
  expect(recorder.meterEventRequests() - before).toBeGreaterThan(1);
  await expectExact(t, 1850);

  // Worker restart, then a late event (timestamped at the period's start, after reports were sent).
  await worker!.close();
  const periodStart = (await api.deps.db.query('SELECT period_start FROM accounts WHERE id = $1', [t.accountId])).rows[0].period_start as Date;
  await ingestOk(api, [ev('late-1', 333, { timestamp: periodStart.toISOString() })]);
  worker = await startTestStack({ shareWith: api, api: false, worker: true, env: { STRIPE_API_BASE: recorder.url } });
  await t.report();
  await expectExact(t, 2183);

  // Every correction was a difference, never a second full report: one event per change.
  const quantities = [...recorder.meterEvents.values()].filter((e) => e.customer === t.customer).map((e) => e.value);
  expect(quantities).toEqual([500, 250, 100, 333]);
}, 180_000);

it('surfaces a refusal by Stripe instead of retrying forever, and reports once the cause is fixed', async () => {
  const t = await overageAccount(api, 'Refused');
  recorder.faults.refuse = true;
  await ingestOk(api, [usageEvent(t.accountId, 'r1', { value: 1200 })]);
  await expect(t.report()).rejects.toThrow();
  const refused = await billingOf(api, t.apiKey);
  expect(refused.overage.ai_tokens.lastError).toMatch(/No such customer/);
  expect(refused.overage.ai_tokens.reported).toBe('0');
  const attempts = recorder.meterEventRequests();
  await new Promise((r) => setTimeout(r, 1500));
  expect(recorder.meterEventRequests()).toBe(attempts);

  recorder.faults.refuse = false;
  await t.report();
  await expectExact(t, 1200);
}, 120_000);

it('raises the spend-cap alert once when the overage cost reaches the cap', async () => {
  const t = await overageAccount(api, 'Capped');
  expect((await call(api.url, 'PUT', '/dashboard/billing/spend-cap', { token: t.apiKey, body: { maxCents: 6 } })).status).toBe(200);
  // 150 beyond: 2 blocks, 4 cents, under the cap.
  await ingestOk(api, [usageEvent(t.accountId, 's1', { value: 1150 })]);
  await t.report();
  expect((await billingOf(api, t.apiKey)).alerts.filter((a: { meter: string }) => a.meter === 'spend_cap')).toHaveLength(0);
  // 310 beyond: 4 blocks, 8 cents, past the cap.
  await ingestOk(api, [usageEvent(t.accountId, 's2', { value: 160 })]);
  await t.report();
  await t.report();
  const alerts = (await billingOf(api, t.apiKey)).alerts.filter((a: { meter: string }) => a.meter === 'spend_cap');
  expect(alerts).toEqual([expect.objectContaining({ used: 8, limit: 6, threshold: 100 })]);
}, 120_000);

it('raises the spend-cap alert once when a capped meter stops short of the cap (10 cents at 3 cents a block)', async () => {
  const t = await overageAccount(api, 'Capped 3c', 'metered-3c');
  expect((await call(api.url, 'PUT', '/dashboard/billing/spend-cap', { token: t.apiKey, body: { maxCents: 10 } })).status).toBe(200);
  const spendCapAlerts = async () => (await billingOf(api, t.apiKey)).alerts.filter((a: { meter: string }) => a.meter === 'spend_cap');
  const check = async (amount: number) =>
    (await call(api.url, 'POST', '/v1/usage/check', { token: await serviceKey(api), body: { accountId: t.accountId, meter: 'ai_tokens', amount } })).body;
  // 250 beyond: 3 started blocks, 9 cents; 50 more tokens still fit in the third block.
  await ingestOk(api, [usageEvent(t.accountId, 'c1', { value: 1250 })]);
  await t.report();
  expect(await spendCapAlerts()).toHaveLength(0);
  expect(await check(50)).toMatchObject({ allowed: true, limit: 1300, mode: 'hard' });
  await ingestOk(api, [usageEvent(t.accountId, 'c2', { value: 50 })]);
  // The meter is now hard at its limit: the cap cannot buy a fourth block, though 9 cents < 10.
  expect(await check(1)).toMatchObject({ allowed: false, limit: 1300, mode: 'hard' });
  // The per-minute alerts run raises it; the reports after it do not raise it again.
  await api.deps.temporal.workflow.execute(usageAlertsWorkflow, {
    workflowId: `alerts-cap-${t.accountId}`,
    taskQueue: api.config.TEMPORAL_TASK_QUEUE,
    args: [{ accountIds: [t.accountId] }],
  });
  expect(await spendCapAlerts()).toEqual([expect.objectContaining({ used: 9, limit: 10, threshold: 100 })]);
  await t.report();
  await t.report();
  expect(await spendCapAlerts()).toHaveLength(1);
}, 120_000);

it("previews the upcoming invoice from Stripe's lines and shows whether their quantities equal the recomputation", async () => {
  const t = await overageAccount(api, 'Preview');
  // Checkout creates the plan's metered Price in Stripe; the preview's overage line is that Price's.
  const checkout = await call(api.url, 'POST', '/dashboard/billing/checkout', {
    token: t.apiKey,
    body: { planId: 'metered', successUrl: 'https://a.example/ok', cancelUrl: 'https://a.example/no' },
  });
  expect(checkout.status).toBe(200);
  const { rows } = await api.deps.db.query(
    `SELECT o.stripe_price_id, a.period_start, a.period_end FROM plan_overage_prices o, accounts a WHERE o.plan_id = 'metered' AND a.id = $1`,
    [t.accountId],
  );
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
  recorder.upcoming.set(t.customer, {
    periodStart: seconds(rows[0].period_start),
    periodEnd: seconds(rows[0].period_end),
    items: [
      { price: 'price_metered', unitAmountCents: 2500 },
      { price: rows[0].stripe_price_id, eventName: 'tollbooth_ai_tokens', unitAmountCents: 2, divideBy: 100 },
    ],
  });
  const preview = async () => {
    const r = await call(api.url, 'GET', '/dashboard/billing/invoice-preview', { token: t.apiKey });
    expect(r.status).toBe(200);
    return r.body;
  };

  // 1,401 tokens beyond the included 1,000, reported: Stripe's line has the same 1,401 (15 blocks, 30 cents).
  await ingestOk(api, [usageEvent(t.accountId, 'p1', { value: 1000 }), usageEvent(t.accountId, 'p2', { value: 1401 })]);
  await t.report();
  const agreed = await preview();
  expect(agreed.overage).toEqual([
    expect.objectContaining({
      meter: 'ai_tokens',
      quantity: '1401',
      blocks: '15',
      amountCents: 30,
      reported: '1401',
      stripe: { quantity: '1401', amountCents: 30 },
      matchesStripe: true,
    }),
  ]);
  expect(agreed).toMatchObject({ base: { planId: 'metered', amountCents: 2500 }, quantitiesMatch: true, totalCents: 2530, recomputedTotalCents: 2530 });

  // Usage not reported yet: Stripe's quantity is what was reported, and the line says so.
  await ingestOk(api, [usageEvent(t.accountId, 'p3', { value: 99 })]);
  expect((await preview()).overage[0]).toMatchObject({ quantity: '1500', reported: '1401', stripe: { quantity: '1401' }, matchesStripe: false });
  await t.report();
  expect(await preview()).toMatchObject({ quantitiesMatch: true, totalCents: 2530 });

  // Stripe counts 40 units we never sent (another sender on the same meter): the preview shows the disagreement.
  const foreign = await fetch(`${recorder.url}/v1/billing/meter_events`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk_test_123', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      event_name: 'tollbooth_ai_tokens',
      identifier: `foreign-${t.accountId}`,
      timestamp: String(Math.floor(Date.now() / 1000)),
      'payload[stripe_customer_id]': t.customer,
      'payload[value]': '40',
    }),
  });
  expect(foreign.status).toBe(200);
  const differs = await preview();
  expect(differs.overage[0]).toMatchObject({ quantity: '1500', reported: '1500', stripe: { quantity: '1540', amountCents: 32 }, matchesStripe: false });
  expect(differs).toMatchObject({ quantitiesMatch: false, totalCents: 2532, recomputedTotalCents: 2530 });
}, 120_000);

it('subscribes to the metered price next to the base price; a plan without overage keeps one line item', async () => {
  const checkoutItems = async (planId: string) => {
    const { apiKey } = await createAccount(api, `Checkout ${planId}`);
    const before = recorder.requests.length;
    const r = await call(api.url, 'POST', '/dashboard/billing/checkout', {
      token: apiKey,
      body: { planId, successUrl: 'https://a.example/ok', cancelUrl: 'https://a.example/no' },
    });
    expect(r.status).toBe(200);
    const session = recorder.requests.slice(before).find((q) => q.method === 'POST' && q.path.startsWith('/v1/checkout/sessions'))!;
    return [...session.form.keys()].filter((k) => /^line_items\[\d+\]\[price\]$/.test(k)).map((k) => session.form.get(k));
  };
  const plain = await call(api.url, 'PUT', '/admin/plans/plain', {
    token: api.adminToken,
    body: { name: 'Plain', amountCents: 900, stripePriceId: 'price_plain', limits: { ai_tokens: { limit: 1000, mode: 'soft' } } },
  });
  expect(plain.body.plan.overage).toEqual({});
  expect(await checkoutItems('plain')).toEqual(['price_plain']);
  const metered = await checkoutItems('metered');
  expect(metered).toHaveLength(2);
  expect(metered[0]).toBe('price_metered');
  const { rows } = await api.deps.db.query(`SELECT stripe_price_id FROM plan_overage_prices WHERE plan_id = 'metered'`);
  expect(metered[1]).toBe(rows[0].stripe_price_id);
  // A plan without overage starts no reporting workflow and sends no meter events, even well past its included amount.
  const { accountId } = await createAccount(api, 'Plain user');
  await api.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  await assignPlan(api, accountId, 'plain');
  await ingestOk(api, [usageEvent(accountId, 'plain-1', { value: 2500 })]);
  await api.deps.temporal.workflow.execute(usageAlertsWorkflow, {
    workflowId: `alerts-${accountId}`,
    taskQueue: api.config.TEMPORAL_TASK_QUEUE,
    args: [{ accountIds: [accountId] }],
  });
  const { rows: reports } = await api.deps.db.query('SELECT 1 FROM usage_reports WHERE account_id = $1', [accountId]);
  expect(reports).toHaveLength(0);
  const { rows: plainCustomer } = await api.deps.db.query('SELECT stripe_customer_id, period_start FROM accounts WHERE id = $1', [accountId]);
  expect(recorder.billedTo(plainCustomer[0].stripe_customer_id)).toBe(0);
  const reporting = api.deps.temporal.workflow.getHandle(`usage-reporting:${accountId}:${(plainCustomer[0].period_start as Date).toISOString()}`);
  await expect(reporting.describe()).rejects.toThrow(/not found/i);
}, 120_000);
