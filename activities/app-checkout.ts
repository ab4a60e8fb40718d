import type Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../platform/pg';
import { getAppPlan } from '../db/app-plans';
import { getAppProduct } from '../db/app-products';
import { createPendingOrder, setOrderSession } from '../db/orders';
import { markCancelAtPeriodEnd } from '../db/app-subscriptions';
import { connectStripe } from './connect-stripe';

interface SessionInput {
  appId: string;
  customerId: string;
  successUrl: string;
  cancelUrl: string;
  key: string;
}

/**
 * Checkout Sessions on the app's connected account (direct charges: the app is the merchant of
 * record) with the platform's cut as an application fee, PLATFORM_FEE_BPS basis points:
 * `application_fee_percent` on subscriptions (it follows every renewal and price change),
 * `application_fee_amount` on one-time payments (exact cents, known up front).
 */
export function createAppCheckoutActivities(deps: { db: Db; stripe?: Stripe; platformFeeBps?: number }) {
  const { stripe, rejectedFast, accountOf } = connectStripe(deps);
  const bps = deps.platformFeeBps ?? 500;
  const urlOf = (s: Stripe.Checkout.Session) => {
    if (!s.url) throw ApplicationFailure.nonRetryable(`Checkout Session ${s.id} has no URL`, 'NoCheckoutUrl');
    return s.url;
  };

  return {
    async createAppSubscriptionCheckout(input: SessionInput & { planId: string }): Promise<{ sessionId: string; url: string; stripeAccount: string }> {
      const acct = await accountOf(input.appId);
      const plan = await getAppPlan(deps.db, input.appId, input.planId);
      if (!plan?.active) throw ApplicationFailure.nonRetryable(`Plan ${input.planId} not found`, 'NotFound');
      // The webhook ties the subscription to the app's end user and plan through these.
      const metadata = { appId: input.appId, customerId: input.customerId, planId: plan.id };
      const session = await rejectedFast(() =>
        stripe().checkout.sessions.create(
          {
            mode: 'subscription',
            client_reference_id: input.customerId,
            line_items: [{ price: plan.stripePriceId, quantity: 1 }],
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            metadata,
            subscription_data: { metadata, application_fee_percent: bps / 100 },
          },
          { stripeAccount: acct, idempotencyKey: `${input.key}:session` },
        ),
      );
      return { sessionId: session.id, url: urlOf(session), stripeAccount: acct };
    },

    /** The order is written pending first, so no webhook can arrive for an order we lack. */
    async createAppPurchaseCheckout(
      input: SessionInput & { orderId: string; productId: string; quantity: number },
    ): Promise<{ sessionId: string; url: string }> {
      const acct = await accountOf(input.appId);
      const product = await getAppProduct(deps.db, input.appId, input.productId);
      if (!product?.active) throw ApplicationFailure.nonRetryable(`Product ${input.productId} not found`, 'NotFound');
      const amount = product.amount * input.quantity;
      await createPendingOrder(deps.db, {
        id: input.orderId,
        appId: input.appId,
        customerId: input.customerId,
        productId: product.id,
        quantity: input.quantity,
        amount,
        currency: product.currency,
      });
      const metadata = { appId: input.appId, customerId: input.customerId, orderId: input.orderId };
      const session = await rejectedFast(() =>
        stripe().checkout.sessions.create(
          {
            mode: 'payment',
            client_reference_id: input.customerId,
            line_items: [{ price: product.stripePriceId, quantity: input.quantity }],
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            metadata,
            // Stripe copies these onto the charge, so refunds and failures find the order too.
            payment_intent_data: { metadata, application_fee_amount: Math.floor((amount * bps) / 10_000) },
          },
          { stripeAccount: acct, idempotencyKey: `${input.key}:session` },
        ),
      );
      await setOrderSession(deps.db, input.orderId, session.id);
      return { sessionId: session.id, url: urlOf(session) };
    },

    async cancelAppSubscription(input: { appId: string; subscriptionId: string; key: string }): Promise<void> {
      const acct = await accountOf(input.appId);
      await rejectedFast(() =>
        stripe().subscriptions.update(input.subscriptionId, { cancel_at_period_end: true }, { stripeAccount: acct, idempotencyKey: `${input.key}:cancel` }),
      );
      await markCancelAtPeriodEnd(deps.db, input.appId, input.subscriptionId);
    },
  };
}
