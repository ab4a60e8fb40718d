import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Stripe from 'stripe';
import type { TestServices } from '../test/helpers/services';
import { emit, latencySummary, openLoop, post, spawnApi, type ApiProcess } from './lib';
import { seedTenants } from './fixtures';

const RATE = 100;
const SECONDS = Number(process.env.BENCH_WEBHOOK_SECONDS ?? 10);
const CHECKOUTS = Number(process.env.BENCH_CHECKOUTS ?? 50);
const SECRET = `whsec_${randomBytes(12).toString('hex')}`;

/** A worker process on the bench API's databases and task queue. */
async function spawnWorker(api: ApiProcess): Promise<() => Promise<void>> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(__dirname, '..', 'bin', 'worker.ts')], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...api.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return () =>
    new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

function signedEvent(accountId: string, subscriptionId: string, i: number) {
  const payload = JSON.stringify({
    id: `evt_bench_${randomBytes(8).toString('hex')}`,
    object: 'event',
    type: 'customer.subscription.updated',
    created: Math.floor(Date.now() / 1000) + i,
    data: {
      object: {
        id: subscriptionId,
        object: 'subscription',
        status: 'active',
        cancel_at_period_end: false,
        metadata: { accountId },
        items: { data: [{ price: { id: 'price_pro' } }] },
      },
    },
  });
  return { payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }) };
}

/** Checkout request → URL with stripe-mock (worker running), then webhook acknowledgement at 100 events/s (open loop). */
export async function benchPlatformBilling(services: TestServices): Promise<void> {
  const api = await spawnApi(services, { env: { STRIPE_WEBHOOK_SECRET: SECRET, STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_API_BASE: services.stripeApiBase } });
  const stopWorker = await spawnWorker(api);
  let workerRunning = true;
  try {
    const { accountIds, apiKeys } = await seedTenants(api, CHECKOUTS + 1);
    const put = await fetch(`${api.url}/admin/plans/pro`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${api.env.ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Pro', amountCents: 2500, stripePriceId: 'price_pro', limits: {} }),
    });
    if (put.status !== 200) throw new Error(`PUT /admin/plans/pro: ${put.status}`);

    const checkout = (i: number) =>
      post(
        `${api.url}/dashboard/billing/checkout`,
        apiKeys[i + 1]!,
        JSON.stringify({ planId: 'pro', successUrl: 'https://example.com/ok', cancelUrl: 'https://example.com/no' }),
      );
    const checkoutSamples: number[] = [];
    let checkoutErrors = 0;
    for (let i = 0; i < CHECKOUTS; i++) {
      const t = performance.now();
      const r = await checkout(i);
      checkoutSamples.push(performance.now() - t);
      if (r.status !== 200 || !r.json.url) checkoutErrors++;
    }
    emit({ bench: 'checkout-url', stripe: 'stripe-mock', errors: checkoutErrors, ...latencySummary(checkoutSamples), target_p50_ms: 150 });
    // The acknowledgement is measured alone: with a worker on the same two cores, the
    // processing of 1,000 events competes with the intake for the Temporal dev server.
    await stopWorker();
    workerRunning = false;
    const total = RATE * SECONDS;
    const events = Array.from({ length: total }, (_, i) => signedEvent(accountIds[0]!, 'sub_bench', i));
    const { samples, errors } = await openLoop(RATE, total, async (i) => {
      const { payload, signature } = events[i]!;
      const r = await fetch(`${api.url}/webhooks/stripe`, {
        method: 'POST',
        headers: { 'stripe-signature': signature, 'content-type': 'application/json' },
        body: payload,
      });
      await r.arrayBuffer();
      return r.status;
    });
    emit({ bench: 'webhook-ack', target_rps: RATE, errors, ...latencySummary(samples), target_p99_ms: 50 });
  } finally {
    if (workerRunning) await stopWorker();
    await api.stop();
  }
}
