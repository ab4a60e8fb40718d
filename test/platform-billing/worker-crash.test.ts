import type { ChildProcess } from 'node:child_process';
import { startTestStack, type TestStack } from '../helpers/stack';
import { testServices } from '../helpers/services';
import { startStripeProxy } from '../helpers/stripe-proxy';
import { call } from '../helpers/http';
import { spawnService, stopProcesses } from '../helpers/api-process';
import { createAccount } from '../helpers/factories';
import { WEBHOOK_SECRET, sellPlans, deliver, checkoutCompleted, eventually, billingOf, newSubscriptionId } from './helpers';

const isSessionCreate = (r: { method: string; path: string }) => r.method === 'POST' && r.path.startsWith('/v1/checkout/sessions');

/**
 * In front of stripe-mock: notes the Idempotency-Key of every Checkout Session create and holds
 * the first one unanswered, as if the worker died while Stripe was creating it.
 */
async function sessionHoldingProxy(target: string) {
  const proxy = await startStripeProxy(target, undefined, (r, seen) => r.index === seen.findIndex(isSessionCreate));
  return { ...proxy, sessionKeys: () => proxy.seen.filter(isSessionCreate).map((r) => String(r.idempotencyKey)) };
}

let proxy: Awaited<ReturnType<typeof sessionHoldingProxy>>;
let api: TestStack;
let secondWorker: TestStack | undefined;
const children: ChildProcess[] = [];
beforeAll(async () => {
  proxy = await sessionHoldingProxy(testServices().stripeApiBase);
  api = await startTestStack({ worker: false, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: proxy.url } });
  await sellPlans(api);
}, 60_000);
afterAll(async () => {
  stopProcesses(children, 'SIGKILL');
  await secondWorker?.close();
  await api?.close();
  await proxy?.close();
});

it('completes a checkout whose worker was killed mid-call: one session key, one checkout, one subscription', async () => {
  const { child } = await spawnService('worker', api, children);
  const { accountId, apiKey } = await createAccount(api, 'Crash');
  await api.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  const request = call(api.url, 'POST', '/dashboard/billing/checkout', {
    token: apiKey,
    headers: { 'idempotency-key': 'crash-1' },
    body: { planId: 'pro', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/cancel' },
  });
  await eventually('session create reached Stripe', async () => proxy.sessionKeys().length === 1);
  process.kill(-child.pid!, 'SIGKILL');

  // A new worker on the same task queue replays the checkout once its workflow task times out,
  // and runs the (local) Stripe call again with the same idempotency key.
  secondWorker = await startTestStack({ shareWith: api, worker: true, api: false, env: { STRIPE_API_BASE: proxy.url } });
  const reply = await request;
  expect(reply.status).toBe(200);
  expect(reply.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
  expect(proxy.sessionKeys().length).toBeGreaterThanOrEqual(2);
  expect(new Set(proxy.sessionKeys())).toEqual(new Set([`platform-checkout:${accountId}:crash-1:session`]));
  const checkouts = await api.deps.db.query('SELECT id, workflow_id FROM checkouts WHERE account_id = $1', [accountId]);
  expect(checkouts.rows).toHaveLength(1);

  const subscriptionId = newSubscriptionId();
  const [row] = checkouts.rows;
  await deliver(api, checkoutCompleted({ accountId, planId: 'pro', subscriptionId, checkoutId: row.id, checkoutWorkflowId: row.workflow_id }));
  await eventually('pro', async () => (await billingOf(api, apiKey)).plan.id === 'pro');
  expect(await api.deps.temporal.workflow.getHandle(row.workflow_id).result()).toMatchObject({ status: 'completed' });
  const subs = await api.deps.db.query('SELECT id FROM platform_subscriptions WHERE account_id = $1', [accountId]);
  expect(subs.rows).toEqual([{ id: subscriptionId }]);
}, 120_000);
