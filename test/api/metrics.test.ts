import { startTestStack, type TestStack } from '../helpers/stack';
import { call } from '../helpers/http';
import { assignPlan, setPlan, usageEvent } from '../helpers/factories';
import { newTenant, postEvents, serviceKey } from '../helpers/metering';
import { deliverWebhook, webhookEvent } from '../helpers/stripe-webhooks';
import { PLATFORM_EVENT_TYPES } from '../../workflows/platform-event';

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
const webhooks = (type: string, outcome: string) => `tollbooth_stripe_webhook_events_total{endpoint="platform",type="${type}",outcome="${outcome}"}`;
const starts = (workflow: string, outcome: string) => `tollbooth_workflow_starts_total{workflow="${workflow}",outcome="${outcome}"}`;
/** Every series of `names` at once, so that a test can compare all of them before and after. */
const samples = async (stack: TestStack, names: string[]) => Object.fromEntries(await Promise.all(names.map(async (n) => [n, await sample(stack, n)])));
const plus = (before: Record<string, number>, delta: Record<string, number>) =>
  Object.fromEntries(Object.entries(before).map(([n, v]) => [n, v + (delta[n] ?? 0)]));

const WEBHOOK_SECRET = 'whsec_metrics_test_secret';
const HANDLED = PLATFORM_EVENT_TYPES[0]!;
const IGNORED = 'charge.refunded';

describe('GET /metrics', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET } });
  });
  afterAll(() => stack?.close());

  it('records a failed request under its route template and the status the client got', async () => {
    const accountRoute = '/admin/accounts/:accountId';
    const before = { s401: await sample(stack, requests('GET', accountRoute, 401)), s404: await sample(stack, requests('GET', accountRoute, 404)) };
    expect((await call(stack.url, 'GET', '/admin/accounts/acct_nope')).status).toBe(401);
    expect((await call(stack.url, 'GET', '/admin/accounts/acct_nope', { token: stack.adminToken })).status).toBe(404);
    expect(await sample(stack, requests('GET', accountRoute, 401))).toBe(before.s401 + 1);
    expect(await sample(stack, requests('GET', accountRoute, 404))).toBe(before.s404 + 1);

    const s400 = await sample(stack, requests('POST', '/v1/usage/events', 400));
    const bad = await call(stack.url, 'POST', '/v1/usage/events', { token: await serviceKey(stack), body: { events: 'nope' } });
    expect(bad.status).toBe(400);
    expect(await sample(stack, requests('POST', '/v1/usage/events', 400))).toBe(s400 + 1);
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

  it('exposes process metrics and counts the workflow start of each account it creates', async () => {
    const text = (await call<string>(stack.url, 'GET', '/metrics')).body;
    expect(text).toMatch(/^tollbooth_process_resident_memory_bytes \d+/m);
    const series = [starts('accountProvisioningWorkflow', 'started'), starts('accountProvisioningWorkflow', 'already_started')];
    const before = await samples(stack, series);
    // Account creation starts its provisioning workflow through the Temporal client.
    for (const name of ['Metrics one', 'Metrics two']) {
      expect((await call(stack.url, 'POST', '/admin/accounts', { token: stack.adminToken, body: { name } })).status).toBe(201);
    }
    expect(await samples(stack, series)).toEqual(plus(before, { [series[0]!]: 2 }));
  });

  it('counts Stripe webhook deliveries by type and outcome, and the workflow start of each', async () => {
    expect(PLATFORM_EVENT_TYPES).not.toContain(IGNORED);
    const series = [
      webhooks(HANDLED, 'handled'),
      webhooks(HANDLED, 'duplicate'),
      webhooks(IGNORED, 'ignored'),
      webhooks('unverified', 'invalid_signature'),
      starts('stripeEventWorkflow', 'started'),
      starts('stripeEventWorkflow', 'already_started'),
    ];
    const before = await samples(stack, series);
    const event = webhookEvent(HANDLED, { id: 'sub_metrics', object: 'subscription' });
    const deliver = (e: object, tamper?: (raw: string) => string) =>
      deliverWebhook(stack, '/webhooks/stripe', e, { secret: WEBHOOK_SECRET, tamper }).then((r) => r.status);
    expect(await deliver(event)).toBe(200);
    expect(await deliver(event)).toBe(200); // Stripe's redelivery
    expect(await deliver(webhookEvent(IGNORED, { id: 'ch_metrics', object: 'charge' }))).toBe(200);
    expect(await deliver(webhookEvent(HANDLED, { id: 'sub_forged', object: 'subscription' }), (raw) => raw.replace('sub_forged', 'sub_forgex'))).toBe(400);
    expect(await samples(stack, series)).toEqual(
      plus(before, {
        [webhooks(HANDLED, 'handled')]: 1,
        [webhooks(HANDLED, 'duplicate')]: 1,
        [webhooks(IGNORED, 'ignored')]: 1,
        [webhooks('unverified', 'invalid_signature')]: 1,
        // Started again on the redelivery (in case Temporal missed the first): refused by id.
        [starts('stripeEventWorkflow', 'started')]: 1,
        [starts('stripeEventWorkflow', 'already_started')]: 1,
      }),
    );
  });

  it('counts a workflow start that Temporal refuses as failed, and its webhook as start_failed', async () => {
    // A second API process on the same databases, pointed at a namespace Temporal does not have.
    const broken = await startTestStack({
      shareWith: stack,
      env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, TEMPORAL_NAMESPACE: 'tollbooth-no-such-namespace' },
    });
    try {
      const series = [
        webhooks(HANDLED, 'start_failed'),
        webhooks(HANDLED, 'handled'),
        starts('stripeEventWorkflow', 'failed'),
        starts('stripeEventWorkflow', 'started'),
      ];
      const before = await samples(stack, series);
      const reply = await deliverWebhook(broken, '/webhooks/stripe', webhookEvent(HANDLED, { id: 'sub_unstarted', object: 'subscription' }), {
        secret: WEBHOOK_SECRET,
      });
      // Not a 2xx: Stripe retries the delivery until a start succeeds.
      expect(reply.status).toBeGreaterThanOrEqual(500);
      expect(await samples(stack, series)).toEqual(plus(before, { [webhooks(HANDLED, 'start_failed')]: 1, [starts('stripeEventWorkflow', 'failed')]: 1 }));
    } finally {
      await broken.close();
    }
  });
});
