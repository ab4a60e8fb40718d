import { Worker } from '@temporalio/worker';
import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { createAccount } from '../helpers/factories';
import { loadWorkflowBundle } from '../../bin/workflow-bundle';
import { platformSubscriptionWorkflow } from '../../workflows/platform-subscription';
import { WEBHOOK_SECRET, sellPlans, deliver, checkoutCompleted, invoiceEvent, subscriptionEvent, eventually, billingOf, newSubscriptionId, nowS } from './helpers';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: true, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  await sellPlans(stack);
});
afterAll(() => stack?.close());

const handled = (id: string) => async () => (await stack.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [id])).rows[0]?.outcome !== 'pending';

/** Every platform-billing workflow, run for real, then its recorded history replayed against today's code. */
it('replays the recorded histories of every workflow without non-determinism', async () => {
  const { accountId, apiKey } = await createAccount(stack, 'Replayed');
  const body = { planId: 'pro', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/cancel' };
  expect((await call(stack.url, 'POST', '/dashboard/billing/checkout', { token: apiKey, body })).status).toBe(200);
  const [row] = (await stack.deps.db.query('SELECT id, workflow_id FROM checkouts WHERE account_id = $1', [accountId])).rows;
  const subscriptionId = newSubscriptionId();
  await stack.deps.temporal.workflow.start(platformSubscriptionWorkflow, {
    workflowId: `platform-subscription:${subscriptionId}`, taskQueue: stack.config.TEMPORAL_TASK_QUEUE, args: [{ subscriptionId, accountId, graceSeconds: 1, eventsPerRun: 3 }],
  });
  const t = nowS();
  const events = [
    checkoutCompleted({ accountId, planId: 'pro', subscriptionId, checkoutId: row.id, checkoutWorkflowId: row.workflow_id }, t),
    subscriptionEvent('customer.subscription.updated', { accountId, subscriptionId, priceId: 'price_team', status: 'active' }, t + 1),
    invoiceEvent('invoice.payment_succeeded', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * 86_400 }, t + 2),
    invoiceEvent('invoice.payment_failed', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * 86_400 }, t + 3),
  ];
  for (const e of events) {
    await deliver(stack, e);
    await eventually(e.type, handled(e.id));
  }
  await stack.deps.temporal.workflow.getHandle(row.workflow_id).result();
  await eventually('downgraded after grace', async () => (await billingOf(stack, apiKey)).plan.id === 'free');
  expect((await call(stack.url, 'POST', '/dashboard/billing/portal', { token: apiKey, body: { returnUrl: 'https://app.example.com' } })).status).toBe(200);

  const query = `TaskQueue = "${stack.config.TEMPORAL_TASK_QUEUE}"`;
  const wanted = ['platformCheckoutWorkflow', 'platformPortalWorkflow', 'platformSubscriptionWorkflow', 'stripeEventWorkflow'];
  // Visibility is eventually consistent: wait until every type is listed, then replay them all.
  await eventually('all types visible', async () => {
    const types = new Set<string>();
    for await (const wf of stack.deps.temporal.workflow.list({ query })) types.add(wf.type);
    return wanted.every((t) => types.has(t));
  });
  const results = [];
  for await (const r of Worker.runReplayHistories({ workflowBundle: await loadWorkflowBundle() }, stack.deps.temporal.workflow.list({ query }).intoHistories())) results.push(r);
  expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error}`)).toEqual([]);
  expect(results.length).toBeGreaterThanOrEqual(8);
}, 120_000);
