import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPostgresServer, type PostgresServer } from '../../testing/postgres-server';
import { freePort } from '../../embedded/ports';
import { startTestStack, type TestStack } from '../helpers/stack';
import { testServices } from '../helpers/services';
import { call, type Reply } from '../helpers/http';
import { createAccount } from '../helpers/factories';
import { startStripeEventsStandIn } from '../helpers/stripe-events-stand-in';
import { WEBHOOK_SECRET, sellPlans, deliver, checkoutCompleted, eventually, billingOf, newSubscriptionId } from '../platform-billing/helpers';

/**
 * Postgres stops for a minute (the outage the service is specified to ride out) in the middle
 * of a checkout and of a burst of webhooks, on a Postgres server of this file's own, restarted on
 * the same data and port. Clients and Stripe retry as they do: afterwards everything has
 * completed, with one Stripe object per checkout and one row per event and subscription.
 */
const OUTAGE_MS = 60_000;
const BURST = 6;

let dir: string;
let pg: PostgresServer;
let port: number;
let standIn: Awaited<ReturnType<typeof startStripeEventsStandIn>>;
let stack: TestStack;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollbooth-pg-outage-'));
  chmodSync(dir, 0o755); // the server runs as `postgres` and keeps its data below this dir
  port = await freePort();
  pg = await startPostgresServer({ dataDir: join(dir, 'data'), logDir: join(dir, 'logs'), port });
  standIn = await startStripeEventsStandIn(testServices().stripeApiBase);
  stack = await startTestStack({ worker: true, env: { DATABASE_URL: pg.url, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: standIn.url } });
  await sellPlans(stack);
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await pg?.stop();
  await standIn?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every answer, with its body: a failure shows what the service said. */
type Answer = { status: number; body: unknown };

/** Like Stripe and like a client with an Idempotency-Key: retry until 200, noting every answer. */
async function untilOk(send: () => Promise<Reply>, answers: Answer[], budgetMs = 4 * 60_000): Promise<Reply> {
  const until = Date.now() + budgetMs;
  for (;;) {
    const reply = await send().catch(() => ({ status: 0, body: undefined, headers: new Headers() }) as Reply);
    answers.push({ status: reply.status, body: reply.body });
    if (reply.status === 200 || Date.now() > until) return reply;
    await sleep(1000);
  }
}

it(
  'a checkout and a webhook burst in flight while Postgres is down for a minute complete afterwards, once',
  async () => {
    const buyer = await createAccount(stack, 'Outage buyer');
    await stack.deps.temporal.workflow.getHandle(`account-provisioning:${buyer.accountId}`).result();
    const payers = [];
    for (let i = 0; i < BURST; i++) payers.push({ ...(await createAccount(stack, `Outage payer ${i}`)), subscriptionId: newSubscriptionId() });
    const events = payers.map((p) => checkoutCompleted({ accountId: p.accountId, planId: 'pro', subscriptionId: p.subscriptionId }));

    const answers: Answer[] = [];
    const body = { planId: 'pro', successUrl: 'https://app.example.com/ok', cancelUrl: 'https://app.example.com/cancel' };
    const checkout = untilOk(
      () => call(stack.url, 'POST', '/dashboard/billing/checkout', { token: buyer.apiKey, body, headers: { 'idempotency-key': 'outage-1' } }),
      answers,
    );
    // Postgres goes down once the checkout's session is being made at Stripe, half of the burst
    // delivered around that moment and the other half during the outage.
    await eventually('session create sent', async () => standIn.forwarded.some((r) => r.path === '/v1/checkout/sessions'));
    const burst = events.map((e, i) => sleep(i < BURST / 2 ? 0 : OUTAGE_MS / 2).then(() => untilOk(() => deliver(stack, e), answers)));
    await pg.stop();
    await sleep(OUTAGE_MS);
    pg = await startPostgresServer({ dataDir: join(dir, 'data'), logDir: join(dir, 'logs'), port });

    const reply = await checkout;
    expect(reply.status).toBe(200);
    expect(reply.body.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const replies = await Promise.all(burst);
    expect(replies.map((r) => r.status)).toEqual(events.map(() => 200));
    // While down, answers were errors to retry (5xx), never a false success or a refusal.
    expect(answers.filter((a) => a.status !== 200 && !(a.status >= 500 && a.status < 600))).toEqual([]);

    // One Checkout Session: every create that reached Stripe carried the same idempotency key.
    const creates = standIn.forwarded.filter((r) => r.method === 'POST' && r.path === '/v1/checkout/sessions');
    expect(new Set(creates.map((r) => r.idempotencyKey))).toEqual(new Set([`platform-checkout:${buyer.accountId}:outage-1:session`]));
    const rows = await stack.deps.db.query('SELECT status FROM checkouts WHERE account_id = $1', [buyer.accountId]);
    expect(rows.rows).toEqual([{ status: 'open' }]);

    for (const p of payers) await eventually(`${p.accountId} on pro`, async () => (await billingOf(stack, p.apiKey)).plan.id === 'pro', 120_000);
    const recorded = await stack.deps.db.query('SELECT id, outcome FROM stripe_events WHERE id = ANY($1)', [events.map((e) => e.id)]);
    expect(recorded.rows).toHaveLength(BURST);
    await eventually(
      'all applied',
      async () =>
        (await stack.deps.db.query("SELECT count(*)::int AS n FROM stripe_events WHERE id = ANY($1) AND outcome = 'applied'", [events.map((e) => e.id)]))
          .rows[0].n === BURST,
    );
    const subs = await stack.deps.db.query('SELECT account_id, count(*)::int AS n FROM platform_subscriptions WHERE account_id = ANY($1) GROUP BY account_id', [
      payers.map((p) => p.accountId),
    ]);
    expect(subs.rows.map((r) => r.n)).toEqual(payers.map(() => 1));
  },
  6 * 60_000,
);
