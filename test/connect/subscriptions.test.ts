import type { TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { endUserToken } from '../helpers/factories';
import {
  URLS,
  connectEvent,
  counts,
  deliverConnect,
  eventually,
  newApp,
  nowS,
  outcomeOf,
  rid,
  subscriptionCheckoutCompleted,
  stackWithOnboardedApp,
} from './helpers';

let stack: TestStack;
let app: Awaited<ReturnType<typeof newApp>>;
let acct: string;
let plan: { id: string; stripePriceId: string };
beforeAll(async () => {
  ({ stack, app, acct } = await stackWithOnboardedApp('Subs'));
  const r = await call(stack.url, 'POST', `/v1/${app.appId}/billing/plans`, {
    token: app.secretKey,
    body: { name: 'Pro', amount: 1000, currency: 'usd', interval: 'month' },
  });
  plan = r.body.plan;
});
afterAll(() => stack?.close());

const api = (method: string, path: string, token: string, body?: unknown) => call(stack.url, method, `/v1/${app.appId}/billing/${path}`, { token, body });
const subscriptionOf = async (customerId: string) => (await api('GET', `subscription?customerId=${customerId}`, app.secretKey)).body.subscription;

const completed = (customerId: string, subscriptionId: string, created?: number) =>
  subscriptionCheckoutCompleted(acct, { customerId, subscriptionId, metadata: { appId: app.appId, customerId, planId: plan.id } }, created);
const invoice = (type: string, customerId: string, subscriptionId: string, created: number) =>
  connectEvent(
    type,
    acct,
    {
      id: rid('in'),
      object: 'invoice',
      customer: rid('cus'),
      metadata: {},
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: subscriptionId, metadata: { appId: app.appId, customerId, planId: plan.id } },
      },
      lines: { object: 'list', data: [{ id: rid('il'), object: 'line_item', period: { start: created, end: created + 30 * 86400 } }] },
    },
    created,
  );

/** A subscription made through checkout and applied from its webhook. */
async function subscribed(customerId: string): Promise<string> {
  const subscriptionId = rid('sub');
  const event = completed(customerId, subscriptionId, nowS() - 100);
  expect((await deliverConnect(stack, event)).status).toBe(200);
  await eventually('subscription active', async () => (await subscriptionOf(customerId))?.status === 'active');
  return subscriptionId;
}

describe('subscribe, subscription, cancel', () => {
  it('subscribe returns a Checkout URL for the app key (naming the customer) and for an end user', async () => {
    const byKey = await api('POST', 'subscribe', app.secretKey, { planId: plan.id, customerId: 'cus_key', ...URLS });
    expect(byKey.status).toBe(200);
    expect(byKey.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const byUser = await api('POST', 'subscribe', await endUserToken(app.jwtSecret, 'cus_user'), { planId: plan.id, ...URLS });
    expect(byUser.status).toBe(200);
    expect(byUser.body.sessionId).toMatch(/^cs_/);
  });

  it("subscribe refuses: no customer with the app key, unknown plan, unknown field, another customer, another app's plan or key", async () => {
    expect((await api('POST', 'subscribe', app.secretKey, { planId: plan.id, ...URLS })).status).toBe(400);
    expect((await api('POST', 'subscribe', app.secretKey, { planId: 'plan_nope', customerId: 'c', ...URLS })).status).toBe(404);
    const unknownField = await api('POST', 'subscribe', app.secretKey, { planId: plan.id, customerId: 'c', coupon: 'FREE', ...URLS });
    expect(unknownField.status).toBe(400);
    expect(JSON.stringify(unknownField.body.error.details)).toContain('coupon');
    const user = await endUserToken(app.jwtSecret, 'cus_x');
    expect((await api('POST', 'subscribe', user, { planId: plan.id, customerId: 'cus_y', ...URLS })).status).toBe(404);
    const fresh = await newApp(stack, 'No connect');
    expect(
      (await call(stack.url, 'POST', `/v1/${fresh.appId}/billing/subscribe`, { token: fresh.secretKey, body: { planId: plan.id, customerId: 'c', ...URLS } }))
        .status,
    ).toBe(404);
    expect(
      (await call(stack.url, 'POST', `/v1/${app.appId}/billing/subscribe`, { token: fresh.secretKey, body: { planId: plan.id, customerId: 'c', ...URLS } }))
        .status,
    ).toBe(404);
  });

  it("checkout.session.completed makes the subscription; end user X sees theirs, never Y's", async () => {
    const subscriptionId = await subscribed('cus_x1');
    const x = await endUserToken(app.jwtSecret, 'cus_x1');
    const y = await endUserToken(app.jwtSecret, 'cus_y1');
    const mine = await api('GET', 'subscription', x);
    expect(mine.status).toBe(200);
    expect(mine.body.subscription).toMatchObject({ id: subscriptionId, customerId: 'cus_x1', planId: plan.id, status: 'active', cancelAtPeriodEnd: false });
    expect((await api('GET', 'subscription', y)).status).toBe(404);
    expect((await api('GET', 'subscription?customerId=cus_x1', y)).status).toBe(404);
    expect((await api('GET', 'subscription', app.secretKey)).status).toBe(400);
    // Subscribing again while subscribed would bill twice.
    expect((await api('POST', 'subscribe', x, { planId: plan.id, ...URLS })).status).toBe(409);
  });

  it('invoice.payment_failed makes it past_due; invoice.payment_succeeded makes it active again', async () => {
    const subscriptionId = await subscribed('cus_dunning');
    const t = nowS();
    const failed = invoice('invoice.payment_failed', 'cus_dunning', subscriptionId, t);
    await deliverConnect(stack, failed);
    await eventually('past_due', async () => (await subscriptionOf('cus_dunning')).status === 'past_due');
    const paid = invoice('invoice.payment_succeeded', 'cus_dunning', subscriptionId, t + 5);
    await deliverConnect(stack, paid);
    await eventually('active again', async () => (await subscriptionOf('cus_dunning')).status === 'active');
    // Redelivering the older failure changes nothing: newer state wins.
    await deliverConnect(stack, { ...failed, id: rid('evt') });
    await eventually(
      'stale failure processed',
      async () =>
        (await stack.deps.db.query("SELECT count(*)::int AS n FROM stripe_events WHERE type = 'invoice.payment_failed' AND outcome = 'stale'")).rows[0].n >= 1,
    );
    expect((await subscriptionOf('cus_dunning')).status).toBe('active');
    // All of it went through the subscription's one workflow, each event once.
    const state = await stack.deps.temporal.workflow.getHandle(`app-subscription:${subscriptionId}`).query<{ seen: string[] }>('appSubscriptionState');
    expect(state.seen).toEqual(expect.arrayContaining([failed.id, paid.id]));
    expect(state.seen).toHaveLength(4);
  });

  it('a failed first invoice leaves the subscription incomplete (as Stripe has it), not past_due; paying it activates', async () => {
    const subscriptionId = rid('sub');
    const t = nowS();
    const first = invoice('invoice.payment_failed', 'cus_first_fail', subscriptionId, t);
    (first.data.object as Record<string, unknown>).billing_reason = 'subscription_create';
    await deliverConnect(stack, first);
    await eventually('first invoice failure applied', async () => (await outcomeOf(stack, first.id)) === 'applied');
    const sub = await subscriptionOf('cus_first_fail');
    expect(sub).toMatchObject({ id: subscriptionId, status: 'incomplete' });
    // Not live: the customer may start a new checkout.
    expect((await api('POST', 'subscribe', app.secretKey, { planId: plan.id, customerId: 'cus_first_fail', ...URLS })).status).toBe(200);
    await deliverConnect(stack, invoice('invoice.payment_succeeded', 'cus_first_fail', subscriptionId, t + 1));
    await eventually('active', async () => (await subscriptionOf('cus_first_fail')).status === 'active');
  });

  it('two concurrent subscribes of one customer without a key: one session stays payable; a second paid one is cancelled', async () => {
    const { plan: other } = (await api('POST', 'plans', app.secretKey, { name: 'Other', amount: 2000, currency: 'usd', interval: 'month' })).body;
    const replies = await Promise.all([
      api('POST', 'subscribe', app.secretKey, { planId: plan.id, customerId: 'cus_two_tabs', ...URLS }),
      api('POST', 'subscribe', app.secretKey, { planId: other.id, customerId: 'cus_two_tabs', ...URLS }),
    ]);
    const ok = replies.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of replies.filter((x) => x.status !== 200))
      expect(r).toMatchObject({ status: 409, body: { error: { message: expect.stringMatching(/newer checkout/) } } });
    // The slot holds one of the sessions handed out; any other was expired on Stripe.
    const slot = (await stack.deps.db.query('SELECT session_id FROM checkout_slots WHERE owner = $1', [`app:${app.appId}:cus_two_tabs`])).rows;
    expect(slot).toHaveLength(1);
    expect(ok.map((r) => r.body.sessionId)).toContain(slot[0].session_id);

    // Both sessions paid anyway (the first before it could be expired): the later subscription goes.
    const first = await subscribed('cus_two_tabs');
    const second = rid('sub');
    await deliverConnect(stack, completed('cus_two_tabs', second, nowS() - 50));
    const rows = await eventually('later one cancelled', async () => {
      const r = (
        await stack.deps.db.query('SELECT id, status FROM app_subscriptions WHERE app_id = $1 AND customer_id = $2 ORDER BY created_at', [
          app.appId,
          'cus_two_tabs',
        ])
      ).rows;
      return r.length === 2 && r[1].status === 'canceled' && r;
    });
    expect(rows).toEqual([
      { id: first, status: 'active' },
      { id: second, status: 'canceled' },
    ]);
    expect((await subscriptionOf('cus_two_tabs')).id).toBe(first);
  });

  it('same-second subscription events: the tie is settled by re-reading the subscription from Stripe', async () => {
    const subscriptionId = await subscribed('cus_tie');
    const t = nowS() + 5;
    const sub = (status: string) =>
      connectEvent(
        'customer.subscription.updated',
        acct,
        {
          id: subscriptionId,
          object: 'subscription',
          status,
          cancel_at_period_end: false,
          metadata: { customerId: 'cus_tie', planId: plan.id },
          items: { object: 'list', data: [{ id: rid('si'), object: 'subscription_item', price: { id: plan.stripePriceId, object: 'price' } }] },
        },
        t,
      );
    const first = sub('active');
    await deliverConnect(stack, first);
    await eventually('first applied', async () => (await outcomeOf(stack, first.id)) === 'applied');
    // Same second, arriving later: arrival order alone would make it past_due. Stripe (here
    // stripe-mock, whose subscription is always `active`) is asked instead, and its answer wins.
    const second = sub('past_due');
    await deliverConnect(stack, second);
    await eventually('second handled', async () => (await outcomeOf(stack, second.id)) === 'applied');
    expect((await subscriptionOf('cus_tie')).status).toBe('active');
    // One second later there is no tie: the event's own state applies.
    const later = connectEvent('customer.subscription.updated', acct, { ...(second.data.object as object), status: 'past_due' }, t + 1);
    await deliverConnect(stack, later);
    await eventually('past_due', async () => (await subscriptionOf('cus_tie')).status === 'past_due');
  });

  it('customer.subscription.updated on an archived price keeps the plan; .deleted cancels', async () => {
    const subscriptionId = await subscribed('cus_life');
    const oldPrice = plan.stripePriceId;
    expect((await api('PUT', `plans/${plan.id}`, app.secretKey, { amount: 1500 })).status).toBe(200);
    const sub = (status: string, created: number, type = 'customer.subscription.updated') =>
      connectEvent(
        type,
        acct,
        {
          id: subscriptionId,
          object: 'subscription',
          status,
          cancel_at_period_end: false,
          metadata: { customerId: 'cus_life' },
          items: {
            object: 'list',
            data: [
              {
                id: rid('si'),
                object: 'subscription_item',
                price: { id: oldPrice, object: 'price' },
                current_period_start: created,
                current_period_end: created + 86400,
              },
            ],
          },
        },
        created,
      );
    const t = nowS();
    await deliverConnect(stack, sub('active', t));
    await eventually('updated', async () => (await subscriptionOf('cus_life')).currentPeriodStart === new Date(t * 1000).toISOString());
    expect((await subscriptionOf('cus_life')).planId).toBe(plan.id);
    await deliverConnect(stack, sub('canceled', t + 10, 'customer.subscription.deleted'));
    await eventually('canceled', async () => (await subscriptionOf('cus_life')).status === 'canceled');
  });

  it('cancel sets cancel_at_period_end, idempotently; 404 with no subscription', async () => {
    await subscribed('cus_cancel');
    const user = await endUserToken(app.jwtSecret, 'cus_cancel');
    const first = await api('POST', 'cancel', user, {});
    expect(first.status).toBe(200);
    expect(first.body.subscription).toMatchObject({ cancelAtPeriodEnd: true, status: 'active' });
    expect((await subscriptionOf('cus_cancel')).cancelAtPeriodEnd).toBe(true);
    const again = await api('POST', 'cancel', app.secretKey, { customerId: 'cus_cancel' });
    expect(again.status).toBe(200);
    expect(again.body.subscription.cancelAtPeriodEnd).toBe(true);
    expect((await api('POST', 'cancel', await endUserToken(app.jwtSecret, 'cus_none'), {})).status).toBe(404);
    expect((await api('POST', 'cancel', app.secretKey, { customerId: 'cus_cancel', now: true })).status).toBe(400);
  });

  it('an event for an unknown connected account is acknowledged and recorded, and changes nothing', async () => {
    const before = await counts(stack);
    const event = { ...completed('cus_ghost', rid('sub')), account: 'acct_unknown_to_us' };
    const r = await deliverConnect(stack, event);
    expect(r.status).toBe(200);
    await eventually('recorded as unknown_account', async () => (await outcomeOf(stack, event.id)) === 'unknown_account');
    expect(await counts(stack)).toEqual(before);
    // And one without any account (a platform event sent to the Connect endpoint) likewise.
    const none = connectEvent('checkout.session.completed', null, {
      id: rid('cs'),
      object: 'checkout.session',
      mode: 'subscription',
      subscription: rid('sub'),
      metadata: { appId: app.appId, customerId: 'cus_ghost' },
    });
    expect((await deliverConnect(stack, none)).status).toBe(200);
    await eventually('recorded', async () => (await outcomeOf(stack, none.id)) === 'unknown_account');
    expect(await counts(stack)).toEqual(before);
  });

  it('refuses a bad signature and records nothing', async () => {
    const event = completed('cus_sig', rid('sub'));
    const r = await deliverConnect(stack, event, 'whsec_wrong');
    expect(r.status).toBe(400);
    expect(await outcomeOf(stack, event.id)).toBeUndefined();
  });
});
