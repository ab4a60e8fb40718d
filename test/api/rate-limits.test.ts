import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { createAccount, createServiceKey, usageEvent } from '../helpers/factories';

// Small budgets so a test can exceed them with a burst. The window is an hour, so a burst lands
// in one window however slowly a loaded machine delivers it: the counts below are exact.
const WINDOW_SECONDS = 3600;
const API_PER_KEY = 5;
const API_PER_ACCOUNT = 6;
const USAGE_PER_KEY = 20;
const USAGE_PER_ACCOUNT = 10;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({
    env: {
      RATE_LIMIT_API_PER_KEY: String(API_PER_KEY),
      RATE_LIMIT_API_PER_ACCOUNT: String(API_PER_ACCOUNT),
      RATE_LIMIT_USAGE_PER_KEY: String(USAGE_PER_KEY),
      RATE_LIMIT_USAGE_PER_ACCOUNT: String(USAGE_PER_ACCOUNT),
      RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
    },
  });
});
afterAll(() => stack.close());

const burst = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
const count = (replies: { status: number }[], status: number) => replies.filter((r) => r.status === status).length;

describe('per-tenant rate limits', () => {
  it("answers 429 rate_limited with Retry-After past a key's budget, and spares other tenants", async () => {
    const [noisy, quiet] = [await createAccount(stack, 'Noisy'), await createAccount(stack, 'Quiet')];
    const replies = await burst(API_PER_KEY * 4, () => call(stack.url, 'GET', '/dashboard/billing', { token: noisy.apiKey }));
    // Requests are counted as they arrive, before any work: exactly the key's budget gets through.
    expect({ ok: count(replies, 200), limited: count(replies, 429) }).toEqual({ ok: API_PER_KEY, limited: API_PER_KEY * 3 });
    const limited = replies.find((r) => r.status === 429)!;
    expect(limited.body).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/per 3600 seconds for this key/), details: [] } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(WINDOW_SECONDS - 600);
    // Another tenant's key and account have budgets of their own.
    expect((await call(stack.url, 'GET', '/dashboard/billing', { token: quiet.apiKey })).status).toBe(200);
  });

  it('limits an account across its keys', async () => {
    const acct = await createAccount(stack, 'Many keys');
    const keys = [acct.apiKey];
    for (let i = 0; i < 3; i += 1) {
      keys.push((await call(stack.url, 'POST', `/admin/accounts/${acct.accountId}/keys`, { token: stack.adminToken })).body.key);
    }
    // Four keys, each under its own budget, together over the account's.
    const replies = await burst(keys.length * (API_PER_KEY - 1), (i) => call(stack.url, 'GET', '/dashboard/billing', { token: keys[i % keys.length] }));
    expect({ ok: count(replies, 200), limited: count(replies, 429) }).toEqual({ ok: API_PER_ACCOUNT, limited: replies.length - API_PER_ACCOUNT });
    expect(replies.filter((r) => r.status === 429).every((r) => /account/.test(r.body.error.message))).toBe(true);
  });

  it('gives the usage routes their own, higher budget: limit checks per account, ingestion per key', async () => {
    const acct = await createAccount(stack, 'Usage');
    const other = await createAccount(stack, 'Usage 2');
    const svc = (await createServiceKey(stack)).key;
    const check = (accountId: string) =>
      call(stack.url, 'POST', '/v1/usage/check', { token: svc, body: { accountId, meter: 'ai_tokens', amount: 1, reserve: false } });
    // Fewer than the key's budget, more than the account's: every 429 is the account's.
    const checks = await burst(USAGE_PER_KEY - 2, () => check(acct.accountId));
    expect({ ok: count(checks, 200), limited: count(checks, 429) }).toEqual({ ok: USAGE_PER_ACCOUNT, limited: USAGE_PER_KEY - 2 - USAGE_PER_ACCOUNT });
    expect(checks.filter((r) => r.status === 429).every((r) => /account/.test(r.body.error.message))).toBe(true);
    // The same service key may still check another account.
    expect((await check(other.accountId)).status).toBe(200);

    // Ingestion: the key's budget, more than the API's; what was accepted is all stored.
    const svc2 = (await createServiceKey(stack)).key;
    // One timestamp for the sends and the re-sends: the same payload again is a duplicate (another one would be a conflict).
    const { timestamp } = usageEvent(other.accountId, 'rl');
    const posts = await burst(USAGE_PER_KEY * 3, (i) =>
      call(stack.url, 'POST', '/v1/usage/events', { token: svc2, body: { events: [usageEvent(other.accountId, `rl-${i}`, { timestamp })] } }),
    );
    const accepted = posts.filter((r) => r.status === 200).reduce((sum, r) => sum + r.body.accepted, 0);
    expect({ ok: count(posts, 200), limited: count(posts, 429) }).toEqual({ ok: USAGE_PER_KEY, limited: USAGE_PER_KEY * 2 });
    const again = await call(stack.url, 'POST', '/v1/usage/events', {
      token: (await createServiceKey(stack)).key,
      body: { events: Array.from({ length: USAGE_PER_KEY * 3 }, (_, i) => usageEvent(other.accountId, `rl-${i}`, { timestamp })) },
    });
    // Re-sending every id: exactly the accepted ones are duplicates, the refused ones are new.
    expect(again.body).toMatchObject({ duplicates: accepted, accepted: USAGE_PER_KEY * 3 - accepted });
  });
});
