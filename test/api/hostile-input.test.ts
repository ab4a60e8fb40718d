import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { createAccount, createApp, createServiceKey, endUserToken, usageEvent } from '../helpers/factories';

/** Inputs that passed schemas but broke deeper layers (found in review): each must be a 4xx. */
let stack: TestStack;
let account: { accountId: string; apiKey: string };
let app: { appId: string; secretKey: string; jwtSecret: string };
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
      token: service,
      body: { events: [usageEvent('acct\u0000x', 'n1'), usageEvent(account.accountId, 'n2')] },
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
    expect(known.body).toEqual(unknown.body);
    // A token signed with the app's real secret, but expired, may learn why: it proved the secret.
    const expired = await endUserToken(app.jwtSecret, 'cus_1', '-1m');
    const late = await call(stack.url, 'GET', `/v1/${app.appId}/billing/plans`, { token: expired });
    expect(late.status).toBe(401);
    expect(late.body.error.message).toMatch(/exp/);
  });

  it('answers 400 for an order cursor whose number would overflow', async () => {
    const cursor = Buffer.from('99999999999999999999.ord_x').toString('base64url');
    const res = await call(stack.url, 'GET', `/v1/${app.appId}/billing/orders?cursor=${cursor}`, { token: app.secretKey });
    expect(res.status).toBe(400);
  });
});

describe('request bodies that are not UTF-8', () => {
  // The same event twice, its id ending in a different invalid byte: decoding would turn both
  // into "…\uFFFD", one id, and drop the second event as a duplicate.
  const withBadByte = (byte: number) =>
    Buffer.concat([
      Buffer.from(`{"events":[{"id":"evt-utf8-`),
      Buffer.from([byte]),
      Buffer.from(`","accountId":"${account.accountId}","meter":"ai_tokens","value":1,"timestamp":"${new Date().toISOString()}"}]}`),
    ]);

  it('refuses each with a 400 naming the problem, and stores neither', async () => {
    for (const byte of [0xff, 0xfe]) {
      const res = await call(stack.url, 'POST', '/v1/usage/events', {
        token: service,
        raw: withBadByte(byte),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/UTF-8/);
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: ['body'], code: 'invalid_utf8' })]);
    }
    // Had either been decoded and stored, this id (the replacement character itself) would be a duplicate.
    const res = await call(stack.url, 'POST', '/v1/usage/events', { token: service, body: { events: [usageEvent(account.accountId, 'evt-utf8-\uFFFD')] } });
    expect(res.body).toMatchObject({ accepted: 1, duplicates: 0 });
  });

  it('refuses an account name with a bad byte instead of storing "\\uFFFD"', async () => {
    const raw = Buffer.concat([Buffer.from('{"name":"n'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await call(stack.url, 'POST', '/admin/accounts', { token: stack.adminToken, raw, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/UTF-8/);
  });
});
