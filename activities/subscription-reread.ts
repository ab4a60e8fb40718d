import type Stripe from 'stripe';
import type { Db } from '../platform/pg';
import { stripeCalls } from './stripe-calls';
import { subscriptionPatch } from '../platform/stripe-events/platform';
import { fromSubscription } from '../platform/stripe-events/connect';
import { getApp } from '../db/apps';
import { planOfPatch, platformPlans } from './plan-of-patch';
import { appPlanIdOfPrice } from '../db/app-plans';

export interface RereadState {
  status?: string;
  cancelAtPeriodEnd?: boolean;
  periodStart?: string;
  periodEnd?: string;
  planId: string | null;
}

/**
 * Two events of one subscription in the same second (Stripe `created` has one-second
 * resolution) cannot be ordered by their timestamps: arrival order would decide. Instead the
 * subscription is read back from Stripe, whose answer is its state now, and that is applied.
 */
export function createSubscriptionRereadActivities(deps: { db: Db; stripe?: Stripe }) {
  const { stripe, rejectedFast } = stripeCalls(deps.stripe);
  const pick = (p: { status?: string; cancelAtPeriodEnd?: boolean; periodStart?: string; periodEnd?: string } | undefined) => ({
    status: p?.status,
    cancelAtPeriodEnd: p?.cancelAtPeriodEnd,
    periodStart: p?.periodStart,
    periodEnd: p?.periodEnd,
  });
  return {
    async rereadPlatformSubscription(input: { subscriptionId: string }): Promise<RereadState> {
      const sub = await rejectedFast(() => stripe().subscriptions.retrieve(input.subscriptionId));
      const patch = subscriptionPatch(sub as unknown as Record<string, unknown>, 'customer.subscription.updated');
      return { ...pick(patch), planId: await planOfPatch(patch, platformPlans(deps.db)) };
    },
    async rereadAppSubscription(input: { appId: string; subscriptionId: string }): Promise<RereadState> {
      const app = await getApp(deps.db, input.appId);
      const sub = await rejectedFast(() =>
        stripe().subscriptions.retrieve(input.subscriptionId, {}, app?.stripeAccountId ? { stripeAccount: app.stripeAccountId } : {}),
      );
      const patch = fromSubscription(sub as unknown as Record<string, unknown>, false);
      const planId = patch?.priceId ? ((await appPlanIdOfPrice(deps.db, input.appId, patch.priceId)) ?? null) : null;
      return { ...pick(patch), planId };
    },
  };
}
