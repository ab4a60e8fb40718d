import { call, type Reply } from '../helpers/http';
import type { TestStack } from '../helpers/stack';
import { putPlan } from '../helpers/factories';
import { deliverWebhook, nowS, rid, signWebhook, webhookEvent } from '../helpers/stripe-webhooks';

export const WEBHOOK_SECRET = 'whsec_platform_billing_test_secret';
export const PRO_LIMITS = { ai_tokens: { limit: 5_000_000, mode: 'soft' as const }, lambda_invocations: { limit: 2_000_000, mode: 'soft' as const } };
export const TEAM_LIMITS = { ai_tokens: { limit: 50_000_000, mode: 'soft' as const } };

export { nowS };

/** 1,000 tokens included, then 2 cents per started block of 100 tokens, reported to Stripe. */
export const METERED_PLAN = {
  name: 'Metered',
  amountCents: 2500,
  stripePriceId: 'price_metered',
  limits: { ai_tokens: { limit: 1000, mode: 'soft' } },
  overage: { ai_tokens: { included: 1000, unitAmountCents: 2, blockSize: 100 } },
};

/** The paid plans of these tests, sold through (stripe-mock) Prices configured by id. */
export async function sellPlans(stack: TestStack): Promise<void> {
  for (const [id, amountCents, limits] of [
    ['pro', 2500, PRO_LIMITS],
    ['team', 9900, TEAM_LIMITS],
  ] as const) {
    await putPlan(stack, id, { name: id, amountCents, stripePriceId: `price_${id}`, limits });
  }
}

/** A Stripe event as the platform's webhook endpoint receives it. */
export const stripeEvent = (type: string, object: Record<string, unknown>, created = nowS()) => webhookEvent(type, object, { created });

export const checkoutCompleted = (
  o: { accountId: string; planId: string; subscriptionId: string; customerId?: string; checkoutWorkflowId?: string; checkoutId?: string },
  created?: number,
) =>
  stripeEvent(
    'checkout.session.completed',
    {
      id: rid('cs_test'),
      object: 'checkout.session',
      mode: 'subscription',
      status: 'complete',
      payment_status: 'paid',
      customer: o.customerId ?? null,
      subscription: o.subscriptionId,
      client_reference_id: o.accountId,
      metadata: {
        accountId: o.accountId,
        planId: o.planId,
        ...(o.checkoutId && { checkoutId: o.checkoutId }),
        ...(o.checkoutWorkflowId && { checkoutWorkflowId: o.checkoutWorkflowId }),
      },
    },
    created,
  );

export const subscriptionEvent = (
  type: string,
  o: { accountId: string; subscriptionId: string; priceId: string; status: string; cancelAtPeriodEnd?: boolean },
  created?: number,
) => {
  const start = nowS();
  return stripeEvent(
    type,
    {
      id: o.subscriptionId,
      object: 'subscription',
      status: o.status,
      cancel_at_period_end: o.cancelAtPeriodEnd ?? false,
      metadata: { accountId: o.accountId },
      items: {
        object: 'list',
        data: [
          {
            id: rid('si'),
            object: 'subscription_item',
            price: { id: o.priceId, object: 'price' },
            current_period_start: start,
            current_period_end: start + 30 * 86400,
          },
        ],
      },
    },
    created,
  );
};

export const invoiceEvent = (
  type: 'invoice.payment_succeeded' | 'invoice.payment_failed',
  o: { accountId: string; subscriptionId: string; periodStart: number; periodEnd: number },
  created?: number,
) =>
  stripeEvent(
    type,
    {
      id: rid('in'),
      object: 'invoice',
      customer: rid('cus'),
      metadata: {},
      parent: { type: 'subscription_details', subscription_details: { subscription: o.subscriptionId, metadata: { accountId: o.accountId } } },
      lines: { object: 'list', data: [{ id: rid('il'), object: 'line_item', period: { start: o.periodStart, end: o.periodEnd } }] },
      // The invoice's own metadata is empty in Stripe; the account comes from the subscription's.
    },
    created,
  );

export const sign = (payload: string, opts: { secret?: string; timestamp?: number } = {}): string =>
  signWebhook(payload, opts.secret ?? WEBHOOK_SECRET, opts.timestamp);

/** Delivers an event the way Stripe does: the exact bytes, signed. */
export const deliver = (
  stack: TestStack,
  event: object,
  opts: { secret?: string; timestamp?: number; tamper?: (raw: string) => string } = {},
): Promise<Reply> => deliverWebhook(stack, '/webhooks/stripe', event, { ...opts, secret: opts.secret ?? WEBHOOK_SECRET });

export { eventually } from '../helpers/eventually';

export async function billingOf(stack: TestStack, apiKey: string) {
  const r = await call(stack.url, 'GET', '/dashboard/billing', { token: apiKey });
  if (r.status !== 200) throw new Error(`GET /dashboard/billing: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export const newSubscriptionId = () => rid('sub');
