import { call, type Reply } from '../helpers/http';
import { startTestStack, type TestStack } from '../helpers/stack';
import { createAccount, createApp } from '../helpers/factories';
import { eventually } from '../helpers/eventually';
import { deliverWebhook, nowS, rid, webhookEvent } from '../helpers/stripe-webhooks';

export const CONNECT_SECRET = 'whsec_connect_test_secret';
export const PLATFORM_SECRET = 'whsec_platform_test_secret_for_connect';
export const URLS = { successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/no' };
export const LINK_URLS = { refreshUrl: 'https://app.example/refresh', returnUrl: 'https://app.example/return' };

export { nowS, rid };

export const connectStack = { worker: true, env: { STRIPE_WEBHOOK_SECRET: PLATFORM_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET } };

/** A fresh app (own account), as its developer has it right after creation. */
export async function newApp(stack: TestStack, name = 'App') {
  const { accountId } = await createAccount(stack, `${name} owner`);
  return { accountId, ...(await createApp(stack, accountId, name)) };
}

/**
 * A stack with the Connect webhooks configured and one app on it, onboarded and able to take
 * payments: where most Connect tests start. A failed setup closes the stack it started.
 */
export async function stackWithOnboardedApp(name: string) {
  const stack = await startTestStack(connectStack);
  try {
    const app = await newApp(stack, name);
    return { stack, app, acct: await onboard(stack, app) };
  } catch (err) {
    await stack.close();
    throw err;
  }
}

/**
 * Onboards an app and returns its connected account id. Unless `charges: false`, Stripe then
 * reports the account able to take payments (account.updated), as it does once onboarding is done.
 */
export async function onboard(stack: TestStack, app: { appId: string; secretKey: string }, opts: { charges?: boolean } = {}): Promise<string> {
  const r = await call(stack.url, 'POST', `/v1/${app.appId}/billing/connect/onboard`, { token: app.secretKey, body: LINK_URLS });
  if (r.status !== 200) throw new Error(`onboard: ${r.status} ${JSON.stringify(r.body)}`);
  const account: string = r.body.stripeAccountId;
  if (opts.charges !== false) await setCharges(stack, account, true);
  return account;
}

/** Delivers account.updated for a connected account and waits until it is applied. */
export async function setCharges(stack: TestStack, account: string, chargesEnabled: boolean, created = nowS()): Promise<string> {
  const event = connectEvent(
    'account.updated',
    account,
    { id: account, object: 'account', charges_enabled: chargesEnabled, payouts_enabled: chargesEnabled },
    created,
  );
  const r = await deliverConnect(stack, event);
  if (r.status !== 200) throw new Error(`account.updated: ${r.status} ${JSON.stringify(r.body)}`);
  await eventually('account.updated processed', async () => ['applied', 'stale'].includes((await outcomeOf(stack, event.id)) ?? ''));
  return event.id;
}

/** A Connect event: as Stripe sends it for a connected account, with `account` set. */
export const connectEvent = (type: string, account: string | null, object: Record<string, unknown>, created = nowS()) =>
  webhookEvent(type, object, { created, account });

/** An end user paid the app's subscription Checkout: the event that makes their subscription. */
export const subscriptionCheckoutCompleted = (
  account: string,
  o: { customerId: string; subscriptionId: string; metadata: Record<string, string> },
  created?: number,
) =>
  connectEvent(
    'checkout.session.completed',
    account,
    {
      id: rid('cs_test'),
      object: 'checkout.session',
      mode: 'subscription',
      status: 'complete',
      payment_status: 'paid',
      subscription: o.subscriptionId,
      client_reference_id: o.customerId,
      metadata: o.metadata,
    },
    created,
  );

export const deliverConnect = (stack: TestStack, event: object, secret = CONNECT_SECRET): Promise<Reply> =>
  deliverWebhook(stack, '/webhooks/stripe/connect', event, { secret });

export const outcomeOf = async (stack: TestStack, eventId: string) =>
  (await stack.deps.db.query('SELECT outcome FROM stripe_events WHERE id = $1', [eventId])).rows[0]?.outcome as string | undefined;

export { eventually };

/** Row counts of every app-billing table: an invalid write must leave them all unchanged. */
export async function counts(stack: TestStack) {
  const tables = ['app_plans', 'app_plan_prices', 'app_products', 'app_subscriptions', 'orders'];
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = Number((await stack.deps.db.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n);
  return out;
}
