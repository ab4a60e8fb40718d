import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { createAccount, createApp, createServiceKey, usageEvent } from '../helpers/factories';

/** Inputs that passed schemas but broke deeper layers (found in review): each must be a 4xx. */
let stack: TestStack;
let account: { accountId: string; apiKey: string };
let app: { appId: string; secretKey: string };
let service: string;
beforeAll(async () => {
  stack = await startTestStack();
  account = await createAccount(stack);
  app = await createApp(stack, account.accountId);
  service = (await createServiceKey(stack)).key;
});
afterAll(() => stack.close());

describe('hostile input', () => {
  it('refuses a range of centuries given by startDate alone (endDate defaults to today)', async () => {
    const res = await call(stack.url, 'GET', '/dashboard/usage?startDate=1000-01-01', { token: account.apiKey });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toEqual(['query', 'startDate']);
  });

  it('rejects one event with a NUL in accountId by index, and stores the rest', async () => {
    const res = await call(stack.url, 'POST', '/v1/usage/events', {
      token: service, body: { events: [usageEvent('acct\u0000x', 'n1'), usageEvent(account.accountId, 'n2')] },
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.rejected).toEqual([expect.objectContaining({ index: 0, code: 'invalid' })]);
  });

  it('answers 400, not 500, for a NUL that reaches Postgres through a query parameter', async () => {
    const res = await call(stack.url, 'GET', '/dashboard/usage?appId=%00', { token: account.apiKey });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('does not tell an unauthenticated caller whether an app id exists', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    const known = await call(stack.url, 'GET', `/v1/${app.appId}/billing/plans`, { token: jwt });
    const unknown = await call(stack.url, 'GET', '/v1/app_doesnotexist/billing/plans', { token: jwt });
    expect([known.status, unknown.status]).toEqual([401, 401]);
  });

  it('answers 400 for an order cursor whose number would overflow', async () => {
    const cursor = Buffer.from('99999999999999999999.ord_x').toString('base64url');
    const res = await call(stack.url, 'GET', `/v1/${app.appId}/billing/orders?cursor=${cursor}`, { token: app.secretKey });
    expect(res.status).toBe(400);
  });
});
