import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { endUserToken } from '../helpers/factories';
import { LINK_URLS, URLS, connectStack, newApp, onboard, setCharges, nowS } from './helpers';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack(connectStack);
});
afterAll(() => stack?.close());

const stripeAccountOf = async (appId: string) =>
  (await stack.deps.db.query('SELECT stripe_account_id FROM apps WHERE id = $1', [appId])).rows[0].stripe_account_id;

describe('Connect onboarding', () => {
  it('creates the connected account once and hands out a fresh link on every call', async () => {
    const app = await newApp(stack, 'Onboard twice');
    const first = await call(stack.url, 'POST', `/v1/${app.appId}/billing/connect/onboard`, { token: app.secretKey, body: LINK_URLS });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ stripeAccountId: expect.stringMatching(/^acct_/), url: expect.stringMatching(/^https:/), accountCreated: true });
    const second = await call(stack.url, 'POST', `/v1/${app.appId}/billing/connect/onboard`, { token: app.secretKey, body: LINK_URLS });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ stripeAccountId: first.body.stripeAccountId, url: expect.stringMatching(/^https:/), accountCreated: false });
    expect(await stripeAccountOf(app.appId)).toBe(first.body.stripeAccountId);
    // One workflow per app, which issued both links.
    const state = await stack.deps.temporal.workflow
      .getHandle(`connect-onboarding:${app.appId}`)
      .query<{ stripeAccountId: string; linksIssued: number }>('onboardingState');
    expect(state).toEqual({ stripeAccountId: first.body.stripeAccountId, linksIssued: 2 });
  });

  it('reports the status Stripe gives, and an app that has not started', async () => {
    const app = await newApp(stack, 'Status');
    const before = await call(stack.url, 'GET', `/v1/${app.appId}/billing/connect/status`, { token: app.secretKey });
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      onboardingStarted: false,
      stripeAccountId: null,
      charges_enabled: false,
      payouts_enabled: false,
      details_submitted: false,
      requirements: { currently_due: [] },
    });
    await call(stack.url, 'POST', `/v1/${app.appId}/billing/connect/onboard`, { token: app.secretKey, body: LINK_URLS });
    const after = await call(stack.url, 'GET', `/v1/${app.appId}/billing/connect/status`, { token: app.secretKey });
    expect(after.status).toBe(200);
    // stripe-mock's account fixture: nothing submitted yet, requirements still due.
    expect(after.body).toMatchObject({
      onboardingStarted: true,
      stripeAccountId: await stripeAccountOf(app.appId),
      charges_enabled: expect.any(Boolean),
      payouts_enabled: expect.any(Boolean),
      details_submitted: expect.any(Boolean),
    });
    expect(Array.isArray(after.body.requirements.currently_due)).toBe(true);
  });

  it('refuses bad bodies, other apps and end users', async () => {
    const app = await newApp(stack, 'Onboard failures');
    const other = await newApp(stack, 'Other');
    const bad = await call(stack.url, 'POST', `/v1/${app.appId}/billing/connect/onboard`, {
      token: app.secretKey,
      body: { refreshUrl: 'nope', returnUrl: LINK_URLS.returnUrl, extra: 1 },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.details)).toMatch(/refreshUrl/);
    expect(JSON.stringify(bad.body.error.details)).toMatch(/extra/);
    for (const [method, path] of [
      ['POST', 'connect/onboard'],
      ['GET', 'connect/status'],
    ] as const) {
      const r = await call(stack.url, method, `/v1/${app.appId}/billing/${path}`, { token: other.secretKey, body: method === 'POST' ? LINK_URLS : undefined });
      expect([path, r.status]).toEqual([path, 404]);
    }
    const user = await endUserToken(app.jwtSecret, 'cus_1');
    expect((await call(stack.url, 'POST', `/v1/${app.appId}/billing/connect/onboard`, { token: user, body: LINK_URLS })).status).toBe(403);
    expect((await call(stack.url, 'GET', `/v1/${app.appId}/billing/connect/status`, { token: user })).status).toBe(403);
    expect(await stripeAccountOf(app.appId)).toBeNull();
  });
});

describe('without Stripe configured', () => {
  it('answers 503 naming what is missing, and writes nothing', async () => {
    const bare = await startTestStack({ stripe: false });
    try {
      const app = await newApp(bare, 'No Stripe');
      const onboard = await call(bare.url, 'POST', `/v1/${app.appId}/billing/connect/onboard`, { token: app.secretKey, body: LINK_URLS });
      expect(onboard.status).toBe(503);
      expect(onboard.body.error.message).toMatch(/STRIPE_SECRET_KEY/);
      const hook = await call(bare.url, 'POST', '/webhooks/stripe/connect', {
        raw: '{}',
        headers: { 'stripe-signature': 't=1,v1=x', 'content-type': 'application/json' },
      });
      expect(hook.status).toBe(503);
      expect(hook.body.error.message).toMatch(/STRIPE_CONNECT_WEBHOOK_SECRET/);
      expect((await bare.deps.db.query('SELECT count(*)::int AS n FROM stripe_events')).rows[0].n).toBe(0);
    } finally {
      await bare.close();
    }
  });

  it('sells only while Stripe has charges enabled on the connected account: account.updated decides, newest first', async () => {
    const app = await newApp(stack, 'Charges');
    const acct = await onboard(stack, app, { charges: false });
    const api = (path: string, body: unknown) => call(stack.url, 'POST', `/v1/${app.appId}/billing/${path}`, { token: app.secretKey, body });
    const { plan } = (await api('plans', { name: 'P', amount: 500, currency: 'usd', interval: 'month' })).body;
    const { product } = (await api('products', { name: 'T', amount: 300, currency: 'usd' })).body;
    const subscribe = () => api('subscribe', { planId: plan.id, customerId: 'cus_charges', ...URLS });
    const purchase = () => api('purchase', { productId: product.id, customerId: 'cus_charges', ...URLS });

    // Onboarding started, charges not enabled yet: a clear 409, nothing sold.
    for (const r of [await subscribe(), await purchase()]) {
      expect(r.status).toBe(409);
      expect(r.body.error.message).toMatch(/cannot take payments.*charges/);
    }
    const t = nowS();
    await setCharges(stack, acct, true, t);
    expect((await subscribe()).status).toBe(200);
    expect((await purchase()).status).toBe(200);
    // Stripe takes charges away (e.g. verification due): selling stops.
    await setCharges(stack, acct, false, t + 2);
    expect((await purchase()).status).toBe(409);
    // A late, older "enabled" event does not turn it back on.
    await setCharges(stack, acct, true, t + 1);
    expect((await subscribe()).status).toBe(409);
    await setCharges(stack, acct, true, t + 3);
    expect((await purchase()).status).toBe(200);
  });
});
