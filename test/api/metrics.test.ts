import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { assignPlan, setPlan, usageEvent } from '../helpers/factories';
import { newTenant, postEvents, serviceKey } from '../helpers/metering';

/** GET /metrics as Prometheus scrapes it: the value of one series (0 when absent). */
async function sample(stack: TestStack, series: string): Promise<number> {
  const { status, body } = await call<string>(stack.url, 'GET', '/metrics');
  expect(status).toBe(200);
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
const requests = (method: string, route: string, status: number) =>
  `tollbooth_http_request_duration_seconds_count{method="${method}",route="${route}",status="${status}"}`;
const usageEvents = (outcome: string) => `tollbooth_usage_events_total{outcome="${outcome}"}`;
const limitChecks = (decision: string) => `tollbooth_limit_checks_total{decision="${decision}"}`;

describe('GET /metrics', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack?.close());

  it('records a failed request under its route template and the status the client got', async () => {
    const accountRoute = '/admin/accounts/:accountId';
    const before = { s401: await sample(stack, requests('GET', accountRoute, 401)), s404: await sample(stack, requests('GET', accountRoute, 404)) };
    expect((await call(stack.url, 'GET', '/admin/accounts/acct_nope')).status).toBe(401);
    expect((await call(stack.url, 'GET', '/admin/accounts/acct_nope', { token: stack.adminToken })).status).toBe(404);
    expect(await sample(stack, requests('GET', accountRoute, 401))).toBe(before.s401 + 1);
    expect(await sample(stack, requests('GET', accountRoute, 404))).toBe(before.s404 + 1);

    const bad = await call(stack.url, 'POST', '/v1/usage/events', { token: await serviceKey(stack), body: { events: 'nope' } });
    expect(bad.status).toBe(400);
    expect(await sample(stack, requests('POST', '/v1/usage/events', 400))).toBeGreaterThanOrEqual(1);
    // The raw path never becomes a label: one series per template, not per id.
    expect((await call<string>(stack.url, 'GET', '/metrics')).body).not.toContain('acct_nope');
  });

  it('counts usage events accepted, duplicate and rejected, and limit checks admitted and denied', async () => {
    const t = await newTenant(stack);
    const before = {
      a: await sample(stack, usageEvents('accepted')),
      d: await sample(stack, usageEvents('duplicate')),
      r: await sample(stack, usageEvents('rejected')),
    };
    const events = [usageEvent(t.accountId, 'm1'), usageEvent(t.accountId, 'm2'), usageEvent(t.accountId, 'm1'), usageEvent(t.accountId, 'm3', { value: -1 })];
    const reply = await postEvents(stack, events);
    expect(reply.body).toMatchObject({ accepted: 2, duplicates: 1 });
    expect(reply.body.rejected).toHaveLength(1);
    expect(await sample(stack, usageEvents('accepted'))).toBe(before.a + 2);
    expect(await sample(stack, usageEvents('duplicate'))).toBe(before.d + 1);
    expect(await sample(stack, usageEvents('rejected'))).toBe(before.r + 1);

    await setPlan(stack, 'metrics10', { ai_tokens: { limit: 10, mode: 'hard' } });
    await assignPlan(stack, t.accountId, 'metrics10');
    const admitted = await sample(stack, limitChecks('admitted'));
    const denied = await sample(stack, limitChecks('denied'));
    const check = async (amount: number) =>
      (await call(stack.url, 'POST', '/v1/usage/check', { token: await serviceKey(stack), body: { accountId: t.accountId, meter: 'ai_tokens', amount } })).body
        .allowed;
    expect(await check(1)).toBe(true);
    expect(await check(100)).toBe(false);
    expect(await sample(stack, limitChecks('admitted'))).toBe(admitted + 1);
    expect(await sample(stack, limitChecks('denied'))).toBe(denied + 1);
  });

  it('exposes process metrics and workflow starts', async () => {
    const text = (await call<string>(stack.url, 'GET', '/metrics')).body;
    expect(text).toMatch(/^tollbooth_process_resident_memory_bytes \d+/m);
    // Account creation starts its provisioning workflow through the Temporal client.
    expect(await sample(stack, 'tollbooth_workflow_starts_total{workflow="accountProvisioningWorkflow",outcome="started"}')).toBeGreaterThanOrEqual(1);
  });
});
