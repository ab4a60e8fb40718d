import { SignJWT } from 'jose';
import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { assignPlan, createAccount, createApp, createServiceKey, endUserToken } from '../helpers/factories';

type Cred = 'none' | 'garbage' | 'admin' | 'accountA' | 'accountB' | 'appA' | 'appB' | 'endUserA' | 'expiredJwt' | 'service' | 'revoked';
type Route = 'POST /admin/accounts' | 'GET /dashboard/billing' | 'POST /v1/usage/check' | 'GET /v1/{appA}/billing/plans' | 'POST /v1/{appA}/billing/plans';
const ROUTES: Route[] = [
  'POST /admin/accounts',
  'GET /dashboard/billing',
  'POST /v1/usage/check',
  'GET /v1/{appA}/billing/plans',
  'POST /v1/{appA}/billing/plans',
];

// On the app routes, 200 (list plans) and 409 (create a plan before Connect onboarding) mean
// authentication and tenancy let the call through to its handler. End-user tokens are verified with the secret of the
// app in the path, so outside /v1/{app_id}/billing they cannot be verified at all: 401, not 403.
const EXPECTED: Record<Cred, number[]> = {
  none: [401, 401, 401, 401, 401],
  garbage: [401, 401, 401, 401, 401],
  admin: [201, 403, 403, 403, 403],
  accountA: [403, 200, 403, 403, 403],
  accountB: [403, 200, 403, 403, 403],
  appA: [403, 403, 403, 200, 409],
  appB: [403, 403, 403, 404, 404],
  endUserA: [401, 401, 401, 200, 403],
  expiredJwt: [401, 401, 401, 401, 401],
  service: [403, 403, 200, 403, 403],
  revoked: [401, 401, 401, 401, 401],
};
const CODES: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict' };
const MATRIX = (Object.keys(EXPECTED) as Cred[]).flatMap((cred) => ROUTES.map((route, i) => [cred, route, EXPECTED[cred][i]!] as const));

let stack: TestStack;
let a: { accountId: string; apiKey: string };
let b: { accountId: string; apiKey: string };
let appA: { appId: string; secretKey: string; jwtSecret: string };
let appB: { appId: string; secretKey: string; jwtSecret: string };
const creds: Partial<Record<Cred, string>> = {};

const revokeNewKey = async (accountId: string) => {
  const issued = await call(stack.url, 'POST', `/admin/accounts/${accountId}/keys`, { token: stack.adminToken });
  expect(issued.status).toBe(201);
  return issued.body as { id: string; key: string };
};

beforeAll(async () => {
  stack = await startTestStack();
  a = await createAccount(stack, 'A');
  b = await createAccount(stack, 'B');
  await assignPlan(stack, a.accountId, 'pro');
  appA = await createApp(stack, a.accountId, 'A app');
  appB = await createApp(stack, b.accountId, 'B app');
  const revoked = await revokeNewKey(a.accountId);
  expect((await call(stack.url, 'DELETE', `/admin/keys/${revoked.id}`, { token: stack.adminToken })).status).toBe(204);
  const expired = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('cus_1')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
    .sign(new TextEncoder().encode(appA.jwtSecret));
  Object.assign(creds, {
    garbage: 'garbage',
    admin: stack.adminToken,
    accountA: a.apiKey,
    accountB: b.apiKey,
    appA: appA.secretKey,
    appB: appB.secretKey,
    endUserA: await endUserToken(appA.jwtSecret, 'cus_1'),
    expiredJwt: expired,
    service: (await createServiceKey(stack)).key,
    revoked: revoked.key,
  });
});
afterAll(() => stack.close());

const send = (route: Route, token: string | undefined) => {
  const [method, template] = route.split(' ') as [string, string];
  const path = template.replace('{appA}', appA.appId);
  const body =
    route === 'POST /admin/accounts'
      ? { name: 'made by matrix' }
      : route === 'POST /v1/usage/check'
        ? { accountId: a.accountId, meter: 'ai_tokens', amount: 1 }
        : route === 'POST /v1/{appA}/billing/plans'
          ? { name: 'Gold', amount: 900, currency: 'usd', interval: 'month' }
          : undefined;
  return call(stack.url, method, path, { token, body });
};

describe('who may call what', () => {
  it.each(MATRIX)('%s on %s → %i', async (cred, route, status) => {
    const reply = await send(route, creds[cred]);
    expect(reply.status).toBe(status);
    if (status >= 400) expect(reply.body.error).toMatchObject({ code: CODES[status], message: expect.any(String) });
  });
});

describe('tenancy and keys', () => {
  it("an account key reads its own account's billing only", async () => {
    const mine = await call(stack.url, 'GET', '/dashboard/billing', { token: a.apiKey });
    const theirs = await call(stack.url, 'GET', '/dashboard/billing', { token: b.apiKey });
    expect(mine.body.plan.id).toBe('pro');
    expect(theirs.body.plan.id).toBe('free');
  });

  it("another app's key never sees the app: 404 without its data", async () => {
    const reply = await call(stack.url, 'GET', `/v1/${appA.appId}/billing/plans`, { token: appB.secretKey });
    expect(reply.status).toBe(404);
    expect(JSON.stringify(reply.body)).not.toContain(a.accountId);
  });

  it('a rotated key works until it is revoked, then answers 401', async () => {
    const key = await revokeNewKey(a.accountId);
    expect((await call(stack.url, 'GET', '/dashboard/billing', { token: key.key })).status).toBe(200);
    expect((await call(stack.url, 'DELETE', `/admin/keys/${key.id}`, { token: stack.adminToken })).status).toBe(204);
    expect((await call(stack.url, 'GET', '/dashboard/billing', { token: key.key })).status).toBe(401);
    expect((await call(stack.url, 'DELETE', `/admin/keys/${key.id}`, { token: stack.adminToken })).status).toBe(404);
    // The account's other key is untouched.
    expect((await call(stack.url, 'GET', '/dashboard/billing', { token: a.apiKey })).status).toBe(200);
  });

  it('stores keys hashed: no clear key appears anywhere in api_keys', async () => {
    const { rows } = await stack.deps.db.query('SELECT * FROM api_keys');
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const table = JSON.stringify(rows);
    for (const key of [a.apiKey, b.apiKey, appA.secretKey, appB.secretKey, creds.service!, creds.revoked!]) {
      expect(table).not.toContain(key);
      // Nor a long part of it: only the short display prefix may be kept.
      expect(table).not.toContain(key.slice(-24));
    }
    for (const row of rows) expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('admin reading an unknown account gets 404', async () => {
    const reply = await call(stack.url, 'GET', '/admin/accounts/acct_doesnotexist', { token: stack.adminToken });
    expect(reply.status).toBe(404);
    expect(reply.body.error.code).toBe('not_found');
  });
});
