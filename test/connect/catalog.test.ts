import type { TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { endUserToken } from '../helpers/factories';
import { counts, newApp, stackWithOnboardedApp } from './helpers';

let stack: TestStack;
let app: Awaited<ReturnType<typeof newApp>>;
beforeAll(async () => {
  ({ stack, app } = await stackWithOnboardedApp('Catalog'));
});
afterAll(() => stack?.close());

const PLAN = { name: 'Gold', description: 'All of it', amount: 900, currency: 'usd', interval: 'month', features: ['Feature 1', 'Feature 2'] };
const PRODUCT = { name: 'Premium Template', description: '50+ templates', amount: 1500, currency: 'eur', metadata: { category: 'templates' } };
const post = (path: string, body: unknown, token = app.secretKey) => call(stack.url, 'POST', `/v1/${app.appId}/billing/${path}`, { token, body });
const put = (path: string, body: unknown, token = app.secretKey) => call(stack.url, 'PUT', `/v1/${app.appId}/billing/${path}`, { token, body });
const get = (path: string, token = app.secretKey) => call(stack.url, 'GET', `/v1/${app.appId}/billing/${path}`, { token });

describe('plans', () => {
  it('creates a plan as a Stripe Product with a recurring Price, listed for the app and its end users', async () => {
    const created = await post('plans', PLAN);
    expect(created.status).toBe(201);
    expect(created.body.plan).toMatchObject({
      ...PLAN,
      appId: app.appId,
      active: true,
      stripeProductId: expect.stringMatching(/^prod_/),
      stripePriceId: expect.stringMatching(/^price_/),
    });
    const user = await endUserToken(app.jwtSecret, 'cus_list');
    for (const token of [app.secretKey, user]) {
      const listed = await get('plans', token);
      expect(listed.status).toBe(200);
      expect(listed.body.plans.map((p: any) => p.id)).toContain(created.body.plan.id);
    }
  });

  it('an amount change makes a new Price and archives the old one; a name change keeps the Price', async () => {
    const { plan } = (await post('plans', { ...PLAN, name: 'Silver' })).body;
    const renamed = await put(`plans/${plan.id}`, { name: 'Silver+' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.plan).toMatchObject({ name: 'Silver+', amount: 900, stripePriceId: plan.stripePriceId });
    const repriced = await put(`plans/${plan.id}`, { amount: 1200, interval: 'year' });
    expect(repriced.status).toBe(200);
    expect(repriced.body.plan).toMatchObject({ name: 'Silver+', amount: 1200, interval: 'year' });
    expect(repriced.body.plan.stripePriceId).not.toBe(plan.stripePriceId);
    const archived = await stack.deps.db.query('SELECT stripe_price_id, amount, interval FROM app_plan_prices WHERE plan_id = $1', [plan.id]);
    expect(archived.rows).toEqual([{ stripe_price_id: plan.stripePriceId, amount: '900', interval: 'month' }]);
  });

  it('refuses invalid writes with 400 naming the field, writing nothing', async () => {
    const { plan } = (await post('plans', { ...PLAN, name: 'Bronze' })).body;
    const before = await counts(stack);
    const cases: Array<[string, unknown, string]> = [
      ['plans', { ...PLAN, amount: -1 }, 'amount'],
      ['plans', { ...PLAN, currency: 'xyz' }, 'currency'],
      ['plans', { ...PLAN, currency: 'USD' }, 'currency'],
      ['plans', { ...PLAN, interval: 'fortnight' }, 'interval'],
      ['plans', { ...PLAN, color: 'red' }, 'color'],
      ['products', { ...PRODUCT, metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }, 'metadata'],
      ['products', { ...PRODUCT, metadata: { ['k'.repeat(41)]: 'v' } }, 'metadata'],
      ['products', { ...PRODUCT, metadata: { category: 'v'.repeat(501) } }, 'metadata'],
      ['products', { ...PRODUCT, amount: -5 }, 'amount'],
    ];
    for (const [path, body, field] of cases) {
      const r = await post(path, body);
      expect([path, field, r.status]).toEqual([path, field, 400]);
      expect(JSON.stringify(r.body.error.details)).toContain(field);
    }
    const badPut = await put(`plans/${plan.id}`, { amount: -3 });
    expect(badPut.status).toBe(400);
    expect(JSON.stringify(badPut.body.error.details)).toContain('amount');
    expect(await counts(stack)).toEqual(before);
    expect((await get('plans')).body.plans.find((p: any) => p.id === plan.id).amount).toBe(900);
  });

  it('answers 409 before onboarding, 404 for unknown plans and other apps, 403 for end users', async () => {
    const fresh = await newApp(stack, 'Not onboarded');
    const before = await counts(stack);
    const early = await call(stack.url, 'POST', `/v1/${fresh.appId}/billing/plans`, { token: fresh.secretKey, body: PLAN });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/onboarding/i);
    expect(
      (await call(stack.url, 'POST', `/v1/${fresh.appId}/billing/products`, { token: fresh.secretKey, body: { ...PRODUCT, currency: 'zzz' } })).status,
    ).toBe(400);
    expect(await counts(stack)).toEqual(before);
    // Nothing reached Stripe: no workflow (the only way to Stripe) ever ran for this app.
    expect((await stack.deps.temporal.workflow.count(`AppId = "${fresh.appId}"`)).count).toBe(0);
    expect((await put('plans/plan_nope', { name: 'x' })).status).toBe(404);
    const user = await endUserToken(app.jwtSecret, 'cus_1');
    expect((await post('plans', PLAN, user)).status).toBe(403);
    expect((await post('products', PRODUCT, user)).status).toBe(403);
    const { plan } = (await post('plans', { ...PLAN, name: 'Mine' })).body;
    expect((await call(stack.url, 'PUT', `/v1/${app.appId}/billing/plans/${plan.id}`, { token: fresh.secretKey, body: { name: 'stolen' } })).status).toBe(404);
    expect((await call(stack.url, 'GET', `/v1/${app.appId}/billing/plans`, { token: fresh.secretKey })).status).toBe(404);
    // The other app's own list does not show it either.
    expect((await call(stack.url, 'GET', `/v1/${fresh.appId}/billing/plans`, { token: fresh.secretKey })).body.plans).toEqual([]);
  });
});

describe('products', () => {
  it('creates, lists and updates a product with metadata and a one-time Price', async () => {
    const created = await post('products', PRODUCT);
    expect(created.status).toBe(201);
    const { product } = created.body;
    expect(product).toMatchObject({ ...PRODUCT, active: true, stripePriceId: expect.stringMatching(/^price_/) });
    const listed = await get('products', await endUserToken(app.jwtSecret, 'cus_2'));
    expect(listed.status).toBe(200);
    expect(listed.body.products.map((p: any) => p.id)).toContain(product.id);
    const updated = await put(`products/${product.id}`, { amount: 2000, metadata: { category: 'bundles' } });
    expect(updated.status).toBe(200);
    expect(updated.body.product).toMatchObject({ amount: 2000, metadata: { category: 'bundles' }, name: PRODUCT.name });
    expect(updated.body.product.stripePriceId).not.toBe(product.stripePriceId);
    expect((await put(`products/${product.id}`, {})).status).toBe(400);
    expect((await put('products/prod_nope', { name: 'x' })).status).toBe(404);
  });
});
