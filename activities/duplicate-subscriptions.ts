import type Stripe from 'stripe';
import type { Db } from '../platform/pg';
import { stripeCalls } from './stripe-calls';
import { getApp } from '../db/apps';
import { endDuplicateSubscription } from '../db/platform-subscriptions';
import { endDuplicateAppSubscription } from '../db/app-subscriptions';

/**
 * Two checkouts of one buyer can both be paid (the older session paid before the newer one
 * expired it). The buyer meant one subscription: the later one is cancelled at once and what
 * its invoices collected is refunded, every call under an idempotency key of its own, so a
 * retry or a crash makes one cancellation and one refund per payment.
 */
export function createDuplicateSubscriptionActivities(deps: { db: Db; stripe?: Stripe }) {
  const { stripe } = stripeCalls(deps.stripe);

  const cancelAndRefund = async (subscriptionId: string, stripeAccount: string | null): Promise<number> => {
    const on = (key?: string) => ({ ...(key && { idempotencyKey: `duplicate:${subscriptionId}:${key}` }), ...(stripeAccount && { stripeAccount }) });
    try {
      await stripe().subscriptions.cancel(subscriptionId, {}, on('cancel'));
    } catch (err) {
      // Already cancelled (by the customer, or by an earlier attempt): go on to the refund.
      if ((err as { type?: string }).type !== 'StripeInvalidRequestError') throw err;
    }
    let refunded = 0;
    const invoices = await stripe().invoices.list({ subscription: subscriptionId, status: 'paid', limit: 100 }, on());
    for (const invoice of invoices.data) {
      if (!invoice.id) continue;
      const payments = await stripe().invoicePayments.list({ invoice: invoice.id, limit: 100 }, on());
      for (const p of payments.data) {
        const intent = typeof p.payment?.payment_intent === 'string' ? p.payment.payment_intent : p.payment?.payment_intent?.id;
        if (p.status !== 'paid' || !intent) continue;
        await stripe().refunds.create({ payment_intent: intent, reason: 'duplicate' }, on(`refund:${intent}`));
        refunded += 1;
      }
    }
    return refunded;
  };

  return {
    async cancelDuplicatePlatformSubscription(input: { subscriptionId: string }): Promise<{ refunds: number }> {
      const refunds = await cancelAndRefund(input.subscriptionId, null);
      await endDuplicateSubscription(deps.db, input.subscriptionId);
      return { refunds };
    },
    async cancelDuplicateAppSubscription(input: { appId: string; subscriptionId: string }): Promise<{ refunds: number }> {
      const app = await getApp(deps.db, input.appId);
      const refunds = await cancelAndRefund(input.subscriptionId, app?.stripeAccountId ?? null);
      await endDuplicateAppSubscription(deps.db, input.appId, input.subscriptionId);
      return { refunds };
    },
  };
}
