import { startTestStack, type TestStack } from '../helpers/stack';
import { createAccount } from '../helpers/factories';
import { platformSubscriptionWorkflow } from '../../workflows/platform-subscription';
import { WEBHOOK_SECRET, sellPlans, deliver, checkoutCompleted, invoiceEvent, eventually, billingOf, newSubscriptionId, nowS } from './helpers';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: true, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  await sellPlans(stack);
});
afterAll(() => stack?.close());

const DAY = 86_400;
const subscriptionRow = async (id: string) => (await stack.deps.db.query('SELECT * FROM platform_subscriptions WHERE id = $1', [id])).rows[0];

/**
 * A paid subscription whose workflow was started with a short grace period: the grace period
 * is workflow input (7 days by default), so the real timer runs, only shorter.
 */
async function paidSubscription(graceSeconds: number) {
  const { accountId, apiKey } = await createAccount(stack, 'Dunning');
  const subscriptionId = newSubscriptionId();
  await stack.deps.temporal.workflow.start(platformSubscriptionWorkflow, {
    workflowId: `platform-subscription:${subscriptionId}`, taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    args: [{ subscriptionId, accountId, graceSeconds }],
  });
  const t = nowS();
  await deliver(stack, checkoutCompleted({ accountId, planId: 'pro', subscriptionId }, t));
  await eventually('pro', async () => (await billingOf(stack, apiKey)).plan.id === 'pro');
  return { accountId, apiKey, subscriptionId, t };
}

describe('dunning', () => {
  it('ends when a payment succeeds inside the grace period: plan kept, period renewed', async () => {
    const { accountId, apiKey, subscriptionId, t } = await paidSubscription(600);
    const periodStart = t + 3600;
    const failed = invoiceEvent('invoice.payment_failed', { accountId, subscriptionId, periodStart, periodEnd: periodStart + 30 * DAY }, t + 1);
    expect((await deliver(stack, failed)).status).toBe(200);
    await eventually('grace started', async () => (await subscriptionRow(subscriptionId))?.grace_until);

    const paid = invoiceEvent('invoice.payment_succeeded', { accountId, subscriptionId, periodStart, periodEnd: periodStart + 30 * DAY }, t + 2);
    expect((await deliver(stack, paid)).status).toBe(200);
    await eventually('grace ended', async () => (await subscriptionRow(subscriptionId))?.grace_until === null);

    // The usage period follows the paid invoice (on quarter-hour boundaries, as rollups need); the
    // renewal is its own step after the grace period ends, so wait for it rather than race it.
    const quarter = (s: number) => new Date(Math.floor((s * 1000) / 900_000) * 900_000).toISOString();
    const billing = await eventually('period renewed', async () => {
      const b = await billingOf(stack, apiKey);
      return b.period.start === quarter(periodStart) ? b : undefined;
    });
    expect(billing.plan.id).toBe('pro');
    expect(billing.subscription).toMatchObject({ status: 'active', graceUntil: null });
    expect(billing.period).toEqual({ start: quarter(periodStart), end: quarter(periodStart + 30 * DAY) });
  });

  it('ignores a failure Stripe recorded before a success that arrived first', async () => {
    const { accountId, apiKey, subscriptionId, t } = await paidSubscription(600);
    const period = { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * DAY };
    const paid = invoiceEvent('invoice.payment_succeeded', period, t + 5);
    const failed = invoiceEvent('invoice.payment_failed', period, t + 1);
    await deliver(stack, paid);
    await eventually('paid handled', async () => (await stack.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [paid.id])).rows[0]?.outcome === 'applied');
    await deliver(stack, failed);
    await eventually('failed handled', async () => (await stack.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [failed.id])).rows[0]?.outcome === 'stale');
    expect((await subscriptionRow(subscriptionId)).grace_until).toBeNull();
    expect((await billingOf(stack, apiKey)).plan.id).toBe('pro');
  });

  it('downgrades to the default plan when the grace period ends unpaid', async () => {
    const { accountId, apiKey, subscriptionId, t } = await paidSubscription(3);
    const failed = invoiceEvent('invoice.payment_failed', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * DAY }, t + 1);
    expect((await deliver(stack, failed)).status).toBe(200);
    const billing = await eventually('downgraded', async () => { const b = await billingOf(stack, apiKey); return b.plan.id === 'free' && b; }, 60_000);
    expect(billing.subscription).toMatchObject({ id: subscriptionId, status: 'unpaid', graceUntil: null });
  });

  it('continues as new after its event budget, keeping what it has seen', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Long-lived');
    const subscriptionId = newSubscriptionId();
    const handle = await stack.deps.temporal.workflow.start(platformSubscriptionWorkflow, {
      workflowId: `platform-subscription:${subscriptionId}`, taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [{ subscriptionId, accountId, eventsPerRun: 2 }],
    });
    const t = nowS();
    const events = [
      checkoutCompleted({ accountId, planId: 'pro', subscriptionId }, t),
      invoiceEvent('invoice.payment_succeeded', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * DAY }, t + 1),
      invoiceEvent('invoice.payment_failed', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * DAY }, t + 2),
    ];
    for (const e of events) {
      await deliver(stack, e);
      await eventually(`${e.type} handled`, async () => (await stack.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [e.id])).rows[0]?.outcome !== 'pending');
    }
    // A redelivery after the continue-as-new is still recognised.
    const latest = stack.deps.temporal.workflow.getHandle(`platform-subscription:${subscriptionId}`);
    const state = await eventually('new run', async () => {
      const s = await latest.query<{ seen: string[]; graceUntil: number | null }>('subscriptionState');
      return s.seen.length === 3 && s;
    });
    expect(state.seen).toEqual(events.map((e) => e.id));
    expect(state.graceUntil).not.toBeNull();
    expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId);
    expect((await billingOf(stack, apiKey)).plan.id).toBe('pro');
  });
});
