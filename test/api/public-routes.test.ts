import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';

/** Public routes never read credentials: a stray Authorization header must not make them 401. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ env: { STRIPE_WEBHOOK_SECRET: 'whsec_public', STRIPE_CONNECT_WEBHOOK_SECRET: 'whsec_public_connect' } });
});
afterAll(() => stack.close());

const unrelated = [
  { authorization: 'Bearer tb_acct_not_a_real_key' },
  { authorization: 'Basic dXNlcjpwYXNz' },
  { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln' },
];

describe('public routes with an unrelated Authorization header', () => {
  it.each(unrelated)('GET /healthz, /openapi.json and /docs answer 200 (%p)', async (headers) => {
    for (const path of ['/healthz', '/openapi.json', '/docs']) {
      const res = await call(stack.url, 'GET', path, { headers });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  });

  it.each(unrelated)('the webhooks judge the Stripe signature, not the Authorization header (%p)', async (headers) => {
    for (const path of ['/webhooks/stripe', '/webhooks/stripe/connect']) {
      const res = await call(stack.url, 'POST', path, { headers: { ...headers, 'stripe-signature': 't=1,v1=00' }, raw: '{"id":"evt_x"}' });
      // Refused for its signature (400), never for the Authorization header (401).
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body.error.message).toMatch(/signature/i);
    }
  });
});
