import type { TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { endUserToken } from '../helpers/factories';
import { URLS, connectEvent, counts, deliverConnect, eventually, newApp, outcomeOf, rid, stackWithOnboardedApp } from './helpers';

let stack: TestStack;
let app: Awaited<ReturnType<typeof newApp>>;
let acct: string;
let product: { id: string; amount: number };
beforeAll(async () => {
  ({ stack, app, acct } = await stackWithOnboardedApp('Shop'));
  const r = await call(stack.url, 'POST', `/v1/${app.appId}/billing/products`, {
    token: app.secretKey,
    body: { name: 'Template', amount: 750, currency: 'usd' },
  });
  product = r.body.product;
});
afterAll(() => stack?.close());

const api = (method: string, path: string, token: string, body?: unknown) => call(stack.url, method, `/v1/${app.appId}/billing/${path}`, { token, body });
const orderOf = async (orderId: string) => (await api('GET', `orders/${orderId}`, app.secretKey)).body.order;

async function purchase(customerId: string, quantity = 2): Promise<{ orderId: string; paymentIntent: string }> {
  const r = await api('POST', 'purchase', await endUserToken(app.jwtSecret, customerId), { productId: product.id, quantity, ...URLS });
  expect(r.status).toBe(200);
  return { orderId: r.body.orderId, paymentIntent: rid('pi') };
}
const paidEvent = (o: { orderId: string; paymentIntent: string }, customerId: string) =>
  connectEvent('checkout.session.completed', acct, {
    id: rid('cs_test'),
    object: 'checkout.session',
    mode: 'payment',
    status: 'complete',
    payment_status: 'paid',
    payment_intent: o.paymentIntent,
    client_reference_id: customerId,
    metadata: { appId: app.appId, customerId, orderId: o.orderId },
  });
const refundEvent = (o: { orderId: string; paymentIntent: string }, amountRefunded: number) =>
  connectEvent('charge.refunded', acct, {
    id: rid('ch'),
    object: 'charge',
    amount: 1500,
    amount_refunded: amountRefunded,
    refunded: amountRefunded === 1500,
    payment_intent: o.paymentIntent,
    metadata: { orderId: o.orderId },
  });

describe('purchase and orders', () => {
  it('purchase creates a pending order; checkout.session.completed makes it paid', async () => {
    const o = await purchase('cus_buyer');
    const pending = await orderOf(o.orderId);
    expect(pending).toMatchObject({
      id: o.orderId,
      status: 'pending',
      amount: 1500,
      quantity: 2,
      currency: 'usd',
      customerId: 'cus_buyer',
      productId: product.id,
      amountRefunded: 0,
    });
    expect(pending.stripeSessionId).toMatch(/^cs_/);
    await deliverConnect(stack, paidEvent(o, 'cus_buyer'));
    await eventually('paid', async () => (await orderOf(o.orderId)).status === 'paid');
    expect((await orderOf(o.orderId)).paymentIntent).toBe(o.paymentIntent);
    // A new price applies to new purchases only: the order keeps what was paid.
    expect((await api('PUT', `products/${product.id}`, app.secretKey, { amount: 900 })).status).toBe(200);
    expect(await orderOf(o.orderId)).toMatchObject({ status: 'paid', amount: 1500 });
    expect((await api('PUT', `products/${product.id}`, app.secretKey, { amount: 750 })).status).toBe(200);
  });

  it('partial then full refund: partially_refunded then refunded, exact amounts; the same refund event twice applies once', async () => {
    const o = await purchase('cus_refund');
    await deliverConnect(stack, paidEvent(o, 'cus_refund'));
    await eventually('paid', async () => (await orderOf(o.orderId)).status === 'paid');
    const partial = refundEvent(o, 400);
    const replies = await Promise.all([deliverConnect(stack, partial), deliverConnect(stack, partial)]);
    expect(replies.map((r) => r.status)).toEqual([200, 200]);
    expect(replies.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    await eventually('partially refunded', async () => (await outcomeOf(stack, partial.id)) === 'applied');
    expect(await orderOf(o.orderId)).toMatchObject({ status: 'partially_refunded', amountRefunded: 400 });
    // The same refund again under a new event id (Stripe may resend state): no change.
    const resent = { ...partial, id: rid('evt') };
    await deliverConnect(stack, resent);
    await eventually('resent handled', async () => (await outcomeOf(stack, resent.id)) === 'stale');
    expect(await orderOf(o.orderId)).toMatchObject({ status: 'partially_refunded', amountRefunded: 400 });
    await deliverConnect(stack, refundEvent(o, 1500));
    await eventually('refunded', async () => (await orderOf(o.orderId)).status === 'refunded');
    expect((await orderOf(o.orderId)).amountRefunded).toBe(1500);
    // A late completion event never turns a refunded order back into paid.
    const late = paidEvent(o, 'cus_refund');
    await deliverConnect(stack, late);
    await eventually('late completion handled', async () => (await outcomeOf(stack, late.id)) === 'stale');
    expect((await orderOf(o.orderId)).status).toBe('refunded');
  });

  it('payment_intent.payment_failed makes a pending order failed', async () => {
    const o = await purchase('cus_fail', 1);
    const failed = connectEvent('payment_intent.payment_failed', acct, {
      id: o.paymentIntent,
      object: 'payment_intent',
      amount: 750,
      metadata: { orderId: o.orderId },
    });
    await deliverConnect(stack, failed);
    await eventually('failed', async () => (await orderOf(o.orderId)).status === 'failed');
  });

  it('lists orders newest first with a cursor; an end user sees only their own', async () => {
    const mine = [];
    for (let i = 0; i < 3; i += 1) mine.push((await purchase('cus_pages', i + 1)).orderId);
    await purchase('cus_other');
    const x = await endUserToken(app.jwtSecret, 'cus_pages');
    const page1 = await api('GET', 'orders?limit=2', x);
    expect(page1.status).toBe(200);
    expect(page1.body.orders.map((o: any) => o.id)).toEqual([mine[2], mine[1]]);
    const page2 = await api('GET', `orders?limit=2&cursor=${page1.body.nextCursor}`, x);
    expect(page2.body.orders.map((o: any) => o.id)).toEqual([mine[0]]);
    expect(page2.body.nextCursor).toBeNull();
    // The app key acts for a named customer, or lists the whole app.
    expect((await api('GET', 'orders?customerId=cus_pages', app.secretKey)).body.orders).toHaveLength(3);
    expect((await api('GET', 'orders?limit=100', app.secretKey)).body.orders.length).toBeGreaterThanOrEqual(4);
    // Y's orders through X's token: empty for the list, 404 for one order.
    expect((await api('GET', 'orders?customerId=cus_other', x)).status).toBe(404);
    const other = (await api('GET', 'orders?customerId=cus_other', app.secretKey)).body.orders[0];
    expect((await api('GET', `orders/${other.id}`, x)).status).toBe(404);
    expect((await api('GET', `orders/${mine[0]}`, x)).status).toBe(200);
    expect((await api('GET', 'orders?cursor=garbage', x)).status).toBe(400);
    expect((await api('GET', 'orders?limit=0', x)).status).toBe(400);
  });

  it('refuses bad purchases, writing no order; another app sees 404', async () => {
    const before = await counts(stack);
    const user = await endUserToken(app.jwtSecret, 'cus_bad');
    expect((await api('POST', 'purchase', user, { productId: product.id, quantity: 0, ...URLS })).status).toBe(400);
    expect((await api('POST', 'purchase', user, { productId: product.id, tip: 5, ...URLS })).status).toBe(400);
    expect((await api('POST', 'purchase', user, { productId: 'prod_nope', ...URLS })).status).toBe(404);
    expect((await api('POST', 'purchase', app.secretKey, { productId: product.id, ...URLS })).status).toBe(400);
    expect(await counts(stack)).toEqual(before);
    const other = await newApp(stack, 'Other shop');
    expect((await call(stack.url, 'GET', `/v1/${app.appId}/billing/orders`, { token: other.secretKey })).status).toBe(404);
    expect(
      (
        await call(stack.url, 'POST', `/v1/${app.appId}/billing/purchase`, {
          token: other.secretKey,
          body: { productId: product.id, customerId: 'c', ...URLS },
        })
      ).status,
    ).toBe(404);
    expect((await call(stack.url, 'GET', `/v1/${other.appId}/billing/orders`, { token: other.secretKey })).body.orders).toEqual([]);
  });
});
