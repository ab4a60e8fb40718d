import { startTestStack, type TestStack } from '../helpers/stack';
import { testServices } from '../helpers/services';
import { call } from '../helpers/http';
import { assignPlan, createAccount, putPlan, usageEvent } from '../helpers/factories';
import { ingestOk } from '../helpers/metering';
import { usageAlertsWorkflow } from '../../workflows/usage-alerts';
import { reportUsageUpdate } from '../../workflows/messages';
import { METERED_PLAN, WEBHOOK_SECRET, billingOf } from './helpers';
import { stripeRecorder } from './stripe-recorder';

let recorder: Awaited<ReturnType<typeof stripeRecorder>>;
let api: TestStack;
let worker: TestStack | undefined;
beforeAll(async () => {
  recorder = await stripeRecorder(testServices().stripeApiBase);
  const env = { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: recorder.url };
  api = await startTestStack({ worker: false, env });
  worker = await startTestStack({ shareWith: api, api: false, worker: true, env });
  await putPlan(api, 'metered', METERED_PLAN);
}, 120_000);
afterAll(async () => {
  await worker?.close();
  await api?.close();
  await recorder?.close();
});

async function overageAccount(name: string) {
  const { accountId, apiKey } = await createAccount(api, name);
  await api.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  await assignPlan(api, accountId, 'metered');
  const { rows } = await api.deps.db.query('SELECT stripe_customer_id, period_start FROM accounts WHERE id = $1', [accountId]);
  // The per-minute schedule's workflow, run on demand: it starts the account's reporting workflow.
  await api.deps.temporal.workflow.execute(usageAlertsWorkflow, {
    workflowId: `alerts-${accountId}`,
    taskQueue: api.config.TEMPORAL_TASK_QUEUE,
    args: [{ accountIds: [accountId] }],
  });
  const handle = api.deps.temporal.workflow.getHandle(`usage-reporting:${accountId}:${(rows[0].period_start as Date).toISOString()}`);
  return { accountId, apiKey, customer: rows[0].stripe_customer_id as string, handle, report: () => handle.executeUpdate(reportUsageUpdate) };
}

/** The ledger's acknowledged total for the account's period: what we say Stripe was told. */
const ledgerSent = async (accountId: string) =>
  Number(
    (await api.deps.db.query(`SELECT coalesce(sum(quantity), 0) AS s FROM usage_reports WHERE account_id = $1 AND status = 'sent'`, [accountId])).rows[0].s,
  );

/** After every scenario: Stripe's memory, our ledger and the dashboard all equal the overage of the distinct events. */
async function expectExact(t: { accountId: string; apiKey: string; customer: string }, distinctTokens: number) {
  const overage = Math.max(distinctTokens - 1000, 0);
  expect(recorder.billedTo(t.customer)).toBe(overage);
  expect(await ledgerSent(t.accountId)).toBe(overage);
  const billing = await billingOf(api, t.apiKey);
  expect(billing.overage.ai_tokens).toMatchObject({ quantity: String(overage), reported: String(overage), pending: '0', lastError: null });
}

it('reports the overage once under duplicates, Stripe outages, lost answers, a worker restart and late events', async () => {
  const t = await overageAccount('Exact');
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
  const t = await overageAccount('Refused');
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
  const t = await overageAccount('Capped');
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

it('previews the upcoming invoice with overage lines equal to the recomputation', async () => {
  const t = await overageAccount('Preview');
  await ingestOk(api, [usageEvent(t.accountId, 'p1', { value: 1000 }), usageEvent(t.accountId, 'p2', { value: 1401 })]);
  const r = await call(api.url, 'GET', '/dashboard/billing/invoice-preview', { token: t.apiKey });
  expect(r.status).toBe(200);
  // 1,401 tokens beyond the included 1,000: 15 started blocks of 100 at 2 cents.
  expect(r.body.overage).toEqual([expect.objectContaining({ meter: 'ai_tokens', quantity: '1401', blocks: '15', amountCents: 30 })]);
  expect(r.body.base).toEqual({ planId: 'metered', amountCents: 2500 });
  expect(r.body.totalCents).toBe(2530);
  expect(r.body.stripe.lines.length).toBeGreaterThan(0);
  await t.report();
  expect(recorder.billedTo(t.customer)).toBe(Number(r.body.overage[0].quantity));
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
  // A plan without overage starts no reporting workflow and sends no meter events.
  const { accountId } = await createAccount(api, 'Plain user');
  await api.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  await assignPlan(api, accountId, 'plain');
  await api.deps.temporal.workflow.execute(usageAlertsWorkflow, {
    workflowId: `alerts-${accountId}`,
    taskQueue: api.config.TEMPORAL_TASK_QUEUE,
    args: [{ accountIds: [accountId] }],
  });
  const { rows: reports } = await api.deps.db.query('SELECT 1 FROM usage_reports WHERE account_id = $1', [accountId]);
  expect(reports).toHaveLength(0);
}, 120_000);
