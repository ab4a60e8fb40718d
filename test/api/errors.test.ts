import { request } from 'node:http';
import { startTestStack, type TestStack } from '../helpers/stack';
import { call, type Reply } from '../helpers/http';
import { createAccount } from '../helpers/factories';

const MAX_BODY_BYTES = 2048;

let stack: TestStack;
let account: { accountId: string; apiKey: string };
beforeAll(async () => {
  stack = await startTestStack({ env: { MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
  account = await createAccount(stack);
});
afterAll(() => stack.close());

/** The one error body of every route, with a request id, and never a 5xx for bad input. */
function expectError(reply: Reply, status: number, code?: string) {
  expect(reply.status).toBe(status);
  expect(reply.body).toEqual({ error: { code: code ?? expect.any(String), message: expect.any(String), details: expect.any(Array) } });
  expect(reply.body.error.message.length).toBeGreaterThan(0);
  expect(reply.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
}
const paths = (reply: Reply) => reply.body.error.details.map((d: { path: unknown[] }) => d.path);

const postAccount = (opts: Parameters<typeof call>[3]) => call(stack.url, 'POST', '/admin/accounts', { token: stack.adminToken, ...opts });

describe('request bodies', () => {
  it('malformed JSON → 400 with a message', async () => {
    const reply = await postAccount({ raw: '{"name":', headers: { 'content-type': 'application/json' } });
    expectError(reply, 400, 'bad_request');
    expect(reply.body.error.message).toMatch(/JSON/);
  });

  it('an unknown field → 400 naming its path', async () => {
    const reply = await postAccount({ body: { name: 'Acme', plan: 'team' } });
    expectError(reply, 400, 'validation_failed');
    expect(paths(reply)).toContainEqual(['body', 'plan']);
  });

  it('a wrong type → 400 naming the field', async () => {
    const reply = await postAccount({ body: { name: 123 } });
    expectError(reply, 400, 'validation_failed');
    expect(paths(reply)).toContainEqual(['body', 'name']);
  });

  it.each([
    ['an array', '[]'],
    ['a string', '"acme"'],
    ['null', 'null'],
  ])('a body that is %s → 400', async (_what, raw) => {
    expectError(await postAccount({ raw, headers: { 'content-type': 'application/json' } }), 400);
  });

  it(`a body over MAX_BODY_BYTES (${MAX_BODY_BYTES}) → 413`, async () => {
    expectError(await postAccount({ body: { name: 'x'.repeat(MAX_BODY_BYTES) } }), 413, 'payload_too_large');
  });

  it('an oversized body streamed without Content-Length → 413, not a reset connection', async () => {
    const parts = ['{"name":"', 'x'.repeat(4 * MAX_BODY_BYTES), '"}'].map((p) => new TextEncoder().encode(p));
    const body = new ReadableStream({
      start(c) {
        for (const p of parts) c.enqueue(p);
        c.close();
      },
    });
    const res = await fetch(`${stack.url}/admin/accounts`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('a body under the limit is read and validated, not refused', async () => {
    const reply = await postAccount({ body: { name: 'x'.repeat(MAX_BODY_BYTES - 100) } });
    expectError(reply, 400, 'validation_failed'); // name is at most 200 characters
    expect(paths(reply)).toContainEqual(['body', 'name']);
    expect((await postAccount({ body: { name: 'y'.repeat(200) } })).status).toBe(201);
  });
});

describe('routes', () => {
  it('an unknown route → 404 with a JSON error body', async () => {
    const reply = await call(stack.url, 'GET', '/no/such/route', { token: stack.adminToken });
    expectError(reply, 404, 'not_found');
  });

  it('echoes a sane X-Request-Id from the caller', async () => {
    const reply = await call(stack.url, 'GET', '/no/such/route', { headers: { 'x-request-id': 'trace-123' } });
    expect(reply.headers.get('x-request-id')).toBe('trace-123');
  });
});

describe('GET /dashboard/usage query parameters', () => {
  it.each([
    ['meterType=bogus', 'meterType'],
    ['startDate=2026-13-01', 'startDate'],
    ['startDate=2026-02-30', 'startDate'],
    ['endDate=yesterday', 'endDate'],
    ['startDate=2026-03-10&endDate=2026-03-01', 'endDate'],
    ['startDate=2025-01-01&endDate=2026-02-04', 'endDate'],
    ['timezone=Mars/Olympus', 'timezone'],
    ['meterType=ai_tokens&meterType=storage_bytes', 'meterType'],
  ])('%s → 400 naming %s', async (query, param) => {
    const reply = await call(stack.url, 'GET', `/dashboard/usage?${query}`, { token: account.apiKey });
    expectError(reply, 400, 'validation_failed');
    expect(paths(reply)).toContainEqual(['query', param]);
  });

  it('a valid range of 366 days is accepted', async () => {
    const reply = await call(stack.url, 'GET', '/dashboard/usage?startDate=2025-01-01&endDate=2026-01-01&meterType=ai_tokens', { token: account.apiKey });
    expect(reply.status).toBe(200);
    expect(reply.body.usage).toHaveLength(366);
  });
});

describe('nothing half-written', () => {
  const count = async (table: 'apps' | 'accounts' | 'api_keys') => Number((await stack.deps.db.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  it('an invalid app body leaves apps and keys untouched', async () => {
    const before = [await count('apps'), await count('api_keys')];
    for (const body of [{ name: '' }, { name: 'ok', secret: 'x' }, {}]) {
      expectError(await call(stack.url, 'POST', `/admin/accounts/${account.accountId}/apps`, { token: stack.adminToken, body }), 400);
    }
    expectError(await call(stack.url, 'POST', '/admin/accounts/acct_missing/apps', { token: stack.adminToken, body: { name: 'ok' } }), 404);
    expect([await count('apps'), await count('api_keys')]).toEqual(before);
  });

  it('an invalid account body creates no account', async () => {
    const before = await count('accounts');
    expectError(await postAccount({ body: { name: 'Acme', email: 'not-an-email' } }), 400);
    expect(await count('accounts')).toBe(before);
  });
});

/** fetch refuses TRACE, so methods go through node:http as any client could send them. */
function send(method: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${stack.url}${path}`, { method }, (res) => {
      let text = '';
      res
        .setEncoding('utf8')
        .on('data', (c: string) => {
          text += c;
        })
        .on('end', () => {
          const headers = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)] as [string, string]));
          resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined, headers });
        });
    });
    req.on('error', reject).end();
  });
}

describe('methods a route does not serve', () => {
  it.each(['TRACE', 'QUERY', 'PATCH', 'DELETE'])('%s on a known path → 405 JSON error with Allow', async (method) => {
    const reply = await send(method, '/healthz');
    expectError(reply, 405, 'method_not_allowed');
    expect(reply.headers.get('allow')?.split(/,\s*/).sort()).toEqual(['GET', 'HEAD']);
  });

  it('a method on an unknown path is still a 404', async () => {
    expectError(await send('TRACE', '/nowhere'), 404, 'not_found');
  });
});
