// Not part of the suite (no .test.ts): `npx tsx scripts/record-histories.ts` runs it to re-record
// test/fixtures/workflow-histories/, which test/workflows/replay-histories.test.ts replays. Each
// scenario drives workflows through the real API, worker and services; then the longest history
// of each workflow type is written out.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureTemporalCli } from '../../embedded/temporal-cli';
import { startTestStack, type TestStack } from '../helpers/stack';
import { startTimeSkippingStack, type TimeSkippingStack } from '../helpers/time-skipping';
import { call } from '../helpers/http';
import { assignPlan, createAccount, usageEvent } from '../helpers/factories';
import { ingestOk } from '../helpers/metering';
import { reportUsageUpdate } from '../../workflows/messages';
import { GRACE_PERIOD_MS } from '../../workflows/platform-subscription';
import { stripeReconcileWorkflow } from '../../workflows/stripe-reconcile';
import { usageAlertsWorkflow } from '../../workflows/usage-alerts';
import {
  METERED_PLAN,
  WEBHOOK_SECRET,
  sellPlans,
  deliver,
  checkoutCompleted,
  invoiceEvent,
  subscriptionEvent,
  eventually,
  billingOf,
  newSubscriptionId,
  nowS,
} from '../platform-billing/helpers';
import { CONNECT_SECRET, URLS, connectEvent, deliverConnect, newApp, onboard, outcomeOf, rid } from '../connect/helpers';

export const HISTORIES_DIR = path.join(__dirname, '..', 'fixtures', 'workflow-histories');

let stack: TestStack;
let timeSkipping: TimeSkippingStack;
/** Histories from the time-skipping server, which lists no workflows: named by id. */
const timeSkippingRuns: Array<{ workflowId: string; label: string }> = [];
beforeAll(async () => {
  const env = { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET };
  stack = await startTestStack({ worker: true, env });
  await sellPlans(stack);
  timeSkipping = await startTimeSkippingStack({ worker: true, env });
  await sellPlans(timeSkipping);
});

const handledPlatform = (s: TestStack, id: string) => async () =>
  (await s.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [id])).rows[0]?.outcome !== 'pending';

it('platform billing: checkout, plan change, payments, portal, invoice preview, alerts, reconciliation', async () => {
  const { accountId, apiKey } = await createAccount(stack, 'Recorded');
  await stack.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  const body = { planId: 'pro', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/cancel' };
  expect((await call(stack.url, 'POST', '/dashboard/billing/checkout', { token: apiKey, body })).status).toBe(200);
  const [row] = (await stack.deps.db.query('SELECT id, workflow_id FROM checkouts WHERE account_id = $1', [accountId])).rows;
  const subscriptionId = newSubscriptionId();
  const t = nowS();
  const events = [
    checkoutCompleted({ accountId, planId: 'pro', subscriptionId, checkoutId: row.id, checkoutWorkflowId: row.workflow_id }, t),
    subscriptionEvent('customer.subscription.updated', { accountId, subscriptionId, priceId: 'price_team', status: 'active' }, t + 1),
    invoiceEvent('invoice.payment_succeeded', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * 86_400 }, t + 2),
    invoiceEvent('invoice.payment_failed', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * 86_400 }, t + 3),
  ];
  for (const e of events) {
    await deliver(stack, e);
    await eventually(e.type, handledPlatform(stack, e.id));
  }
  await stack.deps.temporal.workflow.getHandle(row.workflow_id).result();
  expect((await call(stack.url, 'POST', '/dashboard/billing/portal', { token: apiKey, body: { returnUrl: 'https://app.example.com' } })).status).toBe(200);
  expect((await call(stack.url, 'GET', '/dashboard/billing/invoice-preview', { token: apiKey })).status).toBe(200);
  const taskQueue = stack.config.TEMPORAL_TASK_QUEUE;
  await stack.deps.temporal.workflow.execute(usageAlertsWorkflow, { workflowId: `usage-alerts-${accountId}`, taskQueue, args: [{ accountIds: [accountId] }] });
  await stack.deps.temporal.workflow.execute(stripeReconcileWorkflow, { workflowId: `stripe-reconcile-${accountId}`, taskQueue, args: [] });
});

it('overage: usage reported to Stripe on demand', async () => {
  expect((await call(stack.url, 'PUT', '/admin/plans/metered', { token: stack.adminToken, body: METERED_PLAN })).status).toBe(200);
  const { accountId } = await createAccount(stack, 'Recorded overage');
  await stack.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  await assignPlan(stack, accountId, 'metered');
  const { rows } = await stack.deps.db.query('SELECT period_start FROM accounts WHERE id = $1', [accountId]);
  await stack.deps.temporal.workflow.execute(usageAlertsWorkflow, {
    workflowId: `usage-alerts-overage-${accountId}`,
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    args: [{ accountIds: [accountId] }],
  });
  await ingestOk(stack, [usageEvent(accountId, 'o1', { value: 1500 })]);
  await stack.deps.temporal.workflow.getHandle(`usage-reporting:${accountId}:${(rows[0].period_start as Date).toISOString()}`).executeUpdate(reportUsageUpdate);
});

it('dunning: a failed payment left unpaid through the grace period', async () => {
  const s = timeSkipping;
  const { accountId, apiKey } = await createAccount(s, 'Recorded dunning');
  const subscriptionId = newSubscriptionId();
  const t = nowS();
  for (const e of [
    checkoutCompleted({ accountId, planId: 'pro', subscriptionId }, t),
    invoiceEvent('invoice.payment_failed', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * 86_400 }, t + 1),
  ]) {
    await deliver(s, e);
    await eventually(e.type, handledPlatform(s, e.id));
  }
  await s.skip(GRACE_PERIOD_MS);
  await eventually('downgraded', async () => (await billingOf(s, apiKey)).plan.id === 'free');
  timeSkippingRuns.push({ workflowId: `platform-subscription:${subscriptionId}`, label: 'grace-expired' });
});

it('Connect: onboarding, catalog, subscribe, purchase, events, cancel', async () => {
  const app = await newApp(stack, 'Recorded');
  const acct = await onboard(stack, app);
  await onboard(stack, app);
  const api = (method: string, p: string, body?: unknown) => call(stack.url, method, `/v1/${app.appId}/billing/${p}`, { token: app.secretKey, body });
  expect((await api('GET', 'connect/status')).status).toBe(200);
  const { plan } = (await api('POST', 'plans', { name: 'P', amount: 500, currency: 'usd', interval: 'month' })).body;
  expect((await api('PUT', `plans/${plan.id}`, { amount: 600 })).status).toBe(200);
  const { product } = (await api('POST', 'products', { name: 'T', amount: 300, currency: 'usd' })).body;
  expect((await api('POST', 'subscribe', { planId: plan.id, customerId: 'cus_r', ...URLS })).status).toBe(200);
  const { orderId } = (await api('POST', 'purchase', { productId: product.id, customerId: 'cus_r', ...URLS })).body;
  const subscriptionId = rid('sub');
  const t = nowS();
  const events = [
    connectEvent(
      'checkout.session.completed',
      acct,
      {
        id: rid('cs'),
        object: 'checkout.session',
        mode: 'subscription',
        payment_status: 'paid',
        subscription: subscriptionId,
        metadata: { customerId: 'cus_r', planId: plan.id },
      },
      t,
    ),
    connectEvent(
      'invoice.payment_failed',
      acct,
      { id: rid('in'), object: 'invoice', parent: { subscription_details: { subscription: subscriptionId, metadata: { customerId: 'cus_r' } } } },
      t + 1,
    ),
    connectEvent(
      'checkout.session.completed',
      acct,
      { id: rid('cs'), object: 'checkout.session', mode: 'payment', payment_status: 'paid', payment_intent: rid('pi'), metadata: { orderId } },
      t + 2,
    ),
  ];
  for (const e of events) {
    await deliverConnect(stack, e);
    await eventually(e.type, async () => !['pending', undefined].includes(await outcomeOf(stack, e.id)));
  }
  expect((await api('POST', 'cancel', { customerId: 'cus_r' })).status).toBe(200);
  await stack.deps.temporal.workflow.execute(stripeReconcileWorkflow, {
    workflowId: `stripe-reconcile-${app.appId}`,
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    args: [],
  });
});

/**
 * Per workflow type, the run with the most events, exported by the Temporal CLI in the JSON that
 * SDKs replay (`temporal workflow show --output json`).
 */
async function longestByType(runs: Array<{ address: string; type: string; workflowId: string; runId: string }>) {
  const cli = await ensureTemporalCli();
  const best = new Map<string, { events: number; json: string }>();
  for (const { address, type, workflowId, runId } of runs) {
    const { stdout } = await promisify(execFile)(
      cli,
      ['workflow', 'show', '--address', address, '--workflow-id', workflowId, '--run-id', runId, '--output', 'json'],
      { maxBuffer: 64 << 20 },
    );
    const events = (JSON.parse(stdout) as { events: unknown[] }).events.length;
    if (events > (best.get(type)?.events ?? 0)) best.set(type, { events, json: stdout.trim() });
  }
  return best;
}

afterAll(async () => {
  try {
    if (stack && timeSkipping) await record();
  } finally {
    await stack?.close();
    await timeSkipping?.close();
  }
});

async function record() {
  // Visibility is eventually consistent: give the last runs a moment to be listed.
  await new Promise((r) => setTimeout(r, 2_000));
  const runs = [];
  for await (const wf of stack.deps.temporal.workflow.list({ query: `TaskQueue = "${stack.config.TEMPORAL_TASK_QUEUE}"` })) {
    runs.push({ address: stack.config.TEMPORAL_ADDRESS!, type: wf.type, workflowId: wf.workflowId, runId: wf.runId });
  }
  const best = await longestByType(runs);
  // Timer paths (e.g. a grace period that ran out) exist only on the time-skipping server: kept
  // beside the longest run of their type, as `<type>.<label>.json`.
  for (const { workflowId, label } of timeSkippingRuns) {
    const { type, runId } = await timeSkipping.deps.temporal.workflow.getHandle(workflowId).describe();
    const one = await longestByType([{ address: timeSkipping.config.TEMPORAL_ADDRESS!, type, workflowId, runId }]);
    best.set(`${type}.${label}`, one.get(type)!);
  }
  fs.rmSync(HISTORIES_DIR, { recursive: true, force: true });
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  for (const [type, { json }] of best) fs.writeFileSync(path.join(HISTORIES_DIR, `${type}.json`), `${json}\n`);
  process.stderr.write(`recorded ${best.size} workflow types into ${HISTORIES_DIR}: ${[...best.keys()].sort().join(', ')}\n`);
}
