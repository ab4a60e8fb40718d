import { startTestStack, type TestStack } from '../helpers/stack';
import { testServices } from '../helpers/services';
import { call } from '../helpers/http';
import { startStripeProxy } from '../helpers/stripe-proxy';
import { connectStack, counts, newApp, onboard, URLS } from './helpers';

/** What reaches Stripe for catalogue writes: nothing for bad input, one key per change on retries. */
let proxy: Awaited<ReturnType<typeof startStripeProxy>>;
let stack: TestStack;
let app: Awaited<ReturnType<typeof newApp>>;
// Product updates fail on their first four tries (four attempts of the activity: the SDK does
// not retry, Temporal does), the way a flaky link to Stripe would.
const FAILED_UPDATES = 4;
const isProductUpdate = (r: { method: string; path: string }) => r.method === 'POST' && /^\/v1\/products\/[^/]+$/.test(r.path);

beforeAll(async () => {
  proxy = await startStripeProxy(
    testServices().stripeApiBase,
    (r, seen) => isProductUpdate(r) && seen.filter((s) => isProductUpdate(s)).length < FAILED_UPDATES,
  );
  stack = await startTestStack({ ...connectStack, env: { ...connectStack.env, STRIPE_API_BASE: proxy.url } });
  app = await newApp(stack, 'Calls');
  await onboard(stack, app);
});
afterAll(async () => {
  await stack?.close();
  await proxy?.close();
});

const PLAN = { name: 'Gold', amount: 900, currency: 'usd', interval: 'month', features: ['Feature 1'] };
const PRODUCT = { name: 'Template', amount: 1500, currency: 'eur', metadata: { category: 'templates' } };
const billing = (method: string, path: string, body: unknown) => call(stack.url, method, `/v1/${app.appId}/billing/${path}`, { token: app.secretKey, body });

describe('catalogue writes and Stripe', () => {
  it('refuses NUL in every catalogue string with a 400 naming the field, before any Stripe call', async () => {
    const { plan } = (await billing('POST', 'plans', PLAN)).body;
    const before = { rows: await counts(stack), requests: proxy.seen.length };
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', 'plans', { ...PLAN, name: 'Gold\u0000' }, 'name'],
      ['POST', 'plans', { ...PLAN, description: 'a\u0000b' }, 'description'],
      ['POST', 'plans', { ...PLAN, features: ['ok', 'x\u0000'] }, 'features'],
      ['PUT', `plans/${plan.id}`, { features: ['x\u0000'] }, 'features'],
      ['POST', 'products', { ...PRODUCT, metadata: { category: 'a\u0000' } }, 'metadata'],
      ['POST', 'products', { ...PRODUCT, metadata: { 'k\u0000': 'v' } }, 'metadata'],
      ['POST', 'purchase', { productId: 'prod_x', customerId: 'cus\u0000', ...URLS }, 'customerId'],
      ['POST', 'subscribe', { planId: plan.id, customerId: 'cus\u0000', ...URLS }, 'customerId'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await billing(method, path, body);
      expect([method, path, field, r.status]).toEqual([method, path, field, 400]);
      expect(JSON.stringify(r.body.error.details)).toContain(field);
    }
    expect({ rows: await counts(stack), requests: proxy.seen.length }).toEqual(before);
  });

  it('a retried product update reuses one idempotency key, so Stripe applies it once', async () => {
    const { plan } = (await billing('POST', 'plans', { ...PLAN, name: 'Retried' })).body;
    const updated = await billing('PUT', `plans/${plan.id}`, { features: ['New feature'] });
    expect(updated.status).toBe(200);
    expect(updated.body.plan.features).toEqual(['New feature']);
    const updates = proxy.seen.filter(isProductUpdate);
    expect(updates.length).toBe(FAILED_UPDATES + 1);
    expect(new Set(updates.map((u) => u.idempotencyKey)).size).toBe(1);
    expect(updates[0]!.idempotencyKey).toContain(`app-plan:${plan.id}`);
  });
});
