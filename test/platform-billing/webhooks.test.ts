import { WorkflowNotFoundError } from '@temporalio/client';
import { startTestStack, type TestStack } from '../helpers/stack';
import { AccountId, StripeObjectId } from '../../workflows/search-attributes';
import { createAccount } from '../helpers/factories';
import {
  WEBHOOK_SECRET,
  TEAM_LIMITS,
  sellPlans,
  deliver,
  stripeEvent,
  checkoutCompleted,
  subscriptionEvent,
  eventually,
  billingOf,
  newSubscriptionId,
  nowS,
} from './helpers';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: true, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  await sellPlans(stack);
});
afterAll(() => stack?.close());

const recorded = async (eventId: string) => (await stack.deps.db.query('SELECT * FROM stripe_events WHERE id = $1', [eventId])).rows;
const outcomeOf = async (eventId: string) => (await recorded(eventId))[0]?.outcome as string | undefined;
const workflowExists = async (eventId: string) => {
  try {
    await stack.deps.temporal.workflow.getHandle(`stripe-event:${eventId}`).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
};

describe('POST /webhooks/stripe', () => {
  it('acknowledges the same event delivered 5 times at once, and applies it once', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Dup');
    const subscriptionId = newSubscriptionId();
    const event = checkoutCompleted({ accountId, planId: 'pro', subscriptionId });
    const replies = await Promise.all(Array.from({ length: 5 }, () => deliver(stack, event)));
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(replies.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    await eventually('applied', async () => (await outcomeOf(event.id)) === 'applied');
    expect(await recorded(event.id)).toHaveLength(1);
    expect((await billingOf(stack, apiKey)).plan.id).toBe('pro');
    const subs = await stack.deps.db.query('SELECT id, plan_id, status FROM platform_subscriptions WHERE account_id = $1', [accountId]);
    expect(subs.rows).toEqual([{ id: subscriptionId, plan_id: 'pro', status: 'active' }]);
    // One stripe-event run (its id is the event id), and the subscription workflow saw the event once.
    expect(await stack.deps.temporal.workflow.getHandle(`stripe-event:${event.id}`).result()).toEqual({ outcome: 'forwarded' });
    const subscriptionWf = stack.deps.temporal.workflow.getHandle(`platform-subscription:${subscriptionId}`);
    expect((await subscriptionWf.query<{ seen: string[] }>('subscriptionState')).seen).toEqual([event.id]);
    // Findable by business key in the Temporal UI.
    for (const id of [`platform-subscription:${subscriptionId}`, `stripe-event:${event.id}`]) {
      const attrs = (await stack.deps.temporal.workflow.getHandle(id).describe()).typedSearchAttributes;
      expect([id, attrs.get(AccountId)]).toEqual([id, accountId]);
      expect(attrs.get(StripeObjectId)).toBeTruthy();
    }
  });

  it('keeps the newer state when customer.subscription.updated arrives before checkout.session.completed', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Out of order');
    const subscriptionId = newSubscriptionId();
    const t = nowS();
    const completed = checkoutCompleted({ accountId, planId: 'pro', subscriptionId }, t);
    const updated = subscriptionEvent(
      'customer.subscription.updated',
      { accountId, subscriptionId, priceId: 'price_team', status: 'active', cancelAtPeriodEnd: true },
      t + 10,
    );
    expect((await deliver(stack, updated)).status).toBe(200);
    await eventually('updated applied', async () => (await outcomeOf(updated.id)) === 'applied');
    expect((await deliver(stack, completed)).status).toBe(200);
    await eventually('completed handled', async () => (await outcomeOf(completed.id)) === 'stale');

    const billing = await billingOf(stack, apiKey);
    expect(billing.plan).toMatchObject({ id: 'team', limits: TEAM_LIMITS });
    expect(billing.subscription).toMatchObject({ id: subscriptionId, planId: 'team', status: 'active', cancelAtPeriodEnd: true, lastEventCreated: t + 10 });
  });

  it('settles same-second subscription events by re-reading the subscription from Stripe, not by arrival order', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Same second');
    const subscriptionId = newSubscriptionId();
    const t = nowS();
    const active = subscriptionEvent('customer.subscription.updated', { accountId, subscriptionId, priceId: 'price_pro', status: 'active' }, t);
    const pastDue = subscriptionEvent('customer.subscription.updated', { accountId, subscriptionId, priceId: 'price_pro', status: 'past_due' }, t);
    await deliver(stack, active);
    await eventually('first applied', async () => (await outcomeOf(active.id)) === 'applied');
    await deliver(stack, pastDue);
    await eventually('second applied', async () => (await outcomeOf(pastDue.id)) === 'applied');
    // stripe-mock's subscription is `active`: that re-read, not the later arrival, decides.
    expect((await billingOf(stack, apiKey)).subscription).toMatchObject({ id: subscriptionId, status: 'active', planId: 'pro' });
  });

  it('downgrades to the default plan on customer.subscription.deleted', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Leaver');
    const subscriptionId = newSubscriptionId();
    const t = nowS();
    await deliver(stack, checkoutCompleted({ accountId, planId: 'pro', subscriptionId }, t));
    await eventually('pro', async () => (await billingOf(stack, apiKey)).plan.id === 'pro');
    const deleted = subscriptionEvent('customer.subscription.deleted', { accountId, subscriptionId, priceId: 'price_pro', status: 'canceled' }, t + 5);
    expect((await deliver(stack, deleted)).status).toBe(200);
    const billing = await eventually('free', async () => {
      const b = await billingOf(stack, apiKey);
      return b.plan.id === 'free' && b;
    });
    expect(billing.subscription).toMatchObject({ id: subscriptionId, status: 'canceled' });
  });

  it.each([
    ['a bad signature', { secret: 'whsec_someone_else' }],
    ['a timestamp older than 300 s', { timestamp: nowS() - 301 }],
    ['a body changed after signing', { tamper: (raw: string) => raw.replace('"pro"', '"team"') }],
  ])('answers 400 for %s, records nothing and starts no workflow', async (_what, opts) => {
    const { accountId } = await createAccount(stack, 'Forged');
    const event = checkoutCompleted({ accountId, planId: 'pro', subscriptionId: newSubscriptionId() });
    const reply = await deliver(stack, event, opts);
    expect(reply.status).toBe(400);
    expect(reply.body.error.message).toMatch(/Invalid Stripe signature/);
    expect(await recorded(event.id)).toEqual([]);
    expect(await workflowExists(event.id)).toBe(false);
  });

  it('records and acknowledges an event type it does not handle, without a workflow', async () => {
    const event = stripeEvent('customer.created', { id: 'cus_unhandled', object: 'customer' });
    const reply = await deliver(stack, event);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ received: true, handled: false });
    expect((await recorded(event.id))[0]).toMatchObject({ type: 'customer.created', outcome: 'ignored' });
    expect(await workflowExists(event.id)).toBe(false);
  });

  it('records an event of an unknown account without applying it', async () => {
    const event = subscriptionEvent('customer.subscription.updated', {
      accountId: 'acct_nobody',
      subscriptionId: newSubscriptionId(),
      priceId: 'price_pro',
      status: 'active',
    });
    expect((await deliver(stack, event)).status).toBe(200);
    await eventually('unknown account', async () => (await outcomeOf(event.id)) === 'unknown_account');
  });

  it('answers 503 when STRIPE_WEBHOOK_SECRET is unset', async () => {
    const bare = await startTestStack({ shareWith: stack, env: { STRIPE_WEBHOOK_SECRET: '' } });
    try {
      const event = stripeEvent('customer.created', { id: 'cus_x', object: 'customer' });
      const reply = await deliver(bare, event);
      expect(reply.status).toBe(503);
      expect(reply.body.error.message).toMatch(/STRIPE_WEBHOOK_SECRET/);
      expect(await recorded(event.id)).toEqual([]);
    } finally {
      await bare.close();
    }
  });
});
