import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { startTestStack, type TestStack } from '../helpers/stack';
import { spawnService, stopApis, type ServiceProcess } from '../helpers/api-process';
import { startStripeProxy } from '../helpers/stripe-proxy';
import { testServices } from '../helpers/services';
import { createAccount, setPlan, usageEvent } from '../helpers/factories';
import { DAY_MS, daily, isoDate, newTenant, postEvents, serviceKey } from '../helpers/metering';
import { admitted, counters, tenantWithUsed } from '../helpers/limit-checks';
import { eventually } from '../helpers/eventually';
import { WEBHOOK_SECRET, checkoutCompleted, deliver, newSubscriptionId, sellPlans } from '../platform-billing/helpers';
import { heldRequest, refusesConnections } from '../helpers/held-request';

/**
 * Many processes, no shared memory: three `bin/api.ts` and two `bin/worker.ts` processes, started
 * as in production, on one Postgres, ClickHouse and Temporal task queue. The in-process stack
 * here serves no requests and runs no worker: it only reads the databases and Temporal. The two
 * shutdown tests come last: each stops one of the processes.
 */
let stack: TestStack;
let base: TestStack; // `stack`, with the first API process as its URL (admin and dashboard calls)
let apis: ServiceProcess[];
let workers: ServiceProcess[];
let urls: string[];
let proxy: Awaited<ReturnType<typeof startStripeProxy>>;
const children: ChildProcess[] = [];
// The one account whose Stripe customer create the proxy holds (the worker shutdown test).
const HELD_NAME = `held-${randomBytes(6).toString('hex')}`;

beforeAll(async () => {
  proxy = await startStripeProxy(testServices().stripeApiBase, undefined, (r) => r.path.startsWith('/v1/customers') && r.body.includes(HELD_NAME));
  stack = await startTestStack({ api: false, env: { STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: proxy.url } });
  // Room for the held requests of the shutdown test on a slow machine: only the grace ends them.
  const slack = { SHUTDOWN_GRACE_MS: '120000', REQUEST_TIMEOUT_MS: '120000' };
  [apis, workers] = await Promise.all([
    Promise.all([0, 1, 2].map(() => spawnService('api', stack, children, slack))),
    Promise.all([0, 1].map(() => spawnService('worker', stack, children, slack))),
  ]);
  urls = apis.map((a) => a.url!);
  base = { ...stack, url: urls[0]! };
  await setPlan(base, 'hard5000', { ai_tokens: { limit: 5000, mode: 'hard' } });
  await sellPlans(base);
}, 180_000);
afterAll(async () => {
  stopApis(children, 'SIGKILL');
  await stack?.close();
  await proxy?.close();
});

const at = (url: string): TestStack => ({ ...base, url });

describe('exactly-once ingestion', () => {
  it('stores each event once when the same batches, with duplicates and retries, reach three processes at once', async () => {
    const tenants = [await newTenant(base), await newTenant(base)];
    const events = new Map<string, ReturnType<typeof usageEvent>>(); // account|id -> its one payload
    const eventOf = (round: number, i: number, id: string) => {
      const t = tenants[(round + i) % 2]!;
      const key = `${t.accountId}|${id}`;
      if (!events.has(key))
        events.set(
          key,
          usageEvent(t.accountId, id, { value: 1 + ((round * 37 + i * 11) % 500), timestamp: new Date(Date.now() - (i + 1) * 60_000).toISOString() }),
        );
      return events.get(key)!;
    };
    // 12 rounds of 44 events: 30 new ids, 10 of earlier rounds again, and 4 repeated inside the batch.
    const batches = Array.from({ length: 12 }, (_, round) => {
      const fresh = Array.from({ length: 30 }, (_, i) => eventOf(round, i, `r${round}-${i}`));
      const again = Array.from({ length: 10 }, (_, i) => eventOf(Math.floor(round / 2), i * 3, `r${Math.floor(round / 2)}-${i * 3}`));
      return [...fresh, ...again, ...fresh.slice(0, 4)];
    });
    let accepted = 0;
    const send = async (url: string, batch: unknown[]) => {
      const reply = await postEvents(base, batch, url);
      expect(reply.status).toBe(200);
      expect(reply.body.rejected).toEqual([]);
      expect(reply.body.accepted + reply.body.duplicates).toBe(batch.length);
      accepted += reply.body.accepted;
    };
    // Every round goes to the three processes at once (each in another order), then once more as
    // a client retry; all rounds run concurrently.
    await Promise.all(
      batches.map(async (batch, round) => {
        await Promise.all(urls.map((url, p) => send(url, [...batch.slice(p * 7), ...batch.slice(0, p * 7)])));
        await send(urls[round % 3]!, batch);
      }),
    );
    expect(accepted).toBe(events.size);

    const from = isoDate(Date.now() - 2 * DAY_MS);
    const to = isoDate(Date.now() + DAY_MS);
    for (const t of tenants) {
      const mine = [...events.values()].filter((e) => e.accountId === t.accountId);
      const expected = mine.reduce((s, e) => s + e.value, 0);
      const [raw] = await base.deps.store.query(
        'SELECT toString(count()) AS n, toString(uniqExact(event_id)) AS u, toString(sum(value)) AS v FROM {db:Identifier}.usage_events WHERE account_id = {a:String}',
        { a: t.accountId },
        z.object({ n: z.string(), u: z.string(), v: z.string() }),
      );
      expect([Number(raw!.n), Number(raw!.u), Number(raw!.v)]).toEqual([mine.length, mine.length, expected]);
      // Every process answers the same total from the rollups.
      for (const url of urls) {
        const days = await daily(at(url), t.apiKey, 'ai_tokens', from, to);
        expect(Object.values(days).reduce((s: number, v) => s + Number(v), 0)).toBe(expected);
      }
    }
  });
});

describe('hard limits', () => {
  it.each([
    ['near the limit (every admission through Postgres)', 4_990, 40, 1],
    ['far from it (leases), with amounts that do not divide the rest', 4_000, 400, 3],
  ])('k units left, N concurrent checks over three processes admit exactly k: %s', async (_name, used, n, amount) => {
    const accountId = await tenantWithUsed(base, urls, 'hard5000', used);
    const k = 5000 - used;
    expect(await admitted(base, urls, accountId, n, amount, 48)).toBe(Math.floor(k / amount));
    // Postgres agrees (reservations carved from leases are written behind); an unused lease
    // goes back when idle, which limits-processes.test.ts waits for.
    await eventually('reservations written', async () => (await counters(base, accountId)).r === Math.floor(k / amount) * amount);
    const { r, l } = await counters(base, accountId);
    expect(r + l).toBeLessThanOrEqual(k);
  });
});

describe('Stripe webhooks', () => {
  const recorded = async (eventId: string) => (await base.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [eventId])).rows;
  const runs = async (workflowId: string) => {
    const found: string[] = [];
    for await (const run of base.deps.temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` })) found.push(run.runId);
    return found.length;
  };

  it('applies an event once when the same signed delivery reaches the three processes at once', async () => {
    await Promise.all(
      [0, 1, 2].map(async (i) => {
        const { accountId } = await createAccount(base, `Webhook ${i}`);
        const subscriptionId = newSubscriptionId();
        const event = checkoutCompleted({ accountId, planId: 'pro', subscriptionId });
        const replies = await Promise.all([...urls, ...urls].map((url) => deliver(at(url), event)));
        expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
        expect(replies.filter((r) => r.body.duplicate === false)).toHaveLength(1);
        // One run of the event's workflow (its id is the event id), one subscription, seen once.
        expect(await base.deps.temporal.workflow.getHandle(`stripe-event:${event.id}`).result()).toEqual({ outcome: 'forwarded' });
        await eventually('applied', async () => (await recorded(event.id))[0]?.outcome === 'applied');
        expect(await recorded(event.id)).toHaveLength(1);
        const subs = await base.deps.db.query('SELECT id, plan_id, status FROM platform_subscriptions WHERE account_id = $1', [accountId]);
        expect(subs.rows).toEqual([{ id: subscriptionId, plan_id: 'pro', status: 'active' }]);
        const subscription = base.deps.temporal.workflow.getHandle(`platform-subscription:${subscriptionId}`);
        expect((await subscription.query<{ seen: string[] }>('subscriptionState')).seen).toEqual([event.id]);
        await eventually('listed', async () => (await runs(`stripe-event:${event.id}`)) > 0);
        expect(await runs(`stripe-event:${event.id}`)).toBe(1);
      }),
    );
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM to an API process: requests in flight complete, new connections are refused, then it exits 0', async () => {
    const [, , stopping] = apis;
    const url = stopping!.url!;
    const { accountId, apiKey } = await newTenant(base);
    const token = await serviceKey(base);
    const batches = [0, 1, 2].map((b) => Array.from({ length: 5 }, (_, i) => usageEvent(accountId, `drain-${b}-${i}`, { value: 10 })));
    // An idle keep-alive connection must not hold the drain up.
    const idle = heldRequest(url, 'GET', '/healthz');
    expect((await idle.send()).status).toBe(200);
    // Three requests whose headers the server has taken (100 Continue) and whose bodies are not sent yet.
    const held = batches.map((events) => heldRequest(url, 'POST', '/v1/usage/events', { token, body: { events } }));
    await Promise.all(held.map((h) => h.continued));

    process.kill(-stopping!.child.pid!, 'SIGTERM');
    await eventually('new connections refused', () => refusesConnections(url));
    expect(stopping!.child.exitCode).toBeNull(); // still draining: it cannot finish before the bodies arrive

    const replies = await Promise.all(held.map((h) => h.send()));
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ accepted: 5, duplicates: 0, rejected: [] });
      expect(reply.headers.connection).toBe('close');
    }
    expect(await stopping!.exited).toBe(0);
    expect(stopping!.output()).toMatch(/tollbooth api stopped drained=true/);
    // What was acknowledged during the drain is stored.
    const days = await daily(base, apiKey, 'ai_tokens', isoDate(Date.now() - 2 * DAY_MS), isoDate(Date.now() + DAY_MS));
    expect(Object.values(days).reduce((s: number, v) => s + Number(v), 0)).toBe(150);
  });

  it('SIGTERM to a worker during an activity: the activity finishes there, once, and the other worker goes on', async () => {
    const { accountId } = await createAccount(base, HELD_NAME);
    const provisioning = base.deps.temporal.workflow.getHandle(`account-provisioning:${accountId}`);
    await eventually('Stripe customer create held', async () => proxy.held() === 1);
    const running = await eventually(
      'activity running',
      async () => (await provisioning.describe()).raw.pendingActivities?.[0]?.lastWorkerIdentity || undefined,
    );
    const stopping = workers.find((w) => running.startsWith(`${w.child.pid}@`))!;
    expect(stopping).toBeDefined();

    process.kill(-stopping.child.pid!, 'SIGTERM');
    await eventually('worker draining', async () => /tollbooth worker draining/.test(stopping.output()));
    proxy.release();
    expect(await stopping.exited).toBe(0);
    expect(stopping.output()).toMatch(/tollbooth worker stopped drained=true/);

    // The workflow ends on the other worker; the customer was created once, by the first attempt.
    const result = await provisioning.result();
    const { rows } = await base.deps.db.query('SELECT stripe_customer_id FROM accounts WHERE id = $1', [accountId]);
    expect(result.stripeCustomerId).toBeTruthy();
    expect(rows).toEqual([{ stripe_customer_id: result.stripeCustomerId }]);
    const creates = proxy.seen.filter((r) => r.method === 'POST' && r.idempotencyKey === `account-customer:${accountId}`);
    expect(creates).toHaveLength(1);
    const history = (await provisioning.fetchHistory()).events ?? [];
    const started = history.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!);
    expect(started[0]).toMatchObject({ identity: running, attempt: 1 });
    expect(started.slice(1).every((s) => s.identity !== running)).toBe(true);
    expect(history.filter((e) => e.activityTaskCompletedEventAttributes)).toHaveLength(started.length);
  });
});
