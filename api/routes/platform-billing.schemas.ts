import { idempotencyKeyHeader } from '../middleware/idempotency';
import { z } from 'zod';
import { strictBody } from '../openapi/route';

const url = z.url();

export const checkoutBody = strictBody({
  planId: z.string().min(1).describe('A paid plan of GET /dashboard/plans'),
  successUrl: url.describe('Where Stripe sends the customer after paying'),
  cancelUrl: url.describe('Where Stripe sends the customer on cancel'),
}).meta({
  id: 'CheckoutRequest',
  examples: [{ planId: 'pro', successUrl: 'https://console.example/billing?ok=1', cancelUrl: 'https://console.example/billing' }],
});
export const portalBody = strictBody({ returnUrl: url.describe("Where the portal's back link goes") }).meta({
  examples: [{ returnUrl: 'https://console.example/billing' }],
});

/** Idempotency-Key header: becomes part of a workflow id (the middleware checked it already). */
export const idempotencyKey = idempotencyKeyHeader.optional();

export const checkoutResponse = z
  .object({
    checkoutId: z.string(),
    url: z.string(),
    mode: z.enum(['session', 'plan_change']),
    status: z.string().optional(),
  })
  .meta({
    id: 'Checkout',
    description: 'mode session: follow url to Stripe Checkout. mode plan_change: an active subscription was switched in place; url is the successUrl',
    examples: [{ checkoutId: 'chk_8d1q', url: 'https://checkout.stripe.com/c/pay/cs_test_a1', mode: 'session' }],
  });
export const portalResponse = z.object({ url: z.string() }).meta({ examples: [{ url: 'https://billing.stripe.com/p/session/test_YWNjdF8x' }] });
export const webhookResponse = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean().describe('This event id was received before'),
    handled: z.boolean().describe('The event type is one this service acts on; others are recorded only'),
  })
  .meta({ id: 'WebhookReceipt', examples: [{ received: true, duplicate: false, handled: true }] });
