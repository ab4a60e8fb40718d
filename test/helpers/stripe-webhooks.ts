import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { call, type Reply } from './http';
import type { TestStack } from './stack';

/** A random Stripe-style id (`evt_…`, `sub_…`): tests never share objects by accident. */
export const rid = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;
export const nowS = () => Math.floor(Date.now() / 1000);

/**
 * An event as Stripe sends it to a webhook endpoint. `account` is set on a connected account's
 * event (Connect) and absent on the platform's own.
 */
export function webhookEvent(type: string, object: Record<string, unknown>, opts: { created?: number; account?: string | null } = {}) {
  return {
    id: rid('evt'),
    object: 'event',
    api_version: '2026-10-28.endive',
    created: opts.created ?? nowS(),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    ...(opts.account && { account: opts.account }),
    data: { object },
  };
}

/** The Stripe-Signature header Stripe would send for these bytes. */
export function signWebhook(payload: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp && { timestamp }) });
}

/** Delivers an event the way Stripe does: the exact bytes, signed; `tamper` changes them after signing. */
export function deliverWebhook(
  stack: TestStack,
  path: string,
  event: object,
  opts: { secret: string; timestamp?: number; tamper?: (raw: string) => string },
): Promise<Reply> {
  const raw = JSON.stringify(event);
  const signature = signWebhook(raw, opts.secret, opts.timestamp);
  return call(stack.url, 'POST', path, {
    raw: opts.tamper ? opts.tamper(raw) : raw,
    headers: { 'stripe-signature': signature, 'content-type': 'application/json' },
  });
}
