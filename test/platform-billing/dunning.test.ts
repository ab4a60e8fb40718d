import { startTimeSkippingStack, type TimeSkippingStack } from '../helpers/time-skipping';
import { createAccount } from '../helpers/factories';
import { EVENTS_PER_RUN, GRACE_PERIOD_MS, platformSubscriptionWorkflow } from '../../workflows/platform-subscription';
import { subscriptionEventSignal } from '../../workflows/messages';
import { WEBHOOK_SECRET, sellPlans, deliver, checkoutCompleted, invoiceEvent, eventually, billingOf, newSubscriptionId, nowS } from './helpers';

// On the time-skipping test server: the grace period runs its production 7 days, skipped.
let stack: TimeSkippingStack;
beforeAll(async () => {
  stack = await startTimeSkippingStack({ worker: true, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  await sellPlans(stack);
});
afterAll(() => stack?.close());

const DAY = 86_400;
const subscriptionRow = async (id: string) => (await stack.deps.db.query('SELECT * FROM platform_subscriptions WHERE id = $1', [id])).rows[0];

/** A paid subscription, its workflow started as the first Stripe event would start it. */
async function paidSubscription() {
  const { accountId, apiKey } = await createAccount(stack, 'Dunning');
  const subscriptionId = newSubscriptionId();
  await stack.deps.temporal.workflow.start(platformSubscriptionWorkflow, {
    workflowId: `platform-subscription:${subscriptionId}`,
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    args: [{ subscriptionId, accountId }],
  });
  const t = nowS();
  await deliver(stack, checkoutCompleted({ accountId, planId: 'pro', subscriptionId }, t));
  await eventually('pro', async () => (await billingOf(stack, apiKey)).plan.id === 'pro');
  return { accountId, apiKey, subscriptionId, t };
}

describe('dunning', () => {
  it('ends when a payment succeeds inside the grace period: plan kept, period renewed', async () => {
    const { accountId, apiKey, subscriptionId, t } = await paidSubscription();
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
    const { accountId, apiKey, subscriptionId, t } = await paidSubscription();
    const period = { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * DAY };
    const paid = invoiceEvent('invoice.payment_succeeded', period, t + 5);
    const failed = invoiceEvent('invoice.payment_failed', period, t + 1);
    await deliver(stack, paid);
    await eventually(
      'paid handled',
      async () => (await stack.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [paid.id])).rows[0]?.outcome === 'applied',
    );
    await deliver(stack, failed);
    await eventually(
      'failed handled',
      async () => (await stack.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [failed.id])).rows[0]?.outcome === 'stale',
    );
    expect((await subscriptionRow(subscriptionId)).grace_until).toBeNull();
    expect((await billingOf(stack, apiKey)).plan.id).toBe('pro');
  });

  it('downgrades to the default plan when the grace period ends unpaid', async () => {
    const { accountId, apiKey, subscriptionId, t } = await paidSubscription();
    const failed = invoiceEvent('invoice.payment_failed', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * DAY }, t + 1);
    expect((await deliver(stack, failed)).status).toBe(200);
    await eventually('grace started', async () => (await subscriptionRow(subscriptionId))?.grace_until);
    // A minute short of the grace period nothing has happened yet.
    await stack.skip(GRACE_PERIOD_MS - 60_000);
    expect((await billingOf(stack, apiKey)).plan.id).toBe('pro');
    await stack.skip(60_000);
    const billing = await eventually('downgraded', async () => {
      const b = await billingOf(stack, apiKey);
      return b.plan.id === 'free' && b;
    });
    expect(billing.subscription).toMatchObject({ id: subscriptionId, status: 'unpaid', graceUntil: null });
  });

  it('continues as new after its event budget, keeping what it has seen', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Long-lived');
    const subscriptionId = newSubscriptionId();
    const workflowId = `platform-subscription:${subscriptionId}`;
    const handle = await stack.deps.temporal.workflow.start(platformSubscriptionWorkflow, {
      workflowId,
      taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
      args: [{ subscriptionId, accountId }],
    });
    const t = nowS();
    const outcome = async (id: string) => (await stack.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [id])).rows[0]?.outcome;
    const webhook = async (e: { id: string; type: string }) => {
      await deliver(stack, e);
      await eventually(`${e.type} handled`, async () => (await outcome(e.id)) !== 'pending');
    };
    const checkout = checkoutCompleted({ accountId, planId: 'pro', subscriptionId }, t);
    const paid = invoiceEvent('invoice.payment_succeeded', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * DAY }, t + 1);
    const failed = invoiceEvent('invoice.payment_failed', { accountId, subscriptionId, periodStart: t, periodEnd: t + 30 * DAY }, t + 2);
    await webhook(checkout);
    await webhook(paid);
    // The production budget is filled with events that change nothing (signalled straight to the
    // workflow: the webhook path is the same for each and is covered above); the last real
    // event then ends the run.
    const fillers = Array.from({ length: EVENTS_PER_RUN - 3 }, (_, i) => `evt_filler_${subscriptionId}_${i}`);
    for (const eventId of fillers) {
      await handle.signal(subscriptionEventSignal, {
        eventId,
        type: 'customer.updated',
        created: t + 1,
        objectId: 'cus_filler',
        customerId: null,
        accountId,
        subscriptionId,
      });
    }
    await eventually('fillers handled', async () => (await handle.query<{ seen: string[] }>('subscriptionState')).seen.length === 2 + fillers.length);
    await webhook(failed);

    const latest = stack.deps.temporal.workflow.getHandle(workflowId);
    const state = await eventually('new run', async () => {
      if ((await latest.describe()).runId === handle.firstExecutionRunId) return false;
      return await latest.query<{ seen: string[]; graceUntil: number | null }>('subscriptionState');
    });
    expect(state.seen).toEqual([checkout.id, paid.id, ...fillers, failed.id]);
    expect(state.graceUntil).not.toBeNull();
    expect((await billingOf(stack, apiKey)).plan.id).toBe('pro');
  });
});
