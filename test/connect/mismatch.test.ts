import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { endUserToken } from '../helpers/factories';
import {
  URLS,
  connectEvent,
  connectStack,
  deliverConnect,
  eventually,
  newApp,
  nowS,
  outcomeOf,
  rid,
  setCharges,
  subscriptionCheckoutCompleted,
} from './helpers';

/**
 * A Connect event's `account` decides its app; the object it names must be that app's. An event
 * from app A's account naming app B's subscription or order changes nothing and is parked.
 */
type App = Awaited<ReturnType<typeof newApp>> & { acct: string; planId: string; productId: string };
let stack: TestStack;
let a: App;
let b: App;

async function connectedApp(name: string): Promise<App> {
  const app = await newApp(stack, name);
  // stripe-mock hands every app the same account id; give each its own, as Stripe would.
  const acct = rid('acct');
  await stack.deps.db.query('UPDATE apps SET stripe_account_id = $2 WHERE id = $1', [app.appId, acct]);
  await setCharges(stack, acct, true); // onboarding done: the account can take payments
  const post = (path: string, body: unknown) => call(stack.url, 'POST', `/v1/${app.appId}/billing/${path}`, { token: app.secretKey, body });
  const planId = (await post('plans', { name: 'Pro', amount: 1000, currency: 'usd', interval: 'month' })).body.plan.id;
  const productId = (await post('products', { name: 'Pack', amount: 500, currency: 'usd' })).body.product.id;
  return { ...app, acct, planId, productId };
}

beforeAll(async () => {
  stack = await startTestStack(connectStack);
  a = await connectedApp('A');
  b = await connectedApp('B');
});
afterAll(() => stack?.close());

const subscriptionOf = async (app: App, customerId: string) =>
  (await call(stack.url, 'GET', `/v1/${app.appId}/billing/subscription?customerId=${customerId}`, { token: app.secretKey })).body.subscription;
const orderOf = async (app: App, orderId: string) =>
  (await call(stack.url, 'GET', `/v1/${app.appId}/billing/orders/${orderId}`, { token: app.secretKey })).body.order;

async function subscribed(app: App, customerId: string): Promise<string> {
  const subscriptionId = rid('sub');
  await deliverConnect(
    stack,
    subscriptionCheckoutCompleted(app.acct, { customerId, subscriptionId, metadata: { customerId, planId: app.planId } }, nowS() - 100),
  );
  await eventually('subscription active', async () => (await subscriptionOf(app, customerId))?.status === 'active');
  return subscriptionId;
}

async function purchased(app: App, customerId: string): Promise<string> {
  const r = await call(stack.url, 'POST', `/v1/${app.appId}/billing/purchase`, {
    token: await endUserToken(app.jwtSecret, customerId),
    body: { productId: app.productId, ...URLS },
  });
  expect(r.status).toBe(200);
  return r.body.orderId;
}

const parked = (eventId: string) => eventually(`event ${eventId} parked`, async () => (await outcomeOf(stack, eventId)) === 'mismatch');

describe.each([
  ['A', 'B'],
  ['B', 'A'],
])("events from app %s's account naming app %s's objects", (fromName, ownerName) => {
  const from = () => (fromName === 'A' ? a : b);
  const owner = () => (ownerName === 'A' ? a : b);

  it('leave the subscription unchanged (deleted, updated, invoice failed) and are parked as mismatches', async () => {
    const customerId = rid('cus');
    const subId = await subscribed(owner(), customerId);
    const before = await subscriptionOf(owner(), customerId);
    const later = nowS();
    const events = [
      connectEvent(
        'customer.subscription.deleted',
        from().acct,
        { id: subId, object: 'subscription', status: 'canceled', metadata: { customerId }, items: { data: [] } },
        later,
      ),
      connectEvent(
        'customer.subscription.updated',
        from().acct,
        { id: subId, object: 'subscription', status: 'past_due', cancel_at_period_end: true, metadata: { customerId }, items: { data: [] } },
        later,
      ),
      connectEvent(
        'invoice.payment_failed',
        from().acct,
        {
          id: rid('in'),
          object: 'invoice',
          parent: { subscription_details: { subscription: subId, metadata: { customerId } } },
          lines: { data: [] },
        },
        later,
      ),
    ];
    for (const e of events) expect((await deliverConnect(stack, e)).status).toBe(200);
    for (const e of events) await parked(e.id);
    expect(await subscriptionOf(owner(), customerId)).toEqual(before);
    const rows = await stack.deps.db.query('SELECT app_id FROM app_subscriptions WHERE id = $1', [subId]);
    expect(rows.rows).toEqual([{ app_id: owner().appId }]);
  });

  it('leave the order unchanged (paid, failed, refunded; by order id or PaymentIntent) and are parked as mismatches', async () => {
    const orderId = await purchased(owner(), rid('cus'));
    const pi = rid('pi');
    await stack.deps.db.query('UPDATE orders SET payment_intent = $2 WHERE id = $1', [orderId, pi]);
    const before = await orderOf(owner(), orderId);
    const events = [
      connectEvent('checkout.session.completed', from().acct, {
        id: rid('cs_test'),
        object: 'checkout.session',
        mode: 'payment',
        payment_status: 'paid',
        payment_intent: rid('pi'),
        metadata: { orderId },
      }),
      connectEvent('payment_intent.payment_failed', from().acct, { id: pi, object: 'payment_intent', metadata: {} }),
      connectEvent('charge.refunded', from().acct, { id: rid('ch'), object: 'charge', amount_refunded: 500, payment_intent: pi, metadata: {} }),
    ];
    for (const e of events) expect((await deliverConnect(stack, e)).status).toBe(200);
    for (const e of events) await parked(e.id);
    expect(await orderOf(owner(), orderId)).toEqual(before);
  });
});
