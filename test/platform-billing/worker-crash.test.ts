import type { ChildProcess } from 'node:child_process';
import { envOf } from '../../platform/config';
import { startTestStack, type TestStack } from '../helpers/stack';
import { startForwardingProxy } from '../helpers/forwarding-proxy';
import { killGroup, spawnUntilReady } from '../helpers/spawn-until-ready';
import { testServices } from '../helpers/services';
import { call } from '../helpers/http';
import { createAccount } from '../helpers/factories';
import { WEBHOOK_SECRET, sellPlans, deliver, checkoutCompleted, eventually, billingOf, newSubscriptionId } from './helpers';

/**
 * In front of stripe-mock: notes the Idempotency-Key of every Checkout Session create and
 * swallows the first one (no answer), as if the worker died while Stripe was creating it.
 */
async function sessionHoldingProxy(target: string) {
  const sessionKeys: string[] = [];
  const proxy = await startForwardingProxy(target, (req, _res, forward) => {
    if (req.method === 'POST' && req.url?.startsWith('/v1/checkout/sessions')) {
      sessionKeys.push(String(req.headers['idempotency-key']));
      if (sessionKeys.length === 1) return; // held unanswered until close
    }
    forward();
  });
  return { ...proxy, sessionKeys };
}

async function spawnWorker(stack: TestStack): Promise<ChildProcess> {
  const { child } = await spawnUntilReady('npx', ['tsx', 'bin/worker.ts'], {
    env: { ...process.env, ...envOf(stack.config), LOG_LEVEL: 'error' },
    ready: /worker ready/,
    withinMs: 60_000,
  });
  return child;
}

let proxy: Awaited<ReturnType<typeof sessionHoldingProxy>>;
let api: TestStack;
let secondWorker: TestStack | undefined;
let child: ChildProcess | undefined;
beforeAll(async () => {
  proxy = await sessionHoldingProxy(testServices().stripeApiBase);
  api = await startTestStack({ worker: false, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: proxy.url } });
  await sellPlans(api);
}, 60_000);
afterAll(async () => {
  if (child) killGroup(child);
  await secondWorker?.close();
  await api?.close();
  await proxy?.close();
});

it('completes a checkout whose worker was killed mid-call: one session key, one checkout, one subscription', async () => {
  child = await spawnWorker(api);
  const { accountId, apiKey } = await createAccount(api, 'Crash');
  await api.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`).result();
  const request = call(api.url, 'POST', '/dashboard/billing/checkout', {
    token: apiKey,
    headers: { 'idempotency-key': 'crash-1' },
    body: { planId: 'pro', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/cancel' },
  });
  await eventually('session create reached Stripe', async () => proxy.sessionKeys.length === 1);
  process.kill(-child.pid!, 'SIGKILL');

  // A new worker on the same task queue replays the checkout once its workflow task times out,
  // and runs the (local) Stripe call again with the same idempotency key.
  secondWorker = await startTestStack({ shareWith: api, worker: true, api: false, env: { STRIPE_API_BASE: proxy.url } });
  const reply = await request;
  expect(reply.status).toBe(200);
  expect(reply.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
  expect(proxy.sessionKeys.length).toBeGreaterThanOrEqual(2);
  expect(new Set(proxy.sessionKeys)).toEqual(new Set([`platform-checkout:${accountId}:crash-1:session`]));
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
