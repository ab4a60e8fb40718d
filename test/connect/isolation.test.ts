import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { endUserToken } from '../helpers/factories';
import { LINK_URLS, URLS, newApp } from './helpers';

let stack: TestStack;
let a: Awaited<ReturnType<typeof newApp>>;
let b: Awaited<ReturnType<typeof newApp>>;
beforeAll(async () => {
  stack = await startTestStack();
  a = await newApp(stack, 'A');
  b = await newApp(stack, 'B');
});
afterAll(() => stack?.close());

const PLAN = { name: 'Gold', amount: 900, currency: 'usd', interval: 'month' };
const PRODUCT = { name: 'Pack', amount: 100, currency: 'usd' };
// Every seed route under /v1/{app_id}/billing, with a body that would be valid for its own app.
// Always three cells: jest passes `done` to a test whose function takes more arguments than the row has.
const ROUTES: Array<[string, string, unknown]> = [
  ['POST', 'connect/onboard', LINK_URLS],
  ['GET', 'connect/status', undefined],
  ['POST', 'plans', PLAN],
  ['GET', 'plans', undefined],
  ['PUT', 'plans/plan_x', { name: 'x' }],
  ['POST', 'products', PRODUCT],
  ['GET', 'products', undefined],
  ['PUT', 'products/prod_x', { name: 'x' }],
  ['POST', 'subscribe', { planId: 'plan_x', customerId: 'c', ...URLS }],
  ['GET', 'subscription?customerId=c', undefined],
  ['POST', 'cancel', { customerId: 'c' }],
  ['POST', 'purchase', { productId: 'prod_x', customerId: 'c', ...URLS }],
  ['GET', 'orders', undefined],
  ['GET', 'orders/ord_x', undefined],
];

describe('isolation between apps', () => {
  it.each(ROUTES)("app B's key on app A's %s %s → 404, never A's data", async (method, path, body) => {
    const r = await call(stack.url, method, `/v1/${a.appId}/billing/${path}`, { token: b.secretKey, body });
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('not_found');
    expect(JSON.stringify(r.body)).not.toContain(a.accountId);
  });

  it.each(ROUTES)("an end user of app B on app A's %s %s → 401 (its token is not A's)", async (method, path, body) => {
    const r = await call(stack.url, method, `/v1/${a.appId}/billing/${path}`, { token: await endUserToken(b.jwtSecret, 'c'), body });
    expect(r.status).toBe(401);
  });

  it('an end user may not write the catalogue or onboard: 403', async () => {
    const user = await endUserToken(a.jwtSecret, 'c');
    for (const [method, path, body] of ROUTES.filter(([m, p]) => p.startsWith('connect') || (m !== 'GET' && /^(plans|products)/.test(p)))) {
      const r = await call(stack.url, method, `/v1/${a.appId}/billing/${path}`, { token: user, body });
      expect([method, path, r.status]).toEqual([method, path, 403]);
    }
  });
});
