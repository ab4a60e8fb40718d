import { startTestStack, type TestStack } from '../helpers/stack';
import { testServices } from '../helpers/services';
import { createAccount } from '../helpers/factories';
import { startStripeEventsStandIn } from '../helpers/stripe-events-stand-in';
import { stripeReconcileWorkflow } from '../../workflows/stripe-reconcile';
import { WEBHOOK_SECRET, sellPlans, deliver, checkoutCompleted, subscriptionEvent, eventually, billingOf, newSubscriptionId, nowS } from './helpers';
import { CONNECT_SECRET, connectEvent, newApp, onboard } from '../connect/helpers';

// stripe-mock lists fixed fixtures for GET /v1/events; this stand-in lists the events each test
// says Stripe has, and passes every other call to stripe-mock.
let standIn: Awaited<ReturnType<typeof startStripeEventsStandIn>>;
let stack: TestStack;
beforeAll(async () => {
  standIn = await startStripeEventsStandIn(testServices().stripeApiBase);
  stack = await startTestStack({
    worker: true,
    env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET, STRIPE_API_BASE: standIn.url },
  });
  await sellPlans(stack);
});
afterAll(async () => {
  await stack?.close();
  await standIn?.close();
});

const reconcile = () =>
  stack.deps.temporal.workflow.execute(stripeReconcileWorkflow, {
    workflowId: `stripe-reconcile-test-${nowS()}-${Math.random().toString(36).slice(2)}`,
    taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
    args: [],
  });
const rowsOf = async (eventId: string) => (await stack.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [eventId])).rows;
const runsOf = async (workflowId: string) => {
  let n = 0;
  for await (const wf of stack.deps.temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` })) n += wf ? 1 : 0;
  return n;
};

describe('reconciliation of lost webhooks', () => {
  it('applies an event whose webhook never arrived, once, through the same intake', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Lost webhook');
    const subscriptionId = newSubscriptionId();
    const lost = checkoutCompleted({ accountId, planId: 'pro', subscriptionId }, nowS() - 30);
    standIn.add(null, lost);
    // Never delivered: without reconciliation the account would stay on the free plan.
    expect((await billingOf(stack, apiKey)).plan.id).toBe('free');

    await reconcile();
    const billing = await eventually('plan pro', async () => {
      const b = await billingOf(stack, apiKey);
      return b.plan.id === 'pro' && b;
    });
    expect(billing.subscription).toMatchObject({ id: subscriptionId, status: 'active' });
    await eventually('applied', async () => (await rowsOf(lost.id))[0]?.outcome === 'applied');

    // Running again, and then the late webhook itself, changes nothing and starts nothing.
    await reconcile();
    const late = await deliver(stack, lost);
    expect(late.body).toMatchObject({ duplicate: true });
    expect(await rowsOf(lost.id)).toHaveLength(1);
    await eventually('one run visible', async () => (await runsOf(`stripe-event:${lost.id}`)) === 1);
    const cursor = await stack.deps.db.query("SELECT last_created FROM stripe_event_cursors WHERE stripe_account = ''");
    expect(Number(cursor.rows[0].last_created)).toBeGreaterThanOrEqual(lost.created);
  });

  it('applies each event exactly once when the webhook arrives during reconciliation', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Racing webhook');
    const subscriptionId = newSubscriptionId();
    const t = nowS() - 20;
    const completed = checkoutCompleted({ accountId, planId: 'pro', subscriptionId }, t);
    const updated = subscriptionEvent(
      'customer.subscription.updated',
      { accountId, subscriptionId, priceId: 'price_team', status: 'active', cancelAtPeriodEnd: true },
      t + 1,
    );
    standIn.add(null, completed);
    standIn.add(null, updated);
    const [, a, b] = await Promise.all([reconcile(), deliver(stack, completed), deliver(stack, updated)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const billing = await eventually('team, cancelling', async () => {
      const x = await billingOf(stack, apiKey);
      return x.subscription?.cancelAtPeriodEnd === true && x;
    });
    expect(billing.plan.id).toBe('team');
    for (const e of [completed, updated]) {
      // Whichever came first, each was processed (the older one may find newer state: stale).
      await eventually(`${e.type} processed`, async () => ['applied', 'stale'].includes((await rowsOf(e.id))[0]?.outcome));
      expect(await rowsOf(e.id)).toHaveLength(1);
      await eventually('one run', async () => (await runsOf(`stripe-event:${e.id}`)) === 1);
    }
    // The subscription's workflow saw each event once.
    const state = await stack.deps.temporal.workflow.getHandle(`platform-subscription:${subscriptionId}`).query<{ seen: string[] }>('subscriptionState');
    expect(state.seen.filter((id) => id === completed.id || id === updated.id)).toHaveLength(2);
  });

  it("pages each connected account's list too; its runs are found by AppId", async () => {
    const app = await newApp(stack, 'Reconciled app');
    const acct = await onboard(stack, app);
    const lost = connectEvent('account.updated', null, { id: acct, object: 'account', charges_enabled: false }, nowS() + 1);
    standIn.add(acct, lost);
    await reconcile();
    await eventually(
      'charges off',
      async () => (await stack.deps.db.query('SELECT charges_enabled FROM apps WHERE id = $1', [app.appId])).rows[0].charges_enabled === false,
    );
    expect(standIn.listRequests.some((r) => r.account === acct)).toBe(true);
    await eventually('reconcile run by AppId', async () => {
      let n = 0;
      for await (const wf of stack.deps.temporal.workflow.list({ query: `AppId = "${app.appId}" AND WorkflowType = "stripeAccountReconcileWorkflow"` }))
        n += wf ? 1 : 0;
      return n >= 1;
    });
  });
});
