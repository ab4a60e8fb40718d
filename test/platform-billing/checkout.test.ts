import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { createAccount } from '../helpers/factories';
import { startTimeSkippingStack } from '../helpers/time-skipping';
import { CHECKOUT_OPEN_MS, platformCheckoutWorkflow } from '../../workflows/platform-checkout';
import { AccountId, StripeObjectId } from '../../workflows/search-attributes';
import { WEBHOOK_SECRET, PRO_LIMITS, TEAM_LIMITS, sellPlans, deliver, checkoutCompleted, eventually, billingOf, newSubscriptionId } from './helpers';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ worker: true, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  await sellPlans(stack);
});
afterAll(() => stack?.close());

const body = { planId: 'pro', successUrl: 'https://app.example.com/billing/ok', cancelUrl: 'https://app.example.com/billing/cancel' };
const checkout = (apiKey: string, b: object = body, key?: string) =>
  call(stack.url, 'POST', '/dashboard/billing/checkout', { token: apiKey, body: b, ...(key && { headers: { 'idempotency-key': key } }) });
const checkoutRows = async (accountId: string) => (await stack.deps.db.query('SELECT * FROM checkouts WHERE account_id = $1', [accountId])).rows;

describe('POST /dashboard/billing/checkout', () => {
  it('returns a Checkout URL; the same request again returns the same checkout', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Upgrader');
    const first = await checkout(apiKey, body, 'upgrade-1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      url: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//),
      checkoutId: expect.stringMatching(/^chk_/),
      mode: 'session',
    });
    const again = await checkout(apiKey, body, 'upgrade-1');
    expect(again.status).toBe(200);
    expect(again.body.checkoutId).toBe(first.body.checkoutId);
    const rows = await checkoutRows(accountId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: first.body.checkoutId, plan_id: 'pro', status: 'open', url: first.body.url });
  });

  it('activates the plan on the signed checkout.session.completed; /dashboard/billing shows the new limits', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Activated');
    const started = await checkout(apiKey, body, 'activate');
    expect(started.status).toBe(200);
    expect((await billingOf(stack, apiKey)).plan.id).toBe('free');
    const [row] = await checkoutRows(accountId);
    const subscriptionId = newSubscriptionId();
    const event = checkoutCompleted({ accountId, planId: 'pro', subscriptionId, checkoutId: row.id, checkoutWorkflowId: row.workflow_id });
    const reply = await deliver(stack, event);
    expect(reply.status).toBe(200);

    const billing = await eventually('plan pro', async () => {
      const b = await billingOf(stack, apiKey);
      return b.plan.id === 'pro' && b;
    });
    expect(billing.plan.limits).toEqual(PRO_LIMITS);
    expect(billing.usage.ai_tokens).toMatchObject({ limit: PRO_LIMITS.ai_tokens.limit, mode: 'soft' });
    expect(billing.subscription).toMatchObject({ id: subscriptionId, planId: 'pro', status: 'active', cancelAtPeriodEnd: false });
    // The checkout workflow heard about it too, and ended its checkout.
    await eventually('checkout completed', async () => (await checkoutRows(accountId))[0]?.status === 'completed');
    const outcome = await stack.deps.temporal.workflow.getHandle(row.workflow_id).result();
    expect(outcome).toMatchObject({ status: 'completed', checkoutId: row.id });
    // The same key again replays the first answer (Stripe's Idempotency-Key semantics)...
    const again = await checkout(apiKey, body, 'activate');
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(started.body);
    expect(await checkoutRows(accountId)).toHaveLength(1);
  });

  it('without a key, the same body after the checkout ended answers from its record, not with a new session', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Ended');
    const started = await checkout(apiKey);
    const [row] = await checkoutRows(accountId);
    await deliver(
      stack,
      checkoutCompleted({ accountId, planId: 'pro', subscriptionId: newSubscriptionId(), checkoutId: row.id, checkoutWorkflowId: row.workflow_id }),
    );
    await eventually('checkout completed', async () => (await checkoutRows(accountId))[0]?.status === 'completed');
    const again = await checkout(apiKey);
    expect(again.body).toMatchObject({ checkoutId: started.body.checkoutId, url: started.body.url, status: 'completed' });
    expect(await checkoutRows(accountId)).toHaveLength(1);
  });

  it('two concurrent checkouts for different plans without a key: one stays open, the other is expired', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Two tabs');
    const replies = await Promise.all([checkout(apiKey, body), checkout(apiKey, { ...body, planId: 'team' })]);
    // The newer one wins; the older one either never got its URL (409) or got one now expired.
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const r of replies.filter((x) => x.status !== 200))
      expect(r).toMatchObject({ status: 409, body: { error: { message: expect.stringMatching(/newer checkout/) } } });
    const open = await eventually('one open checkout', async () => {
      const rows = await checkoutRows(accountId);
      return rows.filter((r) => r.status === 'open').length === 1 && rows.length === replies.filter((r) => r.status === 200).length && rows;
    });
    const slot = await stack.deps.db.query('SELECT workflow_id, session_id FROM checkout_slots WHERE owner = $1', [`account:${accountId}`]);
    const holder = open.find((r) => r.status === 'open');
    expect(slot.rows).toEqual([{ workflow_id: holder.workflow_id, session_id: holder.stripe_session_id }]);
    // A third checkout later supersedes the open one, whose workflow then ends as expired.
    expect((await checkout(apiKey, body, 'third')).status).toBe(200);
    const outcome = await stack.deps.temporal.workflow.getHandle(holder.workflow_id).result();
    expect(outcome).toMatchObject({ status: 'expired' });
  });

  it('a second paid checkout does not leave two live subscriptions: the later one is cancelled', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Paid twice');
    const first = newSubscriptionId();
    const second = newSubscriptionId();
    await deliver(stack, checkoutCompleted({ accountId, planId: 'pro', subscriptionId: first }));
    await eventually('pro', async () => (await billingOf(stack, apiKey)).plan.id === 'pro');
    await deliver(stack, checkoutCompleted({ accountId, planId: 'team', subscriptionId: second }));
    const subs = await eventually('second cancelled', async () => {
      const { rows } = await stack.deps.db.query('SELECT id, status FROM platform_subscriptions WHERE account_id = $1 ORDER BY created_at', [accountId]);
      return rows.length === 2 && rows[1].status === 'canceled' && rows;
    });
    expect(subs).toEqual([
      { id: first, status: 'active' },
      { id: second, status: 'canceled' },
    ]);
    expect((await billingOf(stack, apiKey)).plan.id).toBe('pro');
  });

  it('switches an active subscription to the new plan with proration instead of a second subscription', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Switcher');
    const subscriptionId = newSubscriptionId();
    expect((await deliver(stack, checkoutCompleted({ accountId, planId: 'pro', subscriptionId }))).status).toBe(200);
    await eventually('plan pro', async () => (await billingOf(stack, apiKey)).plan.id === 'pro');

    const change = await checkout(apiKey, { ...body, planId: 'team' }, 'to-team');
    expect(change.status).toBe(200);
    expect(change.body).toMatchObject({ mode: 'plan_change', url: body.successUrl });
    const billing = await billingOf(stack, apiKey);
    expect(billing.plan).toMatchObject({ id: 'team', limits: TEAM_LIMITS });
    expect(billing.subscription).toMatchObject({ id: subscriptionId, planId: 'team' });
    const subs = await stack.deps.db.query('SELECT id FROM platform_subscriptions WHERE account_id = $1', [accountId]);
    expect(subs.rows).toEqual([{ id: subscriptionId }]);
  });

  it('refuses the free plan (409), an unknown plan (404), a plan without a Stripe price (409)', async () => {
    const { apiKey } = await createAccount(stack, 'Refused');
    const free = await checkout(apiKey, { ...body, planId: 'free' });
    expect(free.status).toBe(409);
    expect(free.body.error.message).toMatch(/free/);
    expect((await checkout(apiKey, { ...body, planId: 'nope' })).status).toBe(404);
    await call(stack.url, 'PUT', '/admin/plans/unpriced', { token: stack.adminToken, body: { name: 'Unpriced', amountCents: 100, limits: {} } });
    const unpriced = await checkout(apiKey, { ...body, planId: 'unpriced' });
    expect(unpriced.status).toBe(409);
    expect(unpriced.body.error.message).toMatch(/stripePriceId/);
    expect((await checkout(apiKey, { ...body, extra: 1 })).status).toBe(400);
  });
});

describe('without Stripe', () => {
  it('answers 503 for checkout and portal when STRIPE_SECRET_KEY is unset', async () => {
    const bare = await startTestStack({ shareWith: stack, stripe: false });
    try {
      const { apiKey } = await createAccount(stack, 'No Stripe');
      const c = await call(bare.url, 'POST', '/dashboard/billing/checkout', { token: apiKey, body });
      expect(c.status).toBe(503);
      expect(c.body.error.message).toMatch(/STRIPE_SECRET_KEY/);
      const p = await call(bare.url, 'POST', '/dashboard/billing/portal', { token: apiKey, body: { returnUrl: body.successUrl } });
      expect(p.status).toBe(503);
    } finally {
      await bare.close();
    }
  });
});

describe('platformCheckoutWorkflow', () => {
  it('carries the account and the Checkout Session as search attributes', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Findable');
    expect((await checkout(apiKey, body, 'findable')).status).toBe(200);
    const described = await stack.deps.temporal.workflow.getHandle(`platform-checkout:${accountId}:findable`).describe();
    expect(described.typedSearchAttributes.get(AccountId)).toBe(accountId);
    expect(described.typedSearchAttributes.get(StripeObjectId)).toMatch(/^cs_/);
  });

  it('expires the checkout when no completion arrives in time', async () => {
    const { accountId } = await createAccount(stack, 'Abandoned');
    // The session's 24 hours, skipped on the time-skipping test server (same database).
    const timeSkipping = await startTimeSkippingStack({ shareWith: stack, worker: true, api: false });
    try {
      const workflowId = `platform-checkout:${accountId}:expiring`;
      const handle = await timeSkipping.deps.temporal.workflow.start(platformCheckoutWorkflow, {
        workflowId,
        taskQueue: stack.config.TEMPORAL_TASK_QUEUE,
        args: [{ checkoutId: 'chk_expiring', accountId, ...body }],
      });
      await eventually('session open', async () => (await checkoutRows(accountId))[0]?.status === 'open');
      await timeSkipping.skip(CHECKOUT_OPEN_MS - 60_000);
      expect(await checkoutRows(accountId)).toEqual([expect.objectContaining({ id: 'chk_expiring', status: 'open' })]);
      await timeSkipping.skip(60_000);
      expect(await handle.result()).toMatchObject({ status: 'expired', checkoutId: 'chk_expiring', mode: 'session' });
      expect(await checkoutRows(accountId)).toEqual([expect.objectContaining({ id: 'chk_expiring', status: 'expired' })]);
    } finally {
      await timeSkipping.close();
    }
  });
});

describe('POST /dashboard/billing/portal', () => {
  it('answers 409 for an account without a Stripe customer, a portal URL for one with', async () => {
    const { accountId, apiKey } = await createAccount(stack, 'Portal');
    await stack.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
    const withCustomer = await call(stack.url, 'POST', '/dashboard/billing/portal', { token: apiKey, body: { returnUrl: 'https://app.example.com/billing' } });
    expect(withCustomer.status).toBe(200);
    expect(withCustomer.body.url).toMatch(/^https:\/\//);

    await stack.deps.db.query('UPDATE accounts SET stripe_customer_id = NULL WHERE id = $1', [accountId]);
    const without = await call(stack.url, 'POST', '/dashboard/billing/portal', { token: apiKey, body: { returnUrl: 'https://app.example.com/billing' } });
    expect(without.status).toBe(409);
    expect(without.body.error.message).toMatch(/no Stripe customer/);
  });
});
