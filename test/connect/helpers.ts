import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { call, type Reply } from '../helpers/http';
import type { TestStack } from '../helpers/stack';
import { createAccount, createApp } from '../helpers/factories';
import { eventually } from '../helpers/eventually';

export const CONNECT_SECRET = 'whsec_connect_test_secret';
export const PLATFORM_SECRET = 'whsec_platform_test_secret_for_connect';
export const URLS = { successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/no' };
export const LINK_URLS = { refreshUrl: 'https://app.example/refresh', returnUrl: 'https://app.example/return' };

export const rid = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;
export const nowS = () => Math.floor(Date.now() / 1000);

export const connectStack = { worker: true, env: { STRIPE_WEBHOOK_SECRET: PLATFORM_SECRET, STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET } };

/** A fresh app (own account), as its developer has it right after creation. */
export async function newApp(stack: TestStack, name = 'App') {
  const { accountId } = await createAccount(stack, `${name} owner`);
  return { accountId, ...(await createApp(stack, accountId, name)) };
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
export function connectEvent(type: string, account: string | null, object: Record<string, unknown>, created = nowS()) {
  return {
    id: rid('evt'),
    object: 'event',
    api_version: '2026-10-28.endive',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    ...(account && { account }),
    data: { object },
  };
}

export function deliverConnect(stack: TestStack, event: object, secret = CONNECT_SECRET): Promise<Reply> {
  const raw = JSON.stringify(event);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: raw, secret });
  return call(stack.url, 'POST', '/webhooks/stripe/connect', { raw, headers: { 'stripe-signature': signature, 'content-type': 'application/json' } });
}

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
