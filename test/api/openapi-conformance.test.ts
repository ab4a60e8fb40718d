import { compileErrors, dereference, validate } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { startTestStack, type TestStack } from '../helpers/stack';
import { allRoutes } from '../../api/routes';
import { createAuthenticator } from '../../api/middleware/authenticate';
import { call, type Reply } from '../helpers/http';
import { endUserToken, usageEvent } from '../helpers/factories';
import { sign } from '../platform-billing/helpers';
import {
  CONNECT_SECRET,
  LINK_URLS,
  URLS,
  connectEvent,
  connectStack,
  deliverConnect,
  eventually,
  rid,
  nowS,
  subscriptionCheckoutCompleted,
} from '../connect/helpers';

/**
 * The spec is valid OpenAPI 3.1, and the API answers what it declares: one real call per
 * operation (plus a few errors), each body checked against the declared schema with ajv.
 */
let stack: TestStack;
let spec: any;
let resolved: any;
const calls: { op: string; status: number; body: unknown }[] = [];

async function hit(
  method: string,
  template: string,
  o: { token?: string; params?: Record<string, string>; query?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const path = template.replace(/\{(\w+)\}/g, (_m, k: string) => encodeURIComponent(o.params?.[k] ?? ''));
  const r = await call(stack.url, method.toUpperCase(), `${path}${o.query ?? ''}`, { token: o.token, body: o.body, raw: o.raw, headers: o.headers });
  calls.push({ op: `${method} ${template}`, status: r.status, body: r.body });
  return r;
}

async function exerciseEveryRoute() {
  const admin = stack.adminToken;
  await hit('get', '/healthz');
  await hit('get', '/readyz');
  await hit('get', '/metrics');
  // Admin.
  const created = await hit('post', '/admin/accounts', { token: admin, body: { name: 'Spec Co', email: 'spec@example.com' } });
  const accountId: string = created.body.account.id;
  const apiKey: string = created.body.apiKey;
  await hit('get', '/admin/accounts', { token: admin, query: '?limit=1' });
  await hit('get', '/admin/accounts/{accountId}', { token: admin, params: { accountId } });
  const rotated = await hit('post', '/admin/accounts/{accountId}/keys', { token: admin, params: { accountId } });
  await hit('delete', '/admin/keys/{keyId}', { token: admin, params: { keyId: rotated.body.id } });
  await hit('put', '/admin/plans/{planId}', {
    token: admin,
    params: { planId: 'pro' },
    body: { name: 'Pro', amountCents: 2500, stripePriceId: 'price_pro', limits: { ai_tokens: { limit: 1_000_000, mode: 'soft' } } },
  });
  await hit('put', '/admin/plans/{planId}', {
    token: admin,
    params: { planId: 'starter' },
    body: {
      name: 'Starter',
      amountCents: 0,
      limits: { ai_tokens: { limit: 10_000, mode: 'hard' } },
      overage: { ai_tokens: { included: 100, unitAmountCents: 2, blockSize: 100 } },
    },
  });
  await hit('get', '/admin/plans', { token: admin });
  await hit('put', '/admin/accounts/{accountId}/plan', { token: admin, params: { accountId }, body: { planId: 'starter' } });
  // Sent twice with one Idempotency-Key: the replay answers the first body without its secret,
  // and both fit the schema.
  const svcRequest = { token: admin, body: { name: 'spec', scopes: ['usage:write'] }, headers: { 'idempotency-key': 'spec-service-key' } };
  const svc = await hit('post', '/admin/service-keys', svcRequest);
  expect((await hit('post', '/admin/service-keys', svcRequest)).body).toEqual({ id: svc.body.id, withheld: expect.objectContaining({ fields: ['key'] }) });
  const app = await hit('post', '/admin/accounts/{accountId}/apps', { token: admin, params: { accountId }, body: { name: 'Spec App' } });
  const appId: string = app.body.app.id;
  const appKey: string = app.body.secretKey;
  const secondSecret = await hit('post', '/admin/apps/{appId}/secret-keys', { token: admin, params: { appId } });
  await hit('delete', '/admin/keys/{keyId}', { token: admin, params: { keyId: secondSecret.body.id } });
  const secondJwtSecret = await hit('post', '/admin/apps/{appId}/jwt-secrets', { token: admin, params: { appId } });
  await hit('delete', '/admin/apps/{appId}/jwt-secrets/{jwtSecretId}', { token: admin, params: { appId, jwtSecretId: secondJwtSecret.body.id } });
  // Usage: one good event, one bad (rejected by index), then a limit check.
  await hit('post', '/v1/usage/events', {
    token: svc.body.key,
    body: {
      events: [usageEvent(accountId, 'spec-1', { value: 300 }), { id: 'spec-2', accountId, meter: 'nope', value: 1, timestamp: new Date().toISOString() }],
    },
  });
  const reserved = await hit('post', '/v1/usage/check', { token: svc.body.key, body: { accountId, meter: 'ai_tokens', amount: 10 } });
  await hit('post', '/v1/usage/reservations/{reservationId}/commit', {
    token: svc.body.key,
    params: { reservationId: reserved.body.reservationId },
    body: { amount: 4 },
  });
  const held = await hit('post', '/v1/usage/check', { token: svc.body.key, body: { accountId, meter: 'ai_tokens', amount: 10, ttlSeconds: 30 } });
  await hit('post', '/v1/usage/reservations/{reservationId}/release', { token: svc.body.key, params: { reservationId: held.body.reservationId }, body: {} });
  // Dashboard and platform billing.
  await hit('get', '/dashboard/usage', { token: apiKey, query: '?timezone=Europe/Paris' });
  await hit('post', '/admin/accounts/{accountId}/dashboard-tokens', { token: admin, params: { accountId }, body: {} });
  const dashboardToken = (await hit('post', '/dashboard/tokens', { token: apiKey, body: { ttlSeconds: 300 } })).body.token;
  await hit('put', '/dashboard/billing/spend-cap', { token: apiKey, body: { maxCents: 5000 } });
  await hit('get', '/dashboard/billing', { token: dashboardToken });
  await hit('get', '/dashboard/plans', { token: apiKey });
  await hit('post', '/dashboard/billing/checkout', { token: apiKey, body: { planId: 'pro', ...URLS } });
  await eventually(
    'Stripe customer',
    async () => (await call(stack.url, 'GET', `/admin/accounts/${accountId}`, { token: admin })).body.account.stripeCustomerId,
  );
  await hit('post', '/dashboard/billing/portal', { token: apiKey, body: { returnUrl: URLS.successUrl } });
  await hit('get', '/dashboard/billing/invoice-preview', { token: apiKey });
  const platformEvent = JSON.stringify({
    id: rid('evt'),
    object: 'event',
    type: 'customer.created',
    created: nowS(),
    data: { object: { id: rid('cus'), object: 'customer' } },
  });
  await hit('post', '/webhooks/stripe', {
    raw: platformEvent,
    headers: { 'stripe-signature': sign(platformEvent, { secret: connectStack.env.STRIPE_WEBHOOK_SECRET }), 'content-type': 'application/json' },
  });
  // App billing through Connect.
  const acct = (await hit('post', '/v1/{app_id}/billing/connect/onboard', { token: appKey, params: { app_id: appId }, body: LINK_URLS })).body.stripeAccountId;
  await hit('get', '/v1/{app_id}/billing/connect/status', { token: appKey, params: { app_id: appId } });
  // Stripe reports onboarding done: the app may take payments from then on.
  const connectRaw = JSON.stringify(
    connectEvent('account.updated', acct, { id: acct, object: 'account', charges_enabled: true, payouts_enabled: true, details_submitted: true }),
  );
  const connectSig = (await import('stripe')).default.webhooks.generateTestHeaderString({ payload: connectRaw, secret: CONNECT_SECRET });
  await hit('post', '/webhooks/stripe/connect', { raw: connectRaw, headers: { 'stripe-signature': connectSig, 'content-type': 'application/json' } });
  await eventually(
    'charges enabled',
    async () => (await stack.deps.db.query('SELECT charges_enabled FROM apps WHERE id = $1', [appId])).rows[0].charges_enabled,
  );
  const plan = (
    await hit('post', '/v1/{app_id}/billing/plans', {
      token: appKey,
      params: { app_id: appId },
      body: { name: 'Plus', amount: 900, currency: 'usd', interval: 'month', features: ['More'] },
    })
  ).body.plan;
  await hit('put', '/v1/{app_id}/billing/plans/{plan_id}', { token: appKey, params: { app_id: appId, plan_id: plan.id }, body: { description: 'More of it' } });
  const product = (
    await hit('post', '/v1/{app_id}/billing/products', {
      token: appKey,
      params: { app_id: appId },
      body: { name: 'Pack', amount: 499, currency: 'usd', metadata: { sku: 'p1' } },
    })
  ).body.product;
  await hit('put', '/v1/{app_id}/billing/products/{product_id}', {
    token: appKey,
    params: { app_id: appId, product_id: product.id },
    body: { name: 'Pack 2' },
  });
  const user = await endUserToken(app.body.jwtSecret, 'user_1');
  await hit('get', '/v1/{app_id}/billing/plans', { token: user, params: { app_id: appId } });
  await hit('get', '/v1/{app_id}/billing/products', { token: user, params: { app_id: appId } });
  await hit('post', '/v1/{app_id}/billing/subscribe', { token: user, params: { app_id: appId }, body: { planId: plan.id, ...URLS } });
  const completed = subscriptionCheckoutCompleted(acct, {
    customerId: 'user_1',
    subscriptionId: rid('sub'),
    metadata: { appId, customerId: 'user_1', planId: plan.id },
  });
  await deliverConnect(stack, completed);
  await eventually('subscription', async () => (await call(stack.url, 'GET', `/v1/${appId}/billing/subscription`, { token: user })).status === 200);
  await hit('get', '/v1/{app_id}/billing/subscription', { token: user, params: { app_id: appId } });
  await hit('post', '/v1/{app_id}/billing/cancel', { token: user, params: { app_id: appId }, body: {} });
  const order = (
    await hit('post', '/v1/{app_id}/billing/purchase', { token: user, params: { app_id: appId }, body: { productId: product.id, quantity: 2, ...URLS } })
  ).body;
  await hit('get', '/v1/{app_id}/billing/orders', { token: appKey, params: { app_id: appId }, query: '?customerId=user_1' });
  await hit('get', '/v1/{app_id}/billing/orders/{order_id}', { token: user, params: { app_id: appId, order_id: order.orderId } });
  // Errors answer the Error schema too.
  await hit('post', '/v1/usage/check', { token: svc.body.key, body: { accountId, meter: 'ai_tokens', amount: -1, extra: true } });
  await hit('get', '/dashboard/billing');
  await hit('get', '/admin/accounts/{accountId}', { token: admin, params: { accountId: 'acct_missing' } });
}

beforeAll(async () => {
  stack = await startTestStack(connectStack);
  spec = (await call(stack.url, 'GET', '/openapi.json')).body;
  resolved = await dereference(structuredClone(spec));
  await exerciseEveryRoute();
}, 180_000);
afterAll(() => stack?.close());

const operations = () => Object.entries(spec.paths).flatMap(([path, ops]: [string, any]) => Object.keys(ops).map((method) => `${method} ${path}`));
const declared = (op: string, status: number) => {
  const [method, path] = op.split(' ') as [string, string];
  const responses = resolved.paths[path][method].responses;
  return responses[String(status)] ?? responses.default;
};

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (@readme/openapi-parser)', async () => {
    const result = await validate(structuredClone(spec));
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
    expect(result.warnings).toEqual([]);
    expect(spec.openapi).toBe('3.1.0');
  });

  it('documents every usage event field, each with a description and an example', () => {
    const event = spec.components.schemas.UsageEvent;
    expect(Object.keys(event.properties).sort()).toEqual(['accountId', 'appId', 'id', 'meter', 'timestamp', 'value']);
    for (const [name, field] of Object.entries(event.properties) as [string, any][])
      expect({ name, description: Boolean(field.description) }).toEqual({ name, description: true });
    expect(event.required.sort()).toEqual(['accountId', 'id', 'meter', 'timestamp', 'value']);
    expect(spec.paths['/v1/usage/events'].post.requestBody.content['application/json'].example.events.length).toBeGreaterThan(0);
  });

  it('gives every operation a success schema and error responses with the Error schema', () => {
    for (const op of operations()) {
      const [method, path] = op.split(' ') as [string, string];
      const responses = spec.paths[path][method].responses;
      const success = Object.entries(responses).filter(([s]) => /^2/.test(s)) as [string, any][];
      expect({ op, success: success.length > 0 }).toEqual({ op, success: true });
      for (const [status, r] of success) if (status !== '204') expect({ op, status, content: Boolean(r.content) }).toEqual({ op, status, content: true });
      expect(responses.default.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      if (spec.paths[path][method].security.length > 0) expect({ op, has401: Boolean(responses['401']) }).toEqual({ op, has401: true });
    }
    expect(spec.components.schemas.Error.properties.error.properties.details.items.properties).toHaveProperty('code');
  });

  it('declares the Idempotency-Key header on exactly the idempotent routes, with the 409 they may answer', () => {
    const routes = allRoutes(stack.deps, createAuthenticator(stack.deps.db, stack.adminToken));
    const idempotent = routes
      .filter((r) => r.idempotent)
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    expect(idempotent).toEqual(expect.arrayContaining(['post /admin/accounts', 'post /dashboard/billing/checkout', 'post /v1/{app_id}/billing/subscribe']));
    const withHeader = operations().filter((op) => {
      const [method, path] = op.split(' ') as [string, string];
      return spec.paths[path][method].parameters.some((p: any) => p.in === 'header' && p.name === 'Idempotency-Key');
    });
    expect(withHeader.sort()).toEqual(idempotent);
    for (const op of withHeader) {
      const [method, path] = op.split(' ') as [string, string];
      expect({ op, has409: Boolean(spec.paths[path][method].responses['409']) }).toEqual({ op, has409: true });
    }
  });

  it('uses every auth scheme it declares, each on at least one route', () => {
    const used = new Set(
      operations().flatMap((op) => {
        const [method, path] = op.split(' ') as [string, string];
        return spec.paths[path][method].security.flatMap((s: object) => Object.keys(s));
      }),
    );
    expect([...used].sort()).toEqual(Object.keys(spec.components.securitySchemes).sort());
  });
});

describe('responses match the declared schemas', () => {
  it('every operation was called and answered 2xx at least once', () => {
    const answered = new Set(calls.filter((c) => c.status < 300).map((c) => c.op));
    const failures = calls
      .filter((c) => c.status >= 300 && answered.has(c.op) === false)
      .map((c) => `${c.op} → ${c.status} ${JSON.stringify(c.body).slice(0, 300)}`);
    expect({ missing: operations().filter((op) => !answered.has(op)), failures }).toEqual({ missing: [], failures: [] });
  });

  it('each JSON body (2xx and errors) validates against its declared schema (ajv, JSON Schema 2020-12)', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const invalid: string[] = [];
    for (const c of calls) {
      const schema = declared(c.op, c.status)?.content?.['application/json']?.schema;
      if (!schema) continue;
      const validate = ajv.compile(schema);
      if (!validate(c.body)) invalid.push(`${c.op} ${c.status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(c.body).slice(0, 400)}`);
    }
    expect(invalid).toEqual([]);
    expect(
      calls
        .filter((c) => c.status >= 400)
        .map((c) => c.status)
        .sort(),
    ).toEqual([400, 401, 404]);
  });
});
