import type { TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { URLS, counts, newApp, stackWithOnboardedApp } from './helpers';

let stack: TestStack;
let app: Awaited<ReturnType<typeof newApp>>;
beforeAll(async () => {
  ({ stack, app } = await stackWithOnboardedApp('Idem'));
});
afterAll(() => stack?.close());

const post = (path: string, body: unknown, key?: string, token = app.secretKey) =>
  call(stack.url, 'POST', path, { token, body, ...(key && { headers: { 'idempotency-key': key } }) });
const billing = (what: string) => `/v1/${app.appId}/billing/${what}`;
const PLAN = { name: 'Pro', amount: 900, currency: 'usd', interval: 'month' };

describe('Idempotency-Key on every create route', () => {
  it('Connect plan and product: the same key and body replays the first answer and creates nothing; another body is a 409', async () => {
    const before = (await counts(stack)) as Record<'app_plans' | 'app_products', number>;
    const first = await post(billing('plans'), PLAN, 'plan-1');
    expect(first.status).toBe(201);
    // Same parameters, other key order: the same request.
    const again = await post(billing('plans'), { interval: 'month', currency: 'usd', amount: 900, name: 'Pro' }, 'plan-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await post(billing('plans'), { ...PLAN, amount: 1000 }, 'plan-1');
    expect(other.status).toBe(409);
    expect(other.body.error.details[0].path).toEqual(['header', 'idempotency-key']);
    // The same key on another route is another request too.
    expect((await post(billing('products'), { name: 'T', amount: 300, currency: 'usd' }, 'plan-1')).status).toBe(409);
    const product = await post(billing('products'), { name: 'T', amount: 300, currency: 'usd' }, 'product-1');
    expect((await post(billing('products'), { name: 'T', amount: 300, currency: 'usd' }, 'product-1')).body).toEqual(product.body);
    expect(await counts(stack)).toMatchObject({ app_plans: before.app_plans + 1, app_products: before.app_products + 1 });
    // Without a key, each request is its own create.
    await post(billing('plans'), PLAN);
    await post(billing('plans'), PLAN);
    expect((await counts(stack)).app_plans).toBe(before.app_plans + 3);
  });

  it('subscribe and purchase: a replay returns the same session and order; a bad key is a 400 naming the header', async () => {
    const { plan } = (await post(billing('plans'), PLAN)).body;
    const { product } = (await post(billing('products'), { name: 'T', amount: 300, currency: 'usd' })).body;
    const sub = await post(billing('subscribe'), { planId: plan.id, customerId: 'cus_idem', ...URLS }, 'sub-1');
    expect(sub.status).toBe(200);
    expect((await post(billing('subscribe'), { planId: plan.id, customerId: 'cus_idem', ...URLS }, 'sub-1')).body).toEqual(sub.body);
    expect((await post(billing('subscribe'), { planId: plan.id, customerId: 'cus_other', ...URLS }, 'sub-1')).status).toBe(409);
    const buy = { productId: product.id, customerId: 'cus_idem', quantity: 2, ...URLS };
    const first = await post(billing('purchase'), buy, 'buy-1');
    expect(first.status).toBe(200);
    const replays = await Promise.all([post(billing('purchase'), buy, 'buy-1'), post(billing('purchase'), buy, 'buy-1')]);
    expect(replays.map((r) => r.body)).toEqual([first.body, first.body]);
    const orders = await stack.deps.db.query("SELECT id FROM orders WHERE app_id = $1 AND customer_id = 'cus_idem'", [app.appId]);
    expect(orders.rows).toEqual([{ id: first.body.orderId }]);
    const bad = await post(billing('purchase'), buy, 'no spaces allowed');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.details)).toContain('idempotency-key');
  });

  it('concurrent requests with one key: one runs, the others replay it or are told it is in progress; one object', async () => {
    const replies = await Promise.all(Array.from({ length: 4 }, () => post(billing('plans'), { ...PLAN, name: 'Race' }, 'race-1')));
    const created = replies.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.plan.id)).size).toBe(1);
    for (const r of replies.filter((x) => x.status !== 201)) expect(r.status).toBe(409);
    const rows = await stack.deps.db.query("SELECT id FROM app_plans WHERE app_id = $1 AND name = 'Race'", [app.appId]);
    expect(rows.rows).toHaveLength(1);
  });

  it('admin creates: one account per key; keys of two callers never meet', async () => {
    const admin = (path: string, body: unknown, key: string) => post(path, body, key, stack.adminToken);
    const a = await admin('/admin/accounts', { name: 'Idem Co' }, 'acct-1');
    expect(a.status).toBe(201);
    // The same account again; its API key was shown once and is not kept (test/api/idempotency-secrets.test.ts).
    expect((await admin('/admin/accounts', { name: 'Idem Co' }, 'acct-1')).body).toEqual({ account: a.body.account, withheld: expect.anything() });
    expect((await admin('/admin/accounts', { name: 'Other Co' }, 'acct-1')).status).toBe(409);
    const n = await stack.deps.db.query("SELECT count(*)::int AS n FROM accounts WHERE name = 'Idem Co'");
    expect(n.rows[0].n).toBe(1);
    const appA = await admin(`/admin/accounts/${a.body.account.id}/apps`, { name: 'A' }, 'app-1');
    expect((await admin(`/admin/accounts/${a.body.account.id}/apps`, { name: 'A' }, 'app-1')).body.app.id).toBe(appA.body.app.id);
    // Another tenant's identical key is its own.
    const other = await newApp(stack, 'Idem other');
    const theirs = await post(`/v1/${other.appId}/billing/plans`, PLAN, 'plan-1', other.secretKey);
    // Not onboarded: its own answer, not a clash with this app's key.
    expect(theirs.body.error.message).toMatch(/onboarding is incomplete/);
  });

  it('/openapi.json declares the header on every create route', async () => {
    const spec = (await call(stack.url, 'GET', '/openapi.json')).body;
    const creates = [
      ['/dashboard/billing/checkout', 'post'],
      ['/v1/{app_id}/billing/plans', 'post'],
      ['/v1/{app_id}/billing/products', 'post'],
      ['/v1/{app_id}/billing/subscribe', 'post'],
      ['/v1/{app_id}/billing/purchase', 'post'],
      ['/admin/accounts', 'post'],
      ['/admin/accounts/{accountId}/apps', 'post'],
      ['/admin/service-keys', 'post'],
      ['/admin/accounts/{accountId}/keys', 'post'],
      ['/admin/apps/{appId}/secret-keys', 'post'],
      ['/admin/apps/{appId}/jwt-secrets', 'post'],
    ];
    for (const [path, method] of creates) {
      const params = spec.paths[path!][method!].parameters as { name: string; in: string }[];
      expect({ path, header: params.find((p) => p.in === 'header')?.name }).toEqual({ path, header: 'Idempotency-Key' });
    }
  });
});
