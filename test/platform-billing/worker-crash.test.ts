import type { ChildProcess } from 'node:child_process';
import { envOf } from '../../platform/config';
import { startTestStack, type TestStack } from '../helpers/stack';
import { startForwardingProxy, type UpstreamReply } from '../helpers/forwarding-proxy';
import { killGroup, spawnUntilReady } from '../helpers/spawn-until-ready';
import { testServices } from '../helpers/services';
import { call } from '../helpers/http';
import { createAccount } from '../helpers/factories';
import { WEBHOOK_SECRET, sellPlans, deliver, checkoutCompleted, eventually, billingOf, newSubscriptionId } from './helpers';
import { CONNECT_SECRET, PLATFORM_SECRET, URLS, newApp, onboard } from '../connect/helpers';

/**
 * Stripe in front of stripe-mock, as far as Checkout Session creates go: stripe-mock keeps no
 * state, so this stands in for Stripe's idempotency memory. The first create under a key goes
 * to stripe-mock (Stripe creates the object; its id is made unique here) and its answer is kept;
 * a create under a known key gets that answer back, as from Stripe. Once armed, the next
 * create is made at Stripe but its answer is held from the worker: the worker dies after Stripe
 * created the session and before it could write it down.
 */
async function sessionStandIn(target: string) {
  const keys: string[] = [];
  const answers = new Map<string, UpstreamReply>();
  let created = 0;
  let armed = false;
  const proxy = await startForwardingProxy(target, (req, res, forward) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/v1/checkout/sessions')) return forward();
    const key = String(req.headers['idempotency-key']);
    keys.push(key);
    const send = (a: UpstreamReply, replayed: boolean) => {
      res.writeHead(a.status, { 'content-type': 'application/json', ...(replayed && { 'idempotent-replayed': 'true' }) });
      res.end(a.body);
    };
    const known = answers.get(key);
    if (known) {
      req.resume();
      return send(known, true);
    }
    const hold = armed;
    armed = false;
    forward(undefined, (reply) => {
      const session = JSON.parse(reply.body.toString());
      if (reply.status === 200) session.id = `cs_test_standin_${++created}`;
      const answer = { ...reply, body: Buffer.from(JSON.stringify(session)) };
      if (reply.status === 200) answers.set(key, answer);
      if (!hold) send(answer, false); // else held unanswered until the worker dies
    });
  });
  return {
    ...proxy,
    keys,
    /** Session objects Stripe created, in order. */
    created: () => created,
    arm: () => {
      armed = true;
    },
  };
}

type StandIn = Awaited<ReturnType<typeof sessionStandIn>>;
const cleanup: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** An API, a spawned production worker behind the stand-in, and a way to kill and replace it. */
async function setUp(env: Record<string, string>) {
  const proxy = await sessionStandIn(testServices().stripeApiBase);
  cleanup.push(() => proxy.close());
  const api = await startTestStack({ worker: false, env: { ...env, STRIPE_API_BASE: proxy.url } });
  cleanup.push(() => api.close());
  const { child } = await spawnUntilReady('npx', ['tsx', 'bin/worker.ts'], {
    env: { ...process.env, ...envOf(api.config), LOG_LEVEL: 'error' },
    ready: /worker ready/,
    withinMs: 90_000,
  });
  cleanup.push(() => killGroup(child));
  return {
    proxy,
    api,
    /** SIGKILL once Stripe has created the session, then a new worker on the same task queue. */
    crashAfterCreate: async (worker: ChildProcess = child) => {
      await eventually('Stripe created the session', async () => proxy.created() === 1);
      process.kill(-worker.pid!, 'SIGKILL');
      // A new worker replays the workflow once its task times out and runs the Stripe call
      // again; the same idempotency key gets Stripe's first object back.
      const second: TestStack = await startTestStack({ shareWith: api, worker: true, api: false, env: { STRIPE_API_BASE: proxy.url } });
      cleanup.push(() => second.close());
    },
  };
}

/** One object at Stripe, the one created before the crash; every create carried its key. */
function expectOneSession(proxy: StandIn, key: string) {
  expect(proxy.keys.length).toBeGreaterThanOrEqual(2);
  expect(new Set(proxy.keys)).toEqual(new Set([key]));
  expect(proxy.created()).toBe(1);
}

it('platform checkout: a worker SIGKILLed after Stripe created the session and before its row was written ends with one session and one row', async () => {
  const { proxy, api, crashAfterCreate } = await setUp({ STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET });
  await sellPlans(api);
  const { accountId, apiKey } = await createAccount(api, 'Crash');
  await api.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  proxy.arm();
  const request = call(api.url, 'POST', '/dashboard/billing/checkout', {
    token: apiKey,
    headers: { 'idempotency-key': 'crash-1' },
    body: { planId: 'pro', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/cancel' },
  });
  await crashAfterCreate();
  const reply = await request;
  expect(reply.status).toBe(200);
  expect(reply.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
  expectOneSession(proxy, `platform-checkout:${accountId}:crash-1:session`);
  const checkouts = await api.deps.db.query('SELECT id, workflow_id, stripe_session_id FROM checkouts WHERE account_id = $1', [accountId]);
  expect(checkouts.rows.map((r) => r.stripe_session_id)).toEqual(['cs_test_standin_1']);

  const subscriptionId = newSubscriptionId();
  const [row] = checkouts.rows;
  await deliver(api, checkoutCompleted({ accountId, planId: 'pro', subscriptionId, checkoutId: row.id, checkoutWorkflowId: row.workflow_id }));
  await eventually('pro', async () => (await billingOf(api, apiKey)).plan.id === 'pro');
  expect(await api.deps.temporal.workflow.getHandle(row.workflow_id).result()).toMatchObject({ status: 'completed' });
  const subs = await api.deps.db.query('SELECT id FROM platform_subscriptions WHERE account_id = $1', [accountId]);
  expect(subs.rows).toEqual([{ id: subscriptionId }]);
}, 240_000);

it('Connect purchase: a worker SIGKILLed after Stripe created the session on the connected account ends with one session and one order', async () => {
  const { proxy, api, crashAfterCreate } = await setUp({ STRIPE_WEBHOOK_SECRET: PLATFORM_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET });
  const app = await newApp(api, 'Crash shop');
  await onboard(api, app);
  const product = await call(api.url, 'POST', `/v1/${app.appId}/billing/products`, {
    token: app.secretKey,
    body: { name: 'Pack', amount: 500, currency: 'usd' },
  });
  expect(product.status).toBe(201);
  proxy.arm();
  const request = call(api.url, 'POST', `/v1/${app.appId}/billing/purchase`, {
    token: app.secretKey,
    headers: { 'idempotency-key': 'crash-buy-1' },
    body: { productId: product.body.product.id, customerId: 'cus_crash', quantity: 2, ...URLS },
  });
  await crashAfterCreate();
  const reply = await request;
  expect(reply.status).toBe(200);
  expect(reply.body.sessionId).toBe('cs_test_standin_1');
  expectOneSession(proxy, proxy.keys[0]!);
  expect(proxy.keys[0]).toMatch(new RegExp(`^app-checkout:${app.appId}:.+:session$`));
  const orders = await api.deps.db.query('SELECT id, stripe_session_id, amount FROM orders WHERE app_id = $1', [app.appId]);
  expect(orders.rows).toEqual([{ id: reply.body.orderId, stripe_session_id: 'cs_test_standin_1', amount: expect.anything() }]);
  expect(Number(orders.rows[0].amount)).toBe(1000);
}, 240_000);
