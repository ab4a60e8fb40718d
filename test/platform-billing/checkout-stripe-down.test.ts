import { startTestStack, type TestStack } from '../helpers/stack';
import { testServices } from '../helpers/services';
import { call } from '../helpers/http';
import { createAccount } from '../helpers/factories';
import { startStripeProxy } from '../helpers/stripe-proxy';
import { sellPlans } from './helpers';

/**
 * Stripe failing (5xx) while a checkout makes its session: the local activity's retries run
 * out and the caller is told to retry (503), never that the request was refused (422); the
 * same Idempotency-Key then completes with one session.
 */
let down = true;
let proxy: Awaited<ReturnType<typeof startStripeProxy>>;
let stack: TestStack;
const isSessionCreate = (r: { method: string; path: string }) => r.method === 'POST' && r.path === '/v1/checkout/sessions';

beforeAll(async () => {
  proxy = await startStripeProxy(testServices().stripeApiBase, (r) => down && isSessionCreate(r));
  stack = await startTestStack({ worker: true, env: { STRIPE_API_BASE: proxy.url } });
  await sellPlans(stack);
});
afterAll(async () => {
  await stack?.close();
  await proxy?.close();
});

it('answers 503 while Stripe fails, then 200 with the same key and one session', async () => {
  const buyer = await createAccount(stack, 'Stripe down buyer');
  await stack.deps.temporal.workflow.getHandle(`account-provisioning:${buyer.accountId}`).result();
  const checkout = () =>
    call(stack.url, 'POST', '/dashboard/billing/checkout', {
      token: buyer.apiKey,
      body: { planId: 'pro', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/cancel' },
      headers: { 'idempotency-key': 'stripe-down-1' },
    });

  const refused = await checkout();
  expect(refused.status).toBe(503);
  expect(refused.body.error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/^Checkout failed: /) });
  // Every attempt reached Stripe and failed there: the retries were Temporal's, not a refusal.
  expect(proxy.seen.filter((r) => isSessionCreate(r) && r.failed).length).toBeGreaterThan(1);

  down = false;
  const ok = await checkout();
  expect(ok.status).toBe(200);
  expect(ok.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
  const creates = proxy.seen.filter((r) => isSessionCreate(r));
  expect(new Set(creates.map((r) => r.idempotencyKey))).toEqual(new Set([`platform-checkout:${buyer.accountId}:stripe-down-1:session`]));
  expect(creates.filter((r) => !r.failed)).toHaveLength(1);
}, 120_000);
