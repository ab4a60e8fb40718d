import type Stripe from 'stripe';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../platform/pg';
import { stripeCalls } from './stripe-calls';
import { getAccount } from '../db/accounts';
import { getPlan } from '../db/plans';
import { createOverageStripe } from './overage-stripe';

/**
 * Stripe calls of platform billing (the platform's own Stripe account). Every write carries an
 * idempotency key built from the workflow's business key, so a retried activity or a worker
 * killed mid-call still makes one Stripe object.
 */
export function createPlatformBillingStripeActivities(deps: { db: Db; stripe?: Stripe }) {
  const { stripe, rejectedFast } = stripeCalls(deps.stripe);
  const overage = createOverageStripe(deps);
  const priceOf = async (planId: string): Promise<string> => {
    const plan = await getPlan(deps.db, planId);
    if (!plan?.stripePriceId) throw ApplicationFailure.nonRetryable(`Plan ${planId} has no Stripe price`, 'PlanNotSellable');
    return plan.stripePriceId;
  };

  return {
    async createPlatformCheckoutSession(input: {
      checkoutId: string;
      workflowId: string;
      accountId: string;
      customerId: string;
      planId: string;
      successUrl: string;
      cancelUrl: string;
    }): Promise<{ sessionId: string; url: string }> {
      const price = await priceOf(input.planId);
      // Overage: the plan's metered Prices ride along (none for a plan without overage prices).
      const metered = (await overage.ensureOveragePrices(input.planId)).map((p) => ({ price: p }));
      const metadata = { accountId: input.accountId, planId: input.planId };
      const session = await rejectedFast(() =>
        stripe().checkout.sessions.create(
          {
            mode: 'subscription',
            customer: input.customerId,
            client_reference_id: input.accountId,
            line_items: [{ price, quantity: 1 }, ...metered],
            success_url: input.successUrl,
            cancel_url: input.cancelUrl,
            // The webhook finds the checkout workflow and the account from these.
            metadata: { ...metadata, checkoutId: input.checkoutId, checkoutWorkflowId: input.workflowId },
            subscription_data: { metadata },
          },
          { idempotencyKey: `${input.workflowId}:session` },
        ),
      );
      if (!session.url) throw ApplicationFailure.nonRetryable(`Checkout Session ${session.id} has no URL`, 'NoCheckoutUrl');
      return { sessionId: session.id, url: session.url };
    },

    /** Moves an existing subscription to another plan; Stripe prorates the rest of the period. */
    async changePlatformSubscriptionPlan(input: { subscriptionId: string; planId: string; idempotencyKey: string }): Promise<void> {
      const price = await priceOf(input.planId);
      const sub = await rejectedFast(() => stripe().subscriptions.retrieve(input.subscriptionId));
      const item = sub.items.data[0];
      await rejectedFast(() =>
        stripe().subscriptions.update(
          input.subscriptionId,
          {
            items: [{ ...(item && { id: item.id }), price }],
            proration_behavior: 'create_prorations',
            metadata: { planId: input.planId },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      );
    },

    async createBillingPortalSession(input: { accountId: string; returnUrl: string }): Promise<{ url: string | null }> {
      const account = await getAccount(deps.db, input.accountId);
      if (!account?.stripeCustomerId) return { url: null };
      const session = await rejectedFast(() => stripe().billingPortal.sessions.create({ customer: account.stripeCustomerId!, return_url: input.returnUrl }));
      return { url: session.url };
    },

    async cancelPlatformSubscription(input: { subscriptionId: string; idempotencyKey: string }): Promise<void> {
      await rejectedFast(() => stripe().subscriptions.cancel(input.subscriptionId, {}, { idempotencyKey: input.idempotencyKey }));
    },
  };
}
